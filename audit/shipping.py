"""Ship ``ApiLog`` rows to the warehouse's ``api_log`` table, exactly once (also with runs at
once: rows are claimed per run); purge old shipped rows."""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from warehouse.client import get_client
from warehouse.exceptions import WarehouseError

from . import sql
from .models import ApiLog

logger = logging.getLogger(__name__)


def apilog_ship(*, batch_size: int | None = None, claim_seconds: float | None = None) -> int:
    """Ship unshipped rows in batches; return how many this run shipped (and marked).

    Safe to run twice at once: a run first claims a batch (``claim_batch``), ships only what it
    claimed (one MERGE, more when the rows exceed the parameter budget), then marks shipped
    only the rows still claimed by it. Two runs never claim the same row while a claim lasts,
    so each row is sent by one run. A claim lasts ``claim_seconds`` (default
    ``CELERY_TASK_TIME_LIMIT``: the worker kills a run by then, so a claim expires only once
    its run is gone); then a later run takes the rows over. The MERGE is keyed on ``log_id``,
    so rows that a dead run had sent, or a run that outlived its claim sends again, land once.

    A warehouse error ends the run with the remaining rows unshipped and its claims released:
    the next run retries them, and the MERGE skips any that did land before the error.
    """
    if not settings.DATABRICKS_LOGGING_ENABLED:
        return 0
    size = batch_size or settings.AUDIT_SHIP_BATCH_SIZE
    claim = datetime.timedelta(
        seconds=settings.CELERY_TASK_TIME_LIMIT if claim_seconds is None else claim_seconds
    )
    catalog, schema = settings.DATABRICKS_LOG_CATALOG, settings.DATABRICKS_LOG_SCHEMA
    client = get_client()
    run = uuid.uuid4().hex
    shipped = 0
    try:
        create = sql.create_table(catalog, schema)
        client.execute(create.sql, create.params)
        while batch := claim_batch(run, size, claim):
            rows = [shipped_row(log) for log in batch]
            for merge in sql.merge_rows(catalog, schema, rows, settings.RECORDS_MAX_PARAMETER_BYTES):
                client.execute(merge.sql, merge.params)
            marked = ApiLog.objects.filter(
                pk__in=[log.pk for log in batch], ship_claimed_by=run, shipped_at__isnull=True
            ).update(shipped_at=timezone.now())
            if marked < len(batch):
                logger.warning(
                    "api_log shipping: %s of %s row(s) were taken over by another run after this "
                    "run's claim expired; that run marks them",
                    len(batch) - marked,
                    len(batch),
                )
            shipped += marked
    except WarehouseError as error:
        level = logging.WARNING if error.transient else logging.ERROR
        logger.log(level, "api_log shipping stopped after %s row(s): %s", shipped, error.message)
    finally:
        # Whatever stopped the run, its unshipped rows are claimable at once, not at expiry.
        ApiLog.objects.filter(ship_claimed_by=run, shipped_at__isnull=True).update(
            ship_claimed_by="", ship_claim_expires_at=None
        )
    return shipped


def claim_batch(run: str, size: int, claim: datetime.timedelta) -> list[ApiLog]:
    """Claim for ``run`` the oldest ``size`` unshipped rows that no live claim holds; return them.

    In one transaction: ``SELECT id ... <claimable> ORDER BY id LIMIT size FOR UPDATE SKIP
    LOCKED``, then ``UPDATE ... WHERE id IN (<those ids>) AND <claimable>``. On PostgreSQL a
    concurrent run skips the rows this one has locked and takes the next ones, and the UPDATE's
    condition is checked again on a row that another run claimed meanwhile. SQLite has no row
    locks, but this transaction is ``BEGIN IMMEDIATE`` (the project's SQLite setting): one
    writer at a time, so claims are serialized.

    The ids are read first, not in an ``id IN (subquery)`` of the UPDATE: PostgreSQL may run
    such a subquery again for each row it scans, each time skipping other locks, and then
    claim many times ``size`` rows.
    """
    now = timezone.now()
    claimable = ApiLog.objects.filter(
        Q(ship_claim_expires_at__isnull=True) | Q(ship_claim_expires_at__lte=now), shipped_at__isnull=True
    )
    with transaction.atomic():
        oldest = list(
            claimable.order_by("id").select_for_update(skip_locked=True).values_list("pk", flat=True)[:size]
        )
        if not oldest or not claimable.filter(pk__in=oldest).update(
            ship_claimed_by=run, ship_claim_expires_at=now + claim
        ):
            return []
    return list(
        ApiLog.objects.filter(pk__in=oldest, ship_claimed_by=run, shipped_at__isnull=True).order_by("id")
    )


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
