"""The jobs admin: list and filter jobs, re-queue failed ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

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
    assert page.status_code == 200 and str(job.job_id).split("-")[0] in page.content.decode()
    response = admin.post(
        "/admin/records/job/", {"action": "requeue_failed", "_selected_action": [job.pk], "confirm": "yes"}
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.error is None


def test_requeue_refuses_a_job_a_newer_one_of_its_table_overtook_unless_made_a_new_job(
    table: TableName,
) -> None:
    """A failed write behind which a newer job of its table already ran is not re-queued in
    place (it would run out of order); the admin says why. Re-queued "as new", it becomes a
    new job at the end of its table's queue with the same request and client, the failed one
    left as it was; attempts of a job re-queued in place start again from 0."""
    old = unpublished_write(table, [{"id": 1}], status=Job.Status.FAILED, attempts=5, error={"message": "x"})
    newer = unpublished_write(table, [{"id": 2}], status=Job.Status.SUCCEEDED, started_at=timezone.now())
    alone = unpublished_write(
        TableName(table.catalog, table.schema, "other"), [{"id": 3}], status=Job.Status.FAILED, attempts=5
    )
    User.objects.create_superuser("admin", "admin@example.com", "pw")
    admin = Client()
    admin.login(username="admin", password="pw")
    page = admin.post(
        "/admin/records/job/",
        {"action": "requeue_failed", "_selected_action": [old.pk, alone.pk], "confirm": "yes"},
        follow=True,
    )
    text = page.content.decode()
    assert "Re-queued 1 failed job(s)." in text and f"Not re-queued: {old.job_id}" in text
    old.refresh_from_db()
    alone.refresh_from_db()
    assert old.status == Job.Status.FAILED and old.attempts == 5
    # Re-queued with its attempts counted anew (a worker may have taken it already).
    assert alone.status != Job.Status.FAILED or alone.attempts == 1
    assert alone.attempts <= 1
    before = set(Job.objects.values_list("pk", flat=True))
    admin.post(
        "/admin/records/job/",
        {"action": "requeue_failed_as_new", "_selected_action": [old.pk], "confirm": "yes"},
    )
    (copy,) = Job.objects.exclude(pk__in=before)
    assert copy.pk > newer.pk and copy.attempts <= 1  # at the end of the queue, counted anew
    assert (copy.payload, copy.client_id, copy.principal, copy.table_key) == (
        old.payload,
        old.client_id,
        old.principal,
        old.table_key,
    )
    old.refresh_from_db()
    assert old.status == Job.Status.FAILED


@pytest.fixture
def admin() -> Client:
    User.objects.create_superuser("admin", "admin@example.com", "pw")
    client = Client()
    client.login(username="admin", password="pw")
    return client


def test_requeue_says_what_will_happen_and_waits_for_confirmation(table: TableName, admin: Client) -> None:
    """The action first shows, per job, whether the error is permanent (it fails again) or
    transient, and whether it runs in place or only as a new job after newer ones; nothing
    changes until the operator confirms."""
    permanent = unpublished_write(
        table,
        [{"id": 1}],
        status=Job.Status.FAILED,
        error={"message": "no", "error_class": "PERMISSION_DENIED", "type": "PermissionDenied"},
    )
    unpublished_write(table, [{"id": 2}], status=Job.Status.SUCCEEDED, started_at=timezone.now())
    transient = unpublished_write(
        TableName(table.catalog, table.schema, "other"),
        [{"id": 3}],
        status=Job.Status.FAILED,
        attempts=5,
        error={
            "message": "down",
            "error_class": "TEMPORARILY_UNAVAILABLE",
            "type": "TransientWarehouseError",
        },
    )
    page = admin.post(
        "/admin/records/job/", {"action": "requeue_failed", "_selected_action": [permanent.pk, transient.pk]}
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "permanent error (PERMISSION_DENIED)" in text and "fails again unless" in text
    assert "Newer jobs of" in text and "as a new job" in text
    assert "transient warehouse error (TEMPORARILY_UNAVAILABLE) after 5 attempt(s)" in text
    assert 'name="confirm" value="yes"' in text
    permanent.refresh_from_db()
    transient.refresh_from_db()
    assert (permanent.status, transient.status) == (Job.Status.FAILED, Job.Status.FAILED)


def test_the_job_list_shows_size_duration_error_class_and_seconds(table: TableName, admin: Client) -> None:
    started = timezone.now().replace(microsecond=0)
    job = unpublished_write(
        table,
        [{"id": i} for i in range(3)],
        status=Job.Status.FAILED,
        started_at=started,
        finished_at=started + timedelta(seconds=2.5),
        error={"message": "x", "error_class": "UNRESOLVED_COLUMN", "type": "DatabaseError"},
    )
    Job.objects.filter(pk=job.pk).update(item_count=3)
    text = admin.get("/admin/records/job/").content.decode()
    assert "UNRESOLVED_COLUMN" in text and "2.5 s" in text
    assert timezone.localtime(started).strftime("%Y-%m-%d %H:%M:%S") in text
    assert '<td class="field-item_count">3</td>' in text


def test_a_large_job_s_page_summarises_its_payload(table: TableName, admin: Client) -> None:
    """A 20,000-row job's page shows its size and first rows, not 20,000 rows of HTML."""
    job = unpublished_write(table, [{"id": i, "note": "n" * 100} for i in range(20_000)])
    Job.objects.filter(pk=job.pk).update(item_count=20_000)
    page = admin.get(f"/admin/records/job/{job.pk}/change/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "20000 row(s) or key(s)" in text and "... and 19,995 more" in text
    assert len(page.content) < 200_000
