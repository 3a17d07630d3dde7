"""A job's life after submit: claim, progress, finish, retry, re-queue, and the periodic sweep.

Guarantees (DESIGN section 5): a worker claims a job with one conditional UPDATE, which also
refuses while an earlier job on the same table is unfinished, so jobs on one table take
effect in submission order; a finished job publishes the next one of its table.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from common.signals import job_failed, job_finished, job_started

from ..models import FINAL_STATUSES, Job
from .errors import JobFailed, JobLost
from .queue import job_publish

logger = logging.getLogger(__name__)

UNFINISHED = (Job.Status.QUEUED, Job.Status.RUNNING)


def _lease_owner() -> str:
    """Who holds a lease: this worker process and thread, and a token of this claim (each claim
    is its own holder, so a fence never confuses two attempts of one worker)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:12]}"


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
    claimable = Job.objects.filter(_takeable(now), pk=job_pk).exclude(_earlier_unfinished_on_table())
    # Most deliveries find their job grouped with an earlier one, or waiting behind it: a read
    # tells so without taking the database's write lock (which submits wait for on SQLite).
    if not claimable.exists():
        return None
    claimed = claimable.update(
        status=Job.Status.RUNNING,
        started_at=now,
        attempts=F("attempts") + 1,
        lease_owner=_lease_owner(),
        lease_expires_at=now + _lease(),
    )
    if claimed != 1:
        return None
    job = Job.objects.get(pk=job_pk)
    _announce_started([job])
    return job


def _takeable(now: datetime) -> Q:
    """Jobs a claim may take: queued and past their retry backoff, or running under a lease that
    ran out (its worker died: a redelivery of its message takes it over)."""
    due = Q(available_at__isnull=True) | Q(available_at__lte=now + _CLOCK_SLACK)
    return (Q(status=Job.Status.QUEUED) & due) | Q(status=Job.Status.RUNNING, lease_expires_at__lt=now)


# A retry's message is due at its job's available_at; it may arrive a little early.
_CLOCK_SLACK = timedelta(milliseconds=100)


def job_followers(head: Job, limit: int) -> list[int]:
    """The pks of the queued writes right behind ``head`` on its table, in order, up to the
    first job that is anything else (an update, a delete, a write in its retry backoff); a
    canceled job between them is final, passed over (a claim takes queued jobs only)."""
    behind = (
        Job.objects.filter(table_key=head.table_key, pk__gt=head.pk, status__in=UNFINISHED)
        .annotate(takeable=ExpressionWrapper(_takeable(timezone.now()), output_field=BooleanField()))
        .order_by("pk")
        .values_list("pk", "operation", "takeable")[:limit]
    )
    pks: list[int] = []
    for pk, operation, takeable in behind:
        if operation != Job.Operation.WRITE or not takeable:
            break
        pks.append(pk)
    return pks


def job_claim_followers(head: Job, followers: Sequence[int]) -> list[Job]:
    """Claim ``followers`` (queued writes right behind ``head`` on its table, in order) under
    ``head``'s lease, to land with it in one statement (group commit); all of them or none.

    Nothing else can claim them meanwhile: ``head`` is running and earlier on their table.
    """
    if not followers:
        return []
    now = timezone.now()
    with transaction.atomic():
        claimed = Job.objects.filter(_takeable(now), pk__in=followers, table_key=head.table_key).update(
            status=Job.Status.RUNNING,
            started_at=now,
            attempts=F("attempts") + 1,
            lease_owner=head.lease_owner,
            lease_expires_at=head.lease_expires_at,
        )
        if claimed != len(followers):
            transaction.set_rollback(True)
            return []
    jobs = {job.pk: job for job in Job.objects.filter(pk__in=followers).defer("payload")}
    _announce_started(jobs.values())
    return [jobs[pk] for pk in followers]


def _announce_started(jobs: Iterable[Job]) -> None:
    """``common.signals.job_started`` for each claimed job (metrics: the queue wait)."""
    for job in jobs:
        job_started.send_robust(
            sender=Job,
            job_id=str(job.job_id),
            operation=str(job.operation),
            attempts=job.attempts,
            submitted_at=job.submitted_at,
            started_at=job.started_at,
        )


def _announce_finished(job: Job) -> None:
    """``common.signals.job_finished`` for a job this attempt just finished (metrics)."""
    succeeded = job.status == Job.Status.SUCCEEDED
    job_finished.send_robust(
        sender=Job,
        job_id=str(job.job_id),
        operation=str(job.operation),
        status=str(job.status),
        submitted_at=job.submitted_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        rows=(job.result or {}).get("count") if succeeded else None,
        callback_url=job.callback_url,
    )


def _held(job: Job) -> QuerySet[Job]:
    """The job's row while this attempt still holds it: running, and not claimed again since.

    Every write of a running attempt goes through this fence, so a worker that lost its job
    (the sweep put it back in the queue, another delivery claimed it) can no longer change it.
    """
    return Job.objects.filter(
        pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts, lease_owner=job.lease_owner
    )


def _lease() -> timedelta:
    return timedelta(seconds=settings.RECORDS_LEASE_SECONDS)


def _held_all(jobs: Sequence[Job]) -> QuerySet[Job]:
    """The rows of ``jobs`` (one claim: a job, or a group under its head's lease) that this
    attempt still holds: running under its lease token, which is unique to the claim."""
    return Job.objects.filter(
        pk__in=[job.pk for job in jobs], status=Job.Status.RUNNING, lease_owner=jobs[0].lease_owner
    )


def job_renew_lease(*jobs: Job) -> bool:
    """Extend the running jobs' lease (one holder: a job or a group); False once this attempt no
    longer holds any of them."""
    return _held_all(jobs).update(lease_expires_at=timezone.now() + _lease()) > 0


@contextlib.contextmanager
def job_heartbeat(*jobs: Job) -> Iterator[None]:
    """Renew the lease of ``jobs`` every sixth of ``RECORDS_LEASE_SECONDS`` while the body runs
    (in a thread: a statement may take longer than a lease)."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.RECORDS_LEASE_SECONDS / 6) and job_renew_lease(*jobs):
                pass
        finally:
            connection.close()  # this thread's own database connection

    thread = threading.Thread(target=beat, name=f"lease-{jobs[0].pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def jobs_check_held(jobs: Sequence[Job]) -> None:
    """``JobLost`` if this attempt no longer holds every one of ``jobs`` (one claim): checked
    before a statement."""
    held = _held_all(jobs).count()
    if held != len(jobs):
        raise JobLost(
            f"job {jobs[0].job_id} and its group: this attempt no longer holds {len(jobs) - held} of them"
        )


class JobCanceled(Exception):
    """The job's client canceled it while it ran: the run stops before its next statement."""


def job_stop_if_canceled(job: Job) -> None:
    """Checked before each statement of a job run alone, in one read by primary key: ``JobLost``
    if this attempt no longer holds the job, ``JobCanceled`` if its client canceled it."""
    requested = _held(job).values_list("cancel_requested", flat=True).first()
    if requested is None:
        raise JobLost(f"job {job.job_id}: attempt {job.attempts} no longer holds it")
    if requested:
        raise JobCanceled(f"job {job.job_id}: canceled by its client")


def job_end_canceled(job: Job, *, publish_next: bool = True) -> None:
    """Finish a running job ``canceled`` (its run stopped between statements): what landed
    stays, and its progress (saved after each statement) says how much."""
    if _finish(job, Job.Status.CANCELED, result=None, error=None, publish_next=publish_next):
        logger.info("job %s canceled between statements: %s", job.job_id, job.progress)


@dataclass
class Cancel:
    """What a cancel did to ``job`` (as it is now): ``"canceled"`` (it was queued: it never
    runs), ``"requested"`` (it runs: it stops before its next statement) or ``"finished"``
    (nothing: it was final already)."""

    job: Job
    outcome: str


def job_cancel(job: Job) -> Cancel:
    """Cancel a job of a client's request.

    Each step is one conditional UPDATE, so a cancel racing a worker's claim (both update a
    queued job) has one winner: canceled before the claim, the job never runs; claimed first,
    it runs and sees ``cancel_requested`` before its first statement.
    """
    for _ in range(3):  # a job moves between queued and running at most so often meanwhile
        now = timezone.now()
        canceled = Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
            status=Job.Status.CANCELED,
            cancel_requested=True,
            finished_at=now,
            available_at=None,
            lease_owner="",
            lease_expires_at=None,
        )
        if canceled:
            job = Job.objects.defer("payload").get(pk=job.pk)
            logger.info("job %s canceled while queued", job.job_id)
            _announce_finished(job)
            # The next job of its table waited for this one when it was the table's head.
            if not Job.objects.filter(table_key=job.table_key, pk__lt=job.pk, status__in=UNFINISHED).exists():
                transaction.on_commit(partial(job_publish_next, job))
            return Cancel(job, "canceled")
        if Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(cancel_requested=True):
            logger.info("job %s: cancel requested while it runs", job.job_id)
            return Cancel(Job.objects.defer("payload").get(pk=job.pk), "requested")
        job = Job.objects.defer("payload").get(pk=job.pk)
        if job.status in FINAL_STATUSES:
            return Cancel(job, "finished")
    return Cancel(job, "finished" if job.finished else "requested")


def job_save_progress(job: Job, **progress: Any) -> None:
    """Merge ``progress`` into the job's; ``JobLost`` if this attempt no longer holds the job,
    so the run stops before its next statement."""
    job.progress = {**job.progress, **progress}
    if not _held(job).update(progress=job.progress):
        raise JobLost(f"job {job.job_id}: attempt {job.attempts} no longer holds it")


def job_succeed(job: Job, result: dict[str, Any], *, publish_next: bool = True) -> None:
    if _finish(job, Job.Status.SUCCEEDED, result=result, error=None, publish_next=publish_next):
        logger.info(
            "job %s succeeded: %s", job.job_id, result.get("message") or f"count {result.get('count')}"
        )


def jobs_succeed(jobs: Sequence[Job], results: Sequence[dict[str, Any]]) -> int:
    """Finish a group's jobs (one claim) ``succeeded``, each with its own result, in ONE
    fenced UPDATE (a group's finish must not hold the database's write lock for a statement
    per job); then publish the next job of their table. The number finished."""
    finished_at = timezone.now()
    by_pk = {job.pk: result for job, result in zip(jobs, results, strict=True)}
    finished = _held_all(jobs).update(
        status=Job.Status.SUCCEEDED,
        error=None,
        finished_at=finished_at,
        result=Case(
            *(When(pk=pk, then=Value(result, output_field=JSONField())) for pk, result in by_pk.items())
        ),
    )
    if finished != len(jobs):
        logger.warning(
            "group of %s jobs: %s no longer held by this attempt; their outcome is not recorded",
            len(jobs),
            len(jobs) - finished,
        )
    for job in jobs:
        job.status, job.result, job.error, job.finished_at = (
            Job.Status.SUCCEEDED,
            by_pk[job.pk],
            None,
            finished_at,
        )
        logger.info("job %s succeeded: %s", job.job_id, by_pk[job.pk].get("message"))
        # Which of a partly lost group this attempt finished is unknown: those are not
        # announced rather than announced twice (the attempt holding the others announces them).
        if finished == len(jobs):
            _announce_finished(job)
    job_publish_next(jobs[-1])
    return finished


def job_fail(job: Job, failure: JobFailed, *, publish_next: bool = True) -> None:
    """Finish the job ``failed`` and announce it (``common.signals.job_failed``: the audit log)."""
    if not _finish(job, Job.Status.FAILED, result=None, error=failure.as_error(), publish_next=publish_next):
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


def retry_delay(attempt: int) -> float:
    """Exponential backoff with full jitter: up to base * 2**(attempt - 1), capped."""
    ceiling = min(
        settings.RECORDS_RETRY_BACKOFF_MAX, settings.RECORDS_RETRY_BACKOFF_BASE * 2 ** max(attempt - 1, 0)
    )
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not security)


def jobs_retry_later(jobs: Sequence[Job], failure: JobFailed) -> float | None:
    """Put the jobs of an attempt that hit a transient error back in the queue, due after a
    backoff (order is kept: nothing later on their table runs first), and publish the first
    when it is due; the delay, or ``None`` if none was retried.

    A job is retried for RECORDS_RETRY_FOR_SECONDS from its first transient error in a row,
    then failed; a job this attempt no longer holds is left to whoever holds it.
    """
    now = timezone.now()
    delay = retry_delay(max(job.attempts for job in jobs))
    error = failure.as_error(retrying=True)
    budget = timedelta(seconds=settings.RECORDS_RETRY_FOR_SECONDS)
    retried: list[Job] = []
    for job in jobs:
        since = job.retrying_since or now
        if now - since >= budget:
            waited = JobFailed(
                f"{failure.message} (transient errors for {(now - since).total_seconds():.0f} s, "
                f"beyond RECORDS_RETRY_FOR_SECONDS)",
                error_class=failure.error_class,
                error_type=failure.error_type,
            )
            job_fail(job, waited, publish_next=False)
            continue
        available_at = now + timedelta(seconds=delay)
        queued = _held(job).update(
            status=Job.Status.QUEUED,
            error=error,
            available_at=available_at,
            retrying_since=since,
            lease_owner="",
            lease_expires_at=None,
        )
        if queued:
            job.status, job.error, job.available_at, job.retrying_since = (
                Job.Status.QUEUED,
                error,
                available_at,
                since,
            )
            retried.append(job)
    if not retried:
        job_publish_next(jobs[-1])
        return None
    job_publish(retried[0].pk, countdown=delay)
    logger.info(
        "job(s) %s: transient error (attempt %s), retrying in %.1f s: %s",
        ", ".join(str(job.job_id) for job in retried),
        retried[0].attempts,
        delay,
        failure.message,
    )
    return delay


def _finish(
    job: Job,
    status: str,
    *,
    result: dict[str, Any] | None,
    error: dict[str, Any] | None,
    publish_next: bool = True,
) -> bool:
    """Finish the job if this attempt still holds it (else another attempt owns its outcome)."""
    finished_at = timezone.now()
    if not _held(job).update(status=status, result=result, error=error, finished_at=finished_at):
        logger.warning(
            "job %s: attempt %s lost the job; its outcome is not recorded", job.job_id, job.attempts
        )
        return False
    job.status, job.result, job.error, job.finished_at = status, result, error, finished_at
    _announce_finished(job)
    if publish_next:
        job_publish_next(job)
    return True


def job_publish_next(job: Job) -> None:
    """Publish the next queued job of the same table, which waited for this one (when its
    retry backoff ends, if it is in one)."""
    following = (
        Job.objects.filter(table_key=job.table_key, status=Job.Status.QUEUED, pk__gt=job.pk)
        .order_by("pk")
        .values_list("pk", "available_at")
        .first()
    )
    if following is not None:
        next_pk, available_at = following
        wait = (available_at - timezone.now()).total_seconds() if available_at else 0
        job_publish(next_pk, countdown=max(wait, 0))


@dataclass
class Requeued:
    """What a re-queue did: jobs re-queued in place, jobs refused (newer jobs of their table
    already ran), and new jobs created for refused ones at the end of their table's queue."""

    requeued: list[Job] = dc_field(default_factory=list)
    refused: list[Job] = dc_field(default_factory=list)
    copies: list[Job] = dc_field(default_factory=list)
    # Ingest jobs: their uploaded file is deleted once they end, so there is nothing to run.
    uploads_gone: list[Job] = dc_field(default_factory=list)


def jobs_requeue(*, job_ids: list[int], as_new: bool = False) -> Requeued:
    """Re-queue failed jobs (admin action): they run again from the start, their attempts and
    retry budget counted anew.

    A failed job behind which a newer job of its table has already run is refused: running
    it now would apply it out of order (an old write after a newer delete of its rows). With
    ``as_new`` the operator confirms it should run anyway, as a NEW job at the end of its
    table's queue (same request and client; its rows keep their record_uuids, so rows it had
    landed before failing are not written twice); the failed job stays as it was.
    """
    outcome = Requeued()
    for job in Job.objects.filter(pk__in=job_ids, status=Job.Status.FAILED).order_by("pk"):
        if job.operation == Job.Operation.INGEST:
            outcome.uploads_gone.append(job)
            continue
        overtaken = Job.objects.filter(
            table_key=job.table_key, pk__gt=job.pk, started_at__isnull=False
        ).exists()
        if overtaken and not as_new:
            outcome.refused.append(job)
            continue
        if overtaken:
            copy = Job.objects.create(
                operation=job.operation,
                catalog=job.catalog,
                schema=job.schema,
                table=job.table,
                payload=job.payload,
                client=job.client,
                principal=job.principal,
            )
            logger.info("job %s re-queued as the new job %s", job.job_id, copy.job_id)
            outcome.copies.append(copy)
            transaction.on_commit(lambda pk=copy.pk: job_publish(pk))  # type: ignore[misc]
            continue
        Job.objects.filter(pk=job.pk, status=Job.Status.FAILED).update(
            status=Job.Status.QUEUED,
            finished_at=None,
            error=None,
            result=None,
            progress={},
            attempts=0,
            available_at=None,
            retrying_since=None,
        )
        outcome.requeued.append(job)
        transaction.on_commit(lambda pk=job.pk: job_publish(pk))  # type: ignore[misc]
    return outcome


def jobs_republish_stale() -> int:
    """Re-queue jobs whose lease ran out and publish them; publish again jobs queued past the
    grace period (their publish may have failed)."""
    now = timezone.now()
    grace = timedelta(seconds=settings.RECORDS_REQUEUE_GRACE_SECONDS)
    # A lease that ran out means the worker died (or lost the database): take the job over. A
    # job started before leases existed has none: its start time stands in for it.
    expired = Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True, started_at__lt=now - _lease())
    _end_canceled_expired(expired)
    revived_pks = list(Job.objects.filter(expired, status=Job.Status.RUNNING).values_list("pk", flat=True))
    revived = Job.objects.filter(expired, status=Job.Status.RUNNING, pk__in=revived_pks).update(
        status=Job.Status.QUEUED, lease_owner="", lease_expires_at=None
    )
    if revived:
        logger.warning("re-queued %s job(s) whose worker's lease ran out", revived)
    # Queued past the grace period: since submit, or since its retry was due. (A canceled job
    # is final: neither of these takes it.)
    overdue = Q(available_at__isnull=True, submitted_at__lt=now - grace) | Q(available_at__lt=now - grace)
    stale = Job.objects.filter(overdue | Q(pk__in=revived_pks), status=Job.Status.QUEUED).order_by("pk")
    # The first queued job of each table is enough: the others are published as it finishes.
    heads = stale.exclude(_earlier_unfinished_on_table())
    count = 0
    for pk in heads.values_list("pk", flat=True)[: settings.RECORDS_REQUEUE_BATCH]:
        count += job_publish(pk)
    return count


def _end_canceled_expired(expired: Q) -> None:
    """Finish ``canceled`` the running jobs whose lease ran out after a cancel was requested
    (rather than re-queue them only to cancel them at their next claim)."""
    for job in Job.objects.filter(expired, status=Job.Status.RUNNING, cancel_requested=True).defer("payload"):
        ended = Job.objects.filter(expired, pk=job.pk, status=Job.Status.RUNNING).update(
            status=Job.Status.CANCELED, finished_at=timezone.now(), lease_owner="", lease_expires_at=None
        )
        if ended:
            job.refresh_from_db(fields=["status", "finished_at"])
            logger.warning("job %s: its worker's lease ran out after a cancel; canceled", job.job_id)
            _announce_finished(job)
            job_publish_next(job)
