"""Which keys exist, and which were not found (``records.sql.keys``), on the local warehouse."""

from __future__ import annotations

from records import sql
from records.tables import Column
from warehouse.client import WarehouseClient
from warehouse.sql import TableName

from .conftest import API10, BY_NAME, CATALOG, PRINCIPAL, insert, run


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
    insert(client, table, sql.with_audit_columns(columns), [row])
    at_keys = ["2024-03-10T12:30:15+00:00", "2024-03-10T12:30:16+00:00"]
    rows = run(client, sql.find_existing_keys(table, columns[0], at_keys)).rows
    assert rows == [("2024-03-10T12:30:15+00:00",)]
    assert sql.keys_not_found(at_keys, rows) == ["2024-03-10T12:30:16+00:00"]
    amount_rows = run(client, sql.find_existing_keys(table, columns[1], ["1.50", "2.00"])).rows
    assert sql.keys_not_found(["1.50", "2.00"], amount_rows) == ["2.00"]
