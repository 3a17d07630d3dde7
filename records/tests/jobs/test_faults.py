"""Faults provoked for real: a worker killed with ``kill -9`` mid-job, its job taken over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from records.models import Job
from records.testing import unpublished_write, wait_until
from warehouse.client import WarehouseClient
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
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


def worker(pk: int, warehouse: LocalWarehouseProcess, database_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "LOCAL_WAREHOUSE_URL": warehouse.url,
        "RECORDS_MAX_PARAMETER_BYTES": "2000",  # ~28 rows a statement: a write of 11 statements
        "RECORDS_LEASE_SECONDS": LEASE_SECONDS,
    }
    command = [sys.executable, "-c", RUN_JOB.format(pk=pk)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def lease_ran_out(pk: int) -> bool:
    expires = Job.objects.get(pk=pk).lease_expires_at
    return expires is not None and expires < timezone.now()


def database_url() -> str:
    settings: dict[str, Any] = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    credentials = settings["USER"] + (f":{settings['PASSWORD']}" if settings.get("PASSWORD") else "")
    return f"postgres://{credentials}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


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
    first = worker(job.pk, slow_warehouse, database_url())
    wait_until(
        lambda: Job.objects.get(pk=job.pk).progress.get("batches_done", 0) >= 2, 60, what="two batches"
    )
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.attempts == 1  # the dead worker's lease still runs
    landed = client.execute("SELECT COUNT(*) FROM faults.s.t").rows[0][0]
    assert 0 < landed < 300

    wait_until(lambda: lease_ran_out(job.pk), 10, what="the lease to run out")
    # The statement in flight when the worker died still landed: more rows than its progress says.
    job.refresh_from_db()
    assert client.execute("SELECT COUNT(*) FROM faults.s.t").rows[0][0] > job.progress["rows_inserted"]
    second = worker(job.pk, slow_warehouse, database_url())
    assert second.wait(timeout=120) == 0
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Job.Status.SUCCEEDED, 2), job.error
    # Exact although the dead attempt's last statement may have landed after it died.
    assert job.result == {"message": "Inserted 300 record(s) into faults.s.t", "count": 300}
    counts = client.execute(
        "SELECT COUNT(*), COUNT(DISTINCT id), COUNT(DISTINCT record_uuid) FROM faults.s.t"
    ).rows
    assert counts == [(300, 300, 300)]
