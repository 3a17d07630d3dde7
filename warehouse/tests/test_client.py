"""The warehouse client: statements through the real connector, connection reuse, error classes."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pytest_django import Settings

from warehouse.client import WarehouseClient, _connect_kwargs, _sdk_config, describe_target, translate_error
from warehouse.exceptions import PermanentWarehouseError, TransientWarehouseError, WarehouseNotConfigured
from warehouse.local.testing import LocalWarehouseProcess


@pytest.fixture
def client(warehouse_client: WarehouseClient) -> WarehouseClient:
    """A client of its own on the session's local warehouse (the root conftest's)."""
    return warehouse_client


@pytest.fixture
def own_warehouse(tmp_path: Path, settings: Settings) -> Iterator[LocalWarehouseProcess]:
    process = LocalWarehouseProcess(data_dir=tmp_path / "data", extra_args=("--ensure-schema", "cat.sch"))
    process.start()
    settings.LOCAL_WAREHOUSE_URL = process.url
    settings.DATABRICKS_WAREHOUSE_ID = ""
    settings.WAREHOUSE_CONNECTOR_RETRIES = 1
    yield process
    process.stop()


def test_execute_returns_columns_rows_and_dml_counts(client: WarehouseClient) -> None:
    """A SELECT gives column names and tuples; a DML statement gives the warehouse's counts."""
    client.execute("CREATE CATALOG IF NOT EXISTS client_tests")
    client.execute("CREATE SCHEMA IF NOT EXISTS client_tests.s")
    client.execute("CREATE OR REPLACE TABLE client_tests.s.t (a BIGINT, b STRING)")
    inserted = client.execute("INSERT INTO client_tests.s.t VALUES (:a, :b), (2, NULL)", {"a": 1, "b": "x"})
    assert inserted.dml_counts() == {"num_affected_rows": 2, "num_inserted_rows": 2}
    assert inserted.rowcount == 2
    result = client.execute("SELECT a, b FROM client_tests.s.t WHERE a >= :min ORDER BY a", {"min": 1})
    assert result.columns == ["a", "b"]
    assert result.rows == [(1, "x"), (2, None)]
    assert result.as_dicts() == [{"a": 1, "b": "x"}, {"a": 2, "b": None}]


def test_connection_is_reused_within_a_thread(client: WarehouseClient) -> None:
    """Two statements in one thread use one connector connection."""
    client.ping()
    first = client._connection()
    client.ping()
    assert client._connection() is first


def test_sql_errors_are_permanent_with_error_class(client: WarehouseClient) -> None:
    """A missing table is a permanent error carrying Databricks' message and error class."""
    with pytest.raises(PermanentWarehouseError) as caught:
        client.execute("SELECT * FROM client_tests.s.no_such_table")
    assert caught.value.error_class == "TABLE_OR_VIEW_NOT_FOUND"
    assert "no_such_table" in caught.value.message
    assert caught.value.transient is False
    client.ping()  # the connection is still usable after a SQL error


def test_statement_timeout_is_enforced(client: WarehouseClient, settings: Settings) -> None:
    """WAREHOUSE_STATEMENT_TIMEOUT cancels a statement that runs longer, as a permanent error."""
    settings.WAREHOUSE_STATEMENT_TIMEOUT = 1
    client.reset()
    with pytest.raises(PermanentWarehouseError) as caught:
        client.execute("SELECT COUNT(*) FROM range(100000000000) AS r(x) WHERE x % 7 = 3")
    assert caught.value.error_class == "QUERY_EXECUTION_TIMEOUT_EXCEEDED"


def test_dead_warehouse_is_transient_and_the_client_reconnects(own_warehouse: LocalWarehouseProcess) -> None:
    """A stopped warehouse gives a transient error; after a restart the same client works again."""
    client = WarehouseClient()
    client.ping()
    own_warehouse.stop()
    try:
        with pytest.raises(TransientWarehouseError) as caught:
            client.ping()
        assert caught.value.transient is True
    finally:
        own_warehouse.start()
    client.ping()  # a fresh connection and session on the restarted server
    client.reset()


def test_a_session_the_restarted_warehouse_no_longer_knows_is_replaced_at_once(
    own_warehouse: LocalWarehouseProcess,
) -> None:
    """After the warehouse restarted between two statements, the next one is refused for its
    unknown session before it runs; the client sends it once more on a new session instead of
    failing it (a request would otherwise answer 503)."""
    client = WarehouseClient()
    client.ping()
    own_warehouse.restart()
    assert client.execute("SELECT 41 + 1").rows == [(42,)]
    client.reset()


def test_server_errors_are_transient(own_warehouse: LocalWarehouseProcess) -> None:
    """An HTTP 502 from the warehouse (injected) is a transient error."""
    own_warehouse.restart("--fail-rate", "1")
    client = WarehouseClient()
    with pytest.raises(TransientWarehouseError):
        client.ping()
    client.reset()


def _ping_in_child(client: WarehouseClient, parent_connection_id: int, result: Any) -> None:
    client.ping()
    result.put((id(client._connection()) != parent_connection_id, client._local.slot.pid == os.getpid()))


def test_a_forked_child_opens_its_own_connection(client: WarehouseClient) -> None:
    """After a fork (Celery prefork), the child never reuses the parent's connection."""
    client.ping()
    parent_connection = client._connection()
    context = multiprocessing.get_context("fork")
    result = context.Queue()
    child = context.Process(target=_ping_in_child, args=(client, id(parent_connection), result))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert result.get(timeout=5) == (True, True)
    client.ping()
    assert client._connection() is parent_connection


class _FakeWorkspace(BaseHTTPRequestHandler):
    """A Databricks workspace's HTTP surface, as far as the SDK touches it before a statement."""

    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.requests.append(self.path)
        body = b"{}" if self.path == "/.well-known/databricks-config" else b'{"error_code": "NOT_FOUND"}'
        self.send_response(200 if body == b"{}" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fake_workspace() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _FakeWorkspace)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _sdk_config.cache_clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    _sdk_config.cache_clear()


def test_databricks_connection_uses_sdk_unified_auth(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, fake_workspace: str
) -> None:
    """With DATABRICKS_WAREHOUSE_ID set, host and token come from databricks-sdk's Config."""
    monkeypatch.setenv("DATABRICKS_HOST", fake_workspace)
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-secret")
    monkeypatch.delenv("DATABRICKS_CONFIG_PROFILE", raising=False)
    settings.DATABRICKS_WAREHOUSE_ID = "abc123"
    settings.DATABRICKS_HOST = ""
    settings.DATABRICKS_CONFIG_PROFILE = ""
    kwargs = _connect_kwargs()
    assert kwargs["server_hostname"] == "127.0.0.1"
    assert kwargs["http_path"] == "/sql/1.0/warehouses/abc123"
    assert "_connection_uri" not in kwargs
    header_factory = kwargs["credentials_provider"]()
    assert header_factory()["Authorization"] == "Bearer dapi-secret"
    assert "abc123" in describe_target()
    _connect_kwargs()
    assert _FakeWorkspace.requests.count("/.well-known/databricks-config") == 1  # resolved once per process


def test_missing_databricks_credentials_are_a_clear_error(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A warehouse id without any host or credentials fails with WarehouseNotConfigured."""
    for name in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CONFIG_PROFILE", "DATABRICKS_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "missing.cfg"))
    _sdk_config.cache_clear()
    settings.DATABRICKS_WAREHOUSE_ID = "abc123"
    settings.DATABRICKS_HOST = ""
    settings.DATABRICKS_CONFIG_PROFILE = ""
    with pytest.raises(WarehouseNotConfigured):
        _connect_kwargs()


def test_an_unknown_error_is_permanent_not_retried() -> None:
    """An exception the client does not know (a bug, not an outage) is not retried as transient."""
    translated = translate_error(RuntimeError("boom"))
    assert isinstance(translated, PermanentWarehouseError)
    assert translated.error_class == "RuntimeError"
    assert isinstance(translate_error(ConnectionResetError("reset")), TransientWarehouseError)
