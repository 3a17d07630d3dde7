"""Request ids (X-Request-Id) and job ids in log lines, and JSON logs (LOG_FORMAT=json) in the web
server, in a job's run and in gunicorn's own lines."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from common.logging import JsonFormatter, LogContextFilter
from common.testing import database_url
from records.jobs.tasks import job_run_task
from records.models import Job
from records.testing import unpublished_write, warehouse_schema
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CATALOG = "metrics_tests"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The configured console handler (LOGGING's, with its context filter) writing JSON lines
    (what LOG_FORMAT=json configures) to a buffer for the test."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and any(isinstance(f, LogContextFilter) for f in h.filters)
    )
    buffer = io.StringIO()
    formatter = handler.formatter
    stream = handler.setStream(buffer)
    handler.setFormatter(JsonFormatter())
    try:
        yield buffer
    finally:
        handler.setFormatter(formatter)
        if stream is not None:
            handler.setStream(stream)


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


# --- X-Request-Id ----------------------------------------------------------------------------


def test_a_sane_request_id_is_echoed() -> None:
    """The id a caller (or a proxy) sends comes back in the response."""
    response = Client(headers={"X-Request-Id": "req-4711:abc/DEF=="}).get("/api/v1/jobs")

    assert response["X-Request-Id"] == "req-4711:abc/DEF=="


@pytest.mark.parametrize(
    "header",
    ["x" * 129, "two words", 'with"quote', "back\\slash", "caf\u00e9", ""],
    ids=["too-long", "space", "quote", "backslash", "non-ascii", "empty"],
)
def test_a_bad_request_id_is_replaced_by_a_new_one(header: str) -> None:
    response = Client(headers={"X-Request-Id": header}).get("/api/v1/jobs")

    assert response["X-Request-Id"] != header
    assert len(response["X-Request-Id"]) == 32 and int(response["X-Request-Id"], 16) >= 0


def test_every_response_gets_a_request_id_and_each_its_own() -> None:
    """Without the header, each request is given a new id; errors and other paths get one too."""
    ids = {Client().get(path)["X-Request-Id"] for path in ("/api/v1/jobs", "/api/v1/nowhere", "/metrics")}

    assert len(ids) == 3


# --- log lines -------------------------------------------------------------------------------


def test_a_line_logged_while_a_request_is_served_carries_its_request_id(json_log: io.StringIO) -> None:
    """Django logs the 404 of an unknown API path: as one JSON object, with the request's id."""
    Client(headers={"X-Request-Id": "req-json-1"}).get("/api/v1/no-such-endpoint")

    logged = [line for line in lines(json_log) if line.get("request_id") == "req-json-1"]
    assert logged, json_log.getvalue()
    line = next(line for line in logged if line["logger"] == "django.request")
    assert line["level"] == "WARNING"
    assert "/api/v1/no-such-endpoint" in line["message"]
    assert line["job_id"] is None
    assert line["timestamp"].endswith("+00:00")
    assert {"process", "thread"} <= set(line)
    # Outside the request, lines carry no request id.
    logging.getLogger("records.tests").warning("after the request")
    assert lines(json_log)[-1]["request_id"] is None


@pytest.fixture
def table(local_warehouse: LocalWarehouseProcess) -> Iterator[TableName]:
    with warehouse_schema(CATALOG) as schema:
        get_client().execute(
            f"CREATE TABLE {CATALOG}.{schema}.t (id BIGINT NOT NULL, note STRING, record_uuid STRING, "
            "is_deleted BOOLEAN, inserted_at TIMESTAMP, inserted_by STRING)"
        )
        yield TableName(CATALOG, schema, "t")


@pytest.mark.django_db(transaction=True)
def test_a_line_logged_while_a_job_runs_carries_its_job_id(json_log: io.StringIO, table: TableName) -> None:
    """The job's run (the worker's task, here in this process) logs its outcome with its job_id."""
    job = unpublished_write(table, [{"id": 1}])

    job_run_task.apply(args=(job.pk,))

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    logged = [line for line in lines(json_log) if line.get("job_id") == str(job.job_id)]
    assert any("succeeded" in line["message"] for line in logged), json_log.getvalue()
    assert all(line["request_id"] is None for line in logged)
    logging.getLogger("records.tests").info("after the job")
    assert lines(json_log)[-1]["job_id"] is None


def test_log_format_json_configures_the_console_handler() -> None:
    """LOG_FORMAT=json in a fresh process: a line is one JSON object; a format it does not know
    stops start-up."""
    code = "import django, logging; django.setup(); logging.getLogger('probe').warning('hello %s', 'there')"
    env = {**os.environ, "LOG_FORMAT": "json"}

    result = subprocess.run(  # noqa: S603 (our own interpreter and app)
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )

    probe = [json.loads(line) for line in result.stderr.splitlines() if '"probe"' in line]
    assert len(probe) == 1
    assert probe[0]["message"] == "hello there"
    assert probe[0]["level"] == "WARNING"
    assert probe[0]["request_id"] is None and probe[0]["job_id"] is None
    refused = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**os.environ, "LOG_FORMAT": "xml"},
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0
    assert "LOG_FORMAT must be text or json" in refused.stderr


# --- gunicorn --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.django_db(transaction=True)
def test_gunicorn_writes_json_lines_with_the_request_id(
    tmp_path: Path, local_warehouse: LocalWarehouseProcess
) -> None:
    """The real web server with LOG_FORMAT=json: its access log line is JSON with the request's
    id, status and path; its own lines (booting a worker) are JSON too; and it serves /metrics
    from its worker's files."""
    port = _free_port()
    env = {
        **os.environ,
        "LOG_FORMAT": "json",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "DATABASE_URL": database_url(connection.settings_dict),
    }
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "project.wsgi", "-c", "project/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
    try:
        answer = _get(f"http://127.0.0.1:{port}/readyz", {"X-Request-Id": "gunicorn-req-1"})
        metrics = _get(f"http://127.0.0.1:{port}/metrics", {})
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert answer.headers["X-Request-Id"] == "gunicorn-req-1"
    assert b'records_http_requests_total{method="GET",status="200",view="readiness"}' in metrics.body
    access = [json.loads(line) for line in stdout.read_text().splitlines() if line.strip()]
    line = next(line for line in access if line.get("request_id") == "gunicorn-req-1")
    assert line["logger"] == "gunicorn.access"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/readyz", 200)
    assert isinstance(line["duration_ms"], int)
    errors = [json.loads(line) for line in stderr.read_text().splitlines() if line.startswith("{")]
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in errors)
    assert all(line.startswith("{") for line in stderr.read_text().splitlines() if line.strip()), (
        stderr.read_text()
    )


class _Answer:
    def __init__(self, headers: Any, body: bytes) -> None:
        self.headers = headers
        self.body = body


def _get(url: str, headers: dict[str, str], timeout: float = 30) -> _Answer:
    """GET ``url`` once the server listens (it is starting)."""
    deadline = time.monotonic() + timeout
    while True:
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http://127.0.0.1)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return _Answer(response.headers, response.read())
        except urllib.error.HTTPError as error:  # an answer all the same (a 503)
            return _Answer(error.headers, error.read())
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
