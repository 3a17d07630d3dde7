"""Contract: every update and delete form, and the keyed lookup behind ``not_found``
(``records.sql.update``, ``records.sql.delete``, ``records.sql.keys``)."""

from __future__ import annotations

from typing import Any

from records import sql
from warehouse.sql import TableName

from ..sql.conftest import API10, BY_NAME, PRINCIPAL
from .conftest import ContractWarehouse

MISSING = 4_201_234_999


def by_api10(warehouse: ContractWarehouse, table: TableName) -> dict[int, dict[str, Any]]:
    return {row["api10"]: row for row in warehouse.rows(table)}


def test_an_update_by_keys_sets_the_values_and_updated_at_by(
    warehouse: ContractWarehouse, wells: TableName
) -> None:
    """The keys' rows get the values (one typed parameter each) and updated_at/by; the count is theirs."""
    keys = [4_201_234_001, 4_201_234_002, MISSING]
    statement = sql.update_by_keys(wells, API10, keys, {"oileur": 1.5, "spuddate": None}, BY_NAME, PRINCIPAL)
    assert warehouse.run(statement).dml_counts()["num_affected_rows"] == 2
    rows = by_api10(warehouse, wells)
    assert [(rows[k]["oileur"], rows[k]["spuddate"], rows[k]["updated_by"]) for k in keys[:2]] == [
        (1.5, None, PRINCIPAL)
    ] * 2
    assert rows[4_201_234_001]["updated_at"] is not None and rows[4_201_234_003]["updated_at"] is None


def test_an_update_by_filters_changes_the_matching_rows(
    warehouse: ContractWarehouse, wells: TableName
) -> None:
    """UPDATE ... WHERE <filters> touches the rows they match and counts them."""
    filters: list[dict[str, Any]] = [
        {"column": "oileur", "op": ">", "value": 103_500},
        {"column": "wellname", "op": "like", "value": "%-15H"},
    ]
    statement = sql.update_by_filters(wells, filters, {"gaseur": 7.25}, BY_NAME, PRINCIPAL)
    assert warehouse.run(statement).dml_counts()["num_affected_rows"] == 2
    assert [row["gaseur"] == 7.25 for row in warehouse.rows(wells)] == [False, False, False, True, True]


def test_a_bulk_update_applies_each_keys_own_values_in_one_merge(
    warehouse: ContractWarehouse, wells: TableName
) -> None:
    """ONE MERGE sets per-key values; a column an item does not name keeps its value, and NULL can be set."""
    items = [
        {"key_value": 4_201_234_001, "updates": {"oileur": 1.0}},
        {"key_value": 4_201_234_002, "updates": {"gaseur": None, "wellname": "RENAMED"}},
        {"key_value": MISSING, "updates": {"oileur": 3.0}},
    ]
    (statement,) = sql.update_bulk_statements(wells, API10, items, BY_NAME, PRINCIPAL, 1 << 20)
    assert statement.sql.startswith("MERGE INTO")
    counts = warehouse.run(statement).dml_counts()
    assert (counts["num_updated_rows"], counts["num_affected_rows"]) == (2, 2)
    rows = by_api10(warehouse, wells)
    assert (rows[4_201_234_001]["oileur"], rows[4_201_234_001]["gaseur"]) == (1.0, 450_000.75)
    assert (rows[4_201_234_002]["gaseur"], rows[4_201_234_002]["wellname"]) == (None, "RENAMED")
    assert rows[4_201_234_002]["oileur"] == 102_000.0 and rows[4_201_234_002]["updated_by"] == PRINCIPAL


def test_a_soft_delete_by_keys_marks_rows_once(warehouse: ContractWarehouse, wells: TableName) -> None:
    """is_deleted and deleted_at/by are set on the keys' rows not yet deleted; again, the count is 0."""
    statement = sql.soft_delete_by_keys(wells, API10, [4_201_234_001, MISSING], BY_NAME, PRINCIPAL)
    assert warehouse.run(statement).dml_counts()["num_affected_rows"] == 1
    assert warehouse.run(statement).dml_counts()["num_affected_rows"] == 0
    deleted = by_api10(warehouse, wells)[4_201_234_001]
    assert (deleted["is_deleted"], deleted["deleted_by"], deleted["updated_by"]) == (
        True,
        PRINCIPAL,
        PRINCIPAL,
    )
    assert deleted["deleted_at"] is not None


def test_a_soft_delete_by_filters_marks_the_matching_rows(
    warehouse: ContractWarehouse, wells: TableName
) -> None:
    """Rows matching the filters are soft deleted; the others keep is_deleted false."""
    filters = [{"column": "api10", "op": "in", "value": [4_201_234_004, 4_201_234_005]}]
    statement = sql.soft_delete_by_filters(wells, filters, BY_NAME, PRINCIPAL)
    assert warehouse.run(statement).dml_counts()["num_affected_rows"] == 2
    assert [row["is_deleted"] for row in warehouse.rows(wells)] == [False, False, False, True, True]


def test_a_hard_delete_by_keys_removes_the_rows(warehouse: ContractWarehouse, wells: TableName) -> None:
    """DELETE removes the keys' rows, soft-deleted or not, and counts them."""
    warehouse.run(sql.soft_delete_by_keys(wells, API10, [4_201_234_001], BY_NAME, PRINCIPAL))
    statement = sql.hard_delete_by_keys(wells, API10, [4_201_234_001, 4_201_234_002, MISSING])
    assert warehouse.run(statement).dml_counts()["num_affected_rows"] == 2
    assert sorted(by_api10(warehouse, wells)) == [4_201_234_003, 4_201_234_004, 4_201_234_005]


def test_a_hard_delete_by_filters_removes_the_matching_rows(
    warehouse: ContractWarehouse, wells: TableName
) -> None:
    """DELETE ... WHERE <filters> removes what they match."""
    filters: list[dict[str, Any]] = [
        {"column": "oileur", "op": "<=", "value": 102_000},
        {"column": "spuddate", "op": "is not null"},
    ]
    assert (
        warehouse.run(sql.hard_delete_by_filters(wells, filters, BY_NAME)).dml_counts()["num_affected_rows"]
        == 2
    )
    assert sorted(by_api10(warehouse, wells)) == [4_201_234_003, 4_201_234_004, 4_201_234_005]


def test_the_keyed_lookup_answers_the_keys_that_exist_as_sent(
    warehouse: ContractWarehouse, wells: TableName
) -> None:
    """One lookup answers the existing keys (soft-deleted ones too); keys_not_found keeps the rest in order."""
    warehouse.run(sql.soft_delete_by_keys(wells, API10, [4_201_234_003], BY_NAME, PRINCIPAL))
    keys = [MISSING, 4_201_234_003, 4_201_234_001, MISSING, 4_201_234_998]
    rows = warehouse.run(sql.find_existing_keys(wells, API10, keys)).rows
    assert sorted(row[0] for row in rows) == [4_201_234_001, 4_201_234_003]
    assert sql.keys_not_found(keys, rows) == [MISSING, 4_201_234_998]
