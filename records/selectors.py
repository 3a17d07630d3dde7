"""Reads: rows from the warehouse, a table's columns (cached), the caller's jobs."""

from __future__ import annotations

import datetime
import decimal
import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from project.exceptions import ApiError
from warehouse.client import get_client
from warehouse.exceptions import PermanentWarehouseError

from . import sql
from .datatypes import parse_table_type
from .models import Job
from .table_checks import known_column, validate_filters
from .tables import Column, TableName

logger = logging.getLogger(__name__)

CATALOG_NOT_FOUND_CLASSES = frozenset({"CATALOG_NOT_FOUND", "NO_SUCH_CATALOG_EXCEPTION"})
NOT_FOUND_CLASSES = frozenset({"TABLE_OR_VIEW_NOT_FOUND", "SCHEMA_NOT_FOUND", *CATALOG_NOT_FOUND_CLASSES})


def table_columns(table: TableName, *, fresh: bool = False) -> tuple[Column, ...] | None:
    """The table's columns from DESCRIBE TABLE, cached briefly; ``None`` if it does not exist.

    The cache is per process: a column added elsewhere shows here within
    RECORDS_SCHEMA_CACHE_SECONDS.
    """
    key = f"records:columns:{str(table).lower()}"
    if not fresh:
        cached = cache.get(key)
        if cached is not None:
            return tuple(Column(*c) for c in cached)
    statement = sql.describe_table(table)
    try:
        result = get_client().execute(statement.sql, statement.params)
    except PermanentWarehouseError as error:
        if error.error_class in NOT_FOUND_CLASSES:
            # Not cached: another process (a worker's auto_create) may create it any moment.
            return None
        raise
    columns = tuple(
        Column(name, parse_table_type(type_text)) for name, type_text in sql.parse_describe(result.rows)
    )
    cache.set(
        key, [(c.name, c.data_type, c.nullable) for c in columns], settings.RECORDS_SCHEMA_CACHE_SECONDS
    )
    return columns


class TableNotFound(ApiError):
    """The target table does not exist (and the request does not create it)."""

    status_code = 404


def require_table(table: TableName) -> tuple[Column, ...]:
    columns = table_columns(table)
    if columns is None:
        raise TableNotFound(f"Table {table} does not exist", details={"table": str(table)})
    return columns


def table_columns_forget(table: TableName) -> None:
    cache.delete(f"records:columns:{str(table).lower()}")


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
    """``{"data": [...], "count": n, "total": N}`` as the original read endpoint answered."""
    name = TableName(catalog, schema, table)
    table_cols = require_table(name)
    by_name = {c.name.lower(): c for c in table_cols}
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
    import base64

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


def jobs_of(*, principal: str, status: str | None, operation: str | None, table: str | None) -> QuerySet[Job]:
    """The caller's jobs, newest first, optionally filtered."""
    jobs = Job.objects.filter(principal=principal).order_by("-id")
    if status:
        jobs = jobs.filter(status=status)
    if operation:
        jobs = jobs.filter(operation=operation)
    if table:
        jobs = jobs.filter(table_key=table.lower())
    return jobs
