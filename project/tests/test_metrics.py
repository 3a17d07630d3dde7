"""GET /metrics: who may read it, and the metrics moving as requests are served and jobs run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from pytest_django import Settings

from access.testing import ApiCaller
from audit.models import ApiLog
from project.observability.multiprocess import metrics_dir_prepare, worker_metrics_server_start
from records.jobs.tasks import job_run_task
from records.models import Job
from records.testing import WELLS_DEFINITION, unpublished_write, warehouse_schema, well
from warehouse.client import get_client
from warehouse.exceptions import PermanentWarehouseError
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName

pytestmark = pytest.mark.django_db

METRICS = "/metrics"
CATALOG = "metrics_tests"
REMOTE = "203.0.113.7"  # TEST-NET-3: never this machine
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: Client | None = None) -> Samples:
    """Every sample of a scrape from this machine (the test client's REMOTE_ADDR is 127.0.0.1)."""
    response = (client or Client()).get(METRICS)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def table(local_warehouse: LocalWarehouseProcess) -> Iterator[TableName]:
    with warehouse_schema(CATALOG) as schema:
        get_client().execute(
            f"CREATE TABLE {CATALOG}.{schema}.t (id BIGINT NOT NULL, note STRING, record_uuid STRING, "
            "is_deleted BOOLEAN, inserted_at TIMESTAMP, inserted_by STRING)"
        )
        yield TableName(CATALOG, schema, "t")


# --- who may read it -------------------------------------------------------------------------


def test_this_machine_reads_the_metrics_without_a_key() -> None:
    """From 127.0.0.1 (or ::1) the metrics need no key, and name every family of the README."""
    samples = scrape()

    names = {name for name, _ in samples}
    assert {"records_jobs", "records_job_oldest_queued_age_seconds"} <= names
    assert "records_jobs_finished_total" in names  # at 0 before any job: a rate is 0, not missing
    assert Client(REMOTE_ADDR="::1").get(METRICS).status_code == 200


def test_a_remote_address_without_a_key_is_refused_and_not_logged() -> None:
    """Another address gets a 403 in the error format, and a refused scrape is no api_log row."""
    logged = ApiLog.objects.count()

    response = Client(REMOTE_ADDR=REMOTE).get(METRICS)

    assert response.status_code == 403
    body = response.json()
    assert body["error"] is True
    assert "METRICS_ALLOWED_ADDRESSES" in body["message"] and "API key" in body["message"]
    assert b"records_" not in response.content
    assert ApiLog.objects.count() == logged


@pytest.mark.parametrize("header", ["X-Api-Key", "Authorization"])
def test_a_remote_api_client_reads_the_metrics(header: str) -> None:
    """An active API client's key lets any address in, in either header the API takes."""
    api = ApiCaller("prometheus", grants=[])
    value = api.key if header == "X-Api-Key" else f"Api-Key {api.key}"

    response = Client(REMOTE_ADDR=REMOTE, headers={header: value}).get(METRICS)

    assert response.status_code == 200
    assert b"records_http_requests_total" in response.content


def test_a_remote_caller_with_a_wrong_key_gets_a_401() -> None:
    response = Client(REMOTE_ADDR=REMOTE, headers={"Authorization": "Api-Key nope.nope"}).get(METRICS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json()["error"] is True


def test_the_allowed_addresses_are_a_setting_and_take_networks(settings: Settings) -> None:
    """METRICS_ALLOWED_ADDRESSES replaces this machine with the addresses and networks it lists."""
    settings.METRICS_ALLOWED_ADDRESSES = ["10.0.0.0/8", "192.0.2.1"]

    assert Client(REMOTE_ADDR="10.20.30.40").get(METRICS).status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.1").get(METRICS).status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.2").get(METRICS).status_code == 403
    assert Client().get(METRICS).status_code == 403  # 127.0.0.1 is no longer in the list


def test_metrics_public_lets_every_address_in(settings: Settings) -> None:
    settings.METRICS_PUBLIC = True

    assert Client(REMOTE_ADDR=REMOTE).get(METRICS).status_code == 200


def test_behind_proxies_the_callers_address_is_the_one_they_saw(settings: Settings) -> None:
    """With DJANGO_NUM_PROXIES, a proxy on this machine does not make every caller local."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    from_outside = Client(REMOTE_ADDR="127.0.0.1", headers={"X-Forwarded-For": REMOTE})
    from_here = Client(REMOTE_ADDR="127.0.0.1", headers={"X-Forwarded-For": "127.0.0.1"})

    assert from_outside.get(METRICS).status_code == 403
    assert from_here.get(METRICS).status_code == 200


def test_only_get_and_head_are_answered() -> None:
    assert Client().post(METRICS).status_code == 405
    assert Client().head(METRICS).status_code == 200


# --- what moves ------------------------------------------------------------------------------


def test_a_request_is_counted_by_view_name_and_status_never_by_path() -> None:
    """A refused jobs list counts under its URL pattern's name; unknown paths share one label."""
    before = scrape()

    Client().get("/api/v1/jobs")
    Client().get("/api/v1/no-such-thing-4711")
    after = scrape()

    labels = {"view": "job-list", "method": "GET", "status": "401"}
    assert (
        value(after, "records_http_requests_total", **labels)
        == value(before, "records_http_requests_total", **labels) + 1
    )
    unmatched = {"view": "unmatched", "method": "GET", "status": "404"}
    assert value(after, "records_http_requests_total", **unmatched) >= 1
    assert value(after, "records_http_request_duration_seconds_count", view="job-list", method="GET") > 0
    assert not any("4711" in "".join(v for _, v in labels_) for _, labels_ in after)


def test_the_queue_gauges_show_the_oldest_queued_job(table: TableName) -> None:
    """The queue's depth and the age of its oldest job are read from the database at the scrape."""
    job = unpublished_write(table, [{"id": 1}])
    Job.objects.filter(pk=job.pk).update(submitted_at=timezone.now() - timedelta(hours=2))

    samples = scrape()

    assert value(samples, "records_jobs", status="queued") >= 1
    assert value(samples, "records_job_oldest_queued_age_seconds") >= 2 * 3600


@pytest.mark.django_db(transaction=True)
def test_a_job_run_in_process_counts_its_outcome_and_its_warehouse_statements(table: TableName) -> None:
    """A job that fails on a missing table counts a failed write with its queue wait and
    duration, no rows, and the statements it sent."""
    job = unpublished_write(table, [{"id": 1}, {"id": 2}])
    get_client().execute(f"DROP TABLE {table}")
    before = scrape()

    job_run_task.apply(args=(job.pk,))
    after = scrape()

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("records_jobs_finished_total", operation="write", status="failed") == 1
    assert moved("records_job_duration_seconds_count", operation="write", status="failed") == 1
    assert moved("records_job_queue_wait_seconds_count", operation="write") == 1
    assert moved("records_rows_written_total", operation="write") == 0
    statements = [
        name_labels
        for name_labels, count in after.items()
        if name_labels[0] == "records_warehouse_statements_total" and count > before.get(name_labels, 0.0)
    ]
    assert statements, "the job's look-up of its table was not counted"


def test_a_warehouse_statement_is_counted_by_kind_with_its_latency_and_errors(
    local_warehouse: LocalWarehouseProcess,
) -> None:
    before = scrape()

    get_client().execute("SELECT 1")
    with pytest.raises(PermanentWarehouseError):
        get_client().execute("SELECT * FROM metrics_tests.nowhere.nothing")
    after = scrape()

    assert value(after, "records_warehouse_statements_total", kind="select") == (
        value(before, "records_warehouse_statements_total", kind="select") + 2
    )
    assert value(after, "records_warehouse_statement_duration_seconds_count", kind="select") >= 2
    error = {"kind": "select", "error_class": "SCHEMA_NOT_FOUND"}
    assert value(after, "records_warehouse_statement_errors_total", **error) == (
        value(before, "records_warehouse_statement_errors_total", **error) + 1
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_the_web_shows_the_jobs_the_worker_ran(schema: str) -> None:
    """A write run by the real worker (another process) moves the metrics this process serves:
    jobs finished, rows written, the worker's statements."""
    api = ApiCaller("metrics-writer", grants=[("ALL_PRIVILEGES", CATALOG)])
    before = scrape()

    body = {
        "catalog": CATALOG,
        "schema": schema,
        "table": "wells",
        "auto_create": True,
        "schema_definition": WELLS_DEFINITION,
        "data": [well(i) for i in range(3)],
    }
    response = api.post("/api/v1/records/write?wait=30", body)
    after = scrape()

    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "succeeded"

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("records_jobs_finished_total", operation="write", status="succeeded") == 1
    assert moved("records_rows_written_total", operation="write") == 3
    assert moved("records_job_duration_seconds_count", operation="write", status="succeeded") == 1
    # The rows landed by one idempotent statement (a MERGE by record_uuid, or an INSERT).
    landed = moved("records_warehouse_statements_total", kind="merge")
    assert landed + moved("records_warehouse_statements_total", kind="insert") >= 1
    assert moved("records_http_requests_total", view="records-write", method="POST", status="201") == 1


@pytest.fixture
def schema(local_warehouse: LocalWarehouseProcess) -> Iterator[str]:
    with warehouse_schema(CATALOG) as name:
        yield name


# --- the multi-process folder ----------------------------------------------------------------


def test_preparing_the_folder_drops_the_files_of_processes_that_no_longer_run(
    settings: Settings, tmp_path: Path
) -> None:
    """At start, a previous run's files go; a running process's stay (it may be counting)."""
    settings.PROMETHEUS_MULTIPROC_DIR = tmp_path
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    for name in (f"counter_{ended.pid}.db", f"gauge_livesum_{ended.pid}.db"):
        (tmp_path / name).write_bytes(b"")
    running = [f"counter_{os.getpid()}.db", "histogram_1.db"]  # this process, and init
    for name in running:
        (tmp_path / name).write_bytes(b"")

    removed = metrics_dir_prepare()

    assert removed == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(running)


def test_a_worker_with_metrics_worker_bind_serves_its_hosts_metrics(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """For a worker with no web server beside it: the folder's metrics on a port of its own; a
    second worker of the host finds the port taken and goes on without."""
    Client().get("/api/v1/jobs")  # something in this process's files
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.METRICS_WORKER_BIND = f"127.0.0.1:{port}"

    server = worker_metrics_server_start()
    try:
        assert server is not None
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            served = response.read()
        assert b'records_http_requests_total{method="GET",status="401",view="job-list"}' in served
        assert worker_metrics_server_start() is None
        assert "could not listen" in caplog.text
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
    settings.METRICS_WORKER_BIND = ""
    assert worker_metrics_server_start() is None
