"""Shared fixtures: a real local warehouse and a real Celery worker for the test session."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from pytest_django import Settings

from common.testing import CeleryProcess
from warehouse.client import WarehouseClient
from warehouse.local.testing import LocalWarehouseProcess

ROOT = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _isolate_session() -> int:
    """Give the test session a broker folder, cache folder and warehouse port of its own.

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


def _database_url(database: dict[str, Any]) -> str:
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database.get("PASSWORD") else "")
    return f"postgres://{credentials}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup: None, local_warehouse: LocalWarehouseProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CeleryProcess]:
    """A real Celery worker (8 threads, both queues) on the test database, broker and warehouse."""
    from django.db import connection

    env = {**os.environ, "DATABASE_URL": _database_url(connection.settings_dict), "PYTHONPATH": str(ROOT)}
    args = ["worker", "-l", "info", "-c", "8", "-Q", f"celery,{settings.CELERY_PERIODIC_QUEUE}"]
    args += ["--without-heartbeat", "--without-gossip", "--without-mingle", "-n", f"test-{os.getpid()}@%h"]
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    worker = CeleryProcess(args, cwd=ROOT, env=env, log_path=log_path, ready=b" ready.")
    worker.start()
    yield worker
    worker.stop()
