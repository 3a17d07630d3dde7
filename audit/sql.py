"""All SQL text of the audit app: the warehouse's ``api_log`` table and the batch that fills it.

The log's catalog and schema are validated and backtick-quoted; values only travel as named
parameters. A batch of rows is ONE JSON parameter (``warehouse.sql.json_rows``), so a
statement has one parameter whatever the batch size, cut into several statements when its
bytes exceed the parameter budget.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings

from warehouse.sql import (
    Statement,
    TableName,
    json_array_chunks,
    json_rows,
    merge_new_rows,
    quote_identifier,
    to_json,
)

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


def log_table(catalog: str, schema: str) -> TableName:
    # The name is a setting (DATABRICKS_LOG_TABLE) because access control protects this table.
    return TableName(catalog, schema, settings.DATABRICKS_LOG_TABLE)


def create_table(catalog: str, schema: str) -> Statement:
    """``CREATE TABLE IF NOT EXISTS`` the log table with the seed's column types (Delta)."""
    columns = ", ".join(f"{quote_identifier(name)} {type_}" for name, type_ in COLUMNS)
    return Statement(
        f"CREATE TABLE IF NOT EXISTS {log_table(catalog, schema).quoted} ({columns}) USING DELTA"
    )


def merge_rows(
    catalog: str, schema: str, rows: Sequence[Mapping[str, Any]], max_parameter_bytes: int
) -> list[Statement]:
    """Statements inserting ``rows`` whose ``log_id`` is not in the table yet, as few as the
    parameter budget allows (``ParameterTooLarge`` for a row that cannot fit alone).

    Shipping a batch twice (a crash after the write, before the rows were marked shipped)
    lands it once.
    """
    fields = [(name, _JSON_TYPES.get(type_, type_)) for name, type_ in COLUMNS]
    select = ", ".join(_select_column(name, type_) for name, type_ in COLUMNS)
    sql = merge_new_rows(
        log_table(catalog, schema),
        source=f"SELECT {select} FROM {json_rows('rows', fields)}",
        key="log_id",
        columns=[quote_identifier(name) for name, _ in COLUMNS],
        values=[f"s.{quote_identifier(name)}" for name, _ in COLUMNS],
    )
    encoded = (to_json(row) for row in rows)
    return [Statement(sql, {"rows": chunk}) for chunk, _ in json_array_chunks(encoded, max_parameter_bytes)]


def _select_column(name: str, type_: str) -> str:
    if type_ in _JSON_TYPES:
        return f"CAST({quote_identifier(name)} AS {type_}) AS {quote_identifier(name)}"
    return quote_identifier(name)
