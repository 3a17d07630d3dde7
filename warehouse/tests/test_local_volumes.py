"""Volumes and the connector's staging PUT/GET/REMOVE, through the real connector."""

from __future__ import annotations

import http.client
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from databricks.sql.exc import OperationalError, ServerOperationError

from warehouse.local import staging
from warehouse.local.testing import LocalWarehouseProcess

from .conftest import connect


@pytest.fixture
def files(tmp_path: Path, local_warehouse: LocalWarehouseProcess) -> Iterator[Any]:
    """A cursor of a connection allowed to stage files from and to ``tmp_path``."""
    conn = connect(local_warehouse.url, staging_allowed_local_path=str(tmp_path))
    with conn.cursor() as cur:
        yield cur
    conn.close()


@pytest.fixture
def volume(cursor: Any, schema: str) -> str:
    """A managed volume in the test's schema, as its /Volumes path."""
    cursor.execute(f"CREATE VOLUME {schema}.landing")
    return "/Volumes/" + schema.replace(".", "/") + "/landing"


def _volume_folder(warehouse: LocalWarehouseProcess, volume_path: str) -> Path:
    return warehouse.data_dir / "volumes" / volume_path.removeprefix("/Volumes/")


def test_create_show_and_drop_volumes(
    cursor: Any, schema: str, local_warehouse: LocalWarehouseProcess
) -> None:
    """CREATE VOLUME makes a folder and a SHOW VOLUMES row (database, volume_name); a second
    CREATE fails with VOLUME_ALREADY_EXISTS unless IF NOT EXISTS; DROP removes both."""
    catalog, name = schema.split(".")
    cursor.execute(f"CREATE VOLUME {schema}.raw_files COMMENT 'landing zone'")
    cursor.execute(f"CREATE VOLUME IF NOT EXISTS {schema}.raw_files")
    with pytest.raises(ServerOperationError, match=r"^\[VOLUME_ALREADY_EXISTS\] Cannot create volume `"):
        cursor.execute(f"CREATE VOLUME {schema}.raw_files")
    cursor.execute(f"USE {schema}")
    cursor.execute("CREATE VOLUME Archive")  # one part: the session's schema; names are lower case
    cursor.execute(f"SHOW VOLUMES IN {schema}")
    assert [d[0] for d in cursor.description] == ["database", "volume_name"]
    assert [tuple(r) for r in cursor.fetchall()] == [(name, "archive"), (name, "raw_files")]
    cursor.execute("SHOW VOLUMES LIKE ' RAW*|nothing '")  # trimmed, case-insensitive, | separates
    assert [r.volume_name for r in cursor.fetchall()] == ["raw_files"]
    folder = local_warehouse.data_dir / "volumes" / catalog / name / "raw_files"
    assert folder.is_dir()
    cursor.execute(f"DROP VOLUME {catalog}.{name}.raw_files")
    assert not folder.exists()
    with pytest.raises(
        ServerOperationError, match=r"^\[UC_VOLUME_NOT_FOUND\] Volume `.*`\.`raw_files` does not"
    ):
        cursor.execute(f"DROP VOLUME {schema}.raw_files")
    cursor.execute(f"DROP VOLUME IF EXISTS {schema}.raw_files")
    cursor.execute("SHOW VOLUMES")
    assert [r.volume_name for r in cursor.fetchall()] == ["archive"]


def test_a_volume_needs_its_schema(cursor: Any) -> None:
    with pytest.raises(ServerOperationError, match=r"^\[SCHEMA_NOT_FOUND\]"):
        cursor.execute("CREATE VOLUME wh_tests.no_such_schema.v")
    with pytest.raises(ServerOperationError, match=r"^\[CATALOG_NOT_FOUND\]"):
        cursor.execute("CREATE VOLUME no_such_catalog.s.v")
    with pytest.raises(ServerOperationError, match=r"^\[UNSUPPORTED_FEATURE\.LOCAL_WAREHOUSE\]"):
        cursor.execute("CREATE EXTERNAL VOLUME wh_tests.s.v LOCATION 's3://bucket/path'")


def test_put_then_get_gives_back_the_same_bytes(files: Any, volume: str, tmp_path: Path) -> None:
    """PUT uploads a local file (creating intermediate folders), GET downloads it byte for byte;
    the counters count them as PUT and GET."""
    source = tmp_path / "upload.bin"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 17))  # more than one 1 MiB chunk, not a multiple
    files.execute(f"PUT '{source}' INTO '{volume}/2024/01/upload.bin'")
    copy = tmp_path / "download.bin"
    files.execute(f"GET '{volume}/2024/01/upload.bin' TO '{copy}'")
    assert copy.read_bytes() == source.read_bytes()


def test_staging_statements_answer_the_staging_result_set(
    files: Any, volume: str, tmp_path: Path, local_warehouse: LocalWarehouseProcess
) -> None:
    """Each is counted by kind; the file lands in the volume's folder, under no temporary name."""
    local_warehouse.reset_stats()
    (tmp_path / "a.txt").write_text("hello")
    files.execute(f"PUT '{tmp_path / 'a.txt'}' INTO '{volume}/a.txt'")
    files.execute(f"GET '{volume}/a.txt' TO '{tmp_path / 'b.txt'}'")
    files.execute(f"REMOVE '{volume}/a.txt'")
    stats = local_warehouse.stats()
    assert {k: stats["by_kind"].get(k) for k in ("PUT", "GET", "REMOVE")} == {"PUT": 1, "GET": 1, "REMOVE": 1}
    assert stats["errors"] == 0
    assert list(_volume_folder(local_warehouse, volume).iterdir()) == []


def test_put_from_an_input_stream(files: Any, volume: str, tmp_path: Path) -> None:
    payload = b"streamed \x00 bytes" * 1000
    files.execute(f"PUT '__input_stream__' INTO '{volume}/streamed.bin'", input_stream=io.BytesIO(payload))
    files.execute(f"GET '{volume}/streamed.bin' TO '{tmp_path / 'back.bin'}'")
    assert (tmp_path / "back.bin").read_bytes() == payload


def test_put_without_overwrite_onto_an_existing_file_fails(files: Any, volume: str, tmp_path: Path) -> None:
    """Without OVERWRITE the statement fails (FILE_IN_STAGING_PATH_ALREADY_EXISTS) and the file
    stays; with OVERWRITE it is replaced."""
    (tmp_path / "v1.txt").write_text("first")
    (tmp_path / "v2.txt").write_text("second, longer")
    files.execute(f"PUT '{tmp_path / 'v1.txt'}' INTO '{volume}/f.txt'")
    with pytest.raises(ServerOperationError, match=r"^\[FILE_IN_STAGING_PATH_ALREADY_EXISTS\]"):
        files.execute(f"PUT '{tmp_path / 'v2.txt'}' INTO '{volume}/f.txt'")
    files.execute(f"GET '{volume}/f.txt' TO '{tmp_path / 'got.txt'}'")
    assert (tmp_path / "got.txt").read_text() == "first"
    files.execute(f"PUT '{tmp_path / 'v2.txt'}' INTO '{volume}/f.txt' OVERWRITE")
    files.execute(f"GET '{volume}/f.txt' TO '{tmp_path / 'got.txt'}'")
    assert (tmp_path / "got.txt").read_text() == "second, longer"


def test_remove_then_get_fails(files: Any, volume: str, tmp_path: Path) -> None:
    """REMOVE deletes the file; a GET or REMOVE of a missing file fails on its HTTP request (404)."""
    (tmp_path / "x.txt").write_text("x")
    files.execute(f"PUT '{tmp_path / 'x.txt'}' INTO '{volume}/x.txt'")
    files.execute(f"REMOVE '{volume}/x.txt'")
    with pytest.raises(OperationalError, match="Staging operation over HTTP was unsuccessful: 404"):
        files.execute(f"GET '{volume}/x.txt' TO '{tmp_path / 'y.txt'}'")
    assert not (tmp_path / "y.txt").exists()
    with pytest.raises(OperationalError, match="Staging operation over HTTP was unsuccessful: 404"):
        files.execute(f"REMOVE '{volume}/x.txt'")


@pytest.mark.parametrize(
    ("path", "error"),
    [
        (
            "/Volumes/wh_tests/{schema}/missing/f.txt",
            r"^\[UC_VOLUME_NOT_FOUND\] Volume `wh_tests`\.`.*`\.`missing`",
        ),
        ("/Volumes/no_such_catalog/s/v/f.txt", r"NOT_FOUND: Catalog 'no_such_catalog' does not exist"),
        ("/Volumes/wh_tests/no_such_schema/v/f.txt", r"^\[SCHEMA_NOT_FOUND\]"),
        (
            "/Volumes/wh_tests/{schema}/landing/../other/f.txt",
            r"^\[INVALID_STAGING_PATH_IN_STAGING_ACCESS_QUERY\]",
        ),
        ("/Volumes/wh_tests/{schema}/landing/", r"^\[INVALID_STAGING_PATH_IN_STAGING_ACCESS_QUERY\]"),
        ("/srv/elsewhere.txt", r"^\[INVALID_STAGING_PATH_IN_STAGING_ACCESS_QUERY\]"),
    ],
)
def test_staging_paths_are_checked_by_the_statement(
    files: Any, volume: str, schema: str, tmp_path: Path, path: str, error: str
) -> None:
    (tmp_path / "f.txt").write_text("f")
    remote = path.format(schema=schema.split(".")[1])
    with pytest.raises(ServerOperationError, match=error):
        files.execute(f"PUT '{tmp_path / 'f.txt'}' INTO '{remote}'")
    with pytest.raises(ServerOperationError, match=error):
        files.execute(f"REMOVE '{remote}'")


def test_an_empty_local_file_is_refused(files: Any, volume: str) -> None:
    with pytest.raises(ServerOperationError, match=r"^\[EMPTY_LOCAL_FILE_IN_STAGING_ACCESS_QUERY\]"):
        files.execute(f"PUT '' INTO '{volume}/f.txt'")


def _request(warehouse: LocalWarehouseProcess, method: str, url: str, **kwargs: Any) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", warehouse.port, timeout=30)
    try:
        connection.request(method, url, **kwargs)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_presigned_urls_need_a_valid_unexpired_token(
    files: Any, volume: str, tmp_path: Path, local_warehouse: LocalWarehouseProcess
) -> None:
    """A forged, tampered, expired or other-operation token is 403; a good one works."""
    (tmp_path / "t.txt").write_text("token test")
    files.execute(f"PUT '{tmp_path / 't.txt'}' INTO '{volume}/t.txt'")
    key = os.environ["LOCAL_WAREHOUSE_TOKEN"].encode()
    later = time.time() + 60
    good = staging.sign(key, staging.Grant("GET", f"{volume}/t.txt", False, later))
    assert _request(local_warehouse, "GET", f"/staging/{good}") == (200, b"token test")
    forged = staging.sign(b"not the key", staging.Grant("GET", f"{volume}/t.txt", False, later))
    expired = staging.sign(key, staging.Grant("GET", f"{volume}/t.txt", False, time.time() - 1))
    payload, signature = good.split(".")
    other = staging.sign(key, staging.Grant("REMOVE", f"{volume}/t.txt", False, later))
    for method, token in [
        ("GET", forged),
        ("GET", expired),
        ("GET", f"{payload}x.{signature}"),
        ("GET", other),
    ]:
        status, _ = _request(local_warehouse, method, f"/staging/{token}")
        assert status == 403
    status, _ = _request(local_warehouse, "DELETE", f"/staging/{good}")  # a GET grant deletes nothing
    assert status == 403
    assert _request(local_warehouse, "GET", "/staging/garbage")[0] == 403
    assert (_volume_folder(local_warehouse, volume) / "t.txt").read_text() == "token test"


def test_an_upload_beyond_databricks_limit_is_413(
    volume: str, local_warehouse: LocalWarehouseProcess
) -> None:
    """The size is checked from Content-Length before any byte is read; no Content-Length is 411."""
    key = os.environ["LOCAL_WAREHOUSE_TOKEN"].encode()
    token = staging.sign(key, staging.Grant("PUT", f"{volume}/huge.bin", False, time.time() + 60))
    too_big = str(staging.MAX_PUT_BYTES + 1)
    status, _ = _request(local_warehouse, "PUT", f"/staging/{token}", headers={"Content-Length": too_big})
    assert status == 413
    connection = http.client.HTTPConnection("127.0.0.1", local_warehouse.port, timeout=30)
    connection.putrequest("PUT", f"/staging/{token}")
    connection.endheaders()
    assert connection.getresponse().status == 411
    connection.close()
    assert not (_volume_folder(local_warehouse, volume) / "huge.bin").exists()


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_a_20_mb_upload_is_streamed_not_held(
    files: Any, volume: str, tmp_path: Path, local_warehouse: Any
) -> None:
    """The server's peak memory grows by far less than the upload (chunks of 1 MiB)."""
    pid = local_warehouse.process.pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets the peak (VmHWM) to the current size
    before = _peak_rss_kib(pid)
    payload = os.urandom(20 * 1024 * 1024)
    files.execute(f"PUT '__input_stream__' INTO '{volume}/big.bin'", input_stream=io.BytesIO(payload))
    grown_mib = (_peak_rss_kib(pid) - before) / 1024
    assert grown_mib < 8, f"the server's peak memory grew by {grown_mib:.1f} MiB"
    assert (_volume_folder(local_warehouse, volume) / "big.bin").read_bytes() == payload


def test_dropping_a_schema_or_catalog_drops_its_volumes(
    cursor: Any, files: Any, tmp_path: Path, local_warehouse: LocalWarehouseProcess
) -> None:
    """DROP SCHEMA without CASCADE fails on a schema with a volume (SCHEMA_NOT_EMPTY); with
    CASCADE the volume and its files go; DROP CATALOG ... CASCADE likewise."""
    cursor.execute("CREATE CATALOG IF NOT EXISTS wh_vol_drop")
    cursor.execute("CREATE SCHEMA wh_vol_drop.s")
    cursor.execute("CREATE VOLUME wh_vol_drop.s.v")
    (tmp_path / "f.txt").write_text("f")
    files.execute(f"PUT '{tmp_path / 'f.txt'}' INTO '/Volumes/wh_vol_drop/s/v/deep/f.txt'")
    folder = local_warehouse.data_dir / "volumes" / "wh_vol_drop" / "s"
    assert (folder / "v" / "deep" / "f.txt").is_file()
    with pytest.raises(
        ServerOperationError, match=r"^\[SCHEMA_NOT_EMPTY\] Cannot drop a schema `wh_vol_drop`"
    ):
        cursor.execute("DROP SCHEMA wh_vol_drop.s")
    cursor.execute("DROP SCHEMA wh_vol_drop.s CASCADE")
    assert not folder.exists()
    cursor.execute("CREATE SCHEMA wh_vol_drop.s")
    cursor.execute("SHOW VOLUMES IN wh_vol_drop.s")
    assert cursor.fetchall() == []
    cursor.execute("CREATE VOLUME wh_vol_drop.s.v2")
    with pytest.raises(ServerOperationError, match=r"^\[SCHEMA_NOT_EMPTY\]"):
        cursor.execute("DROP CATALOG wh_vol_drop")
    cursor.execute("DROP CATALOG wh_vol_drop CASCADE")
    assert not (local_warehouse.data_dir / "volumes" / "wh_vol_drop").exists()
