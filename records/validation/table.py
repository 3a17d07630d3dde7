"""A write against the table that receives it: no column the table lacks, no disagreeing type.

A value is never dropped: a row or a ``schema_definition`` naming a column the table does not
have is a 400 naming every such column, with the table's real columns in
``details.expected_schema``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..tables import Column, is_audit_column
from .rows import SchemaValidationError
from .schema import expected_schema


def check_definition_matches(table: object, definition: Sequence[Column], columns: Sequence[Column]) -> None:
    """``schema_definition`` of a write to an existing table: its columns are the table's, with
    the table's types (``columns``: the table's writable columns)."""
    by_name = {c.name.lower(): c for c in columns}
    missing = [c.name for c in definition if c.name.lower() not in by_name]
    if missing:
        _refuse(table, missing, columns, "schema_definition names")
    for column in definition:
        actual = by_name[column.name.lower()]
        if actual.data_type != column.data_type:
            raise SchemaValidationError(
                f"Schema validation failed: Column '{column.name}' is {column.data_type} in "
                f"schema_definition but {actual.data_type} in table {table}",
                details={"column": column.name, "expected_schema": expected_schema(columns)},
            )


def check_known_columns(table: object, rows: Iterable[Any], columns: Sequence[Column]) -> None:
    """Every column a row sets is one of the table's (audit columns are left to row validation,
    which says they are the service's)."""
    known = {c.name.lower() for c in columns}
    seen: set[str] = set()
    for row in rows:
        if type(row) is dict:
            seen.update(key.lower() for key in row if isinstance(key, str))
    missing = sorted(name for name in seen - known if not is_audit_column(name))
    if missing:
        _refuse(table, missing, columns, "the rows set")


def _refuse(table: object, missing: Sequence[str], columns: Sequence[Column], where: str) -> None:
    names = ", ".join(f"'{name}'" for name in missing)
    raise SchemaValidationError(
        f"Schema validation failed: {where} column(s) {names} that table {table} does not have",
        details={"unknown_columns": list(missing), "expected_schema": expected_schema(columns)},
    )
