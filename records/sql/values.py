"""How values travel: column types in ``from_json`` schemas, typed parameters, checked names.

How values travel in JSON (rows of an insert, keys, bulk updates, ``in`` lists): integers,
floating point numbers, booleans and strings as JSON values typed by the struct schema;
DECIMAL, DATE, TIMESTAMP and TIMESTAMP_NTZ as strings, ``CAST`` to the column's type in SQL
(so a bad value is a loud ``CAST_INVALID_INPUT``); BINARY as base64 strings, decoded with
``unbase64``; ARRAY, MAP and STRUCT as JSON values typed by the struct schema. ``from_json``
runs in ``FAILFAST`` mode: a value that does not fit its field fails the statement instead
of silently becoming NULL. A single value (an update value, a filter value) is one typed
parameter: ``CAST(:u0 AS type)``, ``unbase64(:u0)``, or for ARRAY/MAP/STRUCT a JSON
parameter read as ``from_json(:u0, 'STRUCT<v: type>').v``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from warehouse.sql import FAILFAST, IDENTIFIER_PATTERN, json_rows, quote_identifier, struct_type, to_json

from ..tables import Column, is_audit_column

# Types that travel as JSON strings and are CAST to the column type in SQL.
CAST_FROM_STRING = frozenset(
    {"DECIMAL", "NUMERIC", "DEC", "DATE", "TIMESTAMP", "TIMESTAMP_NTZ", "TIMESTAMP_LTZ"}
)
STRING_TYPES = frozenset({"STRING", "VARCHAR", "CHAR"})
COMPLEX_TYPES = frozenset({"ARRAY", "MAP", "STRUCT"})

# A type name: words, numbers, backticked struct field names and <>(),: punctuation only.
_TYPE_TOKENS = re.compile(rf"(?:{IDENTIFIER_PATTERN}|\d+|`[^`'\\\r\n]+`|[<>(),:]|[ ]+)+")

ColumnsArg = Mapping[str, Column] | Iterable[Column]


def checked_type(data_type: str) -> str:
    """The type text, if it can only ever be read as a type (no quotes, balanced brackets)."""
    if not isinstance(data_type, str) or not _TYPE_TOKENS.fullmatch(data_type):
        raise ValueError(f"Invalid data type: {data_type!r}")
    depth = 0
    for char in re.sub(r"`[^`]*`", "", data_type):
        depth += char in "<("
        depth -= char in ">)"
        if depth < 0:
            raise ValueError(f"Invalid data type: {data_type!r}")
    if depth:
        raise ValueError(f"Invalid data type: {data_type!r}")
    return data_type.strip()


def base_type(column: Column) -> str:
    return column.base_type.strip().upper()


def json_type(column: Column) -> str:
    """The type of ``column``'s field in a ``from_json`` struct schema."""
    base = base_type(column)
    if base in CAST_FROM_STRING or base in STRING_TYPES or base == "BINARY":
        return "STRING"
    return checked_type(column.data_type)


def from_json_field(expression: str, column: Column) -> str:
    """SQL turning a field read with ``json_type`` into a value of ``column``'s type."""
    base = base_type(column)
    if base in CAST_FROM_STRING:
        return f"CAST({expression} AS {checked_type(column.data_type)})"
    if base == "BINARY":
        return f"unbase64({expression})"
    return expression


def single_value(parameter: str, column: Column, value: Any) -> tuple[str, Any]:
    """SQL reading one value of ``column``'s type from parameter ``parameter``, and that value."""
    base = base_type(column)
    if base in COMPLEX_TYPES:
        # A one-field struct reads every complex type the same way (a top-level ARRAY or MAP
        # schema would need its own spelling), so all of them take that path.
        schema = struct_type([("v", checked_type(column.data_type))])
        return f"from_json(:{parameter}, '{schema}', {FAILFAST}).`v`", to_json({"v": value})
    if base == "BINARY":
        if isinstance(value, bytes | bytearray):
            value = base64.b64encode(value).decode("ascii")
        return f"unbase64(:{parameter})", value
    if base in STRING_TYPES:
        return f"CAST(:{parameter} AS STRING)", value
    return f"CAST(:{parameter} AS {checked_type(column.data_type)})", value


def values_subquery(parameter: str, column: Column, values: Sequence[Any]) -> tuple[str, str]:
    """``SELECT <value> FROM inline(...)``: the values of one JSON parameter, typed as ``column``."""
    source = json_rows(parameter, [("v", json_type(column))])
    subquery = f"SELECT {from_json_field('`v`', column)} FROM {source}"
    return subquery, to_json([{"v": value} for value in values])


def by_name(columns: ColumnsArg) -> dict[str, Column]:
    """Columns by lower-case name (Databricks names are case-insensitive)."""
    values: Iterable[Column] = columns.values() if isinstance(columns, Mapping) else columns
    found: dict[str, Column] = {}
    for column in values:
        quote_identifier(column.name)
        found[column.name.lower()] = column
    return found


def column_named(columns: Mapping[str, Column], name: str) -> Column:
    quote_identifier(name)
    column = columns.get(name.lower())
    if column is None:
        raise ValueError(f"Unknown column: {name!r}")
    return column


def writable_column(columns: Mapping[str, Column], name: str) -> Column:
    """``column_named``, refusing the audit columns the service sets itself."""
    column = column_named(columns, name)
    if is_audit_column(column.name):
        raise ValueError(f"Column {column.name!r} is set by the service")
    return column


def where(conditions: Sequence[str]) -> str:
    return " WHERE " + " AND ".join(conditions) if conditions else ""


def not_deleted(alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return f"({prefix}`is_deleted` IS NULL OR {prefix}`is_deleted` = false)"


def deleted_guard(columns: Mapping[str, Column]) -> str:
    """``not_deleted()``, for a table that has ``is_deleted`` (``ValueError`` otherwise)."""
    if "is_deleted" not in columns:
        raise ValueError("The table has no is_deleted column")
    return not_deleted()
