"""A job's life after submit: claim, progress, finish, retry, re-queue, and the periodic sweep.

Guarantees (DESIGN section 5): a worker claims a job with one conditional UPDATE, which also
refuses while an earlier job on the same table is unfinished, so jobs on one table take
effect in submission order; a finished job publishes the next one of its table.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from common.signals import job_failed

from ..models import Job
from .errors import JobFailed, JobLost
from .queue import job_publish

logger = logging.getLogger(__name__)

UNFINISHED = (Job.Status.QUEUED, Job.Status.RUNNING)


def _lease_owner() -> str:
    """Who holds a lease: this worker process (asked each time: prefork children fork later)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _earlier_unfinished_on_table() -> Exists:
    """True for a job when an earlier job on its table is still queued or running."""
    return Exists(
        Job.objects.filter(table_key=OuterRef("table_key"), pk__lt=OuterRef("pk"), status__in=UNFINISHED)
    )


def job_claim(job_pk: int) -> Job | None:
    """Mark a queued job (or a running one whose lease ran out) running under a new lease, if no
    earlier job on its table is unfinished; else ``None``.

    One UPDATE decides, so two deliveries of a job, or two jobs of one table, never both run;
    the attempt count it raises fences the writes of any earlier attempt.
    """
    now = timezone.now()
    # A running job whose lease ran out lost its worker: a redelivery of its message takes it over.
    takeable = Q(status=Job.Status.QUEUED) | Q(status=Job.Status.RUNNING, lease_expires_at__lt=now)
    claimed = (
        Job.objects.filter(takeable, pk=job_pk)
        .exclude(_earlier_unfinished_on_table())
        .update(
            status=Job.Status.RUNNING,
            started_at=now,
            attempts=F("attempts") + 1,
            lease_owner=_lease_owner(),
            lease_expires_at=now + _lease(),
        )
    )
    if claimed != 1:
        return None
    return Job.objects.get(pk=job_pk)


def _held(job: Job) -> QuerySet[Job]:
    """The job's row while this attempt still holds it: running, and not claimed again since.

    Every write of a running attempt goes through this fence, so a worker that lost its job
    (the sweep put it back in the queue, another delivery claimed it) can no longer change it.
    """
    return Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts)


def _lease() -> timedelta:
    return timedelta(seconds=settings.RECORDS_LEASE_SECONDS)


def job_renew_lease(job: Job) -> bool:
    """Extend the running job's lease; False once this attempt no longer holds the job."""
    return bool(_held(job).update(lease_expires_at=timezone.now() + _lease()))


@contextlib.contextmanager
def job_heartbeat(job: Job) -> Iterator[None]:
    """Renew ``job``'s lease every sixth of ``RECORDS_LEASE_SECONDS`` while the body runs (in a
    thread: a statement may take longer than a lease)."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.RECORDS_LEASE_SECONDS / 6) and job_renew_lease(job):
                pass
        finally:
            connection.close()  # this thread's own database connection

    thread = threading.Thread(target=beat, name=f"lease-{job.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def job_save_progress(job: Job, **progress: Any) -> None:
    """Merge ``progress`` into the job's; ``JobLost`` if this attempt no longer holds the job,
    so the run stops before its next statement."""
    job.progress = {**job.progress, **progress}
    if not _held(job).update(progress=job.progress):
        raise JobLost(f"job {job.job_id}: attempt {job.attempts} no longer holds it")


def job_succeed(job: Job, result: dict[str, Any]) -> None:
    if _finish(job, Job.Status.SUCCEEDED, result=result, error=None):
        logger.info(
            "job %s succeeded: %s", job.job_id, result.get("message") or f"count {result.get('count')}"
        )


def job_fail(job: Job, failure: JobFailed) -> None:
    """Finish the job ``failed`` and announce it (``common.signals.job_failed``: the audit log)."""
    if not _finish(job, Job.Status.FAILED, result=None, error=failure.as_error()):
        return
    job_failed.send(
        sender=Job,
        job_id=str(job.job_id),
        operation=str(job.operation),
        catalog=job.catalog,
        schema=job.schema,
        table=job.table,
        principal=job.principal,
        client_id=job.client_id,
        message=failure.message,
        error_class=failure.error_class,
        error_type=failure.error_type,
        stack_trace=failure.stack_trace,
        payload=job.payload,
        started_at=job.started_at,
    )
    logger.warning("job %s failed after %s attempt(s): %s", job.job_id, job.attempts, failure.message)


def job_retry_later(job: Job, failure: JobFailed) -> bool:
    """Put a job whose attempt hit a transient error back in the queue (order is kept);
    False if this attempt no longer held it."""
    error = failure.as_error(retrying=True)
    if not _held(job).update(status=Job.Status.QUEUED, error=error):
        return False
    job.status, job.error = Job.Status.QUEUED, error
    return True


def _finish(job: Job, status: str, *, result: dict[str, Any] | None, error: dict[str, Any] | None) -> bool:
    """Finish the job if this attempt still holds it (else another attempt owns its outcome)."""
    finished_at = timezone.now()
    if not _held(job).update(status=status, result=result, error=error, finished_at=finished_at):
        logger.warning(
            "job %s: attempt %s lost the job; its outcome is not recorded", job.job_id, job.attempts
        )
        return False
    job.status, job.result, job.error, job.finished_at = status, result, error, finished_at
    job_publish_next(job)
    return True


def job_publish_next(job: Job) -> None:
    """Publish the next queued job of the same table, which waited for this one."""
    next_pk = (
        Job.objects.filter(table_key=job.table_key, status=Job.Status.QUEUED, pk__gt=job.pk)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if next_pk is not None:
        job_publish(next_pk)


def jobs_requeue(*, job_ids: list[int]) -> int:
    """Re-queue failed jobs (admin action): they run again from the start, in their order, with
    their attempts counted anew."""
    failed = Job.objects.filter(pk__in=job_ids, status=Job.Status.FAILED)
    pks = list(failed.values_list("pk", flat=True))
    failed.update(
        status=Job.Status.QUEUED, finished_at=None, error=None, result=None, progress={}, attempts=0
    )
    for pk in pks:
        transaction.on_commit(lambda pk=pk: job_publish(pk))  # type: ignore[misc]
    return len(pks)


def jobs_republish_stale() -> int:
    """Re-queue jobs whose lease ran out and publish them; publish again jobs queued past the
    grace period (their publish may have failed)."""
    now = timezone.now()
    grace = timedelta(seconds=settings.RECORDS_REQUEUE_GRACE_SECONDS)
    # A lease that ran out means the worker died (or lost the database): take the job over. A
    # job started before leases existed has none: its start time stands in for it.
    expired = Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True, started_at__lt=now - _lease())
    revived_pks = list(Job.objects.filter(expired, status=Job.Status.RUNNING).values_list("pk", flat=True))
    revived = Job.objects.filter(expired, status=Job.Status.RUNNING, pk__in=revived_pks).update(
        status=Job.Status.QUEUED, lease_owner="", lease_expires_at=None
    )
    if revived:
        logger.warning("re-queued %s job(s) whose worker's lease ran out", revived)
    stale = Job.objects.filter(
        Q(submitted_at__lt=now - grace) | Q(pk__in=revived_pks), status=Job.Status.QUEUED
    ).order_by("pk")
    # The first queued job of each table is enough: the others are published as it finishes.
    heads = stale.exclude(_earlier_unfinished_on_table())
    count = 0
    for pk in heads.values_list("pk", flat=True)[: settings.RECORDS_REQUEUE_BATCH]:
        count += job_publish(pk)
    return count
