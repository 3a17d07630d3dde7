"""Job machinery: retries, permanent failures, the re-publishing sweep, admin re-queue, API clients."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from access.models import ApiClient
from records.jobs import lifecycle
from records.jobs.errors import JobFailed
from records.jobs.payloads import WritePayload
from records.jobs.tasks import job_run_task, retry_delay
from records.models import Job
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess

pytestmark = pytest.mark.django_db(transaction=True)

CATALOG = "job_tests"


@pytest.fixture
def table(local_warehouse: LocalWarehouseProcess) -> Iterator[str]:
    schema = f"s_{uuid.uuid4().hex[:10]}"
    client = get_client()
    client.reset()
    client.execute(f"CREATE CATALOG IF NOT EXISTS {CATALOG}")
    client.execute(f"CREATE SCHEMA {CATALOG}.{schema}")
    client.execute(
        f"CREATE TABLE {CATALOG}.{schema}.t (id BIGINT NOT NULL, note STRING, record_uuid STRING, "
        "is_deleted BOOLEAN, inserted_at TIMESTAMP, inserted_by STRING)"
    )
    yield schema
    client.execute(f"DROP SCHEMA IF EXISTS {CATALOG}.{schema} CASCADE")


def unpublished_write(schema: str, rows: list[dict[str, Any]], **fields: Any) -> Job:
    """A queued write stored without publishing it, as if the broker had been down."""
    payload = WritePayload(rows=[{**r, "record_uuid": str(uuid.uuid4())} for r in rows]).to_json()
    return Job.objects.create(
        operation=Job.Operation.WRITE,
        catalog=CATALOG,
        schema=schema,
        table="t",
        payload=payload,
        client=ApiClient.objects.get_or_create(name="alice")[0],
        principal="alice",
        **fields,
    )


def wait_finished(job: Job, seconds: float = 30) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.finished:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job.job_id} still {job.status}")


def test_sql_errors_fail_the_job_at_once_with_the_warehouse_message(table: str) -> None:
    """A permanent warehouse error (here a vanished table) fails the job on its first attempt."""
    job = unpublished_write(table, [{"id": 1}])
    get_client().execute(f"DROP TABLE {CATALOG}.{table}.t")
    job_run_task.apply(args=(job.pk,))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.attempts == 1
    assert job.error is not None
    assert job.error["error_class"] == "TABLE_OR_VIEW_NOT_FOUND"
    assert "t" in job.error["message"] and job.finished_at is not None


def test_transient_errors_are_retried_then_fail_after_the_last_attempt(
    table: str, local_warehouse: LocalWarehouseProcess, settings: Any
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
    table: str, local_warehouse: LocalWarehouseProcess
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
    assert job.result == {"message": f"Inserted 2 record(s) into {CATALOG}.{table}.t", "count": 2}
    assert job.error is None


def test_backoff_grows_exponentially_and_is_capped(settings: Any) -> None:
    """retry_delay doubles per attempt (with jitter) and never exceeds RECORDS_RETRY_BACKOFF_MAX."""
    settings.RECORDS_RETRY_BACKOFF_BASE = 2.0
    settings.RECORDS_RETRY_BACKOFF_MAX = 30.0
    assert 1.0 <= retry_delay(1) <= 2.0
    assert 4.0 <= retry_delay(3) <= 8.0
    assert 15.0 <= retry_delay(10) <= 30.0


@pytest.mark.usefixtures("celery_worker")
def test_the_sweep_publishes_jobs_whose_publish_was_lost(table: str) -> None:
    """A queued job nobody published is published by the periodic sweep and then runs."""
    job = unpublished_write(table, [{"id": 7}])
    Job.objects.filter(pk=job.pk).update(submitted_at=timezone.now() - timedelta(minutes=5))
    assert lifecycle.jobs_republish_stale() == 1
    assert wait_finished(job).status == Job.Status.SUCCEEDED
    assert get_client().execute(f"SELECT id FROM {CATALOG}.{table}.t").rows == [(7,)]


def test_the_sweep_requeues_jobs_whose_worker_died(table: str, settings: Any) -> None:
    """A job left running past RECORDS_JOB_STALE_SECONDS goes back to queued."""
    settings.RECORDS_JOB_STALE_SECONDS = 60
    job = unpublished_write(table, [{"id": 1}], status=Job.Status.RUNNING)
    Job.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(minutes=5))
    lifecycle.jobs_republish_stale()
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED


def test_a_job_waits_for_an_earlier_unfinished_job_on_its_table(table: str) -> None:
    """The claim refuses a job while an earlier job on the same table is queued or running."""
    first = unpublished_write(table, [{"id": 1}])
    second = unpublished_write(table, [{"id": 2}])
    assert lifecycle.job_claim(second.pk) is None
    assert lifecycle.job_claim(first.pk) is not None
    assert lifecycle.job_claim(second.pk) is None  # first is running
    assert lifecycle.job_claim(first.pk) is None  # a second delivery of first does nothing


def test_admin_lists_jobs_and_requeues_failed_ones(table: str) -> None:
    """The admin changelist shows jobs; its action puts failed jobs back in the queue."""
    job = unpublished_write(table, [{"id": 1}], status=Job.Status.FAILED, error={"message": "boom"})
    User.objects.create_superuser("admin", "admin@example.com", "pw")
    admin = Client()
    admin.login(username="admin", password="pw")
    page = admin.get("/admin/records/job/?status__exact=failed")
    assert page.status_code == 200 and str(job.job_id) in page.content.decode()
    response = admin.post("/admin/records/job/", {"action": "requeue_failed", "_selected_action": [job.pk]})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.error is None
