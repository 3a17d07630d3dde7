"""Ship ``ApiLog`` rows to the warehouse's ``api_log`` table, exactly once; purge old shipped rows."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.utils import timezone

from warehouse.client import get_client
from warehouse.exceptions import WarehouseError

from . import sql
from .models import ApiLog

logger = logging.getLogger(__name__)


def apilog_ship(*, batch_size: int | None = None) -> int:
    """Ship unshipped rows in batches (one MERGE each, then mark by id); return how many shipped.

    A warehouse error ends the run with the remaining rows unshipped: the next run retries
    them, and the MERGE skips any that did land before the error.
    """
    if not settings.DATABRICKS_LOGGING_ENABLED:
        return 0
    size = batch_size or settings.AUDIT_SHIP_BATCH_SIZE
    catalog, schema = settings.DATABRICKS_LOG_CATALOG, settings.DATABRICKS_LOG_SCHEMA
    client = get_client()
    shipped = 0
    try:
        create = sql.create_table(catalog, schema)
        client.execute(create.sql, create.params)
        while batch := list(ApiLog.objects.filter(shipped_at__isnull=True).order_by("id")[:size]):
            rows = [shipped_row(log) for log in batch]
            for merge in sql.merge_rows(catalog, schema, rows, settings.RECORDS_MAX_PARAMETER_BYTES):
                client.execute(merge.sql, merge.params)
            ApiLog.objects.filter(pk__in=[log.pk for log in batch]).update(shipped_at=timezone.now())
            shipped += len(batch)
    except WarehouseError as error:
        level = logging.WARNING if error.transient else logging.ERROR
        logger.log(level, "api_log shipping stopped after %s row(s): %s", shipped, error.message)
    return shipped


def apilog_purge(*, days: int | None = None) -> int:
    """Delete shipped rows older than ``AUDIT_RETENTION_DAYS``; unshipped rows are kept."""
    age = datetime.timedelta(days=settings.AUDIT_RETENTION_DAYS if days is None else days)
    deleted, _ = ApiLog.objects.filter(shipped_at__isnull=False, timestamp__lt=timezone.now() - age).delete()
    return deleted


def shipped_row(log: ApiLog) -> dict[str, Any]:
    """``log`` as a row of the warehouse's ``api_log`` table (the seed's 15 columns)."""
    # UTC, without offset: read as TIMESTAMP by Databricks and the local warehouse alike.
    stamp = log.timestamp.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return {
        "log_id": str(log.log_id),
        "timestamp": stamp,
        "level": log.level,
        "endpoint": log.endpoint,
        "method": log.method,
        "status_code": log.status_code,
        "error_type": log.error_type,
        "error_message": log.error_message,
        "stack_trace": log.stack_trace,
        "request_body": log.request_body,
        "user": log.user,
        "catalog": log.catalog,
        "schema": log.schema,
        "table_name": log.table_name,
        "execution_time_ms": log.execution_time_ms,
    }
