"""Reads of the service database about jobs."""

from __future__ import annotations

import math
import statistics

from django.db.models import QuerySet
from django.utils import timezone

from access.models import ApiClient

from ..models import Job
from .lifecycle import UNFINISHED

# Retry-After: from the durations of the table's last this many succeeded jobs, in 1..30 s.
RECENT_JOBS = 20
MIN_RETRY_AFTER, MAX_RETRY_AFTER = 1, 30


def jobs_of(
    *, client: ApiClient, status: str | None, operation: str | None, table: str | None
) -> QuerySet[Job]:
    """The client's jobs, newest first, optionally filtered (``status`` and ``operation`` are
    checked by the caller: the API answers a 400 for any other); without their payloads (a
    job's representation never shows them, and a payload may hold 100,000 rows)."""
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


def job_retry_after(job: Job) -> int:
    """Seconds after which an unfinished job is worth asking about again (``Retry-After``):
    the jobs of its table still to run before it, and itself, each taking as long as the
    table's recent jobs did (median; 1 s without history), less what it has run already;
    within 1..30 s. Two small indexed queries."""
    ahead = Job.objects.filter(table_key=job.table_key, pk__lt=job.pk, status__in=UNFINISHED).count()
    recent = (
        Job.objects.filter(table_key=job.table_key, status=Job.Status.SUCCEEDED, started_at__isnull=False)
        .order_by("-id")
        .values_list("started_at", "finished_at")[:RECENT_JOBS]
    )
    durations = [
        (end - start).total_seconds() for start, end in recent if start is not None and end is not None
    ]
    typical = statistics.median(durations) if durations else 1.0
    estimate = (ahead + 1) * typical
    if job.status == Job.Status.RUNNING and job.started_at is not None:
        estimate -= (timezone.now() - job.started_at).total_seconds()
    return max(MIN_RETRY_AFTER, min(MAX_RETRY_AFTER, math.ceil(estimate)))
