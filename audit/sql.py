"""All SQL text of the audit app: the warehouse's ``api_log`` table and the batch that fills it.

Identifiers (log catalog and schema) are validated and backtick-quoted; values only travel as
named parameters. A batch of rows is ONE JSON parameter expanded with
``inline(from_json(:rows, 'ARRAY<STRUCT<...>>'))``, so a statement has two parameters at most
whatever the batch size.
"""

# Identifiers are validated and quoted; values are parameters: f-strings build no values.
# ruff: noqa: S608

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

TABLE = "api_log"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# The seed's 15 columns and their warehouse types, in order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("log_id", "STRING"),
    ("timestamp", "TIMESTAMP"),
    ("level", "STRING"),
    ("endpoint", "STRING"),
    ("method", "STRING"),
    ("status_code", "INT"),
    ("error_type", "STRING"),
    ("error_message", "STRING"),
    ("stack_trace", "STRING"),
    ("request_body", "STRING"),
    ("user", "STRING"),
    ("catalog", "STRING"),
    ("schema", "STRING"),
    ("table_name", "STRING"),
    ("execution_time_ms", "DOUBLE"),
)
# Timestamps travel as JSON strings and are CAST in SQL.
_JSON_TYPES = {"TIMESTAMP": "STRING"}


def quote_identifier(name: str) -> str:
    """``name`` backtick-quoted, if it is a valid identifier; ``ValueError`` otherwise."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"Invalid identifier: {name!r}")
    return f"`{name}`"


def log_table(catalog: str, schema: str) -> str:
    return f"{quote_identifier(catalog)}.{quote_identifier(schema)}.{quote_identifier(TABLE)}"


def create_table(catalog: str, schema: str) -> str:
    """``CREATE TABLE IF NOT EXISTS`` the log table with the seed's column types (Delta)."""
    columns = ", ".join(f"{quote_identifier(name)} {type_}" for name, type_ in COLUMNS)
    return f"CREATE TABLE IF NOT EXISTS {log_table(catalog, schema)} ({columns}) USING DELTA"


def merge_rows(catalog: str, schema: str, rows: Sequence[Mapping[str, Any]]) -> tuple[str, dict[str, Any]]:
    """One statement inserting ``rows`` whose ``log_id`` is not in the table yet.

    The ``MERGE ... WHEN NOT MATCHED`` makes shipping a batch twice (a crash after the write,
    before the rows were marked shipped) land it once.
    """
    struct = ", ".join(f"{quote_identifier(n)}: {_JSON_TYPES.get(t, t)}" for n, t in COLUMNS)
    select = ", ".join(_select_column(n, t) for n, t in COLUMNS)
    targets = ", ".join(quote_identifier(n) for n, _ in COLUMNS)
    values = ", ".join(f"s.{quote_identifier(n)}" for n, _ in COLUMNS)
    sql = (
        f"MERGE INTO {log_table(catalog, schema)} AS t "
        f"USING (SELECT {select} FROM inline(from_json(:rows, 'ARRAY<STRUCT<{struct}>>'))) AS s "
        "ON t.`log_id` = s.`log_id` "
        f"WHEN NOT MATCHED THEN INSERT ({targets}) VALUES ({values})"
    )
    return sql, {"rows": json.dumps(list(rows), ensure_ascii=False, separators=(",", ":"))}


def _select_column(name: str, type_: str) -> str:
    if type_ in _JSON_TYPES:
        return f"CAST({quote_identifier(name)} AS {type_}) AS {quote_identifier(name)}"
    return quote_identifier(name)
