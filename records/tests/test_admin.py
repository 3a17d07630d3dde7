"""The jobs admin: list and filter jobs, re-queue failed ones."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from records.models import Job
from records.testing import unpublished_write
from warehouse.sql import TableName

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_lists_jobs_and_requeues_failed_ones(table: TableName) -> None:
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
