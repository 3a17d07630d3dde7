"""Contract: inserts in JSON batches, idempotent by record_uuid, and group commit (``records.sql.insert``)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.conf import settings

from records import sql
from records.sql.insert import encode_grouped_rows, grouped_insert
from records.tables import Column
from records.testing import WELLS_COLUMNS
from warehouse.sql import MAX_PARAMETER_BYTES, TableName, to_json

from ..sql.conftest import (
    EVERY_TYPE,
    EVERY_TYPE_ROW,
    PRINCIPAL,
    WELLS_TABLE,
    assert_typed_values_landed,
    well,
)
from .conftest import ContractWarehouse

BUDGETS = {"service budget": None, "Databricks limit": MAX_PARAMETER_BYTES}


@pytest.mark.parametrize("budget", list(BUDGETS))
def test_an_insert_batch_at_the_full_parameter_budget_lands_whole(
    warehouse: ContractWarehouse, budget: str
) -> None:
    """Rows cut into batches that fill the budget (RECORDS_MAX_PARAMETER_BYTES, and Databricks'
    own 1 MiB) are accepted, each batch one statement, every row landing once."""
    limit = BUDGETS[budget] or settings.RECORDS_MAX_PARAMETER_BYTES
    table = warehouse.table("budget")
    warehouse.run(sql.create_table(table, WELLS_COLUMNS))
    rows = [well(i, wellname=f"{i:05d} " + "w" * 2000) for i in range(limit // 2000 + 50)]
    statements = sql.insert_batches(table, WELLS_TABLE, rows, principal=PRINCIPAL, max_parameter_bytes=limit)
    row_bytes = len(to_json(rows[0]).encode())
    assert len(statements) >= 2
    assert limit - row_bytes <= statements[0].parameter_bytes <= limit
    inserted = sum(warehouse.run(s).dml_counts()["num_inserted_rows"] for s in statements)
    assert inserted == len(rows)
    totals = warehouse.client.execute(
        f"SELECT COUNT(*), COUNT(DISTINCT record_uuid), SUM(LENGTH(wellname)) FROM {table.quoted}"
    ).rows
    assert totals == [(len(rows), len(rows), sum(len(row["wellname"]) for row in rows))]


def test_a_batch_run_twice_lands_once(warehouse: ContractWarehouse, wells: TableName) -> None:
    """A re-delivered batch (same record_uuids) inserts nothing the second time (MERGE ... WHEN NOT MATCHED)."""
    (statement,) = sql.insert_batches(
        wells, WELLS_TABLE, [well(i) for i in range(10, 13)], principal=PRINCIPAL, max_parameter_bytes=1 << 20
    )
    assert warehouse.run(statement).dml_counts()["num_inserted_rows"] == 3
    assert warehouse.run(statement).dml_counts()["num_inserted_rows"] == 0
    stored = warehouse.rows(wells)
    assert len(stored) == 8
    assert {row["inserted_by"] for row in stored} == {PRINCIPAL}
    assert {row["is_deleted"] for row in stored} == {False}
    assert all(row["inserted_at"] is not None and row["updated_at"] is None for row in stored)


def test_every_column_type_round_trips_through_an_insert(warehouse: ContractWarehouse) -> None:
    """DECIMAL, DATE, TIMESTAMP(_NTZ), BINARY (base64), ARRAY, MAP, STRUCT and nested values land
    as sent, through from_json; a row of NULLs lands as NULLs."""
    nulls = {c.name: None for c in EVERY_TYPE} | {"id": 2, "record_uuid": str(uuid.uuid4())}
    table = warehouse.create(
        warehouse.table("every_type"),
        EVERY_TYPE,
        [EVERY_TYPE_ROW | {"record_uuid": str(uuid.uuid4())}, nulls],
    )
    stored, empty = warehouse.rows(table, order="id")
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
    assert all(empty[c.name] is None for c in EVERY_TYPE if c.name != "id")


def test_a_group_commit_lands_each_jobs_rows_with_its_own_principal(
    warehouse: ContractWarehouse, wells: TableName
) -> None:
    """ONE statement carries the rows of two jobs, each row with its job's inserted_by."""
    first, second = [well(20), well(21)], [well(22)]
    encoded = encode_grouped_rows(WELLS_TABLE, first, "alice") + encode_grouped_rows(
        WELLS_TABLE, second, "bob"
    )
    statement = grouped_insert(wells, WELLS_TABLE, encoded)
    assert warehouse.run(statement).dml_counts()["num_inserted_rows"] == 3
    assert warehouse.run(statement).dml_counts()["num_inserted_rows"] == 0
    by_api10 = {row["api10"]: row["inserted_by"] for row in warehouse.rows(wells)}
    assert [by_api10[row["api10"]] for row in (*first, *second)] == ["alice", "alice", "bob"]


def test_an_insert_into_a_table_without_record_uuid_is_a_plain_insert(warehouse: ContractWarehouse) -> None:
    """A table the service did not create (no audit columns) takes INSERT ... SELECT of the batch."""
    table = warehouse.table("plain")
    warehouse.client.execute(f"CREATE TABLE {table.quoted} (api10 BIGINT, wellname STRING)")
    columns = (Column("api10", "BIGINT"), Column("wellname", "STRING"))
    rows: list[dict[str, Any]] = [{"api10": 1, "wellname": "a"}, {"api10": 2, "wellname": None}]
    (statement,) = sql.insert_batches(table, columns, rows, principal=PRINCIPAL, max_parameter_bytes=1 << 20)
    assert statement.sql.startswith("INSERT INTO")
    assert warehouse.run(statement).dml_counts()["num_inserted_rows"] == 2
    assert warehouse.client.execute(f"SELECT * FROM {table.quoted} ORDER BY api10").rows == [
        (1, "a"),
        (2, None),
    ]
