"""``POST /api/v1/jobs/{id}/cancel``: a queued job never runs (its table's later jobs do, in
order), a running one stops between statements with what landed in its progress, a finished one
is a 409; ``canceled`` is final everywhere (filters, the sweep, a claim)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from pytest_django import Settings

from access.testing import ApiCaller
from common.testing import database_url
from records.jobs import lifecycle
from records.jobs.tasks import _run_claimed, job_run_task
from records.models import Job
from records.testing import unpublished_write, wait_for_job, wait_until
from warehouse.client import WarehouseClient, get_client
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName

ROOT = Path(__file__).resolve().parents[3]
CATALOG = "job_tests"
# One job run in a process of its own, as a Celery worker would on a delivery of its message.
RUN_JOB = "import django; django.setup(); from records.jobs.tasks import job_run_task; job_run_task.apply(args=({pk},))"


def names(table: TableName) -> dict[str, str]:
    return {"catalog": table.catalog, "schema": table.schema, "table": table.table}


def write(api: ApiCaller, table: TableName, ids: range) -> Any:
    body = {**names(table), "data": [{"id": i, "note": f"row {i}"} for i in ids]}
    response = api.post("/api/v1/records/write", body)
    assert response.status_code == 202, response.json()
    return response.json()


def cancel(api: ApiCaller, job_id: str) -> Any:
    return api.http.post(f"/api/v1/jobs/{job_id}/cancel")


def ids_in(table: TableName) -> list[int]:
    return sorted(row[0] for row in get_client().execute(f"SELECT id FROM {table}").rows)


@pytest.mark.django_db
def test_a_queued_job_canceled_never_runs_and_the_next_ones_run_in_order(
    alice: ApiCaller, table: TableName
) -> None:
    """A write, a write and an update of its rows on one table, no worker consuming: the first
    canceled at once (200), it never runs, even when its message is delivered; the two others
    then run, in order (the update finds the second write's rows)."""
    first, second = (write(alice, table, range(n * 10, n * 10 + 3)) for n in range(2))
    change = {"key_column": "id", "key_values": [10, 11, 12, 0], "updates": {"note": "changed"}}
    third = alice.put("/api/v1/records/update", {**names(table), **change}).json()
    response = cancel(alice, first["job_id"])
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["cancel_requested"], body["progress"]) == ("canceled", True, {})
    assert body["finished_at"] is not None and body["started_at"] is None
    assert "Retry-After" not in response  # final

    pks = [Job.objects.get(job_id=job["job_id"]).pk for job in (first, second, third)]
    for pk in pks:  # each message delivered, the canceled job's too
        job_run_task.apply(args=(pk,))
    jobs = [Job.objects.get(pk=pk) for pk in pks]
    assert [job.status for job in jobs] == ["canceled", "succeeded", "succeeded"]
    assert jobs[0].attempts == 0 and jobs[0].started_at is None
    assert jobs[1].finished_at is not None and jobs[2].started_at is not None
    assert jobs[1].finished_at <= jobs[2].started_at
    assert ids_in(table) == [10, 11, 12]  # none of the canceled job's rows
    assert jobs[2].result is not None and jobs[2].result["count"] == 3
    assert jobs[2].progress["not_found"] == [0]

    # Final: a second cancel is a 409, and the filters know the status.
    assert cancel(alice, first["job_id"]).status_code == 409
    listed = alice.get("/api/v1/jobs", {"status": "canceled"}).json()["results"]
    assert [job["job_id"] for job in listed] == [first["job_id"]]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_canceling_the_queued_head_of_a_table_lets_the_real_worker_run_the_rest(
    alice: ApiCaller, table: TableName
) -> None:
    """A head job whose message was lost holds its table's queue; canceling it publishes the
    next job (a canceled one behind it skipped): the worker runs the others in order (the
    update finds the write's rows, none of the canceled write's)."""
    head = unpublished_write(table, [{"id": 0, "note": "head"}], principal="alice")
    behind, after = (write(alice, table, range(n * 10, n * 10 + 2)) for n in (1, 2))
    change = {"key_column": "id", "key_values": [10, 20, 21], "updates": {"note": "changed"}}
    last = alice.put("/api/v1/records/update", {**names(table), **change}).json()
    assert cancel(alice, behind["job_id"]).json()["status"] == "canceled"
    # Nothing runs while the head waits (the worker refuses the others: an earlier job is queued).
    assert Job.objects.get(job_id=after["job_id"]).status == "queued"
    assert cancel(alice, str(head.job_id)).status_code == 200
    done = [wait_for_job(job["job_id"]) for job in (after, last)]
    assert [job.status for job in done] == ["succeeded", "succeeded"]
    assert done[0].finished_at is not None and done[1].started_at is not None
    assert done[0].finished_at <= done[1].started_at
    assert ids_in(table) == [20, 21]
    assert done[1].result is not None and done[1].result["count"] == 2  # it ran after the write


@pytest.mark.django_db
def test_a_cancel_that_loses_the_race_to_a_claim_asks_the_running_job_to_stop(
    alice: ApiCaller, table: TableName
) -> None:
    """Claimed first, the job is running: the cancel sets ``cancel_requested`` (202 with its
    ``Retry-After`` and ``Location``) and the run stops before its first statement."""
    job = Job.objects.get(job_id=write(alice, table, range(3))["job_id"])
    claimed = lifecycle.job_claim(job.pk)
    assert claimed is not None
    response = cancel(alice, str(job.job_id))
    assert response.status_code == 202, response.json()
    assert (response.json()["status"], response.json()["cancel_requested"]) == ("running", True)
    assert 1 <= int(response["Retry-After"]) <= 30
    assert response["Location"].endswith(f"/api/v1/jobs/{job.job_id}")
    # A claim never takes it again, and the sweep does not revive it once canceled.
    assert lifecycle.job_claim(job.pk) is None
    _run_claimed(claimed)  # the claimed job's run, as the task goes on after its claim
    job.refresh_from_db()
    assert (job.status, job.progress["batches_done"], job.progress["rows_inserted"]) == ("canceled", 0, 0)
    assert ids_in(table) == []
    lifecycle.jobs_republish_stale()
    job.refresh_from_db()
    assert job.status == "canceled"


@pytest.mark.django_db
def test_a_finished_job_is_a_409_and_another_clients_job_a_404(
    alice: ApiCaller, bob: ApiCaller, table: TableName
) -> None:
    submitted = write(alice, table, range(2))
    job_run_task.apply(args=(Job.objects.get(job_id=submitted["job_id"]).pk,))
    response = cancel(alice, submitted["job_id"])
    assert response.status_code == 409
    assert response.json() == {
        "error": True,
        "message": f"Job {submitted['job_id']} is succeeded already: there is nothing to cancel",
        "details": {"job_id": submitted["job_id"], "status": "succeeded"},
    }
    assert Job.objects.get(job_id=submitted["job_id"]).status == "succeeded"
    queued = write(alice, table, range(5, 6))
    assert cancel(bob, queued["job_id"]).status_code == 404
    assert Job.objects.get(job_id=queued["job_id"]).status == "queued"


# --- a running job of several statements, on a slow warehouse ---------------------------------


@pytest.fixture
def slow_warehouse(tmp_path: Path) -> Iterator[LocalWarehouseProcess]:
    """A warehouse of its own, 200 ms a statement, so that a job is caught between statements."""
    process = LocalWarehouseProcess(
        tmp_path / "slow", extra_args=("--latency-ms", "200", "--ensure-schema", "cancel_tests.s")
    )
    process.start()
    yield process
    process.stop()


def worker(pk: int, warehouse: LocalWarehouseProcess) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url(connection.settings_dict),
        "LOCAL_WAREHOUSE_URL": warehouse.url,
        "RECORDS_MAX_PARAMETER_BYTES": "2000",  # ~25 rows a statement: a write of a dozen
        "RECORDS_JOB_QUEUE": settings.RECORDS_JOB_QUEUE,
    }
    command = [sys.executable, "-c", RUN_JOB.format(pk=pk)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


@pytest.mark.django_db(transaction=True)
def test_a_running_job_stops_between_statements_and_says_what_landed(
    slow_warehouse: LocalWarehouseProcess, settings: Settings
) -> None:
    """A write of a dozen statements canceled after its second: it ends ``canceled``, its progress
    counts the statements and rows that landed, and the table holds exactly those rows."""
    alice = ApiCaller("alice")
    settings.LOCAL_WAREHOUSE_URL = slow_warehouse.url
    client = WarehouseClient()
    client.execute("CREATE TABLE cancel_tests.s.t (id BIGINT, note STRING, record_uuid STRING)")
    table = TableName("cancel_tests", "s", "t")
    job = unpublished_write(table, [{"id": i, "note": f"row {i}"} for i in range(300)], principal="alice")
    running = worker(job.pk, slow_warehouse)
    wait_until(lambda: Job.objects.get(pk=job.pk).progress.get("batches_done", 0) >= 2, 60, what="2 batches")
    response = cancel(alice, str(job.job_id))
    assert response.status_code == 202, response.json()
    assert response.json()["cancel_requested"] is True
    assert running.wait(timeout=60) == 0
    body = alice.get(f"/api/v1/jobs/{job.job_id}").json()
    assert body["status"] == "canceled", body
    progress = body["progress"]
    assert 2 <= progress["batches_done"] < progress["batches_total"], progress
    assert body["result"] is None and body["error"] is None
    landed = client.execute("SELECT COUNT(*), COUNT(DISTINCT record_uuid) FROM cancel_tests.s.t").rows
    assert landed == [(progress["rows_inserted"], progress["rows_inserted"])]


@pytest.mark.django_db
def test_the_sweep_ends_canceled_a_job_whose_worker_died_after_its_cancel(
    alice: ApiCaller, table: TableName
) -> None:
    """Cancel requested, then the worker's lease runs out: the sweep finishes it ``canceled``
    rather than re-queueing it, and it is never claimed again."""
    job = Job.objects.get(job_id=write(alice, table, range(2))["job_id"])
    assert lifecycle.job_claim(job.pk) is not None
    assert cancel(alice, str(job.job_id)).status_code == 202
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    lifecycle.jobs_republish_stale()
    job.refresh_from_db()
    assert (job.status, job.cancel_requested, job.attempts) == ("canceled", True, 1)
    assert lifecycle.job_claim(job.pk) is None
    assert ids_in(table) == []
