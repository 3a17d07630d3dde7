"""The service's Prometheus metrics: HTTP requests, jobs, and the job queue at scrape time.

HTTP metrics are counted by ``HttpMetricsMiddleware``; job metrics by receivers of
``common.signals.job_started`` / ``job_finished``, in whichever process runs the job; the
warehouse's in ``warehouse.metrics``. The queue's depth and the age of its oldest job are read
from the service database when ``/metrics`` is scraped (``JobQueueCollector``), so they are
true whichever process queued or ran the jobs. Every label takes values from a fixed set (view
names, operations, statuses, methods): no request can add series.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db import DatabaseError
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from common.signals import job_finished, job_started
from records.models import Job

from .multiprocess import host_registry

logger = logging.getLogger(__name__)

# Up to a ?wait request's 30 s, and beyond for a slow read.
_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
# From a small write on a fast warehouse to a job that rode out an hour of retries.
_JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600)

http_requests_total = Counter(
    "records_http_requests_total",
    "HTTP requests answered, by view (the URL pattern's name), method and status.",
    ["view", "method", "status"],
)
http_request_duration_seconds = Histogram(
    "records_http_request_duration_seconds",
    "Seconds from a request's arrival to its response, by view and method.",
    ["view", "method"],
    buckets=_REQUEST_BUCKETS,
)
jobs_finished_total = Counter(
    "records_jobs_finished_total",
    "Jobs that reached a final state, by operation and status (succeeded, failed, canceled).",
    ["operation", "status"],
)
job_duration_seconds = Histogram(
    "records_job_duration_seconds",
    "Seconds a finished job's last attempt ran, from its claim to its final state.",
    ["operation", "status"],
    buckets=_JOB_BUCKETS,
)
job_queue_wait_seconds = Histogram(
    "records_job_queue_wait_seconds",
    "Seconds from a job's submit to its first claim by a worker.",
    ["operation"],
    buckets=_JOB_BUCKETS,
)
rows_written_total = Counter(
    "records_rows_written_total",
    "Rows written by succeeded jobs, as the warehouse reported them: inserted by writes,"
    " updated by updates, deleted (or soft-deleted) by deletes.",
    ["operation"],
)

FINAL_STATUSES = (Job.Status.SUCCEEDED, Job.Status.FAILED, Job.Status.CANCELED)


def on_job_started(
    sender: Any, *, operation: str, attempts: int, submitted_at: datetime, started_at: datetime, **_: Any
) -> None:
    # A retry or a takeover waited for its backoff or a lease, not in the queue.
    if attempts == 1:
        job_queue_wait_seconds.labels(operation).observe(_seconds(submitted_at, started_at))


def on_job_finished(
    sender: Any,
    *,
    operation: str,
    status: str,
    started_at: datetime | None,
    finished_at: datetime | None,
    rows: int | None,
    **_: Any,
) -> None:
    jobs_finished_total.labels(operation, status).inc()
    if started_at is not None and finished_at is not None:
        job_duration_seconds.labels(operation, status).observe(_seconds(started_at, finished_at))
    if rows:
        rows_written_total.labels(operation).inc(rows)


def _seconds(start: datetime, end: datetime) -> float:
    return max((end - start).total_seconds(), 0.0)


def connect_receivers() -> None:
    job_started.connect(on_job_started, dispatch_uid="observability.job_started")
    job_finished.connect(on_job_finished, dispatch_uid="observability.job_finished")


class JobQueueCollector(Collector):
    """Jobs queued and running, and the age of the oldest queued one, from one grouped query of
    the service database at each scrape (the ``status`` column is indexed)."""

    def collect(self) -> Iterator[Metric]:
        try:
            by_status = {
                row["status"]: row
                for row in Job.objects.filter(status__in=(Job.Status.QUEUED, Job.Status.RUNNING))
                .values("status")
                .annotate(count=Count("pk"), oldest=Min("submitted_at"))
                .order_by()
            }
        except DatabaseError as error:
            # The other metrics are still worth a scrape; readiness reports the database.
            logger.warning("metrics: could not read the job queue: %s", error)
            return
        jobs = GaugeMetricFamily("records_jobs", "Jobs not finished, by status.", labels=["status"])
        for status in (Job.Status.QUEUED, Job.Status.RUNNING):
            jobs.add_metric([str(status)], by_status.get(status, {}).get("count", 0))
        yield jobs
        oldest = by_status.get(Job.Status.QUEUED, {}).get("oldest")
        yield GaugeMetricFamily(
            "records_job_oldest_queued_age_seconds",
            "Seconds since the oldest job still queued was submitted (0 when none is queued);"
            " it includes the backoff of a job waiting to retry.",
            value=_seconds(oldest, timezone.now()) if oldest else 0.0,
        )


@functools.cache
def _series_started() -> None:
    """Job counters at 0 for every operation and final status, so that a rate is 0 (not
    missing) before the first job; once per process, at its first scrape."""
    for operation in Job.Operation:
        rows_written_total.labels(str(operation))
        for status in FINAL_STATUSES:
            jobs_finished_total.labels(str(operation), str(status))


def scrape_registry() -> CollectorRegistry:
    """What ``/metrics`` answers: every process's metrics on this host, and the job queue."""
    _series_started()
    registry = host_registry()
    registry.register(JobQueueCollector())
    return registry
