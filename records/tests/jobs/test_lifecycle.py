"""A job's life after submit: the claim that keeps a table's jobs in order, and the re-publishing sweep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from records.jobs import lifecycle
from records.models import Job
from records.testing import unpublished_write, wait_for_job
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


def test_the_sweep_requeues_jobs_whose_worker_died(table: TableName, settings: Any) -> None:
    """A job left running past RECORDS_JOB_STALE_SECONDS goes back to queued."""
    settings.RECORDS_JOB_STALE_SECONDS = 60
    job = unpublished_write(table, [{"id": 1}], status=Job.Status.RUNNING)
    Job.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(minutes=5))
    lifecycle.jobs_republish_stale()
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED


def test_a_job_waits_for_an_earlier_unfinished_job_on_its_table(table: TableName) -> None:
    """The claim refuses a job while an earlier job on the same table is queued or running."""
    first = unpublished_write(table, [{"id": 1}])
    second = unpublished_write(table, [{"id": 2}])
    assert lifecycle.job_claim(second.pk) is None
    assert lifecycle.job_claim(first.pk) is not None
    assert lifecycle.job_claim(second.pk) is None  # first is running
    assert lifecycle.job_claim(first.pk) is None  # a second delivery of first does nothing
