"""The records statement builders, run through the real connector on the local warehouse."""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_django import Settings

from records import sql
from records.sql.filters import filter_conditions
from records.tables import AUDIT_COLUMNS, Column
from warehouse.client import StatementResult, WarehouseClient
from warehouse.exceptions import PermanentWarehouseError
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import MAX_PARAMETERS, Statement, TableName

CATALOG = "records_sql_tests"
PRINCIPAL = "alice@example.com"

# The seed's 9-column wells table.
WELLS = (
    Column("api10", "BIGINT", nullable=False),
    Column("api14", "BIGINT", nullable=False),
    Column("wellname", "STRING", nullable=False),
    Column("spuddate", "STRING"),
    Column("firstproddate", "STRING"),
    Column("compldate", "STRING"),
    Column("oileur", "DOUBLE"),
    Column("gaseur", "DOUBLE"),
    Column("wellspacing", "DOUBLE"),
)
WELLS_TABLE = sql.with_audit_columns(WELLS)
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
def client(local_warehouse: LocalWarehouseProcess, settings: Settings) -> Iterator[WarehouseClient]:
    settings.LOCAL_WAREHOUSE_URL = local_warehouse.url
    settings.DATABRICKS_WAREHOUSE_ID = ""
    settings.WAREHOUSE_CONNECTOR_RETRIES = 1
    warehouse_client = WarehouseClient()
    yield warehouse_client
    warehouse_client.reset()


@pytest.fixture
def schema(client: WarehouseClient) -> Iterator[str]:
    """A fresh schema in the test catalog, dropped afterwards."""
    name = f"s_{uuid.uuid4().hex[:10]}"
    client.execute(f"CREATE CATALOG IF NOT EXISTS {CATALOG}")
    client.execute(f"CREATE SCHEMA {CATALOG}.{name}")
    yield name
    client.execute(f"DROP SCHEMA IF EXISTS {CATALOG}.{name} CASCADE")


def run(client: WarehouseClient, statement: Statement) -> StatementResult:
    return client.execute(statement.sql, statement.params)


def well(i: int, **changes: Any) -> dict[str, Any]:
    row = {
        "api10": 4_201_234_000 + i,
        "api14": 42_012_340_000_000 + i,
        "wellname": f"SMITH {i}-15H",
        "spuddate": f"01/{i % 28 + 1:02d}/2024",
        "firstproddate": "03/20/2024",
        "compldate": "03/10/2024",
        "oileur": 100_000.0 + i * 1000,
        "gaseur": 450_000.75,
        "wellspacing": 640.0,
        "record_uuid": str(uuid.uuid4()),
    }
    return row | changes


@pytest.fixture
def wells(client: WarehouseClient, schema: str) -> TableName:
    """The wells table created by ``create_table`` with 5 rows (api10 ...001 to ...005)."""
    table = TableName(CATALOG, schema, "wells")
    run(client, sql.create_table(table, WELLS))
    rows = [well(i) for i in range(1, 6)]
    for statement in sql.insert_batches(
        table, WELLS_TABLE, rows, principal=PRINCIPAL, max_batch_bytes=1 << 20
    ):
        run(client, statement)
    return table


def select_all(client: WarehouseClient, table: TableName, order: str = "api10") -> list[dict[str, Any]]:
    return client.execute(f"SELECT * FROM {table.quoted} ORDER BY {order}").as_dicts()


def by_api10(client: WarehouseClient, table: TableName) -> dict[int, dict[str, Any]]:
    return {row["api10"]: row for row in select_all(client, table)}


# -- tables -------------------------------------------------------------------------------------


def test_create_table_adds_the_eight_audit_columns(client: WarehouseClient, schema: str) -> None:
    """The created table has the user's columns, then the 8 audit columns, as DESCRIBE shows."""
    table = TableName(CATALOG, schema, "wells")
    statement = sql.create_table(table, WELLS)
    assert statement.sql.startswith("CREATE TABLE IF NOT EXISTS `records_sql_tests`.")
    assert statement.sql.endswith("USING DELTA") and statement.params == {}
    run(client, statement)
    described = sql.parse_describe(run(client, sql.describe_table(table)).rows)
    assert [name for name, _ in described] == [c.name for c in WELLS_TABLE]
    assert dict(described)["api10"] == "bigint"
    assert {name: type_ for name, type_ in described if name in {c.name for c in AUDIT_COLUMNS}} == {
        "record_uuid": "string",
        "is_deleted": "boolean",
        "inserted_at": "timestamp",
        "inserted_by": "string",
        "updated_at": "timestamp",
        "updated_by": "string",
        "deleted_at": "timestamp",
        "deleted_by": "string",
    }


def test_create_table_marks_non_nullable_columns_not_null(client: WarehouseClient, schema: str) -> None:
    """A row without a NOT NULL column's value is rejected by the warehouse."""
    table = TableName(CATALOG, schema, "wells")
    run(client, sql.create_table(table, WELLS))
    (statement,) = sql.insert_batches(
        table, WELLS_TABLE, [well(1, wellname=None)], principal=PRINCIPAL, max_batch_bytes=1 << 20
    )
    with pytest.raises(PermanentWarehouseError) as caught:
        run(client, statement)
    assert caught.value.error_class == "DELTA_NOT_NULL_CONSTRAINT_VIOLATED"


def test_create_table_if_not_exists_keeps_an_existing_table(
    client: WarehouseClient, wells: TableName
) -> None:
    """Creating an existing table again changes nothing."""
    run(client, sql.create_table(wells, WELLS))
    assert len(select_all(client, wells)) == 5


def test_create_table_refuses_audit_column_names_and_duplicates() -> None:
    """A definition naming an audit column or a column twice never becomes SQL."""
    table = TableName(CATALOG, "s", "t")
    with pytest.raises(ValueError, match="defined twice"):
        sql.create_table(table, (Column("a", "INT"), Column("record_uuid", "STRING")))
    with pytest.raises(ValueError, match="defined twice"):
        sql.create_table(table, (Column("a", "INT"), Column("A", "INT")))


def test_parse_describe_stops_at_partition_information() -> None:
    """Rows after the first empty or '#' col_name (partition details) are not columns."""
    rows = [
        ("api10", "bigint", None),
        ("day", "date", None),
        ("", "", ""),
        ("# Partition Information", "", ""),
        ("day", "date", None),
    ]
    assert sql.parse_describe(rows) == [("api10", "bigint"), ("day", "date")]
    assert sql.parse_describe([("a", "int", None), ("# Clustering", "", "")]) == [("a", "int")]


def test_show_schemas_lists_the_schemas_of_a_catalog(client: WarehouseClient, schema: str) -> None:
    """SHOW SCHEMAS IN the catalog answers the schema names first."""
    names = {row[0] for row in run(client, sql.show_schemas(CATALOG)).rows}
    assert schema in names


# -- inserts ------------------------------------------------------------------------------------


def test_insert_one_row_sets_the_audit_columns(client: WarehouseClient, schema: str) -> None:
    """One row lands with is_deleted false, inserted_at/by set by SQL, updated/deleted NULL."""
    table = TableName(CATALOG, schema, "wells")
    run(client, sql.create_table(table, WELLS))
    row = well(1)
    (statement,) = sql.insert_batches(table, WELLS_TABLE, [row], principal=PRINCIPAL, max_batch_bytes=1 << 20)
    assert statement.sql.startswith("MERGE INTO")
    assert set(statement.params) == {"rows", "principal"}
    before = datetime.datetime.now(datetime.UTC)
    assert run(client, statement).dml_counts()["num_inserted_rows"] == 1
    (stored,) = select_all(client, table)
    assert {k: stored[k] for k in row} == row
    assert stored["is_deleted"] is False
    assert stored["inserted_by"] == PRINCIPAL
    assert (
        before - datetime.timedelta(seconds=5) <= stored["inserted_at"] <= datetime.datetime.now(datetime.UTC)
    )
    assert [stored[k] for k in ("updated_at", "updated_by", "deleted_at", "deleted_by")] == [None] * 4


def test_insert_5000_wells_rows_is_one_statement_with_few_parameters(
    client: WarehouseClient, schema: str, local_warehouse: LocalWarehouseProcess
) -> None:
    """5,000 rows x 9 columns go in ONE statement of 2 parameters, far under the 256 limit."""
    table = TableName(CATALOG, schema, "wells")
    run(client, sql.create_table(table, WELLS))
    rows = [well(i) for i in range(5000)]
    statements = sql.insert_batches(table, WELLS_TABLE, rows, principal=PRINCIPAL, max_batch_bytes=8 << 20)
    assert len(statements) == 1
    local_warehouse.reset_stats()
    assert run(client, statements[0]).dml_counts()["num_inserted_rows"] == 5000
    stats = local_warehouse.stats()
    assert stats["by_kind"] == {"MERGE": 1}
    assert stats["max_parameters"] == 2 <= MAX_PARAMETERS
    total = client.execute(f"SELECT COUNT(*), SUM(api10), COUNT(DISTINCT record_uuid) FROM {table.quoted}")
    assert total.rows == [(5000, sum(r["api10"] for r in rows), 5000)]


def test_batches_are_cut_by_bytes_never_inside_a_row(client: WarehouseClient, schema: str) -> None:
    """Each batch's JSON stays under the byte limit, a larger row goes alone, and every row lands once."""
    table = TableName(CATALOG, schema, "wells")
    run(client, sql.create_table(table, WELLS))
    rows = [well(i) for i in range(100)]
    rows[50]["wellname"] = "Ł" * 3000  # 6,000 UTF-8 bytes: larger than the limit on its own
    statements = sql.insert_batches(table, WELLS_TABLE, rows, principal=PRINCIPAL, max_batch_bytes=4000)
    sizes = [len(s.params["rows"].encode()) for s in statements]
    batches = [json.loads(s.params["rows"]) for s in statements]
    assert [r["api10"] for batch in batches for r in batch] == [r["api10"] for r in rows]
    assert [len(b) for b in batches if any(r["wellname"].startswith("Ł") for r in b)] == [1]
    assert all(size <= 4000 for size, batch in zip(sizes, batches, strict=True) if len(batch) > 1)
    assert len(statements) > 3
    inserted = sum(run(client, s).dml_counts()["num_inserted_rows"] for s in statements)
    assert inserted == 100
    assert len(select_all(client, table)) == 100


def test_inserting_the_same_batch_twice_lands_once(client: WarehouseClient, wells: TableName) -> None:
    """A re-delivered batch (same record_uuids) inserts nothing: num_inserted_rows is 0."""
    rows = [well(i) for i in range(10, 20)]
    (statement,) = sql.insert_batches(wells, WELLS_TABLE, rows, principal=PRINCIPAL, max_batch_bytes=1 << 20)
    assert run(client, statement).dml_counts()["num_inserted_rows"] == 10
    again = run(client, statement).dml_counts()
    assert again["num_inserted_rows"] == 0 and again["num_affected_rows"] == 0
    assert len(select_all(client, wells)) == 15


def test_every_column_type_round_trips_through_insert(client: WarehouseClient, schema: str) -> None:
    """DECIMAL, DATE, TIMESTAMP(_NTZ), BINARY (base64), ARRAY, MAP, STRUCT and nested types land as sent."""
    table = TableName(CATALOG, schema, "every_type")
    run(client, sql.create_table(table, EVERY_TYPE))
    columns = sql.with_audit_columns(EVERY_TYPE)
    nulls = {c.name: None for c in EVERY_TYPE} | {"id": 2, "record_uuid": str(uuid.uuid4())}
    rows = [EVERY_TYPE_ROW | {"record_uuid": str(uuid.uuid4())}, nulls]
    for statement in sql.insert_batches(table, columns, rows, principal=PRINCIPAL, max_batch_bytes=1 << 20):
        run(client, statement)
    stored, empty = select_all(client, table, order="id")
    for name in (
        "c_int",
        "c_smallint",
        "c_tinyint",
        "c_double",
        "c_float",
        "c_string",
        "c_varchar",
        "c_char",
    ):
        assert stored[name] == EVERY_TYPE_ROW[name], name
    assert stored["c_boolean"] is True
    assert stored["c_decimal"] == decimal.Decimal("123456789.125")
    assert stored["c_date"] == datetime.date(2024, 2, 29)
    assert stored["c_timestamp"] == datetime.datetime(2024, 3, 10, 12, 30, 15, 123456, tzinfo=datetime.UTC)
    assert stored["c_timestamp_ntz"] == datetime.datetime(2024, 3, 10, 8, 0)  # noqa: DTZ001 (NTZ is naive)
    assert stored["c_binary"] == b"\x00\x01\x02\xff"
    assert list(stored["c_array"]) == ["a", None, "c"]
    assert dict(stored["c_map"]) == {"one": 1, "two": 2}
    assert stored["c_struct"] == {"x": 7, "y": "seven"}
    (nested,) = stored["c_nested"]
    assert nested["d"] == decimal.Decimal("1.25")
    assert nested["t"] == datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    assert all(empty[c.name] is None for c in EVERY_TYPE if c.name != "id")


def test_insert_into_a_table_without_audit_columns_is_a_plain_insert(
    client: WarehouseClient, schema: str
) -> None:
    """Without record_uuid there is nothing to dedupe on: INSERT ... SELECT, no audit values."""
    table = TableName(CATALOG, schema, "plain")
    client.execute(f"CREATE TABLE {table.quoted} (api10 BIGINT, wellname STRING)")
    columns = (Column("api10", "BIGINT"), Column("wellname", "STRING"))
    rows = [{"api10": 1, "wellname": "a"}, {"api10": 2, "wellname": "b"}]
    (statement,) = sql.insert_batches(table, columns, rows, principal=PRINCIPAL, max_batch_bytes=1 << 20)
    assert statement.sql.startswith("INSERT INTO") and set(statement.params) == {"rows"}
    assert run(client, statement).dml_counts()["num_inserted_rows"] == 2
    assert client.execute(f"SELECT * FROM {table.quoted} ORDER BY api10").rows == [(1, "a"), (2, "b")]


def test_insert_sets_only_the_audit_columns_a_table_has(client: WarehouseClient, schema: str) -> None:
    """A pre-existing table with some audit columns gets those set, and still dedupes on record_uuid."""
    table = TableName(CATALOG, schema, "partial")
    client.execute(f"CREATE TABLE {table.quoted} (API10 BIGINT, record_uuid STRING, inserted_by STRING)")
    columns = (Column("API10", "BIGINT"), Column("record_uuid", "STRING"), Column("inserted_by", "STRING"))
    rows = [{"API10": 1, "record_uuid": "u-1"}, {"api10": 2, "record_uuid": "u-2"}]
    (statement,) = sql.insert_batches(table, columns, rows, principal=PRINCIPAL, max_batch_bytes=1 << 20)
    assert run(client, statement).dml_counts()["num_inserted_rows"] == 2
    assert run(client, statement).dml_counts()["num_inserted_rows"] == 0
    stored = client.execute(f"SELECT * FROM {table.quoted} ORDER BY API10").rows
    assert stored == [(1, "u-1", PRINCIPAL), (2, "u-2", PRINCIPAL)]


def test_insert_refuses_rows_without_record_uuid() -> None:
    """Rows bound for a table with record_uuid must carry it: without it a retry could land twice."""
    table = TableName(CATALOG, "s", "wells")
    row = well(1)
    del row["record_uuid"]
    with pytest.raises(ValueError, match="record_uuid"):
        sql.insert_batches(table, WELLS_TABLE, [row], principal=PRINCIPAL, max_batch_bytes=1 << 20)


# -- updates ------------------------------------------------------------------------------------


def test_update_by_key_sets_values_and_audit_columns(client: WarehouseClient, wells: TableName) -> None:
    """One key's row gets the new values and updated_at/by; the others stay untouched."""
    statement = sql.update_by_keys(
        wells, API10, [4_201_234_001], {"oileur": 130000.0, "gaseur": 475000.0}, BY_NAME, PRINCIPAL
    )
    assert run(client, statement).dml_counts() == {"num_affected_rows": 1}
    rows = by_api10(client, wells)
    assert (rows[4_201_234_001]["oileur"], rows[4_201_234_001]["gaseur"]) == (130000.0, 475000.0)
    assert rows[4_201_234_001]["updated_by"] == PRINCIPAL and rows[4_201_234_001]["updated_at"] is not None
    assert rows[4_201_234_002]["oileur"] == 102000.0 and rows[4_201_234_002]["updated_at"] is None


def test_update_by_10000_keys_is_one_statement(
    client: WarehouseClient, wells: TableName, local_warehouse: LocalWarehouseProcess
) -> None:
    """10,000 keys travel in one JSON parameter: one UPDATE, counting only the rows that exist."""
    keys = [4_201_234_000 + i for i in range(10_000)]
    statement = sql.update_by_keys(wells, API10, keys, {"wellspacing": 320.0}, BY_NAME, PRINCIPAL)
    assert set(statement.params) == {"keys", "u0", "principal"}
    local_warehouse.reset_stats()
    assert run(client, statement).dml_counts()["num_affected_rows"] == 5
    stats = local_warehouse.stats()
    assert stats["by_kind"] == {"UPDATE": 1} and stats["max_parameters"] == 3
    assert {row["wellspacing"] for row in select_all(client, wells)} == {320.0}


def test_update_values_of_every_type_are_typed_parameters(client: WarehouseClient, schema: str) -> None:
    """Update values of each type (strings cast, base64 decoded, JSON for complex types, NULL) land as sent."""
    table = TableName(CATALOG, schema, "every_type")
    run(client, sql.create_table(table, EVERY_TYPE))
    columns = sql.with_audit_columns(EVERY_TYPE)
    for statement in sql.insert_batches(
        table, columns, [{"id": 1, "record_uuid": "u-1"}], principal=PRINCIPAL, max_batch_bytes=1 << 20
    ):
        run(client, statement)
    updates = {k: v for k, v in EVERY_TYPE_ROW.items() if k != "id"}
    statement = sql.update_by_keys(table, columns[0], [1], updates, columns, PRINCIPAL)
    assert run(client, statement).dml_counts() == {"num_affected_rows": 1}
    (stored,) = select_all(client, table, order="id")
    assert stored["c_decimal"] == decimal.Decimal("123456789.125")
    assert stored["c_date"] == datetime.date(2024, 2, 29)
    assert stored["c_timestamp"] == datetime.datetime(2024, 3, 10, 12, 30, 15, 123456, tzinfo=datetime.UTC)
    assert stored["c_timestamp_ntz"] == datetime.datetime(2024, 3, 10, 8, 0)  # noqa: DTZ001 (NTZ is naive)
    assert stored["c_binary"] == b"\x00\x01\x02\xff"
    assert list(stored["c_array"]) == ["a", None, "c"]
    assert dict(stored["c_map"]) == {"one": 1, "two": 2}
    assert stored["c_struct"] == {"x": 7, "y": "seven"}
    assert stored["c_nested"][0]["d"] == decimal.Decimal("1.25")
    assert stored["c_string"] == EVERY_TYPE_ROW["c_string"] and stored["c_boolean"] is True
    cleared = sql.update_by_keys(table, columns[0], [1], dict.fromkeys(updates), columns, PRINCIPAL)
    run(client, cleared)
    (stored,) = select_all(client, table, order="id")
    assert all(stored[name] is None for name in updates)


def test_bulk_update_changes_only_the_columns_each_item_sets(
    client: WarehouseClient, wells: TableName, local_warehouse: LocalWarehouseProcess
) -> None:
    """One MERGE: each key gets its own columns, others keep their values, an explicit null clears."""
    items = [
        {"key_value": 4_201_234_001, "updates": {"oileur": 130000.0, "gaseur": 475000.0}},
        {"key_value": 4_201_234_002, "updates": {"wellspacing": 320.0}},
        {"key_value": 4_201_234_003, "updates": {"compldate": "05/15/2024", "oileur": None}},
        {"key_value": 4_201_234_001, "updates": {"gaseur": 1.0}},  # the same key again: merged, later wins
        {"key_value": 9_999_999_999, "updates": {"wellspacing": 1.0}},  # no such row
    ]
    statement = sql.update_bulk(wells, API10, items, BY_NAME, PRINCIPAL)
    assert set(statement.params) == {"items", "principal"}
    local_warehouse.reset_stats()
    counts = run(client, statement).dml_counts()
    assert counts["num_updated_rows"] == counts["num_affected_rows"] == 3
    assert local_warehouse.stats()["by_kind"] == {"MERGE": 1}
    rows = by_api10(client, wells)
    first, second, third, fourth = (rows[4_201_234_000 + i] for i in range(1, 5))
    assert (first["oileur"], first["gaseur"], first["wellspacing"]) == (130000.0, 1.0, 640.0)
    assert (second["oileur"], second["gaseur"], second["wellspacing"]) == (102000.0, 450000.75, 320.0)
    assert (third["oileur"], third["compldate"], third["wellspacing"]) == (None, "05/15/2024", 640.0)
    assert all(r["updated_by"] == PRINCIPAL and r["updated_at"] for r in (first, second, third))
    assert fourth["updated_at"] is None and fourth["oileur"] == 104000.0


def test_update_by_filters_updates_the_matching_rows(client: WarehouseClient, wells: TableName) -> None:
    """The seed's filter scenario: oileur < 103000 gets wellspacing 640 -> 160, with audit columns."""
    filters = [{"column": "oileur", "op": "<", "value": 103000}]
    statement = sql.update_by_filters(wells, filters, {"wellspacing": 160.0}, BY_NAME, PRINCIPAL)
    assert run(client, statement).dml_counts() == {"num_affected_rows": 2}
    rows = by_api10(client, wells)
    assert [rows[k]["wellspacing"] for k in sorted(rows)] == [160.0, 160.0, 640.0, 640.0, 640.0]
    assert [rows[k]["updated_by"] for k in sorted(rows)] == [PRINCIPAL, PRINCIPAL, None, None, None]


def test_updates_reach_soft_deleted_rows(client: WarehouseClient, wells: TableName) -> None:
    """Soft-deleted rows are updated too (the seed's behaviour), by keys and by bulk updates."""
    run(client, sql.soft_delete_by_keys(wells, API10, [4_201_234_001], BY_NAME, PRINCIPAL))
    keys = [4_201_234_001, 4_201_234_002]
    bulk = sql.update_bulk(
        wells, API10, [{"key_value": k, "updates": {"gaseur": 2.0}} for k in keys], BY_NAME, PRINCIPAL
    )
    assert run(client, bulk).dml_counts()["num_updated_rows"] == 2
    every = sql.update_by_keys(wells, API10, keys, {"oileur": 3.0}, BY_NAME, PRINCIPAL)
    assert run(client, every).dml_counts() == {"num_affected_rows": 2}


def test_updates_refuse_audit_columns_unknown_columns_and_empty_requests() -> None:
    """Audit columns are the service's; unknown columns and missing filters never become SQL."""
    table = TableName(CATALOG, "s", "wells")
    with pytest.raises(ValueError, match="set by the service"):
        sql.update_by_keys(table, API10, [1], {"is_deleted": False}, BY_NAME, PRINCIPAL)
    with pytest.raises(ValueError, match="set by the service"):
        sql.update_bulk(table, API10, [{"key_value": 1, "updates": {"updated_by": "x"}}], BY_NAME, PRINCIPAL)
    with pytest.raises(ValueError, match="Unknown column"):
        sql.update_by_keys(table, API10, [1], {"nope": 1}, BY_NAME, PRINCIPAL)
    with pytest.raises(ValueError, match="at least one filter"):
        sql.update_by_filters(table, [], {"oileur": 1.0}, BY_NAME, PRINCIPAL)
    with pytest.raises(ValueError, match="No columns to update"):
        sql.update_by_keys(table, API10, [1], {}, BY_NAME, PRINCIPAL)


# -- existence and deletes ---------------------------------------------------------------------


def test_find_existing_keys_gives_not_found(client: WarehouseClient, wells: TableName) -> None:
    """One lookup answers the keys present, as sent; keys_not_found keeps the rest in request order."""
    keys = [4_201_234_009, 4_201_234_001, 4_201_234_003, 4_201_234_009, 4_201_234_008]
    statement = sql.find_existing_keys(wells, API10, keys)
    assert set(statement.params) == {"keys"}
    rows = run(client, statement).rows
    assert sorted(row[0] for row in rows) == [4_201_234_001, 4_201_234_003]
    assert sql.keys_not_found(keys, rows) == [4_201_234_009, 4_201_234_008]


def test_find_existing_keys_counts_soft_deleted_rows(client: WarehouseClient, wells: TableName) -> None:
    """A soft-deleted key exists: a soft delete run twice reports the same not_found."""
    run(client, sql.soft_delete_by_keys(wells, API10, [4_201_234_001], BY_NAME, PRINCIPAL))
    keys = [4_201_234_001, 4_201_234_002]
    assert sql.keys_not_found(keys, run(client, sql.find_existing_keys(wells, API10, keys)).rows) == []


def test_find_existing_keys_answers_timestamp_and_decimal_keys_as_sent(
    client: WarehouseClient, schema: str
) -> None:
    """Keys that are CAST in SQL come back in the client's spelling, so not_found compares exactly."""
    table = TableName(CATALOG, schema, "events")
    columns = (Column("at", "TIMESTAMP"), Column("amount", "DECIMAL(10,2)"))
    run(client, sql.create_table(table, columns))
    row = {"at": "2024-03-10T12:30:15+00:00", "amount": "1.50", "record_uuid": "u-1"}
    for statement in sql.insert_batches(
        table, sql.with_audit_columns(columns), [row], principal=PRINCIPAL, max_batch_bytes=1 << 20
    ):
        run(client, statement)
    at_keys = ["2024-03-10T12:30:15+00:00", "2024-03-10T12:30:16+00:00"]
    rows = run(client, sql.find_existing_keys(table, columns[0], at_keys)).rows
    assert rows == [("2024-03-10T12:30:15+00:00",)]
    assert sql.keys_not_found(at_keys, rows) == ["2024-03-10T12:30:16+00:00"]
    amount_rows = run(client, sql.find_existing_keys(table, columns[1], ["1.50", "2.00"])).rows
    assert sql.keys_not_found(["1.50", "2.00"], amount_rows) == ["2.00"]


def test_soft_delete_by_keys_counts_only_rows_not_already_deleted(
    client: WarehouseClient, wells: TableName
) -> None:
    """is_deleted, deleted_at/by and updated_at/by are set; deleting again counts 0 and changes nothing."""
    keys = [4_201_234_001, 4_201_234_002, 4_201_234_009]
    statement = sql.soft_delete_by_keys(wells, API10, keys, BY_NAME, PRINCIPAL)
    assert run(client, statement).dml_counts() == {"num_affected_rows": 2}
    first = by_api10(client, wells)
    deleted = first[4_201_234_001]
    assert deleted["is_deleted"] is True and deleted["deleted_by"] == deleted["updated_by"] == PRINCIPAL
    assert deleted["deleted_at"] is not None and deleted["deleted_at"] == deleted["updated_at"]
    assert first[4_201_234_003]["is_deleted"] is False and first[4_201_234_003]["deleted_at"] is None
    assert run(client, statement).dml_counts() == {"num_affected_rows": 0}
    assert by_api10(client, wells)[4_201_234_001]["deleted_at"] == deleted["deleted_at"]


def test_soft_delete_sets_only_the_audit_columns_a_table_has(client: WarehouseClient, schema: str) -> None:
    """A table with is_deleted but no other audit column is soft deleted through is_deleted alone."""
    table = TableName(CATALOG, schema, "partial")
    client.execute(f"CREATE TABLE {table.quoted} (id BIGINT, is_deleted BOOLEAN)")
    client.execute(f"INSERT INTO {table.quoted} VALUES (1, NULL), (2, false), (3, true)")
    columns = (Column("id", "BIGINT"), Column("is_deleted", "BOOLEAN"))
    statement = sql.soft_delete_by_keys(table, columns[0], [1, 2, 3], columns, PRINCIPAL)
    assert "principal" not in statement.params
    assert run(client, statement).dml_counts() == {"num_affected_rows": 2}
    filtered = sql.soft_delete_by_filters(
        table, [{"column": "id", "op": ">", "value": 0}], columns, PRINCIPAL
    )
    assert run(client, filtered).dml_counts() == {"num_affected_rows": 0}


def test_soft_delete_by_filters(client: WarehouseClient, wells: TableName) -> None:
    """Rows matching the filters are soft deleted with their audit columns."""
    filters = [{"column": "oileur", "op": ">=", "value": 104000}]
    statement = sql.soft_delete_by_filters(wells, filters, BY_NAME, PRINCIPAL)
    assert run(client, statement).dml_counts() == {"num_affected_rows": 2}
    rows = by_api10(client, wells)
    assert [rows[k]["is_deleted"] for k in sorted(rows)] == [False, False, False, True, True]
    assert rows[4_201_234_005]["deleted_by"] == PRINCIPAL


def test_hard_delete_by_keys_removes_rows_soft_deleted_or_not(
    client: WarehouseClient, wells: TableName
) -> None:
    """DELETE removes the keys' rows, including soft-deleted ones, and counts them."""
    run(client, sql.soft_delete_by_keys(wells, API10, [4_201_234_001], BY_NAME, PRINCIPAL))
    statement = sql.hard_delete_by_keys(wells, API10, [4_201_234_001, 4_201_234_002, 4_201_234_009])
    assert run(client, statement).dml_counts() == {"num_affected_rows": 2}
    assert sorted(by_api10(client, wells)) == [4_201_234_003, 4_201_234_004, 4_201_234_005]


def test_hard_delete_by_filters_removes_the_matching_rows(client: WarehouseClient, wells: TableName) -> None:
    """DELETE with filters removes what they match; an empty filter list is refused."""
    filters = [{"column": "api10", "op": "in", "value": [4_201_234_004, 4_201_234_005, 1]}]
    assert run(client, sql.hard_delete_by_filters(wells, filters, BY_NAME)).dml_counts() == {
        "num_affected_rows": 2
    }
    assert len(select_all(client, wells)) == 3
    with pytest.raises(ValueError, match="at least one filter"):
        sql.hard_delete_by_filters(wells, [], BY_NAME)


# -- reads --------------------------------------------------------------------------------------


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
    table = TableName(CATALOG, schema, "every_type")
    run(client, sql.create_table(table, EVERY_TYPE))
    columns = sql.with_audit_columns(EVERY_TYPE)
    other = {"id": 2, "record_uuid": "u-2", "c_decimal": "1.000", "c_date": "2020-01-01", "c_boolean": False}
    rows = [EVERY_TYPE_ROW | {"record_uuid": "u-1"}, other]
    for statement in sql.insert_batches(table, columns, rows, principal=PRINCIPAL, max_batch_bytes=1 << 20):
        run(client, statement)
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


# -- safety -------------------------------------------------------------------------------------

INJECTION = "x'; DROP TABLE wells; --"


def test_sql_injection_in_values_stays_a_value(client: WarehouseClient, wells: TableName) -> None:
    """Quotes and SQL in values are stored and matched verbatim by inserts, updates, filters and keys."""
    row = well(9, wellname=INJECTION, spuddate="' OR '1'='1")
    for statement in sql.insert_batches(
        wells, WELLS_TABLE, [row], principal=INJECTION, max_batch_bytes=1 << 20
    ):
        assert INJECTION not in statement.sql
        run(client, statement)
    update = sql.update_by_filters(
        wells,
        [{"column": "spuddate", "op": "=", "value": "' OR '1'='1"}],
        {"compldate": INJECTION},
        BY_NAME,
        INJECTION,
    )
    assert INJECTION not in update.sql
    assert run(client, update).dml_counts() == {"num_affected_rows": 1}
    filters: list[dict[str, Any]] = [
        {"column": "wellname", "op": "in", "value": [INJECTION]},
        {"column": "compldate", "op": "like", "value": INJECTION},
    ]
    read = sql.select_rows(wells, None, filters, 10, 0, exclude_deleted=True, table_columns=BY_NAME)
    (stored,) = run(client, read).as_dicts()
    assert (
        stored["wellname"]
        == stored["compldate"]
        == stored["inserted_by"]
        == stored["updated_by"]
        == INJECTION
    )
    keys = sql.find_existing_keys(wells, BY_NAME["wellname"], [INJECTION, "' OR 1=1 --"])
    assert run(client, keys).rows == [(INJECTION,)]
    assert len(select_all(client, wells)) == 6


@pytest.mark.parametrize(
    "build",
    [
        lambda: sql.describe_table(TableName(CATALOG, "s", "t`; DROP TABLE x; --")),
        lambda: sql.show_schemas("c; DROP"),
        lambda: sql.create_table(TableName(CATALOG, "s", "t"), (Column("a b", "INT"),)),
        lambda: sql.create_table(TableName(CATALOG, "s", "t"), (Column("a", "INT) ; DROP TABLE x; --"),)),
        lambda: sql.create_table(TableName(CATALOG, "s", "t"), (Column("a", "STRING'"),)),
        lambda: sql.create_table(TableName(CATALOG, "s", "t\n"), (Column("a", "INT"),)),
        lambda: sql.select_rows(
            TableName(CATALOG, "s", "t"), ["a`"], None, 1, 0, exclude_deleted=False, table_columns=BY_NAME
        ),
        lambda: filter_conditions([{"column": "api10", "op": "; DROP", "value": 1}], BY_NAME),
        lambda: filter_conditions([{"column": "api10) OR (1", "op": "=", "value": 1}], BY_NAME),
        lambda: filter_conditions([{"column": "api10", "op": "in", "value": "1, 2"}], BY_NAME),
    ],
)
def test_invalid_identifiers_types_and_operators_never_become_sql(build: Any) -> None:
    """Names, types and operators outside the grammar are a ValueError before any SQL exists."""
    with pytest.raises(ValueError, match=r"Invalid|Unknown|must be a list"):
        build()


def test_filter_conditions_name_parameters_themselves() -> None:
    """Parameter names are generated (f0, f1...), whatever the filters say; in lists are one parameter."""
    filters: list[dict[str, Any]] = [
        {"column": "api10", "op": "in", "value": list(range(1000))},
        {"column": "wellname", "op": "=", "value": ":f0"},
        {"column": "oileur", "op": "is null"},
    ]
    conditions, params = filter_conditions(filters, {c.name.lower(): c for c in WELLS_TABLE})
    assert set(params) == {"f0", "f1"}
    assert params["f1"] == ":f0"
    assert conditions[1:] == ["`wellname` = CAST(:f1 AS STRING)", "`oileur` IS NULL"]
    assert filter_conditions([], {}) == ([], {})


def test_no_statement_carries_more_than_256_parameters() -> None:
    """A builder that would need more than 256 parameters raises instead of sending it."""
    table = TableName(CATALOG, "s", "wells")
    filters = [{"column": "api10", "op": "!=", "value": i} for i in range(300)]
    with pytest.raises(ValueError, match="at most 256 parameters"):
        sql.update_by_filters(table, filters, {"oileur": 1.0}, BY_NAME, PRINCIPAL)
    with pytest.raises(ValueError, match="at most 256 parameters"):
        Statement("SELECT 1", {f"p{i}": i for i in range(257)})
    assert len(Statement("SELECT 1", {f"p{i}": i for i in range(256)}).params) == 256
