"""Celery tasks: run a job by id; periodically publish jobs that no worker picked up."""

from __future__ import annotations

import logging
import random
from functools import partial

from celery import Task, shared_task
from django.conf import settings

from warehouse.exceptions import TransientWarehouseError

from . import lifecycle
from .errors import JobFailed, JobLost
from .queue import JOB_RUN_TASK, JOBS_REPUBLISH_STALE_TASK
from .run import job_execute

logger = logging.getLogger(__name__)


def retry_delay(attempt: int) -> float:
    """Exponential backoff with full jitter: up to base * 2**(attempt - 1), capped."""
    ceiling = min(
        settings.RECORDS_RETRY_BACKOFF_MAX, settings.RECORDS_RETRY_BACKOFF_BASE * 2 ** max(attempt - 1, 0)
    )
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not security)


@shared_task(name=JOB_RUN_TASK, bind=True, acks_late=True, ignore_result=True, max_retries=None)
def job_run_task(self: Task, job_pk: int) -> None:
    """Run one job. Idempotent: a delivery for a job that runs or has finished does nothing."""
    job = lifecycle.job_claim(job_pk)
    if job is None:
        # Running elsewhere, finished, or waiting for an earlier job on its table (which
        # publishes this one when it finishes).
        return
    try:
        with lifecycle.job_heartbeat(job):
            result = job_execute(job, partial(lifecycle.job_save_progress, job))
    except TransientWarehouseError as error:
        failure = JobFailed.from_transient(error)
        if job.attempts >= settings.RECORDS_JOB_MAX_ATTEMPTS:
            lifecycle.job_fail(job, failure)
            return
        if not lifecycle.job_retry_later(job, failure):
            return  # another attempt holds the job now
        delay = retry_delay(job.attempts)
        logger.info(
            "job %s: transient error (attempt %s), retrying in %.1f s: %s",
            job.job_id,
            job.attempts,
            delay,
            error.message,
        )
        raise self.retry(countdown=delay, exc=error) from error
    except JobFailed as failure:
        lifecycle.job_fail(job, failure)
        return
    except JobLost as lost:
        logger.warning("%s; stopping before the next statement", lost)
        return
    except Exception as error:  # nothing above the task records a job's outcome: fail it here
        logger.exception("job %s: unexpected error", job.job_id)
        lifecycle.job_fail(job, JobFailed.from_unexpected(error))
        return
    lifecycle.job_succeed(job, result)


@shared_task(name=JOBS_REPUBLISH_STALE_TASK, ignore_result=True)
def jobs_republish_stale_task() -> int:
    """Beat: publish queued jobs past the grace period (e.g. their publish failed)."""
    return lifecycle.jobs_republish_stale()
