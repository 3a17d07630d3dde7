"""Updates by keys, in bulk and by filters (``records.sql.update``), on the local warehouse."""

from __future__ import annotations

import decimal
from functools import partial

import pytest

from records import sql
from warehouse.client import WarehouseClient
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName

from .conftest import (
    API10,
    BY_NAME,
    CATALOG,
    EVERY_TYPE_ROW,
    EVERY_TYPE_TABLE,
    PRINCIPAL,
    assert_typed_values_landed,
    by_api10,
    create_every_type,
    run,
    select_all,
)


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


def test_keyed_changes_are_cut_into_statements_within_the_budget(
    client: WarehouseClient, wells: TableName, local_warehouse: LocalWarehouseProcess
) -> None:
    """Keys beyond one statement's budget become several statements; together they change every
    matching row once, each statement within the budget."""
    keys = [4_201_234_000 + i for i in range(2000)]
    update = partial(
        sql.update_by_keys, wells, API10, updates={"wellspacing": 80.0}, columns=BY_NAME, principal=PRINCIPAL
    )
    statements = sql.keyed_statements(update, keys, 5000)
    assert len(statements) > 5 and all(s.parameter_bytes <= 5000 for s in statements)
    assert sum(run(client, s).dml_counts()["num_affected_rows"] for s in statements) == 5
    items = [{"key_value": k, "updates": {"oileur": float(k % 100)}} for k in keys]
    items.append({"key_value": keys[1], "updates": {"gaseur": 1.0}})  # a key twice: merged first
    bulk = sql.update_bulk_statements(wells, API10, items, BY_NAME, PRINCIPAL, 6000)
    assert len(bulk) > 5 and all(s.parameter_bytes <= 6000 for s in bulk)
    assert sum(run(client, s).dml_counts()["num_affected_rows"] for s in bulk) == 5
    existing = [
        row
        for s in sql.keyed_statements(partial(sql.find_existing_keys, wells, API10), keys, 3000)
        for row in run(client, s).rows
    ]
    assert sorted(row[0] for row in existing) == sorted(keys[1:6])


def test_update_values_of_every_type_are_typed_parameters(client: WarehouseClient, schema: str) -> None:
    """Update values of each type (strings cast, base64 decoded, JSON for complex types, NULL) land as sent."""
    table = create_every_type(client, schema, [{"id": 1, "record_uuid": "u-1"}])
    columns = EVERY_TYPE_TABLE
    updates = {k: v for k, v in EVERY_TYPE_ROW.items() if k != "id"}
    statement = sql.update_by_keys(table, columns[0], [1], updates, columns, PRINCIPAL)
    assert run(client, statement).dml_counts() == {"num_affected_rows": 1}
    (stored,) = select_all(client, table, order="id")
    assert_typed_values_landed(stored)
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
