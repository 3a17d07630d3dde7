"""Tables: ``CREATE TABLE`` with the audit columns, ``DESCRIBE TABLE``, ``SHOW SCHEMAS``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from warehouse.sql import Statement, TableName, quote_identifier

from ..tables import AUDIT_COLUMNS, Column
from .values import checked_type


def with_audit_columns(columns: Iterable[Column]) -> tuple[Column, ...]:
    """The user's columns followed by the 8 audit columns (what ``create_table`` creates)."""
    return (*columns, *AUDIT_COLUMNS)


def create_table(table: TableName, columns: Sequence[Column]) -> Statement:
    """``CREATE TABLE IF NOT EXISTS`` with ``columns`` (NOT NULL where not nullable), the 8
    audit columns, ``USING DELTA``. Audit column names in ``columns`` are a ``ValueError``."""
    if not columns:
        raise ValueError("A table needs at least one column")
    seen: set[str] = set()
    definitions = []
    for column in with_audit_columns(columns):
        if column.name.lower() in seen:
            raise ValueError(
                f"Column {column.name!r} is defined twice (audit columns are added by the service)"
            )
        seen.add(column.name.lower())
        not_null = "" if column.nullable else " NOT NULL"
        definitions.append(f"{quote_identifier(column.name)} {checked_type(column.data_type)}{not_null}")
    return Statement(f"CREATE TABLE IF NOT EXISTS {table.quoted} ({', '.join(definitions)}) USING DELTA")


def describe_table(table: TableName) -> Statement:
    """``DESCRIBE TABLE``: rows of ``col_name, data_type, comment``."""
    return Statement(f"DESCRIBE TABLE {table.quoted}")


def parse_describe(rows: Iterable[Sequence[Any]]) -> list[tuple[str, str]]:
    """``(name, type text)`` of each column from ``DESCRIBE TABLE`` rows, stopping at the
    first empty or ``#`` row (Databricks appends ``# Partition Information`` and the like)."""
    columns: list[tuple[str, str]] = []
    for row in rows:
        name = (row[0] or "").strip() if row else ""
        if not name or name.startswith("#"):
            break
        columns.append((name, str(row[1] or "").strip()))
    return columns


def show_schemas(catalog: str) -> Statement:
    """``SHOW SCHEMAS IN catalog``: one row per schema, its name first."""
    return Statement(f"SHOW SCHEMAS IN {quote_identifier(catalog)}")
