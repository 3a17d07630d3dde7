"""A client's ``schema_definition``: the columns of a table to create."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from common.errors import ApiError

from ..tables import AUDIT_COLUMN_NAMES, Column, is_audit_column
from .identifiers import validate_identifier
from .types import InvalidDataType, normalize_type


class InvalidSchemaDefinition(ApiError):
    """A schema_definition that is empty, repeats a column or names an audit column."""


def parse_schema_definition(items: Iterable[Mapping[str, Any]]) -> tuple[Column, ...]:
    """Columns from the seed's ``schema_definition`` (``name``, ``data_type``, ``nullable``).

    Names must be identifiers, unique (case-insensitively) and not audit columns, which the
    service adds itself; types are normalized."""
    columns: list[Column] = []
    seen: set[str] = set()
    for item in items:
        name = validate_identifier(item.get("name", ""), "column")
        if is_audit_column(name):
            raise InvalidSchemaDefinition(
                f"Column '{name}' is an audit column the service adds; remove it from schema_definition",
                details={"column": name, "audit_columns": sorted(AUDIT_COLUMN_NAMES)},
            )
        if name.lower() in seen:
            raise InvalidSchemaDefinition(f"Duplicate column name: '{name}'", details={"column": name})
        seen.add(name.lower())
        try:
            data_type = normalize_type(item.get("data_type", ""))
        except InvalidDataType as error:
            raise InvalidDataType(error.message, details={"column": name, **error.details}) from None
        nullable = item.get("nullable", True)
        if not isinstance(nullable, bool):
            raise InvalidSchemaDefinition(f"Column '{name}': nullable must be true or false")
        columns.append(Column(name, data_type, nullable))
    if not columns:
        raise InvalidSchemaDefinition("schema_definition must list at least one column")
    return tuple(columns)


def expected_schema(columns: Iterable[Column]) -> list[dict[str, Any]]:
    """``details.expected_schema`` of a schema error, as the seed shows it."""
    return [{"name": c.name, "type": c.data_type, "nullable": c.nullable} for c in columns]
