"""Inserts in JSON batches, deduplicated on record_uuid (``records.sql.insert``), on the local warehouse."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid

import pytest

from records import sql
from records.tables import Column
from records.testing import WELLS_COLUMNS
from warehouse.client import WarehouseClient
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import MAX_PARAMETERS, ParameterTooLarge, TableName

from .conftest import (
    CATALOG,
    EVERY_TYPE,
    EVERY_TYPE_ROW,
    PRINCIPAL,
    WELLS_TABLE,
    assert_typed_values_landed,
    create_every_type,
    run,
    select_all,
    well,
)


def test_insert_one_row_sets_the_audit_columns(client: WarehouseClient, schema: str) -> None:
    """One row lands with is_deleted false, inserted_at/by set by SQL, updated/deleted NULL."""
    table = TableName(CATALOG, schema, "wells")
    run(client, sql.create_table(table, WELLS_COLUMNS))
    row = well(1)
    (statement,) = sql.insert_batches(
        table, WELLS_TABLE, [row], principal=PRINCIPAL, max_parameter_bytes=1 << 20
    )
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


def test_insert_3000_wells_rows_is_one_statement_with_few_parameters(
    client: WarehouseClient, schema: str, local_warehouse: LocalWarehouseProcess
) -> None:
    """3,000 rows x 9 columns go in ONE statement of 2 parameters within 900,000 bytes of values."""
    table = TableName(CATALOG, schema, "wells")
    run(client, sql.create_table(table, WELLS_COLUMNS))
    rows = [well(i) for i in range(3000)]
    statements = sql.insert_batches(
        table, WELLS_TABLE, rows, principal=PRINCIPAL, max_parameter_bytes=900_000
    )
    assert len(statements) == 1
    local_warehouse.reset_stats()
    assert run(client, statements[0]).dml_counts()["num_inserted_rows"] == 3000
    stats = local_warehouse.stats()
    assert stats["by_kind"] == {"MERGE": 1}
    assert stats["max_parameters"] == 2 <= MAX_PARAMETERS
    assert statements[0].parameter_bytes <= 900_000
    total = client.execute(f"SELECT COUNT(*), SUM(api10), COUNT(DISTINCT record_uuid) FROM {table.quoted}")
    assert total.rows == [(3000, sum(r["api10"] for r in rows), 3000)]


def test_batches_are_cut_by_bytes_never_inside_a_row(client: WarehouseClient, schema: str) -> None:
    """Each statement's parameter values stay within the budget, rows stay whole and in order,
    and every row lands once; a row that cannot fit alone is refused before any statement."""
    table = TableName(CATALOG, schema, "wells")
    run(client, sql.create_table(table, WELLS_COLUMNS))
    rows = [well(i) for i in range(100)]
    rows[50]["wellname"] = "Ł" * 1500  # 3,000 UTF-8 bytes: most of a batch
    statements = sql.insert_batches(table, WELLS_TABLE, rows, principal=PRINCIPAL, max_parameter_bytes=4000)
    batches = [json.loads(s.params["rows"]) for s in statements]
    assert [r["api10"] for batch in batches for r in batch] == [r["api10"] for r in rows]
    (big,) = [b for b in batches if any(r["wellname"].startswith("Ł") for r in b)]
    assert len(big) < max(len(b) for b in batches)
    assert all(s.parameter_bytes <= 4000 for s in statements)
    assert len(statements) > 3
    rows[50]["wellname"] = "Ł" * 3000  # 6,000 bytes: more than a statement may carry
    with pytest.raises(ParameterTooLarge) as caught:
        sql.insert_batches(table, WELLS_TABLE, rows, principal=PRINCIPAL, max_parameter_bytes=4000)
    assert caught.value.index == 50
    inserted = sum(run(client, s).dml_counts()["num_inserted_rows"] for s in statements)
    assert inserted == 100
    assert len(select_all(client, table)) == 100


def test_inserting_the_same_batch_twice_lands_once(client: WarehouseClient, wells: TableName) -> None:
    """A re-delivered batch (same record_uuids) inserts nothing: num_inserted_rows is 0."""
    rows = [well(i) for i in range(10, 20)]
    (statement,) = sql.insert_batches(
        wells, WELLS_TABLE, rows, principal=PRINCIPAL, max_parameter_bytes=1 << 20
    )
    assert run(client, statement).dml_counts()["num_inserted_rows"] == 10
    again = run(client, statement).dml_counts()
    assert again["num_inserted_rows"] == 0 and again["num_affected_rows"] == 0
    assert len(select_all(client, wells)) == 15


def test_every_column_type_round_trips_through_insert(client: WarehouseClient, schema: str) -> None:
    """DECIMAL, DATE, TIMESTAMP(_NTZ), BINARY (base64), ARRAY, MAP, STRUCT and nested types land as sent."""
    nulls = {c.name: None for c in EVERY_TYPE} | {"id": 2, "record_uuid": str(uuid.uuid4())}
    table = create_every_type(client, schema, [EVERY_TYPE_ROW | {"record_uuid": str(uuid.uuid4())}, nulls])
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
    assert_typed_values_landed(stored)
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
    (statement,) = sql.insert_batches(table, columns, rows, principal=PRINCIPAL, max_parameter_bytes=1 << 20)
    assert statement.sql.startswith("INSERT INTO") and set(statement.params) == {"rows"}
    assert run(client, statement).dml_counts()["num_inserted_rows"] == 2
    assert client.execute(f"SELECT * FROM {table.quoted} ORDER BY api10").rows == [(1, "a"), (2, "b")]


def test_insert_sets_only_the_audit_columns_a_table_has(client: WarehouseClient, schema: str) -> None:
    """A pre-existing table with some audit columns gets those set, and still dedupes on record_uuid."""
    table = TableName(CATALOG, schema, "partial")
    client.execute(f"CREATE TABLE {table.quoted} (API10 BIGINT, record_uuid STRING, inserted_by STRING)")
    columns = (Column("API10", "BIGINT"), Column("record_uuid", "STRING"), Column("inserted_by", "STRING"))
    rows = [{"API10": 1, "record_uuid": "u-1"}, {"api10": 2, "record_uuid": "u-2"}]
    (statement,) = sql.insert_batches(table, columns, rows, principal=PRINCIPAL, max_parameter_bytes=1 << 20)
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
        sql.insert_batches(table, WELLS_TABLE, [row], principal=PRINCIPAL, max_parameter_bytes=1 << 20)
