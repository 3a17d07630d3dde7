"""Fixtures shared by the records tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from records.testing import warehouse_schema
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName

JOBS_CATALOG = "job_tests"


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
