"""Faults provoked for real: a worker killed with ``kill -9`` mid-job, a warehouse outage; rows counted after."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from access.testing import ApiCaller
from common.testing import database_url
from records.jobs.ingest import ingest_file
from records.models import Job
from records.testing import unpublished_ingest, unpublished_write, wait_for_job, wait_until
from warehouse.client import WarehouseClient, get_client
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
CATALOG = "fault_tests"
LEASE_SECONDS = "2"
# A worker that runs one job in its own process, against the slow warehouse: as a Celery worker
# would on a delivery of the job's message (``apply`` runs the task in this process).
RUN_JOB = "import django; django.setup(); from records.jobs.tasks import job_run_task; job_run_task.apply(args=({pk},))"


@pytest.fixture
def slow_warehouse(tmp_path: Path) -> Iterator[LocalWarehouseProcess]:
    """A warehouse of its own, 400 ms a statement, so that a job is caught mid-run."""
    process = LocalWarehouseProcess(
        tmp_path / "slow", extra_args=("--latency-ms", "400", "--ensure-schema", "faults.s")
    )
    process.start()
    yield process
    process.stop()


def worker(
    pk: int, warehouse: LocalWarehouseProcess, database_url: str, more_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "LOCAL_WAREHOUSE_URL": warehouse.url,
        "RECORDS_MAX_PARAMETER_BYTES": "2000",  # ~28 rows a statement: a write of 11 statements
        "RECORDS_LEASE_SECONDS": LEASE_SECONDS,
        "RECORDS_JOB_QUEUE": settings.RECORDS_JOB_QUEUE,  # where this test's jobs are published
        **(more_env or {}),
    }
    command = [sys.executable, "-c", RUN_JOB.format(pk=pk)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def lease_ran_out(pk: int) -> bool:
    expires = Job.objects.get(pk=pk).lease_expires_at
    return expires is not None and expires < timezone.now()


def test_a_job_whose_worker_was_killed_is_taken_over_and_lands_every_row_once(
    slow_warehouse: LocalWarehouseProcess, settings: Any
) -> None:
    """kill -9 of the worker after its first batches: the job stays running until its lease runs
    out (2 s here, not the task time limit), a redelivery then takes it over, every row is in the
    table exactly once and the job's count is exact."""
    settings.LOCAL_WAREHOUSE_URL = slow_warehouse.url
    client = WarehouseClient()
    client.execute("CREATE TABLE faults.s.t (id BIGINT, note STRING, record_uuid STRING)")
    table = TableName("faults", "s", "t")
    job = unpublished_write(table, [{"id": i, "note": f"row {i}"} for i in range(300)])
    first = worker(job.pk, slow_warehouse, database_url(connection.settings_dict))
    # Killed while the warehouse holds one of its statements (400 ms each): that statement runs
    # after its sender is gone, so the table gets rows the job's progress never heard of.
    wait_until(
        lambda: (
            Job.objects.get(pk=job.pk).progress.get("batches_done", 0) >= 2
            and slow_warehouse.stats()["executing"] > 0
        ),
        60,
        what="two batches and a statement in flight",
    )
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    wait_until(lambda: slow_warehouse.stats()["executing"] == 0, 10, what="the orphaned statement to end")
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.attempts == 1  # the dead worker's lease still runs
    landed = client.execute("SELECT COUNT(*) FROM faults.s.t").rows[0][0]
    assert 0 < landed < 300

    wait_until(lambda: lease_ran_out(job.pk), 10, what="the lease to run out")
    # The statement in flight when the worker died landed: more rows than its progress says.
    job.refresh_from_db()
    assert client.execute("SELECT COUNT(*) FROM faults.s.t").rows[0][0] > job.progress["rows_inserted"]
    second = worker(job.pk, slow_warehouse, database_url(connection.settings_dict))
    assert second.wait(timeout=120) == 0
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Job.Status.SUCCEEDED, 2), job.error
    # Exact although the dead attempt's last statement may have landed after it died.
    assert job.result == {"message": "Inserted 300 record(s) into faults.s.t", "count": 300}
    counts = client.execute(
        "SELECT COUNT(*), COUNT(DISTINCT id), COUNT(DISTINCT record_uuid) FROM faults.s.t"
    ).rows
    assert counts == [(300, 300, 300)]


@pytest.mark.parametrize("kill_while", ["uploading", "loading"])
def test_an_ingest_whose_worker_was_killed_is_taken_over_and_lands_every_row_once(
    slow_warehouse: LocalWarehouseProcess, settings: Any, kill_while: str
) -> None:
    """kill -9 of the worker while it uploads the staged files (none loaded yet), or while the
    warehouse holds its COPY INTO (which then loads every file after the worker is gone): the
    redelivery stages the same files, COPY INTO loads what was not loaded (all, or nothing),
    each row is in the table once, and the job's count is the table's."""
    settings.LOCAL_WAREHOUSE_URL = slow_warehouse.url
    client = WarehouseClient()
    client.execute(
        "CREATE TABLE faults.s.t (id BIGINT NOT NULL, note STRING, record_uuid STRING NOT NULL, "
        "is_deleted BOOLEAN, inserted_at TIMESTAMP, inserted_by STRING)"
    )
    table = TableName("faults", "s", "t")
    job = unpublished_ingest(table, [{"id": i, "note": f"row {i}"} for i in range(300)])
    env = {"RECORDS_INGEST_FILE_ROWS": "50"}  # 6 files, 400 ms each to put
    first = worker(job.pk, slow_warehouse, database_url(connection.settings_dict), env)

    def ready_to_kill() -> bool:
        progress = Job.objects.get(pk=job.pk).progress
        staged = progress.get("files_staged", 0)
        if kill_while == "uploading":
            return 2 <= staged < 6
        return staged == 6 and slow_warehouse.stats()["executing"] > 0

    wait_until(ready_to_kill, 60, what=f"the worker {kill_while}")
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    wait_until(lambda: slow_warehouse.stats()["executing"] == 0, 10, what="the orphaned statement to end")
    landed = client.execute("SELECT COUNT(*) FROM faults.s.t").rows[0][0]
    assert landed == (0 if kill_while == "uploading" else 300)
    wait_until(lambda: lease_ran_out(job.pk), 10, what="the lease to run out")
    second = worker(job.pk, slow_warehouse, database_url(connection.settings_dict), env)
    assert second.wait(timeout=120) == 0
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Job.Status.SUCCEEDED, 2), job.error
    assert job.result == {"message": "Inserted 300 record(s) into faults.s.t", "count": 300, "files": 6}
    counts = client.execute(
        "SELECT COUNT(*), COUNT(DISTINCT id), COUNT(DISTINCT record_uuid) FROM faults.s.t"
    ).rows
    assert counts == [(300, 300, 300)]
    staged = slow_warehouse.data_dir / "volumes" / "faults" / "s" / "records_staging"
    assert [path for path in staged.rglob("*") if path.is_file()] == []
    assert not ingest_file(job.job_id, "ndjson").exists()


@pytest.mark.usefixtures("celery_worker")
def test_jobs_submitted_around_a_warehouse_outage_all_land_once(
    local_warehouse: LocalWarehouseProcess, alice: ApiCaller, schema: str
) -> None:
    """The warehouse stopped for 5 s while 20 small writes go to one table: the writes sent while
    it is down are still accepted (the table's columns are cached), their jobs retry, and every
    job succeeds once it is back; the table holds exactly their rows."""
    table = {"catalog": CATALOG, "schema": schema, "table": "t"}
    get_client().execute(f"CREATE TABLE {CATALOG}.{schema}.t (id BIGINT, record_uuid STRING)")

    def write(index: int) -> str:
        rows = [{"id": index * 10 + i} for i in range(10)]
        response = alice.post("/api/v1/records/write", {**table, "data": rows})
        assert response.status_code == 202, response.json()
        return str(response.json()["job_id"])

    job_ids = [write(0)]
    wait_for_job(job_ids[0])
    local_warehouse.stop()
    try:
        job_ids += [write(index) for index in range(1, 10)]
        time.sleep(5)
    finally:
        local_warehouse.start()
        get_client().reset()  # this process's session died with the warehouse
    job_ids += [write(index) for index in range(10, 20)]
    jobs = [wait_for_job(job_id, timeout=120) for job_id in job_ids]
    assert [job.status for job in jobs] == [Job.Status.SUCCEEDED] * 20, [job.error for job in jobs]
    assert max(job.attempts for job in jobs) > 1  # the outage was met, and retried
    assert sum(job.result["count"] for job in jobs if job.result) == 200
    counts = get_client().execute(f"SELECT COUNT(*), COUNT(DISTINCT id) FROM {CATALOG}.{schema}.t").rows
    assert counts == [(200, 200)]
