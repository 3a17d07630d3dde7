"""``POST /api/v1/records/ingest`` end to end: HTTP, a real worker, the staging volume and COPY INTO
of the local warehouse; every value and audit column counted in the table afterwards."""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.conf import settings

from access.testing import ApiCaller
from records.jobs.ingest import ingest_file
from records.jobs.tasks import job_run_task
from records.models import Job
from records.testing import WELLS_COLUMNS, WELLS_DEFINITION, well
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]

CATALOG = "api_tests"
NAMES = [column.name for column in WELLS_COLUMNS]
TYPED = (
    "id BIGINT NOT NULL, price DECIMAL(10,2), day DATE, at TIMESTAMP, ok BOOLEAN, tags ARRAY<STRING>, "
    "note STRING, blob BINARY, record_uuid STRING NOT NULL, is_deleted BOOLEAN NOT NULL, "
    "inserted_at TIMESTAMP NOT NULL, inserted_by STRING NOT NULL, updated_at TIMESTAMP, updated_by STRING, "
    "deleted_at TIMESTAMP, deleted_by STRING"
)


def ingest(api: ApiCaller, query: dict[str, Any], body: bytes | str, content_type: str, **extra: Any) -> Any:
    return api.http.post(
        "/api/v1/records/ingest", body, content_type=content_type, QUERY_STRING=urlencode(query), **extra
    )


def wells_csv(count: int) -> str:
    lines = [",".join(NAMES)] + [",".join(str(well(i)[name]) for name in NAMES) for i in range(count)]
    return "\n".join(lines) + "\n"


def staged_files(warehouse: LocalWarehouseProcess, schema: str) -> list[Path]:
    folder = warehouse.data_dir / "volumes" / CATALOG / schema / "records_staging"
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def typed_rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "price": f"{i}.25",
            "day": "2024-01-15",
            "at": "2024-01-15T10:30:00+02:00",
            "ok": i % 2 == 0,
            "tags": ["a", str(i)],
            "note": None if i % 3 == 0 else f"note {i}",
            "blob": base64.b64encode(b"hi").decode(),
        }
        for i in range(count)
    ]


def test_a_csv_of_wells_lands_every_value_and_audit_column_once(
    alice: ApiCaller, schema: str, local_warehouse: LocalWarehouseProcess
) -> None:
    """auto_create from the definition, 1,000 rows in three staged files (the tests' worker
    stages RECORDS_INGEST_FILE_ROWS=400 a file); the files and the upload are gone afterwards."""
    query = {
        "catalog": CATALOG,
        "schema": schema,
        "table": "wells",
        "auto_create": "true",
        "schema_definition": json.dumps(WELLS_DEFINITION),
        "wait": "25",
    }
    response = ingest(alice, query, wells_csv(1000), "text/csv")
    assert response.status_code == 201, response.json()
    job = response.json()
    table = f"{CATALOG}.{schema}.wells"
    assert job["result"]["message"] == f"Inserted 1000 record(s) into {table}"
    assert job["result"]["count"] == 1000 and job["result"]["files"] == 3
    assert job["progress"]["rows_loaded"] == 1000
    rows = get_client().execute(f"SELECT * FROM {table} ORDER BY api10").as_dicts()
    assert [{name: row[name] for name in NAMES} for row in rows] == [well(i) for i in range(1000)]
    assert {
        (row["inserted_by"], row["is_deleted"], row["updated_at"], row["deleted_at"]) for row in rows
    } == {("alice", False, None, None)}
    assert len({row["record_uuid"] for row in rows}) == 1000
    assert len({row["inserted_at"] for row in rows}) == 1
    assert staged_files(local_warehouse, schema) == []
    assert not ingest_file(job["job_id"], "csv").exists()


def test_ndjson_and_parquet_land_every_type(alice: ApiCaller, schema: str) -> None:
    get_client().execute(f"CREATE TABLE {CATALOG}.{schema}.typed ({TYPED})")
    target = {"catalog": CATALOG, "schema": schema, "table": "typed", "wait": "25"}
    ndjson = "".join(json.dumps(row) + "\n" for row in typed_rows(50))
    first = ingest(alice, target, ndjson, "application/x-ndjson")
    assert first.status_code == 201, first.json()
    assert first.json()["status"] == "succeeded", first.json()
    parquet = Path(settings.RECORDS_INGEST_DIR) / f"{uuid.uuid4()}-typed.parquet"
    pq.write_table(
        pa.table(
            {
                "id": pa.array(range(50, 60), pa.int64()),
                "price": pa.array([decimal.Decimal("9.99")] * 10, pa.decimal128(10, 2)),
                "day": pa.array([datetime.date(2024, 3, 1)] * 10, pa.date32()),
                "ok": pa.array([True] * 10),
                "tags": pa.array([["p"]] * 10, pa.list_(pa.string())),
            }
        ),
        parquet,
    )
    second = ingest(alice, target, parquet.read_bytes(), "application/vnd.apache.parquet")
    parquet.unlink()
    assert second.status_code == 201, second.json()
    assert second.json()["result"]["count"] == 10
    rows = get_client().execute(f"SELECT * FROM {CATALOG}.{schema}.typed ORDER BY id").as_dicts()
    assert len(rows) == 60
    expected = typed_rows(50)
    for row, sent in zip(rows[:50], expected, strict=True):
        assert row["id"] == sent["id"]
        assert row["price"] == decimal.Decimal(sent["price"])
        assert row["day"] == datetime.date(2024, 1, 15)
        assert row["at"] == datetime.datetime(2024, 1, 15, 8, 30, tzinfo=datetime.UTC)
        assert row["ok"] is sent["ok"] and list(row["tags"]) == sent["tags"]
        assert row["note"] == sent["note"] and row["blob"] == b"hi"
    assert rows[55]["price"] == decimal.Decimal("9.99") and rows[55]["day"] == datetime.date(2024, 3, 1)
    assert rows[55]["at"] is None and rows[55]["note"] is None and list(rows[55]["tags"]) == ["p"]


def test_a_job_run_again_after_its_load_lands_nothing_twice_and_counts_exactly(
    alice: ApiCaller, schema: str, local_warehouse: LocalWarehouseProcess, settings: Any
) -> None:
    """As if its worker had died right after COPY INTO, before saying so: the job runs again
    (attempt 2, RECORDS_INGEST_FILE_ROWS changed meanwhile), stages the same three files (the
    rows per file are the first attempt's), COPY INTO skips them, the count is the table's."""
    get_client().execute(f"CREATE TABLE {CATALOG}.{schema}.typed ({TYPED})")
    target = {"catalog": CATALOG, "schema": schema, "table": "typed", "wait": "25"}
    ndjson = "".join(json.dumps(row) + "\n" for row in typed_rows(1000))
    response = ingest(alice, target, ndjson, "application/x-ndjson")
    assert response.json()["result"]["count"] == 1000, response.json()
    job = Job.objects.get(job_id=response.json()["job_id"])
    assert job.progress["file_rows"] == 400 and (job.result or {}).get("files") == 3
    # Back to queued with the progress of before the load, its file back in place.
    ingest_file(job.job_id, "ndjson").write_text(ndjson)
    kept = {key: job.progress[key] for key in ("inserted_at", "file_rows")}
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.QUEUED, result=None, finished_at=None, progress=kept
    )
    settings.RECORDS_INGEST_FILE_ROWS = 300  # would cut four files, the last one new
    local_warehouse.reset_stats()
    job_run_task.apply(args=(job.pk,))
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Job.Status.SUCCEEDED, 2), job.error
    assert job.result == {
        "message": f"Inserted 1000 record(s) into {CATALOG}.{schema}.typed",
        "count": 1000,
        "files": 3,
    }
    kinds = local_warehouse.stats()["by_kind"]
    assert (kinds["PUT"], kinds["COPY"], kinds["REMOVE"]) == (3, 1, 3), kinds  # the COPY loaded nothing
    counts = (
        get_client()
        .execute(f"SELECT COUNT(*), COUNT(DISTINCT record_uuid) FROM {CATALOG}.{schema}.typed")
        .rows
    )
    assert counts == [(1000, 1000)]
    assert staged_files(local_warehouse, schema) == []
