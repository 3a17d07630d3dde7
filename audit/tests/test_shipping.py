"""Shipping ApiLog rows to the warehouse's api_log table: exactly once, through outages, and retention."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from access.testing import ApiCaller
from audit.models import ApiLog
from audit.shipping import apilog_purge, apilog_ship, shipped_row
from records.api import views as records_views
from records.jobs.payloads import UpdatePayload
from records.jobs.tasks import job_run_task
from records.testing import unpublished_job
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName, to_json

from .conftest import LOG_CATALOG

pytestmark = pytest.mark.django_db

TARGET = {"catalog": "audit_cat", "schema": "audit_schema", "table": "wells"}


def produce_errors(alice: ApiCaller, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two 500s on the read endpoint, a 400 on write, a 401 and a 404."""

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("selector exploded")

    monkeypatch.setattr(records_views, "records_read", broken)
    assert alice.get("/api/v1/records/read", TARGET).status_code == 500
    assert alice.get("/api/v1/records/read", TARGET).status_code == 500
    assert alice.post("/api/v1/records/write", {**TARGET, "data": 1}).status_code == 400
    assert Client().get("/api/v1/jobs").status_code == 401
    assert alice.get("/api/v1/nowhere").status_code == 404


def warehouse_rows(schema: str) -> list[dict[str, Any]]:
    result = get_client().execute(f"SELECT * FROM {LOG_CATALOG}.{schema}.api_log ORDER BY timestamp")
    return result.as_dicts()


def test_shipped_rows_land_in_the_warehouse_with_every_column(
    alice: ApiCaller, log_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every local row lands in api_log once, with the same 15 columns, and is marked shipped."""
    produce_errors(alice, monkeypatch)
    assert apilog_ship() == 5
    assert ApiLog.objects.filter(shipped_at__isnull=True).count() == 0
    rows = {row["log_id"]: row for row in warehouse_rows(log_schema)}
    assert len(rows) == 5
    for log in ApiLog.objects.all():
        row = rows[str(log.log_id)]
        assert row["level"] == log.level and row["status_code"] == log.status_code
        assert (row["endpoint"], row["method"], row["user"]) == (log.endpoint, log.method, log.user)
        assert (row["error_type"], row["error_message"]) == (log.error_type, log.error_message)
        assert (row["stack_trace"], row["request_body"]) == (log.stack_trace, log.request_body)
        assert (row["catalog"], row["schema"], row["table_name"]) == (log.catalog, log.schema, log.table_name)
        assert row["execution_time_ms"] == pytest.approx(log.execution_time_ms)
        assert abs(row["timestamp"].replace(tzinfo=datetime.UTC) - log.timestamp) < datetime.timedelta(
            seconds=1
        )


def test_the_seeds_example_queries_answer_from_the_shipped_log(
    alice: ApiCaller, log_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's "recent errors" and "errors by endpoint" queries run on the shipped table."""
    produce_errors(alice, monkeypatch)
    apilog_ship()
    table = f"{LOG_CATALOG}.{log_schema}.api_log"
    recent = get_client().execute(
        "SELECT timestamp, level, endpoint, method, status_code, error_type, error_message "
        f"FROM {table} WHERE level = 'ERROR' ORDER BY timestamp DESC LIMIT 100"
    )
    assert [(r["endpoint"], r["status_code"], r["error_type"]) for r in recent.as_dicts()] == [
        ("/api/v1/records/read", 500, "RuntimeError")
    ] * 2
    by_endpoint = get_client().execute(
        "SELECT endpoint, COUNT(*) as error_count, MAX(timestamp) as last_error "
        f"FROM {table} WHERE level = 'ERROR' GROUP BY endpoint ORDER BY error_count DESC"
    )
    assert [(r["endpoint"], r["error_count"]) for r in by_endpoint.as_dicts()] == [
        ("/api/v1/records/read", 2)
    ]


def test_rows_wait_while_the_warehouse_is_down_and_ship_exactly_once_after(
    alice: ApiCaller, log_schema: str, monkeypatch: pytest.MonkeyPatch, local_warehouse: LocalWarehouseProcess
) -> None:
    """With the warehouse stopped nothing ships and nothing crashes; once back, every row lands once."""
    local_warehouse.stop()
    try:
        get_client().reset()
        produce_errors(alice, monkeypatch)
        assert apilog_ship() == 0
        assert ApiLog.objects.filter(shipped_at__isnull=True).count() == 5
    finally:
        local_warehouse.start()
        get_client().reset()
    assert apilog_ship(batch_size=2) == 5
    assert apilog_ship() == 0
    rows = warehouse_rows(log_schema)
    assert sorted(r["log_id"] for r in rows) == sorted(
        str(i) for i in ApiLog.objects.values_list("log_id", flat=True)
    )


def test_a_batch_shipped_twice_lands_once(
    alice: ApiCaller, log_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after the warehouse write but before the mark cannot duplicate rows (MERGE on log_id)."""
    produce_errors(alice, monkeypatch)
    assert apilog_ship() == 5
    ApiLog.objects.update(shipped_at=None)  # as if the marking had never happened: the claim
    assert apilog_ship() == 0  # of the crashed run holds the rows until it expires,
    ApiLog.objects.update(ship_claim_expires_at=timezone.now())  # then the next run ships them
    assert apilog_ship() == 5
    assert len(warehouse_rows(log_schema)) == 5


def test_a_batch_larger_than_the_parameter_budget_ships_in_several_statements(
    alice: ApiCaller,
    log_schema: str,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    local_warehouse: LocalWarehouseProcess,
) -> None:
    """Log rows (stack traces included) are cut into statements within the budget; all land once."""
    produce_errors(alice, monkeypatch)
    sizes = [len(to_json(shipped_row(log)).encode()) for log in ApiLog.objects.all()]
    budget = max(sizes) + 2  # the largest row just fits alone
    assert sum(sizes) > budget
    settings.RECORDS_MAX_PARAMETER_BYTES = budget
    local_warehouse.reset_stats()
    assert apilog_ship() == 5
    merges = [s for s in local_warehouse.stats()["recent"] if s["kind"] == "MERGE"]
    assert len(merges) >= 2
    assert local_warehouse.stats()["max_parameter_bytes"] <= budget
    assert len(warehouse_rows(log_schema)) == 5


def test_nothing_ships_when_databricks_logging_is_disabled(
    alice: ApiCaller, log_schema: str, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """DATABRICKS_LOGGING_ENABLED=false keeps rows local and touches no warehouse table."""
    settings.DATABRICKS_LOGGING_ENABLED = False
    produce_errors(alice, monkeypatch)
    assert apilog_ship() == 0
    assert ApiLog.objects.filter(shipped_at__isnull=True).count() == 5
    tables = get_client().execute(f"SHOW TABLES IN {LOG_CATALOG}.{log_schema}")
    assert tables.rows == []


def test_retention_deletes_only_old_shipped_rows() -> None:
    """Shipped rows older than AUDIT_RETENTION_DAYS go; recent or unshipped rows stay."""
    now = timezone.now()
    old = now - datetime.timedelta(days=31)
    ApiLog.objects.create(timestamp=old, level="ERROR", shipped_at=now, endpoint="old-shipped")
    ApiLog.objects.create(timestamp=old, level="ERROR", endpoint="old-unshipped")
    ApiLog.objects.create(timestamp=now, level="ERROR", shipped_at=now, endpoint="new-shipped")
    assert apilog_purge() == 1
    assert sorted(ApiLog.objects.values_list("endpoint", flat=True)) == ["new-shipped", "old-unshipped"]


def test_a_413_and_a_failed_job_are_shipped_too(alice: ApiCaller, log_schema: str, settings: Any) -> None:
    """The 413 of an oversized write and the ERROR row of a failed job reach the warehouse api_log."""
    settings.RECORDS_MAX_ROWS_PER_REQUEST = 1
    assert alice.post("/api/v1/records/write", {**TARGET, "data": [{"a": 1}, {"a": 2}]}).status_code == 413
    job = unpublished_job(
        TableName(LOG_CATALOG, log_schema, "no_such_table"),
        UpdatePayload(method="filters", filters=[{"column": "a", "op": "=", "value": 1}], updates={"a": 2}),
    )
    job_run_task.apply(args=(job.pk,))
    assert apilog_ship() == 2
    rows = {row["status_code"]: row for row in warehouse_rows(log_schema)}
    assert set(rows) == {413, 500}
    assert (rows[413]["level"], rows[413]["endpoint"], rows[413]["user"]) == (
        "WARNING",
        "/api/v1/records/write",
        "alice",
    )
    failed = rows[500]
    assert (failed["level"], failed["method"], failed["endpoint"]) == ("ERROR", "JOB", "update")
    assert str(job.job_id) in failed["error_message"] and "TABLE_OR_VIEW_NOT_FOUND" in failed["error_message"]
    assert (failed["catalog"], failed["schema"], failed["table_name"]) == (
        LOG_CATALOG,
        log_schema,
        "no_such_table",
    )
    assert uuid.UUID(failed["log_id"])
