"""Fixtures shared by the records tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from access.testing import ApiCaller
from records.testing import warehouse_schema
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName

JOBS_CATALOG = "job_tests"


@pytest.fixture
def alice(local_warehouse: LocalWarehouseProcess) -> ApiCaller:
    """An API client named alice, speaking HTTP to the service (the warehouse running)."""
    return ApiCaller("alice")


@pytest.fixture
def bob() -> ApiCaller:
    return ApiCaller("bob")


@pytest.fixture
def schema(request: pytest.FixtureRequest, local_warehouse: LocalWarehouseProcess) -> Iterator[str]:
    """A fresh schema in the test module's ``CATALOG``, dropped afterwards."""
    with warehouse_schema(request.module.CATALOG) as name:
        yield name


@pytest.fixture
def table(local_warehouse: LocalWarehouseProcess) -> Iterator[TableName]:
    """Table ``t`` (``id BIGINT NOT NULL``, ``note`` and the audit columns a write sets) in a
    fresh schema of the jobs' test catalog, dropped afterwards."""
    with warehouse_schema(JOBS_CATALOG) as schema:
        get_client().execute(
            f"CREATE TABLE {JOBS_CATALOG}.{schema}.t (id BIGINT NOT NULL, note STRING, record_uuid STRING, "
            "is_deleted BOOLEAN, inserted_at TIMESTAMP, inserted_by STRING)"
        )
        yield TableName(JOBS_CATALOG, schema, "t")
