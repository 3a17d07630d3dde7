"""``POST /api/v1/records/upsert`` end to end: HTTP requests, a real Celery worker, the local warehouse."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from access.testing import ApiCaller
from records.jobs.tasks import job_run_task
from records.models import Job
from records.testing import WELLS_DEFINITION, well
from warehouse.client import get_client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]

CATALOG = "api_tests"


def target(schema: str) -> dict[str, str]:
    return {"catalog": CATALOG, "schema": schema, "table": "wells"}


def write_wells(api: ApiCaller, schema: str, rows: list[dict[str, Any]]) -> None:
    body = {**target(schema), "auto_create": True, "schema_definition": WELLS_DEFINITION, "data": rows}
    response = api.post("/api/v1/records/write?wait=20", body)
    assert response.status_code == 201, response.json()


def upsert(api: ApiCaller, schema: str, rows: list[dict[str, Any]], **fields: Any) -> Any:
    body = {**target(schema), "key_columns": ["api10"], "data": rows, **fields}
    return api.post("/api/v1/records/upsert?wait=20", body)


def rows_by_api10(schema: str) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for row in (
        get_client().execute(f"SELECT * FROM {CATALOG}.{schema}.wells ORDER BY inserted_at").as_dicts()
    ):
        found.setdefault(row["api10"], []).append(row)
    return found


def test_upsert_updates_matches_inserts_the_rest_and_counts_both(
    alice: ApiCaller, bob: ApiCaller, schema: str
) -> None:
    write_wells(alice, schema, [well(0), well(1)])
    before = rows_by_api10(schema)
    response = upsert(bob, schema, [{**well(1), "oileur": 1.5}, well(2)])
    assert response.status_code == 200, response.json()
    job = response.json()
    assert job["operation"] == "upsert" and job["status"] == "succeeded", job
    assert job["result"] == {
        "message": f"Upserted 2 record(s) into {CATALOG}.{schema}.wells",
        "count": 2,
        "inserted": 1,
        "updated": 1,
    }
    after = rows_by_api10(schema)
    assert {api10: len(rows) for api10, rows in after.items()} == {well(i)["api10"]: 1 for i in range(3)}
    (updated,) = after[well(1)["api10"]]
    (original,) = before[well(1)["api10"]]
    assert updated["oileur"] == 1.5
    kept = ("record_uuid", "inserted_at", "inserted_by")
    assert {k: updated[k] for k in kept} == {k: original[k] for k in kept}
    assert updated["inserted_by"] == "alice" and updated["updated_by"] == "bob"
    assert updated["updated_at"] is not None
    (inserted,) = after[well(2)["api10"]]
    assert inserted["inserted_by"] == "bob" and inserted["is_deleted"] is False
    assert inserted["updated_at"] is None and inserted["record_uuid"]
    assert after[well(0)["api10"]] == before[well(0)["api10"]]


def test_soft_deleted_rows_are_absent_unless_match_deleted_revives_them(
    alice: ApiCaller, schema: str
) -> None:
    write_wells(alice, schema, [well(0), well(1)])
    for i in (0, 1):
        deleted = alice.delete(
            "/api/v1/records/delete?wait=20",
            {**target(schema), "key_column": "api10", "key_value": well(i)["api10"]},
        )
        assert deleted.json()["status"] == "succeeded", deleted.json()
    fresh = upsert(alice, schema, [{**well(0), "oileur": 2.0}])
    assert fresh.json()["result"]["inserted"] == 1 and fresh.json()["result"]["updated"] == 0
    revived = upsert(alice, schema, [{**well(1), "oileur": 3.0}], match_deleted=True)
    assert revived.json()["result"]["inserted"] == 0 and revived.json()["result"]["updated"] == 1
    rows = rows_by_api10(schema)
    assert [(r["is_deleted"], r["oileur"]) for r in rows[well(0)["api10"]]] == [
        (True, well(0)["oileur"]),
        (False, 2.0),
    ]
    (back,) = rows[well(1)["api10"]]
    assert (back["is_deleted"], back["deleted_at"], back["deleted_by"], back["oileur"]) == (
        False,
        None,
        None,
        3.0,
    )


def test_two_rows_with_one_key_are_a_400_naming_it(alice: ApiCaller, schema: str) -> None:
    write_wells(alice, schema, [well(0)])
    response = upsert(alice, schema, [well(1), well(2), {**well(1), "oileur": 9.0}])
    assert response.status_code == 400, response.json()
    body = response.json()
    assert f"api10={well(1)['api10']}" in body["message"], body
    assert body["details"]["key"] == {"api10": well(1)["api10"]} and body["details"]["records"] == [0, 2]
    assert not Job.objects.filter(operation="upsert").exists()


@pytest.mark.parametrize(
    ("key", "problem"),
    [("spuddate", "nullable"), ("nope", "is not a column"), ("record_uuid", "is not a column")],
)
def test_a_key_column_must_be_a_not_null_column(
    alice: ApiCaller, schema: str, key: str, problem: str
) -> None:
    write_wells(alice, schema, [well(0)])
    response = upsert(alice, schema, [well(1)], key_columns=[key])
    assert response.status_code == 400, response.json()
    assert problem in response.json()["message"]
    assert key in response.json()["message"]


def test_upsert_needs_modify(alice: ApiCaller, schema: str) -> None:
    write_wells(alice, schema, [well(0)])
    reader = ApiCaller("reader", grants=[("SELECT", f"{CATALOG}.{schema}")])
    response = upsert(reader, schema, [well(0)])
    assert response.status_code == 403, response.json()


def test_auto_create_makes_the_table_and_inserts(alice: ApiCaller, schema: str) -> None:
    response = upsert(alice, schema, [well(0), well(1)], auto_create=True, schema_definition=WELLS_DEFINITION)
    assert response.status_code == 200, response.json()
    assert response.json()["result"]["inserted"] == 2
    assert len(rows_by_api10(schema)) == 2


def test_a_job_delivered_again_after_its_statement_reports_the_first_runs_counts(
    alice: ApiCaller, schema: str
) -> None:
    """The worker died after the MERGE, before saving its progress: the redelivered job finds
    its rows applied, applies nothing again (``updated_at`` does not move) and answers the
    first run's counts."""
    write_wells(alice, schema, [well(0), well(1)])
    response = upsert(alice, schema, [{**well(0), "oileur": 5.0}, well(1), well(2), well(3)])
    first = response.json()
    assert first["result"]["inserted"] == 2 and first["result"]["updated"] == 2, first
    landed = rows_by_api10(schema)
    job = Job.objects.get(job_id=first["job_id"])
    # As the job stood right after its first statement ran: only its mark saved, still running.
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        result=None,
        finished_at=None,
        progress={"upserted_at": job.progress["upserted_at"]},
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    job_run_task.apply(args=(job.pk,))
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 2
    assert job.result == first["result"]
    assert rows_by_api10(schema) == landed
