"""Rows fetched as they are read (``WarehouseClient.stream``), and the local warehouse's pages
within a fetch's maxRows and maxBytes, as a Databricks warehouse cuts them."""

from __future__ import annotations

import pyarrow as pa
import pytest

from warehouse.client import WarehouseClient
from warehouse.exceptions import PermanentWarehouseError
from warehouse.local.results import Operation, fetch
from warehouse.local.session import Outcome

CATALOG = "stream_tests"


@pytest.fixture
def wide_table(warehouse_client: WarehouseClient) -> str:
    """30 rows: ``id`` 0-29 and a STRING of 1,000 characters."""
    warehouse_client.execute(f"CREATE CATALOG IF NOT EXISTS {CATALOG}")
    warehouse_client.execute(f"CREATE SCHEMA IF NOT EXISTS {CATALOG}.s")
    warehouse_client.execute(f"DROP TABLE IF EXISTS {CATALOG}.s.wide")
    warehouse_client.execute(f"CREATE TABLE {CATALOG}.s.wide (id BIGINT, note STRING)")
    warehouse_client.execute(
        f"INSERT INTO {CATALOG}.s.wide SELECT id, repeat('n', 1000) FROM range(30) AS r(id)"
    )
    return f"{CATALOG}.s.wide"


@pytest.mark.parametrize(
    "fetch_bytes", [500, 4_000, 1_000_000], ids=["one-row-pages", "small-pages", "one-page"]
)
def test_streamed_rows_are_the_rows_execute_returns(
    warehouse_client: WarehouseClient, wide_table: str, fetch_bytes: int
) -> None:
    """Whatever the page size (down to rows larger than it: one row per page), and however few
    rows each fetch asks for, the stream gives every row once, in order."""
    query = f"SELECT id, note FROM {wide_table} ORDER BY id"
    expected = warehouse_client.execute(query).rows

    streamed: list[tuple[object, ...]] = []
    with warehouse_client.stream(query, fetch_rows=7, fetch_bytes=fetch_bytes) as rows:
        assert rows.columns == ["id", "note"]
        while batch := rows.fetch(4):
            assert len(batch) <= 4
            streamed += batch

    assert streamed == expected and len(streamed) == 30


def test_a_stream_left_early_leaves_the_client_usable(
    warehouse_client: WarehouseClient, wide_table: str
) -> None:
    with warehouse_client.stream(
        f"SELECT id FROM {wide_table} ORDER BY id", fetch_rows=5, fetch_bytes=100
    ) as rows:
        first = rows.fetch(2)

    assert first == [(0,), (1,)]
    assert warehouse_client.execute(f"SELECT COUNT(*) FROM {wide_table}").rows == [(30,)]


def test_a_stream_of_a_bad_statement_raises_the_warehouse_error(warehouse_client: WarehouseClient) -> None:
    with (
        pytest.raises(PermanentWarehouseError) as caught,
        warehouse_client.stream(f"SELECT * FROM {CATALOG}.s.nope", fetch_rows=5, fetch_bytes=100),
    ):
        pytest.fail("the stream opened")

    assert caught.value.error_class == "TABLE_OR_VIEW_NOT_FOUND"


def test_local_pages_stop_at_max_bytes_with_one_row_at_least() -> None:
    """A page holds at most maxRows rows and maxBytes bytes of Arrow data, one row at least, and
    the pages together are the whole result."""
    table = pa.table({"id": list(range(10)), "note": ["x" * 100] * 9 + ["y" * 5000]})
    row_bytes = table.slice(0, 1).nbytes
    operation = Operation(outcome=Outcome(table=table, duck_types=["BIGINT", "VARCHAR"]))

    pages, more = [], True
    while more:
        result, more = fetch(operation, operation.options, max_rows=4, max_bytes=3 * row_bytes)
        pages.append(sum(batch.rowCount for batch in result.results.arrowBatches))

    assert pages == [3, 3, 3, 1]  # three rows fit; the 5,000-byte row alone exceeds the budget
