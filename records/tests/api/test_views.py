"""The records API end to end: HTTP requests, a real Celery worker, the local warehouse."""

from __future__ import annotations

import itertools
import json
import uuid
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from access.testing import ApiCaller
from records.jobs.queue import job_publish
from records.jobs.tasks import job_run_task
from records.models import Job
from records.testing import WELLS_DEFINITION, unpublished_write, wait_for_job, well
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]

CATALOG = "api_tests"


def target(schema: str, table: str = "wells") -> dict[str, str]:
    return {"catalog": CATALOG, "schema": schema, "table": table}


def write_body(schema: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A write of ``rows`` to the wells table of ``schema``, created from the seed's definition."""
    return {**target(schema), "auto_create": True, "schema_definition": WELLS_DEFINITION, "data": rows}


def write_wells(api: ApiCaller, schema: str, rows: list[dict[str, Any]], wait: int = 20) -> Any:
    return api.post(f"/api/v1/records/write?wait={wait}", write_body(schema, rows))


def warehouse_rows(schema: str, order: str = "api10") -> list[dict[str, Any]]:
    return get_client().execute(f"SELECT * FROM {CATALOG}.{schema}.wells ORDER BY {order}").as_dicts()


def test_write_answers_202_with_a_job_and_location(alice: ApiCaller, schema: str) -> None:
    """Without wait, a write is a 202 naming the job; the job then succeeds with the seed's result."""
    body = write_body(schema, [well(0)])
    response = alice.post("/api/v1/records/write", body)
    assert response.status_code == 202, response.json()
    answer = response.json()
    assert set(answer) == {"job_id", "status", "operation", "table", "status_url"}
    assert answer["operation"] == "write" and answer["table"] == f"{CATALOG}.{schema}.wells"
    assert response["Location"] == answer["status_url"]
    job = Job.objects.get(job_id=answer["job_id"])
    assert job.principal == "alice"
    wait_for_job(answer["job_id"])
    finished = alice.get(f"/api/v1/jobs/{answer['job_id']}?wait=0")
    assert finished.json()["status"] == "succeeded", finished.json()
    assert finished.json()["result"] == {
        "message": f"Inserted 1 record(s) into {CATALOG}.{schema}.wells",
        "count": 1,
    }


def test_seed_write_lands_rows_with_audit_columns(alice: ApiCaller, schema: str) -> None:
    """The seed's write example creates the table and lands the row with all 8 audit columns set."""
    response = write_wells(alice, schema, [well(0), well(1)])
    assert response.status_code == 201, response.json()
    assert response.json()["result"]["count"] == 2
    rows = warehouse_rows(schema)
    assert [r["wellname"] for r in rows] == ["SMITH 0-15H", "SMITH 1-15H"]
    for row in rows:
        uuid.UUID(row["record_uuid"])
        assert row["is_deleted"] is False
        assert row["inserted_by"] == "alice" and row["inserted_at"] is not None
        assert row["updated_at"] is None and row["deleted_at"] is None and row["deleted_by"] is None
    read = alice.get("/api/v1/records/read", {**target(schema), "columns": "api10,wellname,oileur"})
    assert read.status_code == 200, read.json()
    body = read.json()
    body["data"].sort(key=lambda row: row["api10"])  # rows of one batch share inserted_at: no fixed order
    assert body == {
        "data": [
            {"api10": 4201234567, "wellname": "SMITH 0-15H", "oileur": 125000.5},
            {"api10": 4201234568, "wellname": "SMITH 1-15H", "oileur": 125001.5},
        ],
        "count": 2,
        "total": 2,
    }


def test_update_scenarios_of_the_seed(alice: ApiCaller, schema: str) -> None:
    """key_value, key_values, bulk_updates and filters update the right rows and report not_found."""
    assert write_wells(alice, schema, [well(i) for i in range(3)]).status_code == 201
    base = {**target(schema), "key_column": "api10"}
    single = alice.put(
        "/api/v1/records/update?wait=20", {**base, "key_value": 4201234567, "updates": {"oileur": 130000.0}}
    )
    assert single.status_code == 200, single.json()
    assert single.json()["result"]["count"] == 1
    several = alice.put(
        "/api/v1/records/update?wait=20",
        {**base, "key_values": [4201234567, 4201234568, 4201239999], "updates": {"wellspacing": 320.0}},
    )
    result = several.json()["result"]
    assert result["count"] == 2 and result["total"] is None
    assert result["data"][0]["not_found"] == [4201239999] and result["data"][0]["updated_by"] == "alice"
    bulk = alice.put(
        "/api/v1/records/update?wait=20",
        {
            **base,
            "bulk_updates": [
                {"key_value": 4201234567, "updates": {"oileur": 1.0, "gaseur": 2.0}},
                {"key_value": 4201234569, "updates": {"compldate": "05/15/2024"}},
            ],
        },
    )
    assert bulk.json()["result"]["count"] == 2, bulk.json()
    filtered = alice.put(
        "/api/v1/records/update?wait=20",
        {
            **target(schema),
            "filters": [{"column": "oileur", "op": "<", "value": 100000}],
            "updates": {"spuddate": "x"},
        },
    )
    assert filtered.json()["result"]["count"] == 1
    rows = {r["api10"]: r for r in warehouse_rows(schema)}
    first = rows[4201234567]
    assert (first["oileur"], first["gaseur"], first["wellspacing"], first["spuddate"]) == (
        1.0,
        2.0,
        320.0,
        "x",
    )
    assert first["updated_by"] == "alice" and first["updated_at"] is not None
    assert rows[4201234569]["compldate"] == "05/15/2024" and rows[4201234569]["oileur"] == 125002.5


def test_delete_scenarios_soft_and_hard(alice: ApiCaller, schema: str) -> None:
    """Soft deletes mark rows (and reads hide them); hard deletes remove them; not_found is reported."""
    assert write_wells(alice, schema, [well(i) for i in range(4)]).status_code == 201
    soft = alice.delete(
        "/api/v1/records/delete?wait=20",
        {**target(schema), "key_column": "api10", "key_values": [4201234567, 4201230000], "soft": True},
    )
    assert soft.status_code == 200, soft.json()
    assert soft.json()["result"] == {
        "data": [{"is_deleted": True}, {"not_found": [4201230000]}],
        "count": 1,
        "total": None,
    }
    read = alice.get("/api/v1/records/read", {**target(schema), "columns": "api10"})
    assert sorted(r["api10"] for r in read.json()["data"]) == [4201234568, 4201234569, 4201234570]
    assert read.json()["total"] == 3
    with_deleted = alice.get("/api/v1/records/read", {**target(schema), "include_deleted": "true"})
    assert with_deleted.json()["total"] == 4
    hard = alice.delete(
        "/api/v1/records/delete?wait=20",
        {**target(schema), "filters": [{"column": "api10", "op": ">=", "value": 4201234569}], "soft": False},
    )
    assert hard.json()["result"]["count"] == 2
    single = alice.delete(
        "/api/v1/records/delete?wait=20",
        {**target(schema), "key_column": "api10", "key_value": 4201234568, "soft": True},
    )
    assert single.json()["result"]["count"] == 1
    rows = warehouse_rows(schema)
    assert [(r["api10"], r["is_deleted"], r["deleted_by"]) for r in rows] == [
        (4201234567, True, "alice"),
        (4201234568, True, "alice"),
    ]


def test_jobs_on_one_table_take_effect_in_submission_order(alice: ApiCaller, schema: str) -> None:
    """A write, an update and a delete submitted back to back end in that order's state."""
    assert write_wells(alice, schema, [well(0)]).status_code == 201
    base = {**target(schema), "key_column": "api10"}
    write = alice.post("/api/v1/records/write", {**target(schema), "data": [well(1), well(2)]})
    update = alice.put(
        "/api/v1/records/update", {**base, "key_values": [4201234568, 4201234569], "updates": {"oileur": 7.0}}
    )
    delete = alice.delete("/api/v1/records/delete", {**base, "key_value": 4201234569, "soft": False})
    assert (write.status_code, update.status_code, delete.status_code) == (202, 202, 202)
    wait_for_job(delete.json()["job_id"])
    final = alice.get(f"/api/v1/jobs/{delete.json()['job_id']}")
    assert final.json()["status"] == "succeeded"
    rows = warehouse_rows(schema)
    assert [(r["api10"], r["oileur"]) for r in rows] == [(4201234567, 125000.5), (4201234568, 7.0)]
    jobs = list(Job.objects.filter(table_key=f"{CATALOG}.{schema}.wells").order_by("pk"))
    assert all(a.finished_at <= b.started_at for a, b in itertools.pairwise(jobs))  # type: ignore[operator]


def test_a_job_delivered_twice_lands_once(alice: ApiCaller, schema: str) -> None:
    """Publishing a finished write again, or running it again after a crash mid-way, adds no rows."""
    response = write_wells(alice, schema, [well(i) for i in range(5)])
    job = Job.objects.get(job_id=response.json()["job_id"])
    job_publish(job.pk)
    job_publish(job.pk)
    # A crash after the rows landed but before the job was marked done: it runs again.
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED, progress={}, result=None)
    job_publish(job.pk)
    wait_for_job(job)
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 2
    assert len(warehouse_rows(schema)) == 5


def test_fifty_thousand_rows_go_in_a_handful_of_statements(
    alice: ApiCaller, schema: str, local_warehouse: LocalWarehouseProcess
) -> None:
    """50,000 rows x 9 columns in one request: every statement within 256 parameters and the
    parameter byte budget, in as few statements as that budget allows."""
    local_warehouse.reset_stats()
    response = write_wells(alice, schema, [well(i) for i in range(50_000)], wait=30)
    assert response.status_code in (201, 202)
    job = wait_for_job(response.json()["job_id"], timeout=60)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result == {
        "message": f"Inserted 50000 record(s) into {CATALOG}.{schema}.wells",
        "count": 50_000,
    }
    stats = local_warehouse.stats()
    assert stats["max_parameters"] <= 256
    assert stats["max_parameter_bytes"] <= settings.RECORDS_MAX_PARAMETER_BYTES
    writes = [s for s in stats["recent"] if s["kind"] in ("INSERT", "MERGE")]
    # ~270 bytes a row as a batch carries it (the uuid included): 13.5 MB, 900,000 a statement.
    assert 14 <= len(writes) <= 17, len(writes)
    assert get_client().execute(f"SELECT COUNT(*) FROM {CATALOG}.{schema}.wells").rows[0][0] == 50_000


def test_requests_need_an_api_key(local_warehouse: LocalWarehouseProcess) -> None:
    """No key or a wrong key is a 401 in the error format; nothing is stored."""
    anonymous = Client()
    response = anonymous.get("/api/v1/jobs")
    assert response.status_code == 401
    assert response.json()["error"] is True and response["WWW-Authenticate"] == "Api-Key"
    wrong = Client(headers={"Authorization": "Api-Key nope.nope"})
    assert wrong.post("/api/v1/records/write", {}, content_type="application/json").status_code == 401
    assert Job.objects.count() == 0


def test_clients_see_only_their_own_jobs(alice: ApiCaller, bob: ApiCaller, schema: str) -> None:
    """Bob gets a 404 for Alice's job and an empty job list."""
    response = write_wells(alice, schema, [well(0)])
    job_id = response.json()["job_id"]
    assert bob.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert bob.get("/api/v1/jobs").json()["results"] == []
    mine = alice.get("/api/v1/jobs", {"status": "succeeded"}).json()["results"]
    assert [j["job_id"] for j in mine] == [job_id]


def test_idempotency_key_returns_the_same_job(alice: ApiCaller, schema: str) -> None:
    """The same Idempotency-Key and body give the same job; a different body is a 409."""
    body = write_body(schema, [well(0)])
    first = alice.post("/api/v1/records/write", body, headers={"Idempotency-Key": "k1"})
    again = alice.post("/api/v1/records/write", body, headers={"Idempotency-Key": "k1"})
    assert first.json()["job_id"] == again.json()["job_id"]
    other = alice.post(
        "/api/v1/records/write", {**body, "data": [well(1)]}, headers={"Idempotency-Key": "k1"}
    )
    assert other.status_code == 409 and other.json()["error"] is True
    assert Job.objects.count() == 1


def test_bad_requests_store_and_write_nothing(
    alice: ApiCaller, schema: str, local_warehouse: LocalWarehouseProcess
) -> None:
    """Invalid bodies are 400/404/413 in the error format, with no job and no warehouse write."""
    assert write_wells(alice, schema, [well(0)]).status_code == 201
    jobs_before = Job.objects.count()
    local_warehouse.reset_stats()
    bad_bodies = [
        ("/api/v1/records/write", "post", {**target(schema), "data": []}, 400),
        ("/api/v1/records/write", "post", {**target(schema), "data": [well(1, api10="x")]}, 400),
        ("/api/v1/records/write", "post", {**target(schema), "data": [well(1, record_uuid="mine")]}, 400),
        ("/api/v1/records/write", "post", {**target(schema, "nope"), "data": [well(1)]}, 404),
        (
            "/api/v1/records/write",
            "post",
            {"catalog": "x; DROP", "schema": schema, "table": "wells", "data": [well(1)]},
            400,
        ),
        (
            "/api/v1/records/update",
            "put",
            {**target(schema), "key_column": "api10", "updates": {"oileur": 1}},
            400,
        ),
        (
            "/api/v1/records/update",
            "put",
            {**target(schema), "key_column": "api10", "key_value": 1, "updates": {"nope": 1}},
            400,
        ),
        (
            "/api/v1/records/update",
            "put",
            {**target(schema), "key_column": "api10", "key_value": "x", "updates": {"oileur": 1}},
            400,
        ),
        (
            "/api/v1/records/delete",
            "delete",
            {**target(schema), "filters": [{"column": "api10", "op": "~", "value": 1}]},
            400,
        ),
    ]
    for path, method, body, expected in bad_bodies:
        response = getattr(alice, method)(path, body)
        assert response.status_code == expected, (body, response.json())
        assert response.json()["error"] is True and "message" in response.json()
    assert Job.objects.count() == jobs_before
    writes = [s for s in local_warehouse.stats()["recent"] if s["kind"] not in ("SELECT", "DESCRIBE", "SHOW")]
    assert writes == []
    assert len(warehouse_rows(schema)) == 1


def test_too_many_rows_is_413(alice: ApiCaller, schema: str, settings: Any) -> None:
    """More rows than RECORDS_MAX_ROWS_PER_REQUEST is a 413 and stores nothing."""
    settings.RECORDS_MAX_ROWS_PER_REQUEST = 3
    response = alice.post("/api/v1/records/write", write_body(schema, [well(i) for i in range(4)]))
    assert response.status_code == 413 and response.json()["error"] is True
    assert Job.objects.count() == 0


def test_body_over_the_size_limit_is_413(alice: ApiCaller, schema: str, settings: Any) -> None:
    """A body larger than RECORDS_MAX_BODY_BYTES is a 413 in the error format."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = alice.post("/api/v1/records/write", write_body(schema, [well(i) for i in range(50)]))
    assert response.status_code == 413 and response.json()["error"] is True
    assert Job.objects.count() == 0


def test_seed_read_example_with_filters(alice: ApiCaller, schema: str) -> None:
    """The seed's read request (columns, limit/offset, a > filter and a like filter) returns the matching rows."""
    rows = [
        well(0, oileur=125000.5, spuddate="01/15/2024"),
        well(1, oileur=90000.0),
        well(2, spuddate="01/15/2023"),
    ]
    assert write_wells(alice, schema, rows).status_code == 201
    filters = (
        '[{"column":"oileur","op":">","value":100000},{"column":"spuddate","op":"like","value":"%2024"}]'
    )
    response = alice.get(
        "/api/v1/records/read",
        {
            **target(schema),
            "limit": 10,
            "offset": 0,
            "columns": "api10,api14,wellname,oileur,gaseur",
            "filters": filters,
        },
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "data": [
            {
                "api10": 4201234567,
                "api14": 42012345671234,
                "wellname": "SMITH 0-15H",
                "oileur": 125000.5,
                "gaseur": 450000.75,
            }
        ],
        "count": 1,
        "total": 1,
    }


def test_filters_and_columns_are_checked_against_the_table(alice: ApiCaller, schema: str) -> None:
    """A filter value of the wrong type or an unknown column is a 400, before any SQL runs."""
    assert write_wells(alice, schema, [well(0)]).status_code == 201
    bad_value = alice.get(
        "/api/v1/records/read", {**target(schema), "filters": '[{"column":"api10","op":"=","value":"x"}]'}
    )
    assert bad_value.status_code == 400 and "Filter 0 on column 'api10'" in bad_value.json()["message"]
    unknown = alice.get("/api/v1/records/read", {**target(schema), "columns": "api10,nope"})
    assert unknown.status_code == 400 and "nope" in unknown.json()["message"]
    update = alice.put(
        "/api/v1/records/update",
        {
            **target(schema),
            "filters": [{"column": "api10", "op": "in", "value": [1, "two"]}],
            "updates": {"oileur": 1},
        },
    )
    assert update.status_code == 400
    assert Job.objects.filter(operation="update").count() == 0


def test_more_filters_and_updates_than_a_statement_can_carry_is_400(alice: ApiCaller, schema: str) -> None:
    """201 filters would need more than 256 parameters: a 400 before any job exists."""
    assert write_wells(alice, schema, [well(0)]).status_code == 201
    filters = [{"column": "api10", "op": "!=", "value": i} for i in range(201)]
    response = alice.put(
        "/api/v1/records/update", {**target(schema), "filters": filters, "updates": {"oileur": 1.0}}
    )
    assert response.status_code == 400 and "256 parameters" in response.json()["message"]
    read = alice.get("/api/v1/records/read", {**target(schema), "filters": json.dumps(filters)})
    assert read.status_code == 400
    assert Job.objects.filter(operation="update").count() == 0


def test_a_missing_not_null_value_is_a_400_at_submit(alice: ApiCaller, schema: str) -> None:
    """NOT NULL comes from the table itself: a row without a required value is a 400 naming it,
    with the table's real nullability in expected_schema; no job is stored."""
    get_client().execute(
        f"CREATE TABLE {CATALOG}.{schema}.strict (id BIGINT NOT NULL, note STRING, record_uuid STRING, "
        "is_deleted BOOLEAN, inserted_at TIMESTAMP, inserted_by STRING)"
    )
    jobs = Job.objects.count()
    response = alice.post("/api/v1/records/write", {**target(schema, "strict"), "data": [{"note": "no id"}]})
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["message"] == "Schema validation failed: Record 0: Column 'id' is required"
    assert body["details"]["expected_schema"] == [
        {"name": "id", "type": "BIGINT", "nullable": False},
        {"name": "note", "type": "STRING", "nullable": True},
    ]
    assert Job.objects.count() == jobs
    assert get_client().execute(f"SELECT COUNT(*) FROM {CATALOG}.{schema}.strict").rows == [(0,)]


def test_a_write_the_warehouse_rejects_fails_with_its_message(alice: ApiCaller, schema: str) -> None:
    """A NOT NULL violation only the warehouse sees (the table changed after submit) fails the job
    with the warehouse's class, and nothing lands."""
    table = TableName(CATALOG, schema, "strict")
    get_client().execute(
        f"CREATE TABLE {table} (id BIGINT NOT NULL, note STRING, record_uuid STRING, "
        "is_deleted BOOLEAN, inserted_at TIMESTAMP, inserted_by STRING)"
    )
    job = unpublished_write(table, [{"note": "no id"}], principal=alice.name)
    job_run_task.apply(args=(job.pk,))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.result is None and job.attempts == 1
    assert job.error is not None and job.error["error_class"] == "DELTA_NOT_NULL_CONSTRAINT_VIOLATED"
    assert get_client().execute(f"SELECT COUNT(*) FROM {table}").rows == [(0,)]


def test_reading_jobs_never_loads_their_payloads(alice: ApiCaller, table: TableName) -> None:
    """GET /jobs/{id} and GET /jobs answer from the job's state alone: no query selects the
    payload column (a payload may hold 100,000 rows)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from access.models import ApiClient

    job = unpublished_write(table, [{"id": i, "note": "x" * 100} for i in range(200)], principal="alice")
    assert ApiClient.objects.get(name="alice").pk == job.client_id
    with CaptureQueriesContext(connection) as queries:
        one = alice.get(f"/api/v1/jobs/{job.job_id}")
        listed = alice.get("/api/v1/jobs")
    assert one.status_code == 200 and listed.status_code == 200
    assert str(job.job_id) in {item["job_id"] for item in listed.json()["results"]}
    job_queries = [q["sql"] for q in queries.captured_queries if "records_job" in q["sql"]]
    assert job_queries and not [sql for sql in job_queries if '"payload"' in sql]


@pytest.mark.parametrize("key", ["k" * 256, "k" * 10_000, "tab\tinside", "é-not-ascii"])
def test_an_idempotency_key_too_long_or_not_printable_is_a_400_storing_nothing(
    alice: ApiCaller, schema: str, key: str
) -> None:
    """The key's column holds 255 characters (on PostgreSQL a longer one was a 500): such a
    key, or one with control or non-ASCII characters, is refused before any job is stored."""
    jobs = Job.objects.count()
    body = {**target(schema), "auto_create": True, "schema_definition": [{"name": "a", "data_type": "INT"}]}
    response = alice.post("/api/v1/records/write", {**body, "data": [{"a": 1}]}, HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400, response.json()
    assert "Idempotency-Key" in response.json()["message"]
    assert Job.objects.count() == jobs
    accepted = alice.post(
        "/api/v1/records/write", {**body, "data": [{"a": 1}]}, HTTP_IDEMPOTENCY_KEY="k" * 255
    )
    assert accepted.status_code == 202, accepted.json()
