"""Celery tasks: run a job (and the writes grouped with it) by id; the periodic sweep."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial

from celery import shared_task

from common.logging import job_log_context
from warehouse.exceptions import PermanentWarehouseError, TransientWarehouseError
from warehouse.sql import ParameterTooLarge

from ..models import Job
from . import lifecycle
from .errors import JobFailed, JobLost
from .group import Group, group_execute, job_group
from .ingest import ingest_dir_sweep
from .lifecycle import retry_delay
from .queue import JOB_RUN_TASK, JOBS_REPUBLISH_STALE_TASK
from .run import job_execute

logger = logging.getLogger(__name__)

__all__ = ["job_run_task", "jobs_republish_stale_task", "retry_delay"]


@shared_task(name=JOB_RUN_TASK, acks_late=True, ignore_result=True)
def job_run_task(job_pk: int) -> None:
    """Run one job, with the queued writes behind it when they fit one statement.

    Idempotent: a delivery for a job that runs, has finished or waits for an earlier job of
    its table does nothing (the earlier job publishes it when it finishes).
    """
    head = lifecycle.job_claim(job_pk)
    if head is None:
        return
    # Every line logged while it runs carries its job_id (a group's: its head's, then each
    # job's own while they run one by one).
    with job_log_context(head.job_id):
        _run_claimed(head)


def _run_claimed(head: Job) -> None:
    """Run a claimed job, alone or with the writes grouped behind it."""
    try:
        group = job_group(head)
    except Exception:  # deciding the group must not leave the head running
        logger.exception("job %s: could not form a group; running it alone", head.job_id)
        group = None
    if group is None:
        with lifecycle.job_heartbeat(head):
            _run_alone(head)
        return
    with lifecycle.job_heartbeat(*group.jobs):
        _run_group(group)


def _run_alone(job: Job, then: Sequence[Job] = ()) -> bool:
    """Run one claimed job to its outcome; False when it did not finish (retrying or lost).

    ``then`` are claimed jobs of its group still to run after it: they go back to the queue
    with it on a transient error.
    """
    try:
        result = job_execute(job, partial(lifecycle.job_save_progress, job))
    except TransientWarehouseError as error:
        lifecycle.jobs_retry_later([job, *then], JobFailed.from_transient(error))
        return False
    except JobFailed as failure:
        lifecycle.job_fail(job, failure, publish_next=not then)
        return True
    except lifecycle.JobCanceled as canceled:
        logger.info("%s; stopping before the next statement", canceled)
        lifecycle.job_end_canceled(job, publish_next=not then)
        return True
    except JobLost as lost:
        logger.warning("%s; stopping before the next statement", lost)
        return False
    except Exception as error:  # nothing above the task records a job's outcome: fail it here
        logger.exception("job %s: unexpected error", job.job_id)
        lifecycle.job_fail(job, JobFailed.from_unexpected(error), publish_next=not then)
        return True
    lifecycle.job_succeed(job, result, publish_next=not then)
    return True


def _run_group(group: Group) -> None:
    """Land a group in one statement and finish every job with its own result. A statement
    the warehouse refuses (a bad value, a changed table) says nothing about which job caused
    it: then each job runs alone, in order, as it would have without the group."""
    jobs = group.jobs
    try:
        lifecycle.jobs_check_held(jobs)
        results = group_execute(group)
    except TransientWarehouseError as error:
        lifecycle.jobs_retry_later(jobs, JobFailed.from_transient(error))
        return
    except JobLost as lost:
        logger.warning("%s; the group stops before its statement", lost)
        return
    except (PermanentWarehouseError, ParameterTooLarge) as error:
        logger.info(
            "group of %s jobs on %s refused (%s); running them one by one",
            len(jobs),
            group.table,
            getattr(error, "error_class", type(error).__name__),
        )
        for index, job in enumerate(jobs):
            with job_log_context(job.job_id):
                if not _run_alone(job, then=jobs[index + 1 :]):
                    return
        return
    except Exception as error:
        logger.exception("group of %s jobs on %s: unexpected error", len(jobs), group.table)
        for job in jobs:
            lifecycle.job_fail(job, JobFailed.from_unexpected(error), publish_next=False)
        lifecycle.job_publish_next(jobs[-1])
        return
    lifecycle.jobs_succeed(jobs, results)
    logger.info(
        "group of %s jobs landed %s rows in %s", len(jobs), sum(r["count"] for r in results), group.table
    )


@shared_task(name=JOBS_REPUBLISH_STALE_TASK, ignore_result=True)
def jobs_republish_stale_task() -> int:
    """Beat: take over jobs whose lease ran out; publish queued jobs no worker picked up."""
    return lifecycle.jobs_republish_stale()


@shared_task(name="records.tasks.ingest_dir_sweep_task", ignore_result=True)
def ingest_dir_sweep_task() -> int:
    """Beat, hourly: what RECORDS_INGEST_DIR holds for nobody for a day is deleted."""
    return len(ingest_dir_sweep(older_than=INGEST_LEFTOVER_SECONDS))


# An upload or staging folder untouched this long belongs to a request or worker that died.
INGEST_LEFTOVER_SECONDS = 24 * 3600.0
