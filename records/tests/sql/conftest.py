"""Fixtures of the statement builders' tests: a warehouse client, a schema of one's own, the
wells table with five rows, and a table of every column type."""

from __future__ import annotations

import base64
import datetime
import decimal
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from records import sql
from records.tables import Column
from records.testing import WELLS_COLUMNS, warehouse_schema
from records.testing import well as seed_well
from warehouse.client import StatementResult, WarehouseClient
from warehouse.sql import Statement, TableName

CATALOG = "records_sql_tests"
PRINCIPAL = "alice@example.com"

# The seed's 9-column wells table, with the audit columns create_table adds.
WELLS_TABLE = sql.with_audit_columns(WELLS_COLUMNS)
BY_NAME = {c.name: c for c in WELLS_TABLE}
API10 = BY_NAME["api10"]

EVERY_TYPE = (
    Column("id", "BIGINT", nullable=False),
    Column("c_int", "INT"),
    Column("c_smallint", "SMALLINT"),
    Column("c_tinyint", "TINYINT"),
    Column("c_double", "DOUBLE"),
    Column("c_float", "FLOAT"),
    Column("c_decimal", "DECIMAL(12,3)"),
    Column("c_string", "STRING"),
    Column("c_varchar", "VARCHAR(10)"),
    Column("c_char", "CHAR(3)"),
    Column("c_boolean", "BOOLEAN"),
    Column("c_date", "DATE"),
    Column("c_timestamp", "TIMESTAMP"),
    Column("c_timestamp_ntz", "TIMESTAMP_NTZ"),
    Column("c_binary", "BINARY"),
    Column("c_array", "ARRAY<STRING>"),
    Column("c_map", "MAP<STRING,INT>"),
    Column("c_struct", "STRUCT<x:INT,y:STRING>"),
    Column("c_nested", "ARRAY<STRUCT<d:DECIMAL(5,2),t:TIMESTAMP>>"),
)
EVERY_TYPE_TABLE = sql.with_audit_columns(EVERY_TYPE)
EVERY_TYPE_ROW: dict[str, Any] = {
    "id": 1,
    "c_int": -2_147_483_648,
    "c_smallint": -32_768,
    "c_tinyint": 127,
    "c_double": 1234.5678,
    "c_float": 1.5,
    "c_decimal": "123456789.125",
    "c_string": "zażółć 'quoted' -- not a comment",
    "c_varchar": "ten chars!",
    "c_char": "abc",
    "c_boolean": True,
    "c_date": "2024-02-29",
    "c_timestamp": "2024-03-10T12:30:15.123456+00:00",
    "c_timestamp_ntz": "2024-03-10T08:00:00",
    "c_binary": base64.b64encode(b"\x00\x01\x02\xff").decode(),
    "c_array": ["a", None, "c"],
    "c_map": {"one": 1, "two": 2},
    "c_struct": {"x": 7, "y": "seven"},
    "c_nested": [{"d": "1.25", "t": "2024-01-01T00:00:00+00:00"}],
}


@pytest.fixture
def client(warehouse_client: WarehouseClient) -> WarehouseClient:
    """A client of its own on the session's local warehouse (the root conftest's)."""
    return warehouse_client


@pytest.fixture
def schema(client: WarehouseClient) -> Iterator[str]:
    """A fresh schema in the test catalog, dropped afterwards."""
    with warehouse_schema(CATALOG, client=client) as name:
        yield name


def run(client: WarehouseClient, statement: Statement) -> StatementResult:
    return client.execute(statement.sql, statement.params)


def well(i: int, **changes: Any) -> dict[str, Any]:
    """Row ``i`` of these tests' wells (api10 4_201_234_000 + i, oileur 100,000 + 1,000 i), with a
    record_uuid of its own."""
    row = seed_well(
        i,
        api10=4_201_234_000 + i,
        api14=42_012_340_000_000 + i,
        spuddate=f"01/{i % 28 + 1:02d}/2024",
        oileur=100_000.0 + i * 1000,
        record_uuid=str(uuid.uuid4()),
    )
    return row | changes


def insert(
    client: WarehouseClient, table: TableName, columns: tuple[Column, ...], rows: list[dict[str, Any]]
) -> None:
    """Insert ``rows`` as PRINCIPAL with the statements ``insert_batches`` builds (batches of 1 MiB)."""
    for statement in sql.insert_batches(
        table, columns, rows, principal=PRINCIPAL, max_parameter_bytes=1 << 20
    ):
        run(client, statement)


def create_every_type(client: WarehouseClient, schema: str, rows: list[dict[str, Any]]) -> TableName:
    """The every_type table created by ``create_table``, holding ``rows``."""
    table = TableName(CATALOG, schema, "every_type")
    run(client, sql.create_table(table, EVERY_TYPE))
    insert(client, table, EVERY_TYPE_TABLE, rows)
    return table


@pytest.fixture
def wells(client: WarehouseClient, schema: str) -> TableName:
    """The wells table created by ``create_table`` with 5 rows (api10 ...001 to ...005)."""
    table = TableName(CATALOG, schema, "wells")
    run(client, sql.create_table(table, WELLS_COLUMNS))
    insert(client, table, WELLS_TABLE, [well(i) for i in range(1, 6)])
    return table


def select_all(client: WarehouseClient, table: TableName, order: str = "api10") -> list[dict[str, Any]]:
    return client.execute(f"SELECT * FROM {table.quoted} ORDER BY {order}").as_dicts()


def by_api10(client: WarehouseClient, table: TableName) -> dict[int, dict[str, Any]]:
    return {row["api10"]: row for row in select_all(client, table)}


def assert_typed_values_landed(stored: dict[str, Any]) -> None:
    """The DECIMAL, DATE, TIMESTAMP(_NTZ), BINARY, ARRAY, MAP and STRUCT values of
    ``EVERY_TYPE_ROW`` read back as the warehouse's own values."""
    assert stored["c_decimal"] == decimal.Decimal("123456789.125")
    assert stored["c_date"] == datetime.date(2024, 2, 29)
    assert stored["c_timestamp"] == datetime.datetime(2024, 3, 10, 12, 30, 15, 123456, tzinfo=datetime.UTC)
    assert stored["c_timestamp_ntz"] == datetime.datetime(2024, 3, 10, 8, 0)  # noqa: DTZ001 (NTZ is naive)
    assert stored["c_binary"] == b"\x00\x01\x02\xff"
    assert list(stored["c_array"]) == ["a", None, "c"]
    assert dict(stored["c_map"]) == {"one": 1, "two": 2}
    assert stored["c_struct"] == {"x": 7, "y": "seven"}
