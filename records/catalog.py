"""What the warehouse says about a table: its columns (cached for every process), whether it exists.

Every check of a request against a real table starts here; a missing table is ``TableNotFound``
(404) before any job exists.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache

from common.errors import ApiError
from warehouse.client import get_client
from warehouse.exceptions import PermanentWarehouseError, TransientWarehouseError
from warehouse.sql import Statement, TableName

from . import sql
from .tables import Column
from .validation.types import parse_table_type

logger = logging.getLogger(__name__)

CATALOG_NOT_FOUND_CLASSES = frozenset({"CATALOG_NOT_FOUND", "NO_SUCH_CATALOG_EXCEPTION"})
NOT_FOUND_CLASSES = frozenset({"TABLE_OR_VIEW_NOT_FOUND", "SCHEMA_NOT_FOUND", *CATALOG_NOT_FOUND_CLASSES})


class TableNotFound(ApiError):
    """The target table does not exist (and the request does not create it)."""

    status_code = 404


def _cache_key(table: TableName) -> str:
    return f"records:columns:v2:{str(table).lower()}"


def _execute(statement: Statement) -> list[tuple[object, ...]]:
    return get_client().execute(statement.sql, statement.params).rows


def table_columns(
    table: TableName, *, fresh: bool = False, max_age: float | None = None
) -> tuple[Column, ...] | None:
    """The table's columns with their types and nullability (``information_schema``); ``None``
    if it does not exist.

    Answers from the cache every process shares (``CACHES``: a folder by default, Redis in
    production) when its entry is younger than ``max_age`` seconds (default
    RECORDS_SCHEMA_CACHE_SECONDS; a worker passes ``math.inf``: it trusts any entry, because a
    statement the warehouse refuses for a schema reason makes it look again). An older entry is
    looked up again; while the warehouse is unreachable it still answers from an entry up to
    RECORDS_SCHEMA_CACHE_STALE_SECONDS old, so submissions to known tables ride out an outage.
    """
    limit = settings.RECORDS_SCHEMA_CACHE_SECONDS if max_age is None else max_age
    cached = None if fresh else cache.get(_cache_key(table))
    if cached is not None and time.time() - cached["at"] < limit:
        return _from_cache(cached)
    try:
        rows = _execute(sql.table_columns(table))
    except PermanentWarehouseError as error:
        if error.error_class in NOT_FOUND_CLASSES:
            table_columns_forget(table)
            return None
        raise
    except TransientWarehouseError:
        if cached is None:
            raise
        logger.warning("warehouse unreachable; using the cached columns of %s", table)
        return _from_cache(cached)
    if not rows:
        # Not cached: another process (a worker's auto_create) may create it any moment.
        table_columns_forget(table)
        return None
    columns = tuple(
        Column(str(name), parse_table_type(str(type_text)), nullable=str(nullable).upper() != "NO")
        for name, type_text, nullable in rows
    )
    entry = {"at": time.time(), "columns": [(c.name, c.data_type, c.nullable) for c in columns]}
    cache.set(_cache_key(table), entry, settings.RECORDS_SCHEMA_CACHE_STALE_SECONDS)
    return columns


def _from_cache(entry: dict[str, Any]) -> tuple[Column, ...]:
    return tuple(Column(*c) for c in entry["columns"])


def table_columns_forget(table: TableName) -> None:
    cache.delete(_cache_key(table))


def require_table(table: TableName) -> tuple[Column, ...]:
    """The table's columns; ``TableNotFound`` (404) if it does not exist."""
    columns = table_columns(table)
    if columns is None:
        raise TableNotFound(f"Table {table} does not exist", details={"table": str(table)})
    return columns


def require_schema(table: TableName) -> None:
    """With auto_create the catalog and schema must exist: Databricks does not create them."""
    try:
        rows = _execute(sql.show_schemas(table.catalog))
    except PermanentWarehouseError as error:
        if error.error_class in CATALOG_NOT_FOUND_CLASSES:
            raise ApiError(
                f"Catalog {table.catalog} does not exist; auto_create does not create catalogs"
            ) from error
        raise
    if table.schema.lower() not in {str(row[0]).lower() for row in rows}:
        raise ApiError(
            f"Schema {table.catalog}.{table.schema} does not exist; auto_create does not create schemas"
        )
