"""Reads of the service database about jobs."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import Job


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
