"""Contract: reads with every filter op, typed filter values, pages in a total order and their
count (``records.sql.select``, ``records.sql.filters``), fetched as the read endpoint fetches."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from records import sql
from records.testing import WELLS_COLUMNS
from warehouse.sql import TableName

from ..sql.conftest import BY_NAME, EVERY_TYPE, EVERY_TYPE_ROW, EVERY_TYPE_TABLE, PRINCIPAL, well
from .conftest import ContractWarehouse

BASE = 4_201_234_000


@pytest.fixture(scope="module")
def readable(contract_warehouse: ContractWarehouse) -> TableName:
    """Wells 1 to 5 (read-only for this module), row 5 with spuddate and gaseur NULL, row 4 soft deleted."""
    rows = [well(i) for i in range(1, 5)] + [well(5, spuddate=None, gaseur=None)]
    table = contract_warehouse.create(contract_warehouse.table("readable"), WELLS_COLUMNS, rows)
    contract_warehouse.run(sql.soft_delete_by_keys(table, BY_NAME["api10"], [BASE + 4], BY_NAME, PRINCIPAL))
    return table


def selected(
    warehouse: ContractWarehouse, table: TableName, filters: list[dict[str, Any]], **kw: Any
) -> list[int]:
    """The wells (1 to 5) a read with ``filters`` answers, checked against its count."""
    exclude_deleted = kw.pop("exclude_deleted", False)
    statement = sql.select_rows(
        table, ["api10"], filters, 100, 0, exclude_deleted=exclude_deleted, table_columns=BY_NAME
    )
    found = sorted(row[0] - BASE for row in warehouse.run(statement).rows)
    count = sql.count_rows(table, filters, exclude_deleted=exclude_deleted, table_columns=BY_NAME)
    assert warehouse.run(count).rows == [(len(found),)]
    return found


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("=", BASE + 2, [2]),
        ("!=", BASE + 2, [1, 3, 4, 5]),
        (">", BASE + 3, [4, 5]),
        ("<", BASE + 3, [1, 2]),
        (">=", BASE + 3, [3, 4, 5]),
        ("<=", BASE + 3, [1, 2, 3]),
        ("in", [BASE + 1, BASE + 4, 7], [1, 4]),
        ("not in", [BASE + 1, BASE + 4], [2, 3, 5]),
        ("in", [], []),
        ("not in", [], [1, 2, 3, 4, 5]),
        ("like", "42012340_1", [1]),
    ],
)
def test_each_comparison_op_selects_its_rows(
    warehouse: ContractWarehouse, readable: TableName, op: str, value: Any, expected: list[int]
) -> None:
    """Each op on a BIGINT column answers the expected wells, and the count agrees."""
    assert selected(warehouse, readable, [{"column": "api10", "op": op, "value": value}]) == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([{"column": "spuddate", "op": "is null"}], [5]),
        ([{"column": "gaseur", "op": "is not null"}], [1, 2, 3, 4]),
        ([{"column": "spuddate", "op": "like", "value": "01/0%/2024"}], [1, 2, 3, 4]),
        ([{"column": "wellname", "op": "in", "value": ["SMITH 2-15H", "SMITH 3-15H"]}], [2, 3]),
        (
            [
                {"column": "oileur", "op": ">", "value": 101_500.5},
                {"column": "oileur", "op": "<=", "value": 104_000},
            ],
            [2, 3, 4],
        ),
        (
            [
                {"column": "oileur", "op": "not in", "value": [101_000.0]},
                {"column": "wellname", "op": "!=", "value": "SMITH 5-15H"},
            ],
            [2, 3, 4],
        ),
    ],
)
def test_filters_on_other_columns_combine_with_and(
    warehouse: ContractWarehouse, readable: TableName, filters: list[dict[str, Any]], expected: list[int]
) -> None:
    """NULL tests, LIKE on strings, IN on strings and AND-ed comparisons on DOUBLE answer their rows."""
    assert selected(warehouse, readable, filters) == expected


def test_a_read_leaves_out_soft_deleted_rows_when_asked(
    warehouse: ContractWarehouse, readable: TableName
) -> None:
    """exclude_deleted adds (is_deleted IS NULL OR is_deleted = false) to the same WHERE."""
    filters = [{"column": "api10", "op": ">=", "value": BASE + 3}]
    assert selected(warehouse, readable, filters, exclude_deleted=True) == [3, 5]


def test_pages_fetched_a_few_rows_at_a_time_cover_the_table_once(
    warehouse: ContractWarehouse, readable: TableName
) -> None:
    """LIMIT/OFFSET pages in the read's total order are disjoint and cover every row, fetched in
    round trips of 2 rows as the read endpoint streams them."""
    seen: list[int] = []
    for offset in (0, 2, 4):
        statement = sql.select_rows(
            readable, None, None, 2, offset, exclude_deleted=False, table_columns=BY_NAME
        )
        with warehouse.client.stream(
            statement.sql, statement.params, fetch_rows=2, fetch_bytes=1 << 20
        ) as rows:
            index = rows.columns.index("api10")
            page = [row[index] for row in rows.fetch(2) + rows.fetch(2)]
        assert len(page) == (2 if offset < 4 else 1)
        seen += page
    assert sorted(seen) == [BASE + i for i in range(1, 6)]


@pytest.mark.parametrize(
    ("column", "op", "value", "matches"),
    [
        ("c_date", "=", "2024-02-29", True),
        ("c_timestamp", ">=", "2024-03-10T12:30:15+00:00", True),
        ("c_timestamp", "<", "2024-03-10T12:30:15+00:00", False),
        ("c_timestamp_ntz", "=", "2024-03-10T08:00:00", True),
        ("c_decimal", "<=", "123456789.125", True),
        ("c_decimal", ">", 123456789.2, False),
        ("c_boolean", "=", True, True),
        ("c_varchar", "in", ["ten chars!", "other"], True),
        ("c_char", "!=", "abc", False),
        ("c_int", "<", -2_147_483_647, True),
        ("c_string", "like", "%'quoted'%", True),
    ],
)
def test_filter_values_are_typed_by_their_column(
    warehouse: ContractWarehouse, every_type: TableName, column: str, op: str, value: Any, matches: bool
) -> None:
    """A filter value (a JSON string, number or boolean) is CAST to its column's type."""
    filters = [{"column": column, "op": op, "value": value}]
    by_name = {c.name: c for c in EVERY_TYPE_TABLE}
    statement = sql.select_rows(
        every_type, ["id"], filters, 10, 0, exclude_deleted=True, table_columns=by_name
    )
    assert warehouse.run(statement).rows == ([(1,)] if matches else [])


@pytest.fixture(scope="module")
def every_type(contract_warehouse: ContractWarehouse) -> TableName:
    """The every-type table with EVERY_TYPE_ROW (read-only for this module)."""
    row = EVERY_TYPE_ROW | {"record_uuid": str(uuid.uuid4())}
    return contract_warehouse.create(contract_warehouse.table("typed"), EVERY_TYPE, [row])
