"""Running a job as a Celery task: permanent failures at once, transient ones retried with backoff."""

from __future__ import annotations

from typing import Any

import pytest

from records.jobs import lifecycle
from records.jobs.errors import JobFailed
from records.jobs.tasks import job_run_task, retry_delay
from records.models import Job
from records.testing import unpublished_write
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName

pytestmark = pytest.mark.django_db(transaction=True)


def test_sql_errors_fail_the_job_at_once_with_the_warehouse_message(table: TableName) -> None:
    """A permanent warehouse error (here a vanished table) fails the job on its first attempt."""
    job = unpublished_write(table, [{"id": 1}])
    get_client().execute(f"DROP TABLE {table}")
    job_run_task.apply(args=(job.pk,))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.attempts == 1
    assert job.error is not None
    assert job.error["error_class"] == "TABLE_OR_VIEW_NOT_FOUND"
    assert "t" in job.error["message"] and job.finished_at is not None


def test_transient_errors_are_retried_then_fail_after_the_last_attempt(
    table: TableName, local_warehouse: LocalWarehouseProcess, settings: Any
) -> None:
    """With the warehouse down, a job is tried RECORDS_JOB_MAX_ATTEMPTS times and then fails as transient."""
    settings.RECORDS_JOB_MAX_ATTEMPTS = 3
    job = unpublished_write(table, [{"id": 1}])
    local_warehouse.stop()
    try:
        get_client().reset()
        job_run_task.apply(args=(job.pk,))  # eager: each retry runs at once
    finally:
        local_warehouse.start()
        get_client().reset()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.attempts == 3
    assert job.error is not None
    assert job.error["type"] == "TransientWarehouseError"


def test_a_retried_job_succeeds_once_the_warehouse_is_back(
    table: TableName, local_warehouse: LocalWarehouseProcess
) -> None:
    """A job put back in the queue after a transient error runs to success later, rows landing once."""
    job = unpublished_write(table, [{"id": 1}, {"id": 2}])
    claimed = lifecycle.job_claim(job.pk)
    assert claimed is not None
    lifecycle.job_retry_later(
        claimed, JobFailed("warehouse restarting", error_class="TEMPORARILY_UNAVAILABLE")
    )
    job_run_task.apply(args=(job.pk,))
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 2
    assert job.result == {"message": f"Inserted 2 record(s) into {table}", "count": 2}
    assert job.error is None


def test_backoff_grows_exponentially_and_is_capped(settings: Any) -> None:
    """retry_delay doubles per attempt (with jitter) and never exceeds RECORDS_RETRY_BACKOFF_MAX."""
    settings.RECORDS_RETRY_BACKOFF_BASE = 2.0
    settings.RECORDS_RETRY_BACKOFF_MAX = 30.0
    assert 1.0 <= retry_delay(1) <= 2.0
    assert 4.0 <= retry_delay(3) <= 8.0
    assert 15.0 <= retry_delay(10) <= 30.0
