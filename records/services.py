"""Job lifecycle: submit, claim, finish, retry, re-queue. Plain functions the views and tasks call.

Guarantees (DESIGN section 5): a job is committed before the client hears 202; the Celery
message (only the job's primary key) is published after commit; a worker claims a job with
one conditional UPDATE, which also refuses while an earlier job on the same table is
unfinished, so jobs on one table take effect in submission order.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from audit.recorder import apilog_record_job_failure
from project.exceptions import ApiError

from .models import Job
from .tables import TableName

logger = logging.getLogger(__name__)

UNFINISHED = (Job.Status.QUEUED, Job.Status.RUNNING)


class IdempotencyConflict(ApiError):
    """The Idempotency-Key was already used with a different request body."""

    status_code = 409


def request_fingerprint(operation: str, payload: Any) -> str:
    body = json.dumps([operation, payload], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def job_submit(
    *,
    operation: str,
    table: TableName,
    payload: dict[str, Any],
    principal: str,
    idempotency_key: str | None = None,
    fingerprint: str = "",
) -> tuple[Job, bool]:
    """Store a queued job and publish it once the transaction commits; ``(job, created)``.

    The same ``idempotency_key`` with the same request returns the existing job; with a
    different request it is a 409.
    """
    if idempotency_key and not fingerprint:
        fingerprint = request_fingerprint(operation, payload)
    if idempotency_key:
        existing = Job.objects.filter(principal=principal, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_request(existing, fingerprint), False
    try:
        with transaction.atomic():
            job = Job.objects.create(
                operation=operation,
                catalog=table.catalog,
                schema=table.schema,
                table=table.table,
                payload=payload,
                principal=principal,
                idempotency_key=idempotency_key or None,
                request_hash=fingerprint,
            )
            transaction.on_commit(lambda: job_publish(job.pk))
    except IntegrityError:
        # Two requests raced with one Idempotency-Key: the other one stored its job first.
        existing = Job.objects.get(principal=principal, idempotency_key=idempotency_key)
        return _same_request(existing, fingerprint), False
    logger.info("job %s queued: %s %s by %s", job.job_id, operation, table, principal)
    return job, True


def _same_request(job: Job, fingerprint: str) -> Job:
    if job.request_hash != fingerprint:
        raise IdempotencyConflict(
            "Idempotency-Key was already used with a different request",
            details={"job_id": str(job.job_id)},
        )
    return job


def job_publish(job_pk: int, *, countdown: float | None = None) -> bool:
    """Send the job's id to the workers; a broker failure is logged, the job stays queued.

    The periodic sweep (``jobs_republish_stale``) publishes it again later.
    """
    from .tasks import job_run_task  # tasks import services; import here to keep one direction

    try:
        job_run_task.apply_async(
            args=(job_pk,),
            countdown=countdown or 0,
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5},
        )
    except Exception:  # the broker's errors vary by transport; the job is durable either way
        logger.exception("could not publish job %s; the sweep will publish it again", job_pk)
        return False
    return True


def _earlier_unfinished_on_table() -> Exists:
    """True for a job when an earlier job on its table is still queued or running."""
    return Exists(
        Job.objects.filter(table_key=OuterRef("table_key"), pk__lt=OuterRef("pk"), status__in=UNFINISHED)
    )


def job_claim(job_pk: int) -> Job | None:
    """Mark a queued job running if no earlier job on its table is unfinished; else ``None``.

    One UPDATE decides, so two deliveries of a job, or two jobs of one table, never both run.
    """
    claimed = (
        Job.objects.filter(pk=job_pk, status=Job.Status.QUEUED)
        .exclude(_earlier_unfinished_on_table())
        .update(status=Job.Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1)
    )
    if claimed != 1:
        return None
    return Job.objects.get(pk=job_pk)


def job_save_progress(job: Job, **progress: Any) -> None:
    job.progress = {**job.progress, **progress}
    Job.objects.filter(pk=job.pk).update(progress=job.progress)


def job_succeed(job: Job, result: dict[str, Any]) -> None:
    _finish(job, Job.Status.SUCCEEDED, result=result, error=None)
    logger.info("job %s succeeded: %s", job.job_id, result.get("message") or f"count {result.get('count')}")


def job_fail(job: Job, *, message: str, error_class: str | None, error_type: str) -> None:
    error = {"message": message, "error_class": error_class, "type": error_type}
    _finish(job, Job.Status.FAILED, result=None, error=error)
    apilog_record_job_failure(job, message=message, error_class=error_class, error_type=error_type)
    logger.warning("job %s failed after %s attempt(s): %s", job.job_id, job.attempts, message)


def job_retry_later(job: Job, *, message: str, error_class: str | None) -> None:
    """Put a job whose attempt hit a transient error back in the queue (order is kept)."""
    job.status = Job.Status.QUEUED
    job.error = {
        "message": message,
        "error_class": error_class,
        "type": "TransientWarehouseError",
        "retrying": True,
    }
    Job.objects.filter(pk=job.pk).update(status=job.status, error=job.error)


def _finish(job: Job, status: str, *, result: dict[str, Any] | None, error: dict[str, Any] | None) -> None:
    job.status, job.result, job.error, job.finished_at = status, result, error, timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=status, result=result, error=error, finished_at=job.finished_at
    )
    job_publish_next(job)


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
    """Re-queue failed jobs (admin action): they run again from the start, in their order."""
    failed = Job.objects.filter(pk__in=job_ids, status=Job.Status.FAILED)
    pks = list(failed.values_list("pk", flat=True))
    failed.update(status=Job.Status.QUEUED, finished_at=None, error=None, result=None, progress={})
    for pk in pks:
        transaction.on_commit(lambda pk=pk: job_publish(pk))  # type: ignore[misc]
    return len(pks)


def jobs_republish_stale() -> int:
    """Publish again jobs queued past the grace period; re-queue runs whose worker vanished."""
    now = timezone.now()
    grace = timedelta(seconds=settings.RECORDS_REQUEUE_GRACE_SECONDS)
    stale_running = Job.objects.filter(
        status=Job.Status.RUNNING, started_at__lt=now - timedelta(seconds=settings.RECORDS_JOB_STALE_SECONDS)
    )
    revived = stale_running.update(status=Job.Status.QUEUED)
    if revived:
        logger.warning("re-queued %s job(s) whose worker stopped mid-run", revived)
    stale = Job.objects.filter(status=Job.Status.QUEUED, submitted_at__lt=now - grace).order_by("pk")
    # The first queued job of each table is enough: the others are published as it finishes.
    heads = stale.exclude(_earlier_unfinished_on_table())
    count = 0
    for pk in heads.values_list("pk", flat=True)[: settings.RECORDS_REQUEUE_BATCH]:
        count += job_publish(pk)
    return count


def new_record_uuids(count: int) -> list[str]:
    """``count`` random (version 4) UUIDs; one urandom call instead of one per row."""
    random_bytes = os.urandom(16 * count)
    return [str(uuid.UUID(bytes=random_bytes[i : i + 16], version=4)) for i in range(0, 16 * count, 16)]
