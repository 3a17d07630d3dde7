"""DuckDB's errors worded as Databricks words the same failure, and never as one it is not.

A DuckDB error becomes the Databricks class of the same failure where there is one (a missing
table, a NOT NULL violation, a cast, an overflow, an unknown function, ...); an error raised
by the local warehouse's own functions (``from_json``) comes back as it was raised; anything
else is ``INTERNAL_ERROR`` with DuckDB's message, not a Unity Catalog class it only resembles.
"""

from __future__ import annotations

import re

import duckdb

from .errors import (
    LocalWarehouseError,
    UnsupportedStatement,
    catalog_not_found,
    schema_not_found,
    table_not_found,
)
from .translate import CATALOG_PREFIX, Plan

_RAISED_IN_UDF = re.compile(
    r"Python exception occurred while executing the UDF: \w+: \[([A-Z0-9_.]+)\] (.*) SQLSTATE: (\w+)",
    re.DOTALL,
)
_NOT_NULL = re.compile(r"NOT NULL constraint failed: [^.\s]+\.(\S+)")
_CHECK_LENGTH = re.compile(r"CHECK\(\(length\(\"?(\w+)\"?\) <= (\d+)\)\)")
_MISSING_TABLE = re.compile(r"Table with name (\S+) does not exist")
_MISSING_SCHEMA = re.compile(r"Schema with name \"?([^\"\s!]+)\"? does not exist")
_MISSING_CATALOG = re.compile(r"Catalog \"?([^\"\s!]+)\"? does not exist")
_MISSING_FUNCTION = re.compile(r"Function with name \"?([^\"\s!]+)\"? does not exist")
_MISSING_TYPE = re.compile(r"Type with name \"?([^\"\s!]+)\"? does not exist")
_MISSING_COLUMN = re.compile(
    r'(?:Referenced column|column with name) "?([^"\s]+)"? (?:not found|does not exist)'
)
_MISSING_TARGET_COLUMN = re.compile(r'does not have a column with name "?([^"\s]+)"?')
# DuckDB's value errors (the message of a ConversionException or InvalidInputException) and
# Databricks' class, SQLSTATE and message for each: {source}/{target} are Databricks type names.
_VALUE_ERRORS: tuple[tuple[re.Pattern[str], str, str, str], ...] = (
    (
        re.compile("Division by zero"),
        "DIVIDE_BY_ZERO",
        "22012",
        "Division by zero. Use `try_divide` to tolerate divisor being 0 and return NULL instead. "
        'If necessary set "ansi_mode" to "false" to bypass this error.',
    ),
    (
        re.compile(r"Could not convert string '(?P<value>.*)' to (?P<target>\w+)", re.DOTALL),
        "CAST_INVALID_INPUT",
        "22018",
        'The value \'{value}\' of the type "STRING" cannot be cast to "{target}" because it is malformed. '
        "Correct the value as per the syntax, or change its target type. Use `try_cast` to tolerate "
        "malformed input and return NULL instead.",
    ),
    (
        # DuckDB's CSV reader casting a value itself (a cast pushed into the scan: COPY INTO).
        re.compile(
            r'Error when converting column "[^"]*"\. '
            r"Could not convert string \"(?P<value>.*?)\" to '(?P<target>[\w ]+)'"
        ),
        "CAST_INVALID_INPUT",
        "22018",
        'The value \'{value}\' of the type "STRING" cannot be cast to "{target}" because it is malformed. '
        "Correct the value as per the syntax, or change its target type. Use `try_cast` to tolerate "
        "malformed input and return NULL instead.",
    ),
    (
        re.compile(
            r"Type (?P<source>\w+) with value (?P<value>\S+) can't be cast because the value is out of "
            r"range for the destination type (?P<target>\w+)"
        ),
        "CAST_OVERFLOW",
        "22003",
        'The value {value} of the type "{source}" cannot be cast to "{target}" due to an overflow. '
        "Use `try_cast` to tolerate overflow and return NULL instead.",
    ),
    (
        re.compile(
            r'Casting value "(?P<value>.+?)" to type DECIMAL\((?P<precision>\d+),\s*(?P<scale>\d+)\) '
            "failed: value is out of range"
        ),
        "NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION",
        "22003",
        "{value} cannot be represented as Decimal({precision}, {scale}). If necessary set "
        '"spark.sql.ansi.enabled" to "false" to bypass this error, and return NULL instead.',
    ),
)
_CAST_LIKE = re.compile(r"could not (?:convert|cast|decode)|failed to cast", re.IGNORECASE)
# DuckDB's physical type names in cast messages, as Databricks names the types.
_TYPE_NAMES = {
    "INT8": "TINYINT",
    "INT16": "SMALLINT",
    "INT32": "INT",
    "INT64": "BIGINT",
    "INTEGER": "INT",
    "INT128": "DECIMAL(38,0)",
    "UINT8": "SMALLINT",
    "UINT16": "INT",
    "UINT32": "BIGINT",
    "UINT64": "DECIMAL(20,0)",
    "VARCHAR": "STRING",
    "BOOL": "BOOLEAN",
    "BLOB": "BINARY",
}


def translate_duckdb_error(error: duckdb.Error, plan: Plan) -> LocalWarehouseError:
    """Word a DuckDB error the way Databricks words the same failure."""
    text = str(error)
    first_line = _first_line(text) or type(error).__name__
    if match := _RAISED_IN_UDF.search(text):
        return LocalWarehouseError(match.group(1), match.group(2), match.group(3))
    if match := _NOT_NULL.search(text):
        return LocalWarehouseError(
            "DELTA_NOT_NULL_CONSTRAINT_VIOLATED",
            f"NOT NULL constraint violated for column: {match.group(1)}.",
            "23502",
        )
    if match := _CHECK_LENGTH.search(text):
        return LocalWarehouseError(
            "DELTA_EXCEED_CHAR_VARCHAR_LIMIT",
            "Value exceeds char/varchar type length limitation. "
            f"Failed check: (length({match.group(1)}) <= {match.group(2)}).",
            "22001",
        )
    if isinstance(error, duckdb.CatalogException):
        return _catalog_error(first_line, plan)
    if isinstance(error, duckdb.BinderException):
        if (match := _MISSING_TARGET_COLUMN.search(text)) and plan.kind.upper() == "MERGE":
            # A MERGE's INSERT naming a column the target lacks (it was dropped meanwhile).
            return LocalWarehouseError(
                "DELTA_MERGE_UNRESOLVED_EXPRESSION",
                f"Cannot resolve {match.group(1)} in INSERT clause given the target table's columns.",
                "42601",
            )
        if match := _MISSING_COLUMN.search(text) or _MISSING_TARGET_COLUMN.search(text):
            return LocalWarehouseError(
                "UNRESOLVED_COLUMN.WITH_SUGGESTION",
                f"A column, variable, or function parameter with name `{match.group(1)}` cannot be resolved.",
                "42703",
            )
        if "UNNEST() can only be applied to lists" in text and "MAP(" in text:
            return UnsupportedStatement(
                "explode/posexplode of a MAP it cannot see is one (it sees a map(...) call, "
                "a MAP parameter and from_json with a MAP schema)"
            )
    if isinstance(error, duckdb.ConversionException | duckdb.InvalidInputException) and (
        value_error := _value_error(error, first_line)
    ):
        return value_error
    if isinstance(error, duckdb.OutOfRangeException):
        return LocalWarehouseError(
            "ARITHMETIC_OVERFLOW",
            f'{first_line.split(": ", 1)[-1]} If necessary set "ansi_mode" to "false" to bypass this error.',
            "22003",
        )
    if isinstance(error, duckdb.ParserException):
        return LocalWarehouseError("PARSE_SYNTAX_ERROR", first_line, "42601")
    if isinstance(error, duckdb.ConstraintException):
        return LocalWarehouseError("DELTA_CONSTRAINT_VIOLATED", first_line, "23000")
    if isinstance(error, duckdb.TransactionException):
        return LocalWarehouseError("DELTA_CONCURRENT_TRANSACTION", first_line, "2D521")
    return _internal(first_line, plan)


def _first_line(text: str) -> str:
    """The first line of a message, with the next one when it only names the kind of error."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):
        return f"{lines[0]} {lines[1]}"
    return lines[0] if lines else ""


def _internal(first_line: str, plan: Plan) -> LocalWarehouseError:
    return LocalWarehouseError(
        "INTERNAL_ERROR", f"{first_line} (while running a {plan.kind} statement)", "XX000"
    )


def _catalog_error(first_line: str, plan: Plan) -> LocalWarehouseError:
    """A DuckDB Catalog Error: only a missing table, schema or catalog becomes one of those."""
    if match := _MISSING_TABLE.search(first_line):
        return table_not_found(match.group(1))
    if "already exists" in first_line:
        kind = "SCHEMA" if "Schema" in first_line else "TABLE_OR_VIEW"
        return LocalWarehouseError(f"{kind}_ALREADY_EXISTS", first_line.split(": ", 1)[-1], "42P07")
    if match := _MISSING_SCHEMA.search(first_line):
        return schema_not_found(match.group(1))
    if match := _MISSING_CATALOG.search(first_line):
        return catalog_not_found(f"`{match.group(1).removeprefix(CATALOG_PREFIX)}`")
    if match := _MISSING_FUNCTION.search(first_line):
        # Functions unknown to Databricks were refused before (UNRESOLVED_ROUTINE); this is one
        # of Databricks' that sqlglot does not translate into one of DuckDB's.
        return UnsupportedStatement(f"the function `{match.group(1).lower()}` (no DuckDB translation of it)")
    if match := _MISSING_TYPE.search(first_line):
        return LocalWarehouseError(
            "UNSUPPORTED_DATATYPE", f'Unsupported data type "{match.group(1)}".', "0A000"
        )
    return _internal(first_line, plan)


def _value_error(error: duckdb.Error, first_line: str) -> LocalWarehouseError | None:
    text = str(error)
    for pattern, error_class, sqlstate, template in _VALUE_ERRORS:
        if match := pattern.search(text):
            names = {
                k: _type_name(v) if k in ("source", "target") else v for k, v in match.groupdict().items()
            }
            return LocalWarehouseError(error_class, template.format(**names), sqlstate)
    if isinstance(error, duckdb.ConversionException) or _CAST_LIKE.search(first_line):
        return LocalWarehouseError("CAST_INVALID_INPUT", first_line, "22018")
    return None


def _type_name(duck_type: str) -> str:
    return _TYPE_NAMES.get(duck_type.upper(), duck_type.upper())
