"""Synchronous reads: a page of rows and the total, as the original read endpoint answered,
within a byte budget (``RECORDS_MAX_READ_BYTES``): rows are fetched as they are answered, and
a page whose rows would exceed the budget stops early and says so."""

from __future__ import annotations

import base64
import datetime
import decimal
import json
from typing import Any

import orjson
from django.conf import settings

from common.errors import ApiError
from warehouse.client import RowStream, get_client
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
    """``{"data": [...], "count": n, "total": N}``; soft-deleted rows excluded unless asked for.

    When the next row would take the rows past ``RECORDS_MAX_READ_BYTES`` bytes of JSON, the
    page ends before it, with ``"truncated": true`` and ``"next_offset"`` (the ``offset`` that
    reads on); ``count`` is then below ``limit`` though more rows match."""
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
    max_bytes = settings.RECORDS_MAX_READ_BYTES
    fetch_bytes = min(max_bytes, READ_FETCH_BYTES)
    with client.stream(select.sql, select.params, fetch_rows=limit, fetch_bytes=fetch_bytes) as rows:
        data, truncated = _page(rows, limit, max_bytes, offset)
    total = client.execute(count.sql, count.params).rows[0][0]
    answer = {"data": data, "count": len(data), "total": int(total)}
    if truncated:
        answer |= {"truncated": True, "next_offset": offset + len(data)}
    return answer


class RowTooLarge(ApiError):
    """One row alone takes more than a read may answer."""

    status_code = 413


# Bytes of rows one round trip to the warehouse brings: the connector also formats each answer
# it receives as text for its debug log (whatever the log level), several times its size.
READ_FETCH_BYTES = 1024 * 1024
# Rows asked for first, before their size is known (no round trip: the statement's answer
# brought the first rows, up to ``READ_FETCH_BYTES``).
_FIRST_FETCH_ROWS = 8


def _page(rows: RowStream, limit: int, max_bytes: int, offset: int) -> tuple[list[dict[str, Any]], bool]:
    """Up to ``limit`` rows as JSON values taking at most ``max_bytes`` bytes as JSON, and whether
    the budget left a row out. Each fetch asks for as many rows as the budget left holds at the
    largest row seen, so little is fetched beyond the answer."""
    data: list[dict[str, Any]] = []
    used = largest = 0
    wanted = _FIRST_FETCH_ROWS
    while len(data) < limit:
        fetched = rows.fetch(min(wanted, limit - len(data)))
        if not fetched:
            break
        for values in fetched:
            row = {name: json_value(value) for name, value in zip(rows.columns, values, strict=True)}
            size = json_bytes(row)
            if used + size + 1 > max_bytes:  # and a comma
                if not data:
                    raise RowTooLarge(
                        f"The row at offset {offset} takes {size} bytes as JSON, more than a read answers "
                        f"(RECORDS_MAX_READ_BYTES, {max_bytes} bytes): read fewer columns",
                        details={"offset": offset, "bytes": size, "max_read_bytes": max_bytes},
                    )
                return data, True
            data.append(row)
            used += size + 1
            largest = max(largest, size + 1)
        wanted = max(1, (max_bytes - used) // largest)
    return data, False


def json_bytes(value: Any) -> int:
    """The bytes of ``value`` as compact JSON (as the answer renders it, give or take a float's
    spelling); orjson refuses integers beyond 64 bits, which the json module writes."""
    try:
        return len(orjson.dumps(value))
    except orjson.JSONEncodeError:
        return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode())


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
