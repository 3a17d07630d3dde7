"""Updates: the same values on rows chosen by keys or filters, or per-key values in one MERGE."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from warehouse.sql import Statement, TableName, json_rows, quote_identifier, to_json

from ..tables import Column
from .budget import split_statements
from .filters import required_filter_conditions
from .keys import keys_condition
from .values import (
    ColumnsArg,
    by_name,
    column_named,
    from_json_field,
    json_type,
    single_value,
    where,
    writable_column,
)


def _set_clause(
    updates: Mapping[str, Any], columns: Mapping[str, Column], params: dict[str, Any], principal: str
) -> list[str]:
    """``col = <typed :uN>`` for each update, then ``updated_at``/``updated_by`` when the table has them."""
    if not updates:
        raise ValueError("No columns to update")
    assignments = []
    for index, (name, value) in enumerate(updates.items()):
        column = writable_column(columns, name)
        parameter = f"u{index}"
        expression, params[parameter] = single_value(parameter, column, value)
        assignments.append(f"{quote_identifier(column.name)} = {expression}")
    return assignments + updated_audit(columns, params, principal)


def updated_audit(columns: Mapping[str, Column], params: dict[str, Any], principal: str) -> list[str]:
    """``updated_at = current_timestamp()``, ``updated_by = :principal`` for those the table has."""
    assignments = []
    if "updated_at" in columns:
        assignments.append("`updated_at` = current_timestamp()")
    if "updated_by" in columns:
        assignments.append("`updated_by` = :principal")
        params["principal"] = principal
    return assignments


def _update(
    table: TableName,
    conditions: list[str],
    updates: Mapping[str, Any],
    columns: Mapping[str, Column],
    params: dict[str, Any],
    principal: str,
) -> Statement:
    assignments = _set_clause(updates, columns, params, principal)
    return Statement(f"UPDATE {table.quoted} SET {', '.join(assignments)}{where(conditions)}", params)


def update_by_keys(
    table: TableName,
    key_column: Column,
    keys: Sequence[Any],
    updates: Mapping[str, Any],
    columns: ColumnsArg,
    principal: str,
) -> Statement:
    """``UPDATE ... SET`` the same ``updates`` on every row whose key is in ``keys``
    (a single ``key_value`` is a list of one).

    ``keys`` travel as ONE JSON parameter, so 10,000 keys are still one statement; each
    update value is one typed parameter. ``updated_at``/``updated_by`` are set when the table
    has them. ``columns`` are the table's columns. Soft-deleted rows are updated too (the
    original service's behaviour). The count is the warehouse's ``num_affected_rows``.
    """
    named = by_name(columns)
    params: dict[str, Any] = {}
    conditions = [keys_condition(column_named(named, key_column.name), keys, params)]
    return _update(table, conditions, updates, named, params, principal)


def update_by_filters(
    table: TableName,
    filters: Sequence[Mapping[str, Any]],
    updates: Mapping[str, Any],
    columns: ColumnsArg,
    principal: str,
) -> Statement:
    """``UPDATE ... SET updates WHERE <filters>`` (see ``filter_conditions``); at least one
    filter is required, so a request can never update a whole table by accident."""
    named = by_name(columns)
    conditions, params = required_filter_conditions(filters, named, "An update")
    return _update(table, conditions, updates, named, params, principal)


def update_bulk(
    table: TableName,
    key_column: Column,
    items: Sequence[Mapping[str, Any]],
    columns: ColumnsArg,
    principal: str,
) -> Statement:
    """ONE ``MERGE`` applying different ``updates`` per key: ``items`` are
    ``{"key_value", "updates"}``, all in ONE JSON parameter ``:items``.

    Each updated column has a per-row "is set" flag in the JSON, so a row keeps the values
    of the columns its item does not name (and can still set a column to NULL). Items for
    the same key are merged in order (a later item wins per column): a MERGE may not match
    one target row with two source rows. The count is ``num_updated_rows``
    (= ``num_affected_rows``): rows updated, which may exceed the keys when a key is not unique.
    """
    (statement,) = update_bulk_statements(table, key_column, items, columns, principal, None)
    return statement


def update_bulk_statements(
    table: TableName,
    key_column: Column,
    items: Sequence[Mapping[str, Any]],
    columns: ColumnsArg,
    principal: str,
    max_parameter_bytes: int | None,
) -> list[Statement]:
    """``update_bulk`` in as many statements as the budget needs (``None``: one statement).

    Items are merged per key first, so each key is in one statement and counted once."""
    if not items:
        raise ValueError("No bulk updates")
    named = by_name(columns)
    key = column_named(named, key_column.name)
    merged, targets = _merge_items(items, named)
    fields = [("k", json_type(key))]
    select = [f"{from_json_field('`k`', key)} AS `k`"]
    assignments = []
    for index, column in enumerate(targets):
        flag, value = f"s{index}", f"v{index}"
        fields += [(flag, "BOOLEAN"), (value, json_type(column))]
        select += [f"`{flag}`", f"{from_json_field(f'`{value}`', column)} AS `{value}`"]
        name = quote_identifier(column.name)
        assignments.append(f"{name} = CASE WHEN s.`{flag}` THEN s.`{value}` ELSE t.{name} END")
    rows = [_bulk_row(key_value, updates, targets) for key_value, updates in merged.values()]
    audit_params: dict[str, Any] = {}
    assignments += updated_audit(named, audit_params, principal)
    source = f"SELECT {', '.join(select)} FROM {json_rows('items', fields)}"
    sql = (
        f"MERGE INTO {table.quoted} AS t USING ({source}) AS s ON t.{quote_identifier(key.name)} = s.`k` "
        f"WHEN MATCHED THEN UPDATE SET {', '.join(assignments)}"
    )

    def build(chunk: Sequence[dict[str, Any]]) -> Statement:
        return Statement(sql, {"items": to_json(list(chunk)), **audit_params})

    if max_parameter_bytes is None:
        return [build(rows)]
    return split_statements(build, rows, "items", to_json, max_parameter_bytes)


def _bulk_row(key_value: Any, updates: Mapping[str, Any], targets: Sequence[Column]) -> dict[str, Any]:
    row: dict[str, Any] = {"k": key_value}
    for index, column in enumerate(targets):
        is_set = column.name.lower() in updates
        row[f"s{index}"] = is_set
        row[f"v{index}"] = updates.get(column.name.lower()) if is_set else None
    return row


def _merge_items(
    items: Sequence[Mapping[str, Any]], columns: Mapping[str, Column]
) -> tuple[dict[str, tuple[Any, dict[str, Any]]], list[Column]]:
    """Items merged per key (later wins per column), and the updated columns in first-seen order."""
    merged: dict[str, tuple[Any, dict[str, Any]]] = {}
    targets: dict[str, Column] = {}
    for item in items:
        updates = item["updates"]
        if not updates:
            raise ValueError("A bulk update item has no updates")
        _, so_far = merged.setdefault(to_json(item["key_value"]), (item["key_value"], {}))
        for name, value in updates.items():
            column = writable_column(columns, name)
            targets.setdefault(column.name.lower(), column)
            so_far[column.name.lower()] = value
    return merged, list(targets.values())
