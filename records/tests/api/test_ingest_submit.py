"""``POST /api/v1/records/ingest`` up to the stored job: what is refused, and that nothing is kept then.

No worker runs here: a job accepted waits, with its file in RECORDS_INGEST_DIR under its id.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django import Settings

from access.testing import ApiCaller
from records.api.ingest import UploadLimit, UploadTooLarge
from records.jobs.ingest import ingest_file
from records.jobs.lifecycle import jobs_requeue
from records.jobs.tasks import ingest_dir_sweep_task, job_run_task
from records.models import Job
from records.testing import WELLS_COLUMNS, WELLS_DEFINITION, well
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess

pytestmark = pytest.mark.django_db(transaction=True)

CATALOG = "api_tests"
NAMES = [column.name for column in WELLS_COLUMNS]


def wells_csv(count: int, start: int = 0) -> str:
    lines = [",".join(NAMES)]
    lines += [",".join(str(well(i)[name]) for name in NAMES) for i in range(start, start + count)]
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def _own_ingest_dir(settings: Settings, tmp_path: Path) -> None:
    """A folder of uploads per test, so that what one leaves is not another's."""
    settings.RECORDS_INGEST_DIR = settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "ingest")


def leftovers() -> list[str]:
    return sorted(path.name for path in Path(settings.RECORDS_INGEST_DIR).iterdir())


@pytest.fixture
def wells(schema: str) -> dict[str, str]:
    get_client().execute(
        f"CREATE TABLE {CATALOG}.{schema}.wells (api10 BIGINT NOT NULL, api14 BIGINT NOT NULL, "
        "wellname STRING NOT NULL, spuddate STRING, firstproddate STRING, compldate STRING, oileur DOUBLE, "
        "gaseur DOUBLE, wellspacing DOUBLE, record_uuid STRING, is_deleted BOOLEAN, inserted_at TIMESTAMP, "
        "inserted_by STRING, updated_at TIMESTAMP, updated_by STRING, deleted_at TIMESTAMP, deleted_by STRING)"
    )
    return {"catalog": CATALOG, "schema": schema, "table": "wells"}


def post_raw(
    api: ApiCaller, query: dict[str, Any], body: bytes | str, content_type: str = "text/csv", **extra: Any
) -> Any:
    return api.http.post(
        "/api/v1/records/ingest", body, content_type=content_type, QUERY_STRING=_query(query), **extra
    )


def _query(query: dict[str, Any]) -> str:
    return urlencode(query)


def test_a_csv_body_is_stored_as_a_job_with_its_file(alice: ApiCaller, wells: dict[str, str]) -> None:
    response = post_raw(alice, wells, wells_csv(3))
    assert response.status_code == 202, response.json()
    job = Job.objects.get(job_id=response.json()["job_id"])
    assert (job.operation, job.item_count, job.status) == ("ingest", 3, "queued")
    assert job.payload["file_format"] == "csv" and job.payload["rows"] == 3
    assert ingest_file(job.job_id, "csv").read_text() == wells_csv(3)
    assert leftovers() == [ingest_file(job.job_id, "csv").name]
    assert response["Location"].endswith(f"/api/v1/jobs/{job.job_id}")


def test_a_multipart_file_is_stored_too_its_format_from_its_name(
    alice: ApiCaller, wells: dict[str, str]
) -> None:
    rows = "".join(json.dumps(well(i)) + "\n" for i in range(5))
    upload = SimpleUploadedFile("wells.ndjson", rows.encode(), content_type="application/octet-stream")
    response = alice.http.post("/api/v1/records/ingest", {**wells, "file": upload})
    assert response.status_code == 202, response.json()
    job = Job.objects.get(job_id=response.json()["job_id"])
    assert (job.payload["file_format"], job.item_count) == ("ndjson", 5)
    assert ingest_file(job.job_id, "ndjson").read_text() == rows


def test_a_bad_value_is_a_400_naming_its_line_and_column_and_nothing_is_kept(
    alice: ApiCaller, wells: dict[str, str]
) -> None:
    lines = wells_csv(13_000).splitlines()
    lines[12_344] = lines[12_344].replace("SMITH", "", 1).replace(str(well(12_343)["oileur"]), "lots")
    response = post_raw(alice, wells, "\n".join(lines) + "\n")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["message"] == "Schema validation failed: Line 12345: Column 'oileur' expects number, got str"
    assert body["details"]["invalid_lines"][0]["line"] == 12_345
    assert Job.objects.count() == 0 and leftovers() == []


def test_a_missing_table_is_a_404_before_the_body_is_read(alice: ApiCaller, wells: dict[str, str]) -> None:
    response = post_raw(alice, {**wells, "table": "nope"}, wells_csv(2))
    assert response.status_code == 404, response.json()
    assert "does not exist" in response.json()["message"]
    assert leftovers() == []  # nothing was copied to disk


def test_auto_create_checks_rows_against_the_definition(alice: ApiCaller, wells: dict[str, str]) -> None:
    query = {
        **wells,
        "table": "new_wells",
        "auto_create": "true",
        "schema_definition": json.dumps(WELLS_DEFINITION),
    }
    assert post_raw(alice, query, wells_csv(2)).status_code == 202
    bad = post_raw(alice, query, wells_csv(2).replace("SMITH 1-15H", ""))
    assert bad.status_code == 400, bad.json()
    assert bad.json()["message"] == "Schema validation failed: Line 3: Column 'wellname' is required"
    missing = post_raw(alice, {**query, "schema_definition": ""}, wells_csv(1))
    assert missing.status_code == 400


def test_too_large_a_body_is_a_413_and_leaves_nothing(
    alice: ApiCaller, wells: dict[str, str], settings: Settings
) -> None:
    settings.RECORDS_INGEST_MAX_BYTES = 1000
    response = post_raw(alice, wells, wells_csv(20))
    assert response.status_code == 413, response.json()
    assert response.json()["details"] == {"max_bytes": 1000}
    assert leftovers() == []


def test_other_media_types_are_a_415(alice: ApiCaller, wells: dict[str, str]) -> None:
    response = alice.post("/api/v1/records/ingest", {**wells, "data": [well(0)]})
    assert response.status_code == 415, response.json()


def test_the_same_file_with_one_idempotency_key_is_one_job(alice: ApiCaller, wells: dict[str, str]) -> None:
    first = post_raw(alice, wells, wells_csv(2), HTTP_IDEMPOTENCY_KEY="load-1")
    again = post_raw(alice, wells, wells_csv(2), HTTP_IDEMPOTENCY_KEY="load-1")
    assert first.status_code == again.status_code == 202
    assert first.json()["job_id"] == again.json()["job_id"]
    other = post_raw(alice, wells, wells_csv(3), HTTP_IDEMPOTENCY_KEY="load-1")
    assert other.status_code == 409, other.json()
    assert Job.objects.count() == 1 and len(leftovers()) == 1


def test_a_client_without_modify_is_refused_before_the_body_is_read(wells: dict[str, str]) -> None:
    reader = ApiCaller("reader", grants=[("SELECT", CATALOG)])
    response = post_raw(reader, wells, wells_csv(2))
    assert response.status_code == 403, response.json()
    assert "MODIFY" in response.json()["message"]
    assert leftovers() == []


def test_a_table_changed_since_submit_fails_the_job_and_loads_nothing(
    alice: ApiCaller, wells: dict[str, str], local_warehouse: LocalWarehouseProcess
) -> None:
    """The job checks the file again against the table as it is when it runs: a column gone
    meanwhile fails it, nothing loaded, its file deleted."""
    response = post_raw(alice, wells, wells_csv(5))
    assert response.status_code == 202, response.json()
    table = f"{CATALOG}.{wells['schema']}.wells"
    get_client().execute(f"DROP TABLE {table}")
    get_client().execute(
        f"CREATE TABLE {table} (api10 BIGINT NOT NULL, api14 BIGINT NOT NULL, wellname STRING NOT NULL, "
        "record_uuid STRING, is_deleted BOOLEAN, inserted_at TIMESTAMP, inserted_by STRING)"
    )
    job = Job.objects.get(job_id=response.json()["job_id"])
    local_warehouse.reset_stats()
    job_run_task.apply(args=(job.pk,))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.error is not None, job.result
    assert "spuddate" in job.error["message"] and "nothing was loaded" in job.error["message"], job.error
    assert get_client().execute(f"SELECT COUNT(*) FROM {table}").rows == [(0,)]
    assert leftovers() == []
    # Its first try staged its file with the cached columns (COPY INTO refused them): removed.
    kinds = local_warehouse.stats()["by_kind"]
    assert (kinds.get("PUT"), kinds.get("COPY"), kinds.get("REMOVE")) == (1, 1, 1), kinds
    staging = local_warehouse.data_dir / "volumes" / CATALOG / wells["schema"] / "records_staging"
    assert [path for path in staging.rglob("*") if path.is_file()] == []


def test_a_large_multipart_file_goes_to_disk_and_becomes_the_jobs(
    alice: ApiCaller, wells: dict[str, str]
) -> None:
    """Over FILE_UPLOAD_MAX_MEMORY_SIZE (2 MB) Django writes the part to RECORDS_INGEST_DIR as it
    arrives; the job takes that very file (moved, not copied) and nothing else is left."""
    text = wells_csv(30_000)
    assert len(text) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    upload = SimpleUploadedFile("wells.csv", text.encode(), content_type="text/csv")
    response = alice.http.post("/api/v1/records/ingest", {**wells, "file": upload})
    assert response.status_code == 202, response.json()
    job = Job.objects.get(job_id=response.json()["job_id"])
    assert job.item_count == 30_000
    assert leftovers() == [ingest_file(job.job_id, "csv").name]
    assert ingest_file(job.job_id, "csv").read_text() == text
    bad = SimpleUploadedFile(
        "wells.csv", text.replace("SMITH 29999-15H", "").encode(), content_type="text/csv"
    )
    refused = alice.http.post("/api/v1/records/ingest", {**wells, "file": bad})
    assert refused.status_code == 400, refused.json()
    assert refused.json()["details"]["invalid_lines"][0]["line"] == 30_001
    assert leftovers() == [ingest_file(job.job_id, "csv").name]  # Django deleted the refused part


def test_a_raw_body_needs_a_content_length_that_is_a_number(alice: ApiCaller, wells: dict[str, str]) -> None:
    chunked = post_raw(alice, wells, wells_csv(2), CONTENT_LENGTH="")
    assert chunked.status_code == 411, chunked.json()
    lying = post_raw(alice, wells, wells_csv(2), CONTENT_LENGTH="12abc")
    assert lying.status_code == 400, lying.json()
    assert leftovers() == []


def test_a_multipart_body_over_the_limit_is_a_413_whatever_it_declares(
    alice: ApiCaller, wells: dict[str, str], settings: Settings
) -> None:
    settings.RECORDS_INGEST_MAX_BYTES = 1000
    upload = SimpleUploadedFile("wells.csv", wells_csv(20).encode(), content_type="text/csv")
    declared = alice.http.post("/api/v1/records/ingest", {**wells, "file": upload})
    assert declared.status_code == 413, declared.json()
    # Counted as the bytes arrive, too (a Content-Length may lie or be absent).
    handler = UploadLimit()
    assert handler.receive_data_chunk(b"x" * 600, 0) == b"x" * 600
    with pytest.raises(UploadTooLarge):
        handler.receive_data_chunk(b"x" * 600, 600)
    assert leftovers() == []


def test_a_table_without_record_uuid_is_refused(alice: ApiCaller, schema: str) -> None:
    get_client().execute(f"CREATE TABLE {CATALOG}.{schema}.plain (id BIGINT)")
    response = post_raw(alice, {"catalog": CATALOG, "schema": schema, "table": "plain"}, "id\n1\n")
    assert response.status_code == 400, response.json()
    assert "record_uuid" in response.json()["message"]


def test_a_failed_ingest_is_not_requeued(alice: ApiCaller, wells: dict[str, str]) -> None:
    response = post_raw(alice, wells, wells_csv(2))
    job = Job.objects.get(job_id=response.json()["job_id"])
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED)
    outcome = jobs_requeue(job_ids=[job.pk])
    assert [j.pk for j in outcome.uploads_gone] == [job.pk] and not outcome.requeued
    assert Job.objects.get(pk=job.pk).status == Job.Status.FAILED


def test_the_hourly_sweep_deletes_what_waits_for_nobody(alice: ApiCaller, wells: dict[str, str]) -> None:
    """An upload whose request died, a worker's staging folder, a final job's file: deleted
    once a day old; a queued job's file and anything recent stay."""
    waiting = Job.objects.get(job_id=post_raw(alice, wells, wells_csv(2)).json()["job_id"])
    finished = Job.objects.get(job_id=post_raw(alice, wells, wells_csv(3)).json()["job_id"])
    Job.objects.filter(pk=finished.pk).update(status=Job.Status.SUCCEEDED)
    folder = Path(settings.RECORDS_INGEST_DIR)
    (folder / "upload-abc123").write_text("half a body")
    (folder / "stage-xyz").mkdir()
    (folder / "stage-xyz" / "part-00001.parquet").write_bytes(b"x")
    (folder / "upload-recent").write_text("arriving")
    day_old = time.time() - 25 * 3600
    for name in (
        "upload-abc123",
        "stage-xyz",
        ingest_file(waiting.job_id, "csv").name,
        ingest_file(finished.job_id, "csv").name,
    ):
        os.utime(folder / name, (day_old, day_old))
    removed = ingest_dir_sweep_task.apply().get()
    assert removed == 3
    assert leftovers() == sorted([ingest_file(waiting.job_id, "csv").name, "upload-recent"])
