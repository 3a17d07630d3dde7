"""Every failed request and job is one ApiLog row with the seed's columns filled in."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.db import DatabaseError
from django.test import Client

from access.testing import ApiCaller
from audit.models import ApiLog
from records.api import views as records_views
from records.jobs.tasks import job_run_task
from records.models import Job
from records.testing import unpublished_write, warehouse_schema
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName

pytestmark = pytest.mark.django_db

TARGET = {"catalog": "audit_cat", "schema": "audit_schema", "table": "wells"}
DEFINITION = [{"name": "id", "data_type": "BIGINT", "nullable": False}]


def only_log() -> ApiLog:
    """The one row recorded (a second row for the same request would be a duplicate)."""
    logs = list(ApiLog.objects.all())
    assert len(logs) == 1, logs
    return logs[0]


def log_of_a_refused_write(api: ApiCaller, count: int) -> ApiLog:
    """The one row recorded for a write of ``count`` rows (ids 0, 1...) to TARGET, created from
    DEFINITION if need be, that is refused with a 413."""
    body = {
        **TARGET,
        "auto_create": True,
        "schema_definition": DEFINITION,
        "data": [{"id": i} for i in range(count)],
    }
    response = api.post("/api/v1/records/write", body)
    assert response.status_code == 413
    return only_log()


def test_a_bad_write_body_is_logged_as_a_warning_with_its_table(alice: ApiCaller) -> None:
    """A 400 from validation is a WARNING with the body, the principal and the target table."""
    response = alice.post("/api/v1/records/write", {**TARGET, "data": "not a list"})
    assert response.status_code == 400
    log = only_log()
    assert (log.level, log.status_code, log.method) == ("WARNING", 400, "POST")
    assert log.endpoint == "/api/v1/records/write"
    assert log.error_type == "ValidationError"
    assert log.error_message.startswith("Validation error") and "data" in log.error_message
    assert "ValidationError" in log.stack_trace
    assert json.loads(log.request_body) == {**TARGET, "data": "not a list"}
    assert (log.user, log.catalog, log.schema, log.table_name) == (
        "alice",
        "audit_cat",
        "audit_schema",
        "wells",
    )
    assert log.execution_time_ms is not None and log.execution_time_ms > 0
    assert log.shipped_at is None and isinstance(log.log_id, uuid.UUID) and log.timestamp is not None


def test_a_request_without_a_key_is_logged_as_a_401_without_a_principal() -> None:
    """A missing API key is a 401 WARNING with an empty user."""
    response = Client().get("/api/v1/records/read", TARGET)
    assert response.status_code == 401
    log = only_log()
    assert (log.level, log.status_code, log.method, log.user) == ("WARNING", 401, "GET", "")
    assert log.error_type == "NotAuthenticated"
    assert log.error_message == "Authentication credentials were not provided."
    assert (log.catalog, log.schema, log.table_name) == ("audit_cat", "audit_schema", "wells")
    assert log.request_body == ""


def test_an_unknown_job_is_logged_as_a_404(alice: ApiCaller) -> None:
    """A job id nobody submitted is a 404 WARNING naming the path."""
    job_id = uuid.uuid4()
    response = alice.get(f"/api/v1/jobs/{job_id}")
    assert response.status_code == 404
    log = only_log()
    assert (log.level, log.status_code, log.user) == ("WARNING", 404, "alice")
    assert log.endpoint == f"/api/v1/jobs/{job_id}" and log.error_type == "Http404"
    assert log.error_message


def test_an_unknown_url_is_logged_once_by_the_middleware(alice: ApiCaller) -> None:
    """A URL that matches no route never reaches DRF; the middleware records its 404 once."""
    response = alice.get("/api/v1/nowhere", {"catalog": "c1", "table": "t1"})
    assert response.status_code == 404
    log = only_log()
    assert (log.level, log.status_code, log.method, log.endpoint) == (
        "WARNING",
        404,
        "GET",
        "/api/v1/nowhere",
    )
    assert log.error_type == "Http404" and log.error_message == "Not found."
    assert (log.catalog, log.schema, log.table_name) == ("c1", "", "t1")
    assert log.execution_time_ms is not None


def test_too_many_rows_is_logged_as_a_413(alice: ApiCaller, settings: Any) -> None:
    """A 413 for too many rows is a WARNING with the limit in the message."""
    settings.RECORDS_MAX_ROWS_PER_REQUEST = 2
    log = log_of_a_refused_write(alice, 3)
    assert (log.level, log.status_code, log.error_type) == ("WARNING", 413, "ApiError")
    assert "Too many rows" in log.error_message and '"max_rows": 2' in log.error_message
    assert log.table_name == "wells" and log.user == "alice"


def test_a_server_fault_is_logged_as_an_error_with_its_stack_trace(
    alice: ApiCaller, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """An unhandled exception is a 500 ERROR carrying the exception type and traceback."""
    settings.DEBUG = False

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("selector exploded")

    monkeypatch.setattr(records_views, "records_read", broken)
    response = alice.get("/api/v1/records/read", TARGET)
    assert response.status_code == 500
    assert response.json() == {"error": True, "message": "Internal server error", "details": {}}
    log = only_log()
    assert (log.level, log.status_code, log.error_type) == ("ERROR", 500, "RuntimeError")
    assert log.error_message == "Internal server error"
    assert "RuntimeError: selector exploded" in log.stack_trace and "broken" in log.stack_trace
    assert (log.catalog, log.schema, log.table_name, log.user) == (
        "audit_cat",
        "audit_schema",
        "wells",
        "alice",
    )


def test_a_successful_request_logs_nothing(alice: ApiCaller) -> None:
    """Only failures are logged."""
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    assert ApiLog.objects.count() == 0


def test_a_failed_log_write_still_gives_the_client_its_answer(
    alice: ApiCaller, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """When the INSERT fails the client still gets its 400 body and the failure goes to the process log."""

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise DatabaseError("disk full")

    monkeypatch.setattr(ApiLog.objects, "create", fail)
    response = alice.post("/api/v1/records/write", {**TARGET, "data": "not a list"})
    assert response.status_code == 400
    assert response.json()["message"] == "Validation error"
    assert ApiLog.objects.count() == 0
    assert "could not record an api_log row" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_failed_job_is_logged_with_its_operation_and_table(local_warehouse: LocalWarehouseProcess) -> None:
    """A job failing on a permanent warehouse error is an ERROR row: endpoint = operation, method JOB."""
    with warehouse_schema("audit_jobs") as schema:
        job = unpublished_write(TableName("audit_jobs", schema, "missing"), [{"id": 1}])
        job_run_task.apply(args=(job.pk,))
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED
        log = only_log()
        assert (log.level, log.status_code, log.method, log.endpoint) == ("ERROR", 500, "JOB", "write")
        assert str(job.job_id) in log.error_message and "TABLE_OR_VIEW_NOT_FOUND" in log.error_message
        assert job.error is not None and log.error_type == job.error["type"]
        assert (log.user, log.catalog, log.schema, log.table_name) == (
            "alice",
            "audit_jobs",
            schema,
            "missing",
        )
        assert log.client_id == job.client_id
        assert log.execution_time_ms is not None


def test_a_body_over_djangos_size_limit_is_logged_once_as_a_413(alice: ApiCaller, settings: Any) -> None:
    """Django's RequestDataTooBig is one 413 WARNING row, without the oversized body."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    log = log_of_a_refused_write(alice, 500)
    assert (log.level, log.status_code, log.error_type) == ("WARNING", 413, "RequestDataTooBig")
    assert log.request_body == "" and log.user == "alice"


def test_only_api_paths_are_logged(admin_client: Client) -> None:
    """A browser's /favicon.ico 404 and an admin page's 404 are not API errors: no api_log row."""
    assert Client().get("/favicon.ico").status_code == 404
    assert admin_client.get("/admin/records/job/no-such-job/change/").status_code in (302, 404)
    assert Client().get("/nowhere").status_code == 404
    assert ApiLog.objects.count() == 0
    assert Client().get("/api/nowhere").status_code == 404
    assert ApiLog.objects.count() == 1
