"""Large changes land through the strict warehouse in as many statements as the parameter
budget needs, each within Databricks' limits (``records.jobs.run``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from access.testing import ApiCaller
from records.catalog import table_columns
from records.jobs.tasks import job_run_task
from records.models import Job
from records.sql import insert_batches
from records.testing import WELLS_DEFINITION, unpublished_write, wait_for_job, well
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import MAX_PARAMETER_BYTES, MAX_PARAMETERS, TableName

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]

CATALOG = "run_tests"


def writes(local_warehouse: LocalWarehouseProcess, *kinds: str) -> list[dict[str, object]]:
    return [s for s in local_warehouse.stats()["recent"] if s["kind"] in kinds]


def test_100000_rows_and_a_20000_key_delete_fit_the_budget(
    alice: ApiCaller, schema: str, local_warehouse: LocalWarehouseProcess
) -> None:
    """A 100,000-row wells write and a 20,000-key soft delete land whole, every statement within
    256 parameters and the byte budget; the counts are the warehouse's."""
    table = {"catalog": CATALOG, "schema": schema, "table": "wells"}
    body = {**table, "auto_create": True, "schema_definition": WELLS_DEFINITION}
    local_warehouse.reset_stats()
    response = alice.post("/api/v1/records/write", {**body, "data": [well(i) for i in range(100_000)]})
    assert response.status_code == 202, response.json()
    job = wait_for_job(response.json()["job_id"], timeout=180)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result == {
        "message": f"Inserted 100000 record(s) into {CATALOG}.{schema}.wells",
        "count": 100_000,
    }
    inserts = writes(local_warehouse, "MERGE")
    assert job.progress["batches_total"] == len(inserts) and 28 <= len(inserts) <= 34, len(inserts)
    stats = local_warehouse.stats()
    assert stats["max_parameters"] <= MAX_PARAMETERS
    assert stats["max_parameter_bytes"] <= settings.RECORDS_MAX_PARAMETER_BYTES < MAX_PARAMETER_BYTES

    local_warehouse.reset_stats()
    keys = [well(i)["api10"] for i in range(0, 40_000, 2)]
    response = alice.delete("/api/v1/records/delete", {**table, "key_column": "api10", "key_values": keys})
    assert response.status_code == 202, response.json()
    job = wait_for_job(response.json()["job_id"], timeout=120)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result is not None and job.result["count"] == 20_000
    assert local_warehouse.stats()["max_parameter_bytes"] <= settings.RECORDS_MAX_PARAMETER_BYTES
    deleted = get_client().execute(f"SELECT COUNT(*) FROM {CATALOG}.{schema}.wells WHERE is_deleted").rows
    assert deleted == [(20_000,)]


def test_a_write_to_a_table_that_lacks_its_columns_fails_and_lands_nothing(schema: str) -> None:
    """A job checked against a definition whose table was then created otherwise (by another job)
    fails naming the columns, instead of dropping their values."""
    table = TableName(CATALOG, schema, "t")
    get_client().execute(f"CREATE TABLE {table} (a BIGINT, record_uuid STRING)")
    job = unpublished_write(table, [{"a": 1, "b": "lost?"}])
    job_run_task.apply(args=(job.pk,))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.error is not None
    assert job.error["error_class"] == "UNRESOLVED_COLUMN" and "b" in job.error["message"]
    assert get_client().execute(f"SELECT COUNT(*) FROM {table}").rows == [(0,)]


def test_a_resumed_write_whose_batches_changed_lands_every_row_once_with_an_exact_count(
    table: TableName, settings: Any
) -> None:
    """An earlier attempt landed 3 batches of a 2,000-byte budget and died; the budget is
    5,000 bytes by the time the job runs again, so its batches cut differently. Skipping "the
    first 3 batches" would skip rows that never landed; the resumed attempt instead leaves out
    exactly the rows whose record_uuids are in the table, and counts all 300."""
    rows = [{"id": i, "note": f"row {i}"} for i in range(300)]
    job = unpublished_write(table, rows)
    columns = table_columns(table, fresh=True)
    assert columns is not None
    earlier = insert_batches(table, columns, job.payload["rows"], principal="alice", max_parameter_bytes=2000)
    for statement in earlier[:3]:  # the earlier attempt's landed batches
        get_client().execute(statement.sql, statement.params)
    landed_before = int(get_client().execute(f"SELECT COUNT(*) FROM {table}").rows[0][0])
    assert 0 < landed_before < 300
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        attempts=1,
        progress={"batches_total": len(earlier), "batches_done": 3, "rows_inserted": landed_before},
        lease_expires_at=timezone.now() - timedelta(seconds=1),  # its worker died
    )
    settings.RECORDS_MAX_PARAMETER_BYTES = 5000
    job_run_task.apply(args=(job.pk,))
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 2, job.error
    assert job.result == {"message": f"Inserted 300 record(s) into {table}", "count": 300}
    counts = get_client().execute(
        f"SELECT COUNT(*), COUNT(DISTINCT id), COUNT(DISTINCT record_uuid) FROM {table}"
    )
    assert counts.rows == [(300, 300, 300)]
