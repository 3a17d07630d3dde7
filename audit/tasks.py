"""Periodic tasks (Celery beat): ship the log to the warehouse, purge old shipped rows."""

from __future__ import annotations

from celery import shared_task

from .shipping import apilog_purge, apilog_ship


@shared_task(ignore_result=True)
def apilog_ship_task() -> None:
    """Ship unshipped api_log rows (safe beside another run: rows are claimed); a down warehouse
    leaves them for the next run."""
    apilog_ship()


@shared_task(ignore_result=True)
def apilog_purge_task() -> None:
    """Delete shipped api_log rows older than AUDIT_RETENTION_DAYS."""
    apilog_purge()
