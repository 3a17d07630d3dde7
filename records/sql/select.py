"""Reads: a page of rows in a total order, and the count with the same WHERE."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from warehouse.sql import Statement, TableName, quote_identifier

from ..tables import Column
from .filters import filter_conditions
from .values import COMPLEX_TYPES, ColumnsArg, base_type, by_name, column_named, deleted_guard, where


def _read_conditions(
    filters: Sequence[Mapping[str, Any]] | None, columns: Mapping[str, Column], exclude_deleted: bool
) -> tuple[list[str], dict[str, Any]]:
    conditions, params = filter_conditions(filters, columns)
    if exclude_deleted:
        conditions.append(deleted_guard(columns))
    return conditions, params


def _order_by(columns: Mapping[str, Column]) -> str:
    """A total, stable order for LIMIT/OFFSET pages (see ``select_rows``)."""
    if "record_uuid" in columns:
        keys = ["`inserted_at`", "`record_uuid`"] if "inserted_at" in columns else ["`record_uuid`"]
    else:
        keys = [quote_identifier(c.name) for c in columns.values() if base_type(c) not in COMPLEX_TYPES]
    return ", ".join(f"{key} ASC NULLS FIRST" for key in keys)


def select_rows(
    table: TableName,
    columns: Sequence[str] | None,
    filters: Sequence[Mapping[str, Any]] | None,
    limit: int,
    offset: int,
    *,
    exclude_deleted: bool,
    table_columns: ColumnsArg,
) -> Statement:
    """``SELECT columns FROM table WHERE <filters> ORDER BY ... LIMIT :limit OFFSET :offset``.

    ``columns`` ``None`` (or empty) means all (``*``); named columns must be in
    ``table_columns`` (the table's columns). ``exclude_deleted`` adds
    ``(is_deleted IS NULL OR is_deleted = false)``.

    Order: a Delta table has none, and LIMIT/OFFSET pages without a total order may repeat
    or skip rows. Tables with audit columns are read by ``inserted_at, record_uuid``: unique,
    so pages are disjoint, and rows inserted while a client pages through land after the
    rows it has seen. A table without ``record_uuid`` is ordered by all its non-complex
    columns (pages then only tie between fully identical rows). NULLs first, explicitly.
    """
    if not isinstance(limit, int) or not isinstance(offset, int) or limit < 0 or offset < 0:
        raise ValueError("limit and offset must be non-negative integers")
    named = by_name(table_columns)
    selected = "*"
    if columns:
        selected = ", ".join(quote_identifier(column_named(named, name).name) for name in columns)
    conditions, params = _read_conditions(filters, named, exclude_deleted)
    order = _order_by(named)
    order_by = f" ORDER BY {order}" if order else ""
    params |= {"limit": limit, "offset": offset}
    return Statement(
        f"SELECT {selected} FROM {table.quoted}{where(conditions)}{order_by} LIMIT :limit OFFSET :offset",
        params,
    )


def count_rows(
    table: TableName,
    filters: Sequence[Mapping[str, Any]] | None,
    *,
    exclude_deleted: bool,
    table_columns: ColumnsArg,
) -> Statement:
    """``SELECT COUNT(*) AS total`` with the same WHERE as ``select_rows`` (the read's ``total``)."""
    named = by_name(table_columns)
    conditions, params = _read_conditions(filters, named, exclude_deleted)
    return Statement(f"SELECT COUNT(*) AS `total` FROM {table.quoted}{where(conditions)}", params)
