"""Shared fixtures: a real local warehouse and a real Celery worker for the test session."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import tempfile
import warnings
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from pytest_django import Settings

from common.testing import CeleryProcess, database_url
from warehouse.client import WarehouseClient
from warehouse.local.testing import LocalWarehouseProcess

ROOT = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _isolate_session() -> int:
    """Give the test session a broker folder, cache folder, warehouse port and token of its own.

    Set both in this process's settings and in the environment the worker and warehouse
    processes inherit, so a ``make run`` on the same machine never sees the tests' jobs.
    """
    port = _free_port()
    broker_dir = Path(tempfile.mkdtemp(prefix="records-test-broker-"))
    if settings.CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
        cache_dir = tempfile.mkdtemp(prefix="records-test-cache-")
        os.environ["CACHE_DIR"] = cache_dir
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": cache_dir}}
    os.environ["CELERY_BROKER_DIR"] = str(broker_dir)
    # Metrics files of the session's processes (this one, its worker), apart from make run's.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="records-test-metrics-")
    settings.PROMETHEUS_MULTIPROC_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    # The test client speaks plain HTTP: with DEBUG off, every request would be a 301 to HTTPS.
    settings.SECURE_SSL_REDIRECT = False
    # Webhook retries within a test's patience (the worker reads it at start).
    os.environ["RECORDS_WEBHOOK_RETRY_SCHEDULE"] = "0.5,0.5,0.5"
    settings.RECORDS_WEBHOOK_RETRY_SCHEDULE = [0.5, 0.5, 0.5]
    # Uploads waiting for their jobs, apart from make run's (the worker reads it at start).
    os.environ["RECORDS_INGEST_DIR"] = tempfile.mkdtemp(prefix="records-test-ingest-")
    settings.RECORDS_INGEST_DIR = settings.FILE_UPLOAD_TEMP_DIR = os.environ["RECORDS_INGEST_DIR"]
    # Ingest jobs stage several files from a few hundred rows.
    os.environ["RECORDS_INGEST_FILE_ROWS"] = "400"
    settings.RECORDS_INGEST_FILE_ROWS = 400
    os.environ["LOCAL_WAREHOUSE_TOKEN"] = secrets.token_urlsafe(16)  # the warehouse's and its clients'
    os.environ["LOCAL_WAREHOUSE_URL"] = f"http://127.0.0.1:{port}/sql/1.0/warehouses/local"
    settings.LOCAL_WAREHOUSE_URL = os.environ["LOCAL_WAREHOUSE_URL"]
    if settings.CELERY_BROKER_TRANSPORT_OPTIONS:
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
            **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            "data_folder_in": str(broker_dir / "queue"),
            "data_folder_out": str(broker_dir / "queue"),
            "processed_folder": str(broker_dir / "processed"),
            "control_folder": str(broker_dir / "control"),
        }
        for folder in ("queue", "processed", "control"):
            (broker_dir / folder).mkdir(parents=True, exist_ok=True)
    return port


TEST_WAREHOUSE_PORT = _isolate_session()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Every test starts with no cached table columns (the cache outlives tables dropped by
    earlier tests, and the test worker shares it)."""
    cache.clear()


# Where jobs published by tests without a worker go: no worker consumes it, so a job a test
# runs in process (``job_run_task.apply``) and the jobs its finish publishes are never also
# taken by the session's worker, which a test before it may have started.
UNCONSUMED_JOB_QUEUE = f"in-process-tests-{os.getpid()}"


@pytest.fixture(scope="session", autouse=True)
def _delete_unconsumed_job_queue() -> Iterator[None]:
    yield
    from celery import current_app
    from kombu import Exchange, Queue

    try:
        with current_app.connection_for_write() as connection:
            # Declared first: a transport deletes only the bindings its channel knows of.
            queue = Queue(
                UNCONSUMED_JOB_QUEUE, Exchange(UNCONSUMED_JOB_QUEUE, "direct"), UNCONSUMED_JOB_QUEUE
            )
            bound = queue(connection.default_channel)
            bound.declare()
            bound.delete()
    except Exception as error:  # a broker already gone: nothing left to delete
        logging.getLogger(__name__).warning(
            "could not delete the test queue %s: %r", UNCONSUMED_JOB_QUEUE, error
        )


@pytest.fixture(autouse=True)
def _jobs_published_to_no_worker(request: pytest.FixtureRequest, settings: Settings) -> None:
    """Tests that use no worker publish jobs where none listens; the others publish to the
    queue the session's worker consumes."""
    if "celery_worker" not in request.fixturenames:
        settings.RECORDS_JOB_QUEUE = UNCONSUMED_JOB_QUEUE


@pytest.fixture(scope="session")
def local_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWarehouseProcess]:
    """The local warehouse that LOCAL_WAREHOUSE_URL points at, with its own data directory."""
    process = LocalWarehouseProcess(data_dir=tmp_path_factory.mktemp("warehouse"), port=TEST_WAREHOUSE_PORT)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def warehouse_client(local_warehouse: LocalWarehouseProcess, settings: Settings) -> Iterator[WarehouseClient]:
    """A client of its own on the session's local warehouse, without connector retries."""
    settings.LOCAL_WAREHOUSE_URL = local_warehouse.url
    settings.DATABRICKS_WAREHOUSE_ID = ""
    settings.WAREHOUSE_CONNECTOR_RETRIES = 1
    client = WarehouseClient()
    yield client
    client.reset()


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup: None, local_warehouse: LocalWarehouseProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CeleryProcess]:
    """A real Celery worker (8 threads, both queues) on the test database, broker and warehouse."""
    from django.db import connection

    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict), "PYTHONPATH": str(ROOT)}
    args = [
        "worker",
        "-l",
        "info",
        "-c",
        "8",
        "-Q",
        f"{settings.RECORDS_JOB_QUEUE},{settings.CELERY_PERIODIC_QUEUE}",
    ]
    args += ["--without-heartbeat", "--without-gossip", "--without-mingle", "-n", f"test-{os.getpid()}@%h"]
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    worker = CeleryProcess(args, cwd=ROOT, env=env, log_path=log_path, ready=b" ready.")
    worker.start()
    _session_worker.append(worker)
    yield worker
    _session_worker.clear()
    worker.stop()


# The session's worker once started: failed reports show its state and the end of its log.
_session_worker: list[CeleryProcess] = []


@pytest.fixture(autouse=True)
def _worker_alive(request: pytest.FixtureRequest) -> None:
    """A worker that exited on its own is started again before the next test that needs it, as
    compose's restart policy does in production, with a warning carrying its exit code and the end
    of its log (the pytest summary shows it), rather than every later job test timing out."""
    if "celery_worker" not in request.fixturenames:
        return
    worker = request.getfixturevalue("celery_worker")
    process = worker.process
    if process is None or process.poll() is None:
        return
    code = process.returncode
    tail = worker.log_tail()
    worker.process = None
    worker.start()
    warnings.warn(
        pytest.PytestWarning(f"the session's Celery worker had exited ({code}); its log ended:\n{tail}"),
        stacklevel=1,
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and _session_worker and "celery_worker" in getattr(item, "fixturenames", ()):
        worker = _session_worker[0]
        process = worker.process
        state = "not running" if process is None else f"pid {process.pid}, exit code {process.poll()}"
        report.sections.append(("celery worker", f"{state}\n{worker.log_tail()}"))
    return report
