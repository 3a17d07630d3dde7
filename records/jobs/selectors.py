"""Reads of the service database about jobs."""

from __future__ import annotations

from django.db.models import QuerySet

from access.models import ApiClient

from ..models import Job


def jobs_of(
    *, client: ApiClient, status: str | None, operation: str | None, table: str | None
) -> QuerySet[Job]:
    """The client's jobs, newest first, optionally filtered."""
    jobs = Job.objects.filter(client=client).order_by("-id")
    if status:
        jobs = jobs.filter(status=status)
    if operation:
        jobs = jobs.filter(operation=operation)
    if table:
        jobs = jobs.filter(table_key=table.lower())
    return jobs
