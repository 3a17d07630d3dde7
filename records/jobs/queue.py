"""Publishing a job to the workers, by task name: nothing here imports the tasks module."""

from __future__ import annotations

import logging

from celery import current_app
from django.conf import settings

logger = logging.getLogger(__name__)

# The registered names of the tasks in ``records.jobs.tasks``. They keep the names of the
# module the tasks lived in first, so messages already in a broker still find them.
JOB_RUN_TASK = "records.tasks.job_run_task"
JOBS_REPUBLISH_STALE_TASK = "records.tasks.jobs_republish_stale_task"

# A broker that does not answer fails the publish quickly; the job is durable either way.
_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def job_publish(job_pk: int, *, countdown: float | None = None) -> bool:
    """Send the job's id to the workers (on RECORDS_JOB_QUEUE); a broker failure is logged,
    the job stays queued.

    The periodic sweep (``jobs_republish_stale``) publishes it again later.
    """
    try:
        current_app.send_task(
            JOB_RUN_TASK,
            args=(job_pk,),
            queue=settings.RECORDS_JOB_QUEUE,
            countdown=countdown or 0,
            retry=True,
            retry_policy=_RETRY_POLICY,
        )
    except Exception:  # the broker's errors vary by transport; the job is durable either way
        logger.exception("could not publish job %s; the sweep will publish it again", job_pk)
        return False
    return True
