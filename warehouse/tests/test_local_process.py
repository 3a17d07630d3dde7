"""The local warehouse as a process: persistence, concurrent writers, latency, faults, counters."""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from databricks.sql.exc import RequestError

from warehouse.client import WarehouseClient
from warehouse.exceptions import WarehouseNotConfigured
from warehouse.local.testing import LocalWarehouseProcess

from .conftest import connect


@pytest.fixture
def own_warehouse(tmp_path: Path) -> Iterator[LocalWarehouseProcess]:
    """A warehouse of the test's own, so restarts and fault settings touch no other test."""
    process = LocalWarehouseProcess(data_dir=tmp_path / "data", extra_args=("--ensure-schema", "cat.sch"))
    process.start()
    yield process
    process.stop()


def _write_batches(url: str, writer: int, batches: int, rows_per_batch: int) -> None:
    with connect(url) as conn, conn.cursor() as cursor:
        for batch in range(batches):
            rows = [{"writer": writer, "n": batch * rows_per_batch + i} for i in range(rows_per_batch)]
            cursor.execute(
                "INSERT INTO cat.sch.t SELECT * FROM inline(from_json(:rows, 'ARRAY<STRUCT<writer: INT, n: INT>>'))",
                {"rows": json.dumps(rows)},
            )


def test_data_survives_a_restart(own_warehouse: LocalWarehouseProcess) -> None:
    """Catalogs, schemas, tables, declared types and rows are all there after the server restarts."""
    with connect(own_warehouse.url) as conn, conn.cursor() as cursor:
        cursor.execute("CREATE TABLE cat.sch.t (id BIGINT NOT NULL, label VARCHAR(5))")
        cursor.execute("INSERT INTO cat.sch.t VALUES (1, 'one'), (2, NULL)")
    own_warehouse.restart()
    with connect(own_warehouse.url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT id, label FROM cat.sch.t ORDER BY id")
        assert [tuple(r) for r in cursor.fetchall()] == [(1, "one"), (2, None)]
        cursor.execute("DESCRIBE TABLE cat.sch.t")
        assert [tuple(r)[:2] for r in cursor.fetchall()] == [("id", "bigint"), ("label", "varchar(5)")]
        cursor.execute("SHOW CATALOGS")
        assert "cat" in [r.catalog for r in cursor.fetchall()]


def test_two_processes_write_the_same_table_at_once(own_warehouse: LocalWarehouseProcess) -> None:
    """Two writer processes inserting concurrently land every row exactly once."""
    with connect(own_warehouse.url) as conn, conn.cursor() as cursor:
        cursor.execute("CREATE TABLE cat.sch.t (writer INT, n INT)")
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_batches, args=(own_warehouse.url, w, 20, 50)) for w in (1, 2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
        assert writer.exitcode == 0
    with connect(own_warehouse.url) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT writer, COUNT(*) AS n, COUNT(DISTINCT n) AS d FROM cat.sch.t GROUP BY writer ORDER BY writer"
        )
        assert [tuple(r) for r in cursor.fetchall()] == [(1, 1000, 1000), (2, 1000, 1000)]
    stats = own_warehouse.stats()
    assert stats["by_kind"]["INSERT"] == 40
    assert stats["errors"] == 0


def test_counters_count_statements_by_kind_with_parameters(own_warehouse: LocalWarehouseProcess) -> None:
    """GET /stats counts statements by kind, errors and the largest parameter count; reset clears it."""
    own_warehouse.reset_stats()
    with connect(own_warehouse.url) as conn, conn.cursor() as cursor:
        cursor.execute("CREATE TABLE cat.sch.t (a INT)")
        cursor.execute("INSERT INTO cat.sch.t VALUES (:a), (:b)", {"a": 1, "b": 2})
        cursor.execute("SELECT * FROM cat.sch.t WHERE a = :a", {"a": 1})
        cursor.execute("UPDATE cat.sch.t SET a = 3 WHERE a = 2")
        with pytest.raises(Exception, match="TABLE_OR_VIEW_NOT_FOUND"):
            cursor.execute("DELETE FROM cat.sch.missing")
    stats = own_warehouse.stats()
    assert stats["by_kind"] == {"CREATE": 1, "INSERT": 1, "SELECT": 1, "UPDATE": 1, "DELETE": 1}
    assert stats["total"] == 5 and stats["errors"] == 1 and stats["max_parameters"] == 2
    assert [s["parameters"] for s in stats["recent"]] == [0, 2, 1, 0, 0]
    own_warehouse.reset_stats()
    assert own_warehouse.stats()["total"] == 0


def test_latency_is_added_to_every_statement(own_warehouse: LocalWarehouseProcess) -> None:
    """--latency-ms makes each statement take at least that long, as seen by the client."""
    own_warehouse.restart("--latency-ms", "200")
    with connect(own_warehouse.url) as conn, conn.cursor() as cursor:
        started = time.perf_counter()
        for _ in range(3):
            cursor.execute("SELECT 1")
        elapsed = time.perf_counter() - started
    # A lower bound only: the delay is a sleep, so this cannot flake on a slow machine.
    assert elapsed >= 0.6


def _select_after_a_second(url: str) -> None:
    with connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 1")


def test_a_statement_counts_as_executing_until_it_is_answered(own_warehouse: LocalWarehouseProcess) -> None:
    """``executing`` in the counters: 1 while the warehouse holds a statement (here over its
    latency), 0 once it has answered; what the fault tests wait for before killing a client."""
    own_warehouse.restart("--latency-ms", "1000")
    assert own_warehouse.stats()["executing"] == 0
    client = multiprocessing.Process(target=_select_after_a_second, args=(own_warehouse.url,))
    client.start()
    seen = []
    while client.is_alive():
        seen.append(own_warehouse.stats()["executing"])
        time.sleep(0.05)
    client.join()
    assert client.exitcode == 0
    assert max(seen) == 1
    assert own_warehouse.stats()["executing"] == 0
    assert own_warehouse.stats()["by_kind"] == {"SELECT": 1}


def test_fail_rate_answers_an_http_error(own_warehouse: LocalWarehouseProcess) -> None:
    """--fail-rate 1 answers every statement with HTTP 502, which the connector raises as RequestError."""
    own_warehouse.restart("--fail-rate", "1", "--seed", "1")
    with connect(own_warehouse.url) as conn, conn.cursor() as cursor, pytest.raises(RequestError):
        cursor.execute("SELECT 1")
    assert own_warehouse.stats()["injected_failures"] >= 1


def test_partial_fail_rate_fails_some_statements(own_warehouse: LocalWarehouseProcess) -> None:
    """--fail-rate 0.5 fails about half of the statements and lets the rest through."""
    own_warehouse.restart("--fail-rate", "0.5", "--seed", "7")
    outcomes: list[bool] = []
    for _ in range(20):
        try:
            with connect(own_warehouse.url) as conn, conn.cursor() as cursor:
                cursor.execute("SELECT 1")
            outcomes.append(True)
        except RequestError:
            outcomes.append(False)
    assert 0 < outcomes.count(True) < 20
    assert own_warehouse.stats()["injected_failures"] == outcomes.count(False)


def test_many_concurrent_sessions_do_not_collide(own_warehouse: LocalWarehouseProcess) -> None:
    """Eight sessions reading, describing and writing at once all succeed (regression: DuckDB
    refuses a second concurrent call on one connection, so each server thread needs its own)."""
    from concurrent.futures import ThreadPoolExecutor

    with connect(own_warehouse.url) as conn, conn.cursor() as cursor:
        cursor.execute("CREATE TABLE cat.sch.t (writer INT, n INT)")

    def work(writer: int) -> int:
        with connect(own_warehouse.url) as conn, conn.cursor() as cursor:
            for n in range(15):
                cursor.execute("DESCRIBE TABLE cat.sch.t")
                cursor.execute("SHOW TABLES IN cat.sch")
                cursor.execute("INSERT INTO cat.sch.t VALUES (:w, :n)", {"w": writer, "n": n})
                cursor.execute("SELECT COUNT(*) AS c FROM cat.sch.t WHERE writer = :w", {"w": writer})
            return int(cursor.fetchone().c)

    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(work, range(8)))
    assert counts == [15] * 8
    assert own_warehouse.stats()["errors"] == 0


def test_counters_name_the_kind_the_warehouse_ran_even_when_it_fails(
    own_warehouse: LocalWarehouseProcess,
) -> None:
    """A command counts under its own name (DESC is DESCRIBE), a translated statement under its
    plan's kind (a WITH query is a SELECT), even when it fails once that is known; a statement
    that fails before (a syntax error) counts under its first word."""
    with connect(own_warehouse.url) as conn, conn.cursor() as cursor:
        cursor.execute("CREATE TABLE cat.sch.t (a INT)")
        own_warehouse.reset_stats()
        cursor.execute("SELECT a FROM cat.sch.t")
        cursor.execute("DESC cat.sch.t")
        with pytest.raises(Exception, match="TABLE_OR_VIEW_NOT_FOUND"):
            cursor.execute("DESC cat.sch.missing")
        with pytest.raises(Exception, match="TABLE_OR_VIEW_NOT_FOUND"):
            cursor.execute("WITH x AS (SELECT 1) SELECT * FROM cat.sch.missing")
        with pytest.raises(Exception, match="PARSE_SYNTAX_ERROR"):
            cursor.execute("SELEC 1")
    stats = own_warehouse.stats()
    assert stats["by_kind"] == {"SELECT": 2, "DESCRIBE": 2, "SELEC": 1}
    assert stats["total"] == 5 and stats["errors"] == 3
    assert [(s["kind"], s["error"] is None) for s in stats["recent"]] == [
        ("SELECT", True),
        ("DESCRIBE", True),
        ("DESCRIBE", False),
        ("SELECT", False),
        ("SELEC", False),
    ]


@pytest.mark.parametrize("token", ["local", "not-the-token"])
def test_a_statement_without_the_warehouse_token_is_refused(
    local_warehouse: LocalWarehouseProcess, token: str
) -> None:
    """As a Databricks workspace does: a wrong token (the constant it once took, or any other)
    opens no session and runs nothing; the session's own token works."""
    local_warehouse.reset_stats()
    with pytest.raises(RequestError):
        connect(local_warehouse.url, access_token=token).close()
    with connect(local_warehouse.url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 1 AS one")
        assert cursor.fetchall()[0].one == 1
    assert local_warehouse.stats()["total"] == 1, local_warehouse.stats()  # the SELECT alone


def test_the_service_client_sends_the_token_it_is_configured_with(
    local_warehouse: LocalWarehouseProcess, tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without LOCAL_WAREHOUSE_TOKEN the client reads LOCAL_WAREHOUSE_TOKEN_FILE (as make run
    sets it up); a file with another token is refused with a permanent error, and no token at
    all is a configuration error naming both settings."""
    token = os.environ["LOCAL_WAREHOUSE_TOKEN"]
    monkeypatch.delenv("LOCAL_WAREHOUSE_TOKEN")
    settings.LOCAL_WAREHOUSE_URL = local_warehouse.url
    settings.WAREHOUSE_CONNECTOR_RETRIES = 1
    settings.LOCAL_WAREHOUSE_TOKEN_FILE = tmp_path / "token"
    settings.LOCAL_WAREHOUSE_TOKEN_FILE.write_text(token + "\n")
    client = WarehouseClient()
    try:
        assert client.execute("SELECT 2 AS two").rows == [(2,)]
    finally:
        client.reset()
    settings.LOCAL_WAREHOUSE_TOKEN_FILE.write_text("another-token\n")
    client = WarehouseClient()
    try:
        with pytest.raises(WarehouseNotConfigured, match="refused the service's credentials") as refused:
            client.execute("SELECT 3")
        assert refused.value.error_class == "CREDENTIALS_REFUSED" and not refused.value.transient
    finally:
        client.reset()
    settings.LOCAL_WAREHOUSE_TOKEN_FILE.unlink()
    with pytest.raises(WarehouseNotConfigured, match=r"LOCAL_WAREHOUSE_TOKEN.*LOCAL_WAREHOUSE_TOKEN_FILE"):
        WarehouseClient().execute("SELECT 4")
