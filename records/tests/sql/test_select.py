"""Reads: filtered, paged, ordered selects and their counts (``records.sql.select``), on the local warehouse."""

from __future__ import annotations

from typing import Any

import pytest

from records import sql
from records.tables import Column
from warehouse.client import WarehouseClient
from warehouse.sql import TableName

from .conftest import (
    API10,
    BY_NAME,
    CATALOG,
    EVERY_TYPE_ROW,
    EVERY_TYPE_TABLE,
    PRINCIPAL,
    create_every_type,
    run,
    select_all,
)


@pytest.fixture
def readable(client: WarehouseClient, wells: TableName) -> TableName:
    """The wells table with row 5's spuddate and gaseur NULL."""
    client.execute(f"UPDATE {wells.quoted} SET spuddate = NULL, gaseur = NULL WHERE api10 = 4201234005")
    return wells


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("=", 4_201_234_002, [2]),
        ("!=", 4_201_234_002, [1, 3, 4, 5]),
        (">", 4_201_234_003, [4, 5]),
        ("<", 4_201_234_003, [1, 2]),
        (">=", 4_201_234_003, [3, 4, 5]),
        ("<=", 4_201_234_003, [1, 2, 3]),
        ("in", [4_201_234_001, 4_201_234_004, 7], [1, 4]),
        ("not in", [4_201_234_001, 4_201_234_004], [2, 3, 5]),
        ("in", [], []),
        ("not in", [], [1, 2, 3, 4, 5]),
        ("like", "42012340_1", [1]),
    ],
)
def test_select_with_each_comparison_filter(
    client: WarehouseClient, readable: TableName, op: str, value: Any, expected: list[int]
) -> None:
    """Every comparison op on a BIGINT column selects the expected rows, and total agrees."""
    filters = [{"column": "api10", "op": op, "value": value}]
    statement = sql.select_rows(
        readable, ["api10"], filters, 100, 0, exclude_deleted=True, table_columns=BY_NAME
    )
    assert sorted(row[0] - 4_201_234_000 for row in run(client, statement).rows) == expected
    count = sql.count_rows(readable, filters, exclude_deleted=True, table_columns=BY_NAME)
    assert run(client, count).rows == [(len(expected),)]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([{"column": "spuddate", "op": "like", "value": "%/2024"}], [1, 2, 3, 4]),
        ([{"column": "spuddate", "op": "is null"}], [5]),
        ([{"column": "gaseur", "op": "is not null"}], [1, 2, 3, 4]),
        ([{"column": "wellname", "op": "in", "value": ["SMITH 2-15H", "SMITH 3-15H"]}], [2, 3]),
        (
            [
                {"column": "oileur", "op": ">", "value": 101500.5},
                {"column": "oileur", "op": "<=", "value": 104000},
            ],
            [2, 3, 4],
        ),
        (
            [
                {"column": "oileur", "op": "not in", "value": [101000.0]},
                {"column": "wellname", "op": "!=", "value": "SMITH 5-15H"},
            ],
            [2, 3, 4],
        ),
        ([{"column": "WellName", "op": "IS NOT NULL"}], [1, 2, 3, 4, 5]),
    ],
)
def test_select_with_string_null_and_combined_filters(
    client: WarehouseClient, readable: TableName, filters: list[dict[str, Any]], expected: list[int]
) -> None:
    """like, is null, is not null, in on strings, and several filters ANDed together."""
    statement = sql.select_rows(
        readable, ["api10"], filters, 100, 0, exclude_deleted=True, table_columns=BY_NAME
    )
    assert sorted(row[0] - 4_201_234_000 for row in run(client, statement).rows) == expected


def test_select_filters_on_every_column_type(client: WarehouseClient, schema: str) -> None:
    """Filter values are typed by their column: DECIMAL, DATE, TIMESTAMP(_NTZ), BINARY, BOOLEAN, ARRAY, STRUCT."""
    other = {"id": 2, "record_uuid": "u-2", "c_decimal": "1.000", "c_date": "2020-01-01", "c_boolean": False}
    table = create_every_type(client, schema, [EVERY_TYPE_ROW | {"record_uuid": "u-1"}, other])
    columns = EVERY_TYPE_TABLE
    cases = [
        ("c_decimal", "=", "123456789.125"),
        ("c_decimal", ">", "1.5"),
        ("c_date", ">=", "2024-01-01"),
        ("c_date", "in", ["2024-02-29", "2023-01-01"]),
        ("c_timestamp", "=", "2024-03-10T12:30:15.123456+00:00"),
        ("c_timestamp", "in", ["2024-03-10T12:30:15.123456+00:00"]),
        ("c_timestamp_ntz", "<", "2024-03-10T08:00:01"),
        ("c_binary", "=", EVERY_TYPE_ROW["c_binary"]),
        ("c_boolean", "=", True),
        ("c_varchar", "like", "ten%"),
        ("c_array", "=", ["a", None, "c"]),
        ("c_struct", "=", {"x": 7, "y": "seven"}),
        ("c_int", "in", [-2_147_483_648]),
    ]
    for name, op, value in cases:
        filters = [{"column": name, "op": op, "value": value}]
        statement = sql.select_rows(
            table, ["id"], filters, 10, 0, exclude_deleted=True, table_columns=columns
        )
        assert run(client, statement).rows == [(1,)], (name, op, value)


def test_select_pages_with_limit_and_offset_in_a_stable_order(
    client: WarehouseClient, wells: TableName
) -> None:
    """Pages of 2 are disjoint and together are every row once; total counts all of them."""
    pages = []
    for offset in (0, 2, 4, 6):
        statement = sql.select_rows(wells, None, [], 2, offset, exclude_deleted=True, table_columns=BY_NAME)
        assert statement.params == {"limit": 2, "offset": offset}
        assert "ORDER BY `inserted_at` ASC NULLS FIRST, `record_uuid` ASC NULLS FIRST" in statement.sql
        pages.append(run(client, statement).as_dicts())
    assert [len(page) for page in pages] == [2, 2, 1, 0]
    seen = [row["record_uuid"] for page in pages for row in page]
    assert sorted(seen) == sorted(row["record_uuid"] for row in select_all(client, wells))
    total = sql.count_rows(wells, [], exclude_deleted=True, table_columns=BY_NAME)
    assert run(client, total).rows == [(5,)]


def test_select_named_columns_only(client: WarehouseClient, wells: TableName) -> None:
    """columns names what comes back, in that order (spelled as the table spells them)."""
    statement = sql.select_rows(
        wells, ["WELLNAME", "api10"], None, 1, 0, exclude_deleted=False, table_columns=BY_NAME
    )
    result = run(client, statement)
    assert result.columns == ["wellname", "api10"] and len(result.rows) == 1
    with pytest.raises(ValueError, match="Unknown column"):
        sql.select_rows(wells, ["nope"], None, 1, 0, exclude_deleted=False, table_columns=BY_NAME)


def test_select_excludes_soft_deleted_rows_unless_asked(client: WarehouseClient, wells: TableName) -> None:
    """exclude_deleted hides soft-deleted rows from the rows and from total."""
    run(client, sql.soft_delete_by_keys(wells, API10, [4_201_234_001], BY_NAME, PRINCIPAL))
    hidden = sql.select_rows(wells, ["api10"], [], 100, 0, exclude_deleted=True, table_columns=BY_NAME)
    assert sorted(row[0] for row in run(client, hidden).rows) == [4_201_234_000 + i for i in (2, 3, 4, 5)]
    shown = sql.select_rows(wells, ["api10"], [], 100, 0, exclude_deleted=False, table_columns=BY_NAME)
    assert len(run(client, shown).rows) == 5
    assert run(client, sql.count_rows(wells, [], exclude_deleted=True, table_columns=BY_NAME)).rows == [(4,)]
    assert run(client, sql.count_rows(wells, [], exclude_deleted=False, table_columns=BY_NAME)).rows == [(5,)]


def test_a_null_is_deleted_counts_as_not_deleted(client: WarehouseClient, schema: str) -> None:
    """In a pre-existing table where is_deleted may be NULL, such rows are read and counted."""
    table = TableName(CATALOG, schema, "partial")
    client.execute(f"CREATE TABLE {table.quoted} (id BIGINT, is_deleted BOOLEAN)")
    client.execute(f"INSERT INTO {table.quoted} VALUES (1, NULL), (2, false), (3, true)")
    columns = (Column("id", "BIGINT"), Column("is_deleted", "BOOLEAN"))
    statement = sql.select_rows(table, ["id"], None, 10, 0, exclude_deleted=True, table_columns=columns)
    assert run(client, statement).rows == [(1,), (2,)]
    assert run(client, sql.count_rows(table, None, exclude_deleted=True, table_columns=columns)).rows == [
        (2,)
    ]


def test_select_orders_a_table_without_audit_columns_by_its_columns(
    client: WarehouseClient, schema: str
) -> None:
    """Without record_uuid the order is every non-complex column, so pages are still stable."""
    table = TableName(CATALOG, schema, "plain")
    client.execute(f"CREATE TABLE {table.quoted} (a BIGINT, b STRING, m MAP<STRING,INT>)")
    client.execute(f"INSERT INTO {table.quoted} (a, b) VALUES (2, 'x'), (1, 'y'), (1, 'x'), (NULL, 'z')")
    columns = (Column("a", "BIGINT"), Column("b", "STRING"), Column("m", "MAP<STRING,INT>"))
    statement = sql.select_rows(table, ["a", "b"], None, 10, 0, exclude_deleted=False, table_columns=columns)
    assert run(client, statement).rows == [(None, "z"), (1, "x"), (1, "y"), (2, "x")]
    with pytest.raises(ValueError, match="no is_deleted column"):
        sql.select_rows(table, None, None, 10, 0, exclude_deleted=True, table_columns=columns)
