"""Running a job as a Celery task: permanent failures at once, transient ones retried with backoff."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.utils import timezone

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


def test_transient_errors_are_retried_for_the_retry_budget_then_fail(
    table: TableName, local_warehouse: LocalWarehouseProcess, settings: Any
) -> None:
    """With the warehouse down, a job goes back to the queue due after its backoff (a claim
    before that is refused), is retried for RECORDS_RETRY_FOR_SECONDS from its first transient
    error, and then fails as transient, naming the budget."""
    settings.RECORDS_RETRY_FOR_SECONDS = 2.0
    settings.RECORDS_RETRY_BACKOFF_BASE = 1.0
    settings.RECORDS_RETRY_BACKOFF_MAX = 1.0  # 0.5 to 1 s
    job = unpublished_write(table, [{"id": 1}])
    local_warehouse.stop()
    try:
        get_client().reset()
        deadline = time.monotonic() + 30
        while job.status != Job.Status.FAILED and time.monotonic() < deadline:
            job_run_task.apply(args=(job.pk,))  # a delivery of its message
            job.refresh_from_db()
            if job.status == Job.Status.QUEUED:
                assert job.available_at is not None and job.retrying_since is not None
                assert lifecycle.job_claim(job.pk) is None  # not before its backoff ends
                time.sleep(max((job.available_at - timezone.now()).total_seconds(), 0))
    finally:
        local_warehouse.start()
        get_client().reset()
    assert job.status == Job.Status.FAILED and job.attempts >= 2  # each try waits out connector retries
    assert job.error is not None
    assert job.error["type"] == "TransientWarehouseError"
    assert "RECORDS_RETRY_FOR_SECONDS" in job.error["message"]
    assert job.finished_at is not None and job.retrying_since is not None
    assert (job.finished_at - job.retrying_since).total_seconds() >= 2.0


def test_a_retried_job_succeeds_once_the_warehouse_is_back(
    table: TableName, local_warehouse: LocalWarehouseProcess
) -> None:
    """A job put back in the queue after a transient error runs to success later, rows landing once."""
    job = unpublished_write(table, [{"id": 1}, {"id": 2}])
    claimed = lifecycle.job_claim(job.pk)
    assert claimed is not None
    delay = lifecycle.jobs_retry_later(
        [claimed], JobFailed("warehouse restarting", error_class="TEMPORARILY_UNAVAILABLE")
    )
    assert delay is not None
    Job.objects.filter(pk=job.pk).update(available_at=timezone.now())  # its backoff is over
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
