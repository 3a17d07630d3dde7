"""A job's life after submit: the claim that keeps a table's jobs in order, and the re-publishing sweep."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from audit.models import ApiLog
from records.jobs import lifecycle
from records.jobs.errors import JobFailed, JobLost
from records.jobs.tasks import job_run_task
from records.models import Job
from records.testing import client_allowed_to_modify, unpublished_write, wait_for_job
from warehouse.client import get_client
from warehouse.sql import TableName

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.usefixtures("celery_worker")
def test_the_sweep_publishes_jobs_whose_publish_was_lost(table: TableName) -> None:
    """A queued job nobody published is published by the periodic sweep and then runs."""
    job = unpublished_write(table, [{"id": 7}])
    Job.objects.filter(pk=job.pk).update(submitted_at=timezone.now() - timedelta(minutes=5))
    assert lifecycle.jobs_republish_stale() == 1
    assert wait_for_job(job).status == Job.Status.SUCCEEDED
    assert get_client().execute(f"SELECT id FROM {table}").rows == [(7,)]


def test_the_sweep_requeues_jobs_whose_lease_ran_out(table: TableName, settings: Any) -> None:
    """A running job whose lease expired (its worker died) goes back to queued and is published;
    one whose lease still runs is left alone, however long it has been running."""
    settings.RECORDS_LEASE_SECONDS = 30
    now = timezone.now()
    dead = unpublished_write(
        table, [{"id": 1}], status=Job.Status.RUNNING, lease_expires_at=now - timedelta(seconds=1)
    )
    other = TableName(table.catalog, table.schema, "other")
    alive = unpublished_write(
        other, [{"id": 2}], status=Job.Status.RUNNING, lease_expires_at=now + timedelta(seconds=20)
    )
    Job.objects.filter(pk=alive.pk).update(started_at=now - timedelta(hours=2))
    assert lifecycle.jobs_republish_stale() == 1  # the revived job, published at once
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.status, dead.lease_expires_at) == (Job.Status.QUEUED, None)
    assert alive.status == Job.Status.RUNNING


def test_a_heartbeat_keeps_a_long_run_from_being_taken_over(table: TableName, settings: Any) -> None:
    """While a run lasts several lease periods, its heartbeat renews the lease, so the sweep
    leaves it alone; after the run the lease is no longer renewed."""
    settings.RECORDS_LEASE_SECONDS = 0.6
    job = unpublished_write(table, [{"id": 1}])
    claimed = lifecycle.job_claim(job.pk)
    assert claimed is not None and claimed.lease_expires_at is not None
    with lifecycle.job_heartbeat(claimed):
        for _ in range(4):
            time.sleep(0.3)
            lifecycle.jobs_republish_stale()
            job.refresh_from_db()
            assert job.status == Job.Status.RUNNING
    assert job.lease_expires_at is not None and job.lease_expires_at > claimed.lease_expires_at
    time.sleep(0.7)
    lifecycle.jobs_republish_stale()
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED


def test_a_worker_whose_job_was_taken_over_stops_renewing(table: TableName) -> None:
    """Renewing the lease of a job claimed again by another attempt fails (the fence)."""
    job = unpublished_write(table, [{"id": 1}])
    first = lifecycle.job_claim(job.pk)
    assert first is not None and lifecycle.job_renew_lease(first)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED)
    assert lifecycle.job_claim(job.pk) is not None
    assert not lifecycle.job_renew_lease(first)


def test_a_job_waits_for_an_earlier_unfinished_job_on_its_table(table: TableName) -> None:
    """The claim refuses a job while an earlier job on the same table is queued or running."""
    first = unpublished_write(table, [{"id": 1}])
    second = unpublished_write(table, [{"id": 2}])
    assert lifecycle.job_claim(second.pk) is None
    assert lifecycle.job_claim(first.pk) is not None
    assert lifecycle.job_claim(second.pk) is None  # first is running
    assert lifecycle.job_claim(first.pk) is None  # a second delivery of first does nothing


def test_an_attempt_that_lost_its_job_changes_nothing(table: TableName) -> None:
    """Once the job is claimed again, the earlier attempt's progress, result and retry are refused:
    progress raises JobLost (the run stops before its next statement), finishing is a no-op."""
    job = unpublished_write(table, [{"id": 1}])
    first = lifecycle.job_claim(job.pk)
    assert first is not None
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED)  # the sweep took it back
    second = lifecycle.job_claim(job.pk)
    assert second is not None and second.attempts == first.attempts + 1
    with pytest.raises(JobLost):
        lifecycle.job_save_progress(first, batches_done=1)
    lifecycle.job_succeed(first, {"message": "stale", "count": 99})
    assert lifecycle.jobs_retry_later([first], JobFailed("late", error_class="X")) is None
    lifecycle.job_succeed(second, {"message": "Inserted 1 record(s)", "count": 1})
    job.refresh_from_db()
    assert (job.status, job.result, job.progress) == (
        Job.Status.SUCCEEDED,
        {"message": "Inserted 1 record(s)", "count": 1},
        {},
    )


def test_an_unexpected_error_fails_the_job_with_its_traceback(table: TableName) -> None:
    """A run that raises what nobody expected (here: a payload without its method) ends failed as
    an internal error, never left running, with the traceback in api_log."""
    job = Job.objects.create(
        operation=Job.Operation.UPDATE,
        catalog=table.catalog,
        schema=table.schema,
        table=table.table,
        payload={"filters": []},
        client=client_allowed_to_modify("alice", table),
        principal="alice",
    )
    job_run_task.apply(args=(job.pk,))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.error is not None
    assert (job.error["error_class"], job.error["type"]) == ("INTERNAL_ERROR", "KeyError")
    log = ApiLog.objects.get(method="JOB")
    assert "KeyError" in log.stack_trace and "Traceback" in log.stack_trace


def test_requeue_counts_attempts_anew(table: TableName) -> None:
    """A failed job put back in the queue by an operator starts again at attempt 0."""
    job = unpublished_write(table, [{"id": 1}], status=Job.Status.FAILED, attempts=5)
    assert len(lifecycle.jobs_requeue(job_ids=[job.pk]).requeued) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Job.Status.QUEUED, 0)
