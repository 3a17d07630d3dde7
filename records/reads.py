"""Synchronous reads: a page of rows and the total, as the original read endpoint answered."""

from __future__ import annotations

import base64
import datetime
import decimal
from typing import Any

from warehouse.client import get_client
from warehouse.sql import TableName

from . import sql
from .catalog import require_table
from .validation.filters import known_column, validate_filters


def records_read(
    *,
    catalog: str,
    schema: str,
    table: str,
    limit: int,
    offset: int,
    columns: list[str] | None,
    filters: list[dict[str, Any]],
    include_deleted: bool = False,
) -> dict[str, Any]:
    """``{"data": [...], "count": n, "total": N}``; soft-deleted rows excluded unless asked for."""
    name = TableName(catalog, schema, table)
    by_name = {c.name.lower(): c for c in require_table(name)}
    filters = validate_filters(by_name, filters)
    for column in columns or []:
        known_column(by_name, column)
    exclude_deleted = not include_deleted and "is_deleted" in by_name
    select = sql.select_rows(
        name, columns, filters, limit, offset, exclude_deleted=exclude_deleted, table_columns=by_name
    )
    count = sql.count_rows(name, filters, exclude_deleted=exclude_deleted, table_columns=by_name)
    client = get_client()
    rows = client.execute(select.sql, select.params).as_dicts()
    total = client.execute(count.sql, count.params).rows[0][0]
    data = [{key: json_value(value) for key, value in row.items()} for row in rows]
    return {"data": data, "count": len(data), "total": int(total)}


def json_value(value: Any) -> Any:
    """A warehouse value as JSON: timestamps ISO 8601, decimals as numbers, binary base64."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value) if value.as_tuple().exponent < 0 else int(value)  # type: ignore[operator]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
            return {str(k): json_value(v) for k, v in value}  # a MAP arrives as (key, value) pairs
        return [json_value(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays for ARRAY columns
        return json_value(value.tolist())
    return value
