"""Deletes: soft (``is_deleted`` and the audit columns set) or hard, by keys or filters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from warehouse.sql import Statement, TableName

from ..tables import Column
from .filters import required_filter_conditions
from .keys import keys_condition
from .update import updated_audit
from .values import ColumnsArg, by_name, column_named, deleted_guard, where


def _soft_delete(
    table: TableName,
    conditions: list[str],
    columns: Mapping[str, Column],
    params: dict[str, Any],
    principal: str,
) -> Statement:
    conditions.append(deleted_guard(columns))
    assignments = ["`is_deleted` = true"]
    if "deleted_at" in columns:
        assignments.append("`deleted_at` = current_timestamp()")
    if "deleted_by" in columns:
        assignments.append("`deleted_by` = :principal")
        params["principal"] = principal
    assignments += updated_audit(columns, params, principal)
    return Statement(f"UPDATE {table.quoted} SET {', '.join(assignments)}{where(conditions)}", params)


def soft_delete_by_keys(
    table: TableName, key_column: Column, keys: Sequence[Any], columns: ColumnsArg, principal: str
) -> Statement:
    """Soft delete the rows whose key is in ``keys`` (ONE JSON parameter): ``is_deleted = true``,
    ``deleted_at/by`` and ``updated_at/by`` set where the table (``columns``) has them, only on
    rows not already deleted (so the count, ``num_affected_rows``, is the rows this statement
    deleted)."""
    named = by_name(columns)
    params: dict[str, Any] = {}
    conditions = [keys_condition(column_named(named, key_column.name), keys, params)]
    return _soft_delete(table, conditions, named, params, principal)


def soft_delete_by_filters(
    table: TableName, filters: Sequence[Mapping[str, Any]], columns: ColumnsArg, principal: str
) -> Statement:
    """Soft delete the rows matching ``filters`` (at least one), as ``soft_delete_by_keys``."""
    named = by_name(columns)
    conditions, params = required_filter_conditions(filters, named, "A delete")
    return _soft_delete(table, conditions, named, params, principal)


def hard_delete_by_keys(table: TableName, key_column: Column, keys: Sequence[Any]) -> Statement:
    """``DELETE`` every row whose key is in ``keys`` (soft-deleted or not); ``num_affected_rows``."""
    params: dict[str, Any] = {}
    condition = keys_condition(key_column, keys, params)
    return Statement(f"DELETE FROM {table.quoted} WHERE {condition}", params)


def hard_delete_by_filters(
    table: TableName, filters: Sequence[Mapping[str, Any]], columns: ColumnsArg
) -> Statement:
    """``DELETE`` every row matching ``filters`` (at least one: never a whole table by accident)."""
    conditions, params = required_filter_conditions(filters, by_name(columns), "A delete")
    return Statement(f"DELETE FROM {table.quoted}{where(conditions)}", params)
