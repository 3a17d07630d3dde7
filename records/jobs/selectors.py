"""Reads of the service database about jobs."""

from __future__ import annotations

from django.db.models import QuerySet

from access.models import ApiClient

from ..models import Job


def jobs_of(
    *, client: ApiClient, status: str | None, operation: str | None, table: str | None
) -> QuerySet[Job]:
    """The client's jobs, newest first, optionally filtered; without their payloads (a job's
    representation never shows them, and a payload may hold 100,000 rows)."""
    jobs = Job.objects.filter(client=client).defer("payload").order_by("-id")
    if any("\x00" in value for value in (status, operation, table) if value):
        # No job holds a NUL (bodies cannot carry one), and PostgreSQL refuses it in a query.
        return jobs.none()
    if status:
        jobs = jobs.filter(status=status)
    if operation:
        jobs = jobs.filter(operation=operation)
    if table:
        jobs = jobs.filter(table_key=table.lower())
    return jobs
