"""Fixtures for the warehouse tests: real connector sessions on the local warehouse."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from databricks import sql

from warehouse.local.testing import LocalWarehouseProcess

TEST_CATALOG = "wh_tests"


def connect(url: str, **kwargs: Any) -> Any:
    """A connector session on the local warehouse, with no connector-side retries."""
    kwargs.setdefault("access_token", os.environ["LOCAL_WAREHOUSE_TOKEN"])  # the session's (root conftest)
    return sql.connect(
        server_hostname="127.0.0.1",
        http_path="/sql/1.0/warehouses/local",
        _connection_uri=url,
        enable_telemetry=False,
        _retry_stop_after_attempts_count=1,
        **kwargs,
    )


@pytest.fixture
def connection(local_warehouse: LocalWarehouseProcess) -> Iterator[Any]:
    conn = connect(local_warehouse.url)
    yield conn
    conn.close()


@pytest.fixture
def cursor(connection: Any) -> Iterator[Any]:
    with connection.cursor() as cur:
        yield cur


@pytest.fixture
def schema(cursor: Any) -> Iterator[str]:
    """A fresh ``catalog.schema`` for one test, dropped afterwards."""
    name = f"s_{uuid.uuid4().hex[:10]}"
    cursor.execute(f"CREATE CATALOG IF NOT EXISTS {TEST_CATALOG}")
    cursor.execute(f"CREATE SCHEMA {TEST_CATALOG}.{name}")
    yield f"{TEST_CATALOG}.{name}"
    cursor.execute(f"DROP SCHEMA IF EXISTS {TEST_CATALOG}.{name} CASCADE")
