"""Tables: ``CREATE TABLE`` with the audit columns, a table's columns, ``SHOW SCHEMAS``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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


def table_columns(table: TableName) -> Statement:
    """A table's columns in order: ``column_name, full_data_type, is_nullable`` ('YES'/'NO').

    From the catalog's ``information_schema`` rather than ``DESCRIBE TABLE``, which does not
    say which columns are NOT NULL. Unity Catalog keeps names lower case; no row means no table.
    """
    return Statement(
        "SELECT `column_name`, `full_data_type`, `is_nullable` "
        f"FROM {quote_identifier(table.catalog)}.`information_schema`.`columns` "
        "WHERE `table_schema` = :schema AND `table_name` = :table ORDER BY `ordinal_position`",
        {"schema": table.schema.lower(), "table": table.table.lower()},
    )


def show_schemas(catalog: str) -> Statement:
    """``SHOW SCHEMAS IN catalog``: one row per schema, its name first."""
    return Statement(f"SHOW SCHEMAS IN {quote_identifier(catalog)}")
