"""Celery tasks: run a job by id; periodically publish jobs that no worker picked up."""

from __future__ import annotations

import logging
import random

from celery import Task, shared_task
from django.conf import settings

from warehouse.exceptions import TransientWarehouseError

from . import execution, services

logger = logging.getLogger(__name__)


def retry_delay(attempt: int) -> float:
    """Exponential backoff with full jitter: up to base * 2**(attempt - 1), capped."""
    ceiling = min(
        settings.RECORDS_RETRY_BACKOFF_MAX, settings.RECORDS_RETRY_BACKOFF_BASE * 2 ** max(attempt - 1, 0)
    )
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not security)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def job_run_task(self: Task, job_pk: int) -> None:
    """Run one job. Idempotent: a delivery for a job that runs or has finished does nothing."""
    job = services.job_claim(job_pk)
    if job is None:
        # Running elsewhere, finished, or waiting for an earlier job on its table (which
        # publishes this one when it finishes).
        return
    try:
        result = execution.job_execute(job)
    except TransientWarehouseError as error:
        if job.attempts >= settings.RECORDS_JOB_MAX_ATTEMPTS:
            services.job_fail(
                job,
                message=error.message,
                error_class=error.error_class,
                error_type="TransientWarehouseError",
            )
            return
        services.job_retry_later(job, message=error.message, error_class=error.error_class)
        delay = retry_delay(job.attempts)
        logger.info(
            "job %s: transient error (attempt %s), retrying in %.1f s: %s",
            job.job_id,
            job.attempts,
            delay,
            error.message,
        )
        raise self.retry(countdown=delay, exc=error) from error
    except execution.JobFailed as failure:
        services.job_fail(
            job, message=failure.message, error_class=failure.error_class, error_type=failure.error_type
        )
        return
    services.job_succeed(job, result)


@shared_task(ignore_result=True)
def jobs_republish_stale_task() -> int:
    """Beat: publish queued jobs past the grace period (e.g. their publish failed)."""
    return services.jobs_republish_stale()
