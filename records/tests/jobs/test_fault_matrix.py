"""The fault matrix: 200 small write jobs on one table and on five, through the API, while a
fault strikes; afterwards every job that got a 202 has succeeded with its exact count, and the
tables hold exactly their rows (0 lost, 0 duplicated: ``COUNT(*)`` and ``COUNT(DISTINCT id)``
through the connector), with no 5xx answered.

Faults: the worker killed with ``kill -9`` mid-run and started again 3 s later; the warehouse
stopped for 30 s; the warehouse failing 20% of statements with 502 and with 503; the warehouse
at 100 ms a statement throughout, so faults strike jobs mid-statement. The session's
worker runs here with 3 s leases, backoff up to 2 s and a beat sweeping every second (each
printed line is a row of the README's fault table: run with ``-s`` to see them).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from celery import current_app

from access.testing import ApiCaller
from common.testing import CeleryProcess
from records.models import Job
from records.testing import wait_for_job, wait_until
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess

pytestmark = pytest.mark.django_db(transaction=True)

CATALOG = "matrix_tests"
JOBS = 200
ROWS = 10
LEASE_SECONDS = 3
LATENCY_MS = 100
FAULT_ENV = {
    "RECORDS_LEASE_SECONDS": str(LEASE_SECONDS),
    "RECORDS_RETRY_BACKOFF_BASE": "0.5",
    "RECORDS_RETRY_BACKOFF_MAX": "2",
    "RECORDS_REQUEUE_GRACE_SECONDS": "2",
    "RECORDS_REQUEUE_INTERVAL_SECONDS": "1",
}


@contextlib.contextmanager
def fault_processes(worker: CeleryProcess, folder: Path, env: dict[str, str]) -> Iterator[CeleryProcess]:
    """The session's worker started again with short leases and backoff (and ``env``), and a
    beat with the same settings (the sweep every second); both as they were afterwards."""
    usual = dict(worker.env)
    worker.stop()
    worker.start(env={**FAULT_ENV, **env})
    beat = CeleryProcess(
        ["beat", "-l", "info", "-s", str(folder / "beat-schedule")],
        cwd=worker.cwd,
        env=worker.env,
        log_path=folder / "beat.log",
        ready=b"beat: Starting",
    )
    beat.start()
    worker.restarts = 0

    def supervise() -> None:
        # As compose's "restart: unless-stopped" does: a worker that exited on its own (Celery's
        # consumer can die when its Redis connection drops mid-restore) is started again.
        while not stopping.wait(0.5):
            process = worker.process
            if process is not None and process.poll() is not None:
                worker.process = None
                worker.restarts += 1
                worker.start()

    stopping = threading.Event()
    supervisor = threading.Thread(target=supervise, daemon=True)
    supervisor.start()
    try:
        yield worker
    finally:
        stopping.set()
        supervisor.join()
        beat.stop()
        worker.stop()
        worker.env = usual
        worker.start()


@pytest.fixture
def fault_worker(celery_worker: CeleryProcess, tmp_path: Path) -> Iterator[CeleryProcess]:
    with fault_processes(celery_worker, tmp_path, {}) as worker:
        yield worker


def _kill_the_worker(worker: CeleryProcess, warehouse: LocalWarehouseProcess) -> None:
    wait_until(lambda: Job.objects.filter(status=Job.Status.RUNNING).exists(), 30, what="a job to run")
    worker.kill()  # mid-statement: a job is running
    time.sleep(3)
    worker.start()


def _stop_the_warehouse(worker: CeleryProcess, warehouse: LocalWarehouseProcess) -> None:
    warehouse.stop()
    time.sleep(30)
    warehouse.start()


FAULTS: dict[str, Callable[[CeleryProcess, LocalWarehouseProcess], None]] = {
    "worker kill -9, back after 3 s": _kill_the_worker,
    "warehouse stopped 30 s": _stop_the_warehouse,
}
FAILING = {"warehouse fails 20% (502)": "502", "warehouse fails 20% (503)": "503"}


def _submit_through(
    alice: ApiCaller, schema: str, names: list[str], strike: threading.Thread | None
) -> tuple[list[int], list[str], float]:
    """Submit the JOBS writes over ``names`` in turn, ``strike`` (the fault) starting once a
    quarter of them are in; wait until every accepted job is final. The status codes, the
    accepted jobs' ids, and the seconds from the fault's end until all were final."""
    answers: list[int] = []
    job_ids: list[str] = []
    for index in range(JOBS):
        if index == JOBS // 4 and strike is not None:
            strike.start()  # mid-run: a quarter of the jobs submitted, the rest to come
        data = [{"id": index * ROWS + r} for r in range(ROWS)]
        body = {"catalog": CATALOG, "schema": schema, "table": names[index % len(names)], "data": data}
        response = alice.post("/api/v1/records/write", body)
        answers.append(response.status_code)
        if response.status_code == 202:
            job_ids.append(response.json()["job_id"])
    if strike is not None:
        strike.join()
    fault_over = time.monotonic()

    def all_final() -> bool:
        return not Job.objects.filter(job_id__in=job_ids, status__in=["queued", "running"]).exists()

    wait_until(all_final, 120, what="every job to finish")
    return answers, job_ids, time.monotonic() - fault_over


def _succeeded_exactly(answers: list[int], job_ids: list[str]) -> list[Job]:
    """Every submission was a 202 (no 5xx), and every job succeeded with its exact count."""
    assert answers == [202] * JOBS
    jobs = list(Job.objects.filter(job_id__in=job_ids))
    assert [job.status for job in jobs] == [Job.Status.SUCCEEDED] * JOBS, [j.error for j in jobs if j.error]
    assert [job.result for job in jobs if job.result and job.result["count"] != ROWS] == []
    return jobs


def _landed(schema: str, names: list[str]) -> tuple[int, int, int]:
    """Rows of the jobs in the tables (the warm-up rows, id -1, left out), lost and duplicated,
    counted through the connector."""
    rows = lost = duplicated = 0
    for index, name in enumerate(names):
        total, distinct = (
            get_client()
            .execute(f"SELECT COUNT(*), COUNT(DISTINCT id) FROM {CATALOG}.{schema}.{name} WHERE id >= 0")
            .rows[0]
        )
        expected = ROWS * len(range(index, JOBS, len(names)))
        rows, lost, duplicated = rows + total, lost + expected - distinct, duplicated + total - distinct
    return rows, lost, duplicated


@pytest.mark.parametrize("tables", [1, 5], ids=["one table", "five tables"])
@pytest.mark.parametrize("fault", [*FAULTS, *FAILING])
def test_every_accepted_job_lands_exactly_once_through_the_fault(
    fault: str,
    tables: int,
    fault_worker: CeleryProcess,
    local_warehouse: LocalWarehouseProcess,
    alice: ApiCaller,
    schema: str,
) -> None:
    names = [f"t{index}" for index in range(tables)]
    for name in names:
        get_client().execute(f"CREATE TABLE {CATALOG}.{schema}.{name} (id BIGINT, record_uuid STRING)")
        warm = alice.post(  # the table's columns are cached from here on, as after any write
            "/api/v1/records/write",
            {"catalog": CATALOG, "schema": schema, "table": name, "data": [{"id": -1}]},
        )
        assert warm.status_code == 202, warm.json()
        done = wait_for_job(warm.json()["job_id"], timeout=60)
        assert done.status == Job.Status.SUCCEEDED, (done.error, fault_worker.log_path.read_text()[-5000:])
    # A warehouse at a real one's pace, so that the fault strikes jobs mid-statement.
    slow = ("--latency-ms", str(LATENCY_MS))
    failing = (
        ("--fail-rate", "0.2", "--fail-status", FAILING[fault], "--seed", "7") if fault in FAILING else ()
    )
    local_warehouse.restart(*slow, *failing)
    strike: threading.Thread | None = None
    if fault in FAULTS:
        strike = threading.Thread(target=FAULTS[fault], args=(fault_worker, local_warehouse))
    started = time.monotonic()
    try:
        answers, job_ids, recovered = _submit_through(alice, schema, names, strike)
    finally:
        local_warehouse.restart()
        get_client().reset()
    jobs = _succeeded_exactly(answers, job_ids)  # nothing refused: the columns were cached
    rows, lost, duplicated = _landed(schema, names)
    attempts = max(job.attempts for job in jobs)
    print(  # noqa: T201 (the README's fault table, with -s)
        f"\nfault table | {fault} | {tables} table(s) | {JOBS} jobs | {rows} rows | lost {lost} | "
        f"duplicated {duplicated} | all final {recovered:.1f} s after the fault ended "
        f"({time.monotonic() - started:.1f} s in all) | most attempts {attempts} | "
        f"worker restarted by the supervisor {fault_worker.restarts} time(s)"
    )
    assert (rows, lost, duplicated) == (JOBS * ROWS, 0, 0)
    if "503" not in fault:  # the connector itself retries a 503 within the attempt
        assert attempts >= 2  # the fault was met: some job was tried again


class RedisServer:
    """A Redis of this test's own (no persistence: a restart loses every queued message)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        wait_until(self._answers, 10, what="redis to start")

    def _answers(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _use_broker(url: str, transport_options: dict[str, Any]) -> None:
    """Publish from this process to the broker at ``url`` (the pools of connections to the
    previous one dropped, as after a fork)."""
    current_app.conf.update(broker_url=url, broker_transport_options=transport_options)
    cast(Any, current_app)._after_fork()


@pytest.fixture
def redis_broker(celery_worker: CeleryProcess, tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis broker of its own for this process, the worker and beat (restarting the
    machine's Redis would touch whatever else uses it)."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: the broker restart cannot be provoked")
    redis = RedisServer(tmp_path)
    redis.start()
    usual = (current_app.conf.broker_url, current_app.conf.broker_transport_options)
    _use_broker(redis.url, {})
    try:
        with fault_processes(celery_worker, tmp_path, {"CELERY_BROKER_URL": redis.url}):
            yield redis
    finally:
        _use_broker(*usual)
        redis.stop()


@pytest.mark.parametrize("tables", [1, 5], ids=["one table", "five tables"])
def test_a_broker_restart_during_submissions_loses_no_job(
    tables: int,
    redis_broker: RedisServer,
    celery_worker: CeleryProcess,
    local_warehouse: LocalWarehouseProcess,
    alice: ApiCaller,
    schema: str,
) -> None:
    """Redis restarted (its queued messages gone) while 200 writes are submitted: every
    submission is a 202 (the job is stored before it is published), the sweep publishes what
    was lost, and every job lands exactly once. (Celery's worker may exit when its Redis
    connection drops mid-restore; the supervisor starts it again, as compose does.)"""
    names = [f"t{index}" for index in range(tables)]
    for name in names:
        get_client().execute(f"CREATE TABLE {CATALOG}.{schema}.{name} (id BIGINT, record_uuid STRING)")
    local_warehouse.restart("--latency-ms", str(LATENCY_MS))

    def restart_the_broker() -> None:
        redis_broker.stop()
        time.sleep(3)
        redis_broker.start()

    strike = threading.Thread(target=restart_the_broker)
    try:
        answers, job_ids, recovered = _submit_through(alice, schema, names, strike)
    finally:
        local_warehouse.restart()
        get_client().reset()
    _succeeded_exactly(answers, job_ids)
    rows, lost, duplicated = _landed(schema, names)
    print(  # noqa: T201 (the README's fault table, with -s)
        f"\nfault table | broker (Redis) restarted, queue lost | {tables} table(s) | {JOBS} jobs | {rows} rows | "
        f"lost {lost} | duplicated {duplicated} | all final {recovered:.1f} s after the fault ended"
        f" | worker restarted by the supervisor {celery_worker.restarts} time(s)"
    )
    assert (rows, lost, duplicated) == (JOBS * ROWS, 0, 0)
