"""Rows chosen by key: the ``key IN (...)`` condition and the ``not_found`` lookup."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from warehouse.sql import Statement, TableName, json_rows, quote_identifier, to_json

from ..tables import Column
from .budget import split_statements
from .values import from_json_field, json_type, values_subquery


def keys_condition(key_column: Column, keys: Sequence[Any], params: dict[str, Any]) -> str:
    """``key IN (SELECT ... FROM inline(from_json(:keys, ...)))``: all keys in ONE parameter."""
    subquery, params["keys"] = values_subquery("keys", key_column, keys)
    return f"{quote_identifier(key_column.name)} IN ({subquery})"


def find_existing_keys(table: TableName, key_column: Column, keys: Sequence[Any]) -> Statement:
    """One keyed lookup: which of ``keys`` are in the table (for ``not_found``).

    Each result row is ``(key,)``, the key exactly as it was sent (the JSON value, before any
    CAST: ``"2024-03-10T12:30:15+00:00"`` for a TIMESTAMP key, ``4201234567`` for a BIGINT),
    once per distinct existing key; ``keys_not_found`` turns the rows into the ``not_found``
    list. Run it before the update or delete: after a hard delete every key is gone.

    Soft-deleted rows count as existing. That keeps ``count`` and ``not_found`` consistent:
    an update touches soft-deleted rows, and a soft delete of an already deleted key reports
    it neither deleted (count) nor missing, so a job that runs twice answers the same
    ``not_found`` both times.
    """
    fields = [("v", json_type(key_column))]
    source = (
        f"SELECT `v` AS `key`, {from_json_field('`v`', key_column)} AS `v` FROM {json_rows('keys', fields)}"
    )
    lookup = f"SELECT {quote_identifier(key_column.name)} FROM {table.quoted}"
    return Statement(
        f"SELECT DISTINCT k.`key` FROM ({source}) AS k WHERE k.`v` IN ({lookup})",
        {"keys": to_json([{"v": key} for key in keys])},
    )


def key_json(key: Any) -> str:
    """A key as it travels in a keys parameter (one element of ``[{"v": key}, ...]``)."""
    return to_json({"v": key})


def keyed_statements(
    build: Callable[[Sequence[Any]], Statement], keys: Sequence[Any], max_parameter_bytes: int
) -> list[Statement]:
    """``build`` (a keyed builder with every argument but the keys bound) once per run of
    ``keys`` that fits the parameter budget: an update, a delete or a lookup by 100,000 keys."""
    return split_statements(build, keys, "keys", key_json, max_parameter_bytes)


def keys_not_found(keys: Sequence[Any], rows: Iterable[Sequence[Any]]) -> list[Any]:
    """The ``keys`` (in request order, each once) absent from ``find_existing_keys``' rows."""
    present = {to_json(_plain(row[0])) for row in rows}
    missing: list[Any] = []
    seen: set[str] = set()
    for key in keys:
        identity = to_json(key)
        if identity not in present and identity not in seen:
            missing.append(key)
        seen.add(identity)
    return missing


def _plain(value: Any) -> Any:
    """A result value as the plain JSON value it was sent as (arrays come back as numpy)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return value
