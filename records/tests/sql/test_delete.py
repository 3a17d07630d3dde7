"""Soft and hard deletes by keys and by filters (``records.sql.delete``), on the local warehouse."""

from __future__ import annotations

import pytest

from records import sql
from records.tables import Column
from warehouse.client import WarehouseClient
from warehouse.sql import TableName

from .conftest import API10, BY_NAME, CATALOG, PRINCIPAL, by_api10, run, select_all


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
