"""Submit checks a write against the table that receives it, and every change against the
parameter budget, so that nothing is silently dropped and nothing stored can be refused
(``records.jobs.submit``, ``records.jobs.budget``, ``records.validation.table``)."""

from __future__ import annotations

from typing import Any

import pytest

from access.testing import ApiCaller
from records.jobs.lifecycle import job_publish_next
from records.models import Job
from records.testing import WELLS_DEFINITION, wait_for_job, well
from warehouse.client import get_client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]

CATALOG = "submit_tests"


def target(schema: str, table: str = "t") -> dict[str, str]:
    return {"catalog": CATALOG, "schema": schema, "table": table}


def count_rows(schema: str, table: str = "t") -> int:
    return int(get_client().execute(f"SELECT COUNT(*) FROM {CATALOG}.{schema}.{table}").rows[0][0])


def refused(alice: ApiCaller, path: str, body: dict[str, Any], method: str = "post") -> dict[str, Any]:
    """The 400 body of a request that must store no job."""
    jobs = Job.objects.count()
    response = getattr(alice, method)(path, body)
    assert response.status_code == 400, response.json()
    assert Job.objects.count() == jobs
    answer: dict[str, Any] = response.json()
    assert answer["error"] is True
    return answer


def test_a_column_the_table_lacks_is_a_400_not_a_lost_value(alice: ApiCaller, schema: str) -> None:
    """The issue's scenario: a definition with a column 'b' the existing table lacks is refused
    naming 'b' (with the table's real columns), nothing is written and no job is stored."""
    created = alice.post(
        "/api/v1/records/write?wait=20",
        {
            **target(schema),
            "auto_create": True,
            "schema_definition": [{"name": "a", "data_type": "BIGINT", "nullable": False}],
            "data": [{"a": 1}],
        },
    )
    assert created.status_code == 201, created.json()
    body = {
        **target(schema),
        "auto_create": True,
        "schema_definition": [
            {"name": "a", "data_type": "BIGINT", "nullable": False},
            {"name": "b", "data_type": "STRING"},
        ],
        "data": [{"a": 2, "b": "WILL THIS BE LOST"}],
    }
    answer = refused(alice, "/api/v1/records/write", body)
    assert "'b'" in answer["message"] and f"{CATALOG}.{schema}.t" in answer["message"]
    assert answer["details"]["unknown_columns"] == ["b"]
    assert answer["details"]["expected_schema"] == [{"name": "a", "type": "BIGINT", "nullable": False}]
    without_definition = refused(
        alice, "/api/v1/records/write", {**target(schema), "data": [{"a": 3, "b": "x"}]}
    )
    assert without_definition["details"]["unknown_columns"] == ["b"]
    assert count_rows(schema) == 1


def test_the_seeds_nine_column_write_into_a_three_column_table_is_a_400(
    alice: ApiCaller, schema: str
) -> None:
    """All six columns the narrow table lacks are named; nothing is written."""
    narrow = [
        {"name": "api10", "data_type": "BIGINT", "nullable": False},
        {"name": "wellname", "data_type": "STRING", "nullable": False},
        {"name": "oileur", "data_type": "DOUBLE"},
    ]
    row = {key: well(1)[key] for key in ("api10", "wellname", "oileur")}
    body = {**target(schema, "wells"), "auto_create": True, "schema_definition": narrow, "data": [row]}
    assert alice.post("/api/v1/records/write?wait=20", body).status_code == 201
    wide = {**target(schema, "wells"), "auto_create": True, "schema_definition": WELLS_DEFINITION}
    answer = refused(alice, "/api/v1/records/write", {**wide, "data": [well(2)]})
    assert sorted(answer["details"]["unknown_columns"]) == sorted(
        c["name"] for c in WELLS_DEFINITION if c["name"] not in ("api10", "wellname", "oileur")
    )
    assert count_rows(schema, "wells") == 1


def test_a_definition_whose_types_disagree_with_the_table_is_a_400(alice: ApiCaller, schema: str) -> None:
    """A definition saying STRING for the table's BIGINT column is refused, naming both types."""
    get_client().execute(f"CREATE TABLE {CATALOG}.{schema}.t (a BIGINT, record_uuid STRING)")
    body = {
        **target(schema),
        "auto_create": True,
        "schema_definition": [{"name": "a", "data_type": "STRING"}],
        "data": [{"a": "1"}],
    }
    answer = refused(alice, "/api/v1/records/write", body)
    assert answer["message"] == (
        f"Schema validation failed: Column 'a' is STRING in schema_definition but BIGINT in table {CATALOG}.{schema}.t"
    )


def test_three_bad_rows_are_all_reported(alice: ApiCaller, schema: str) -> None:
    """Every bad row is listed with its index and problem; the message keeps the seed's words."""
    get_client().execute(f"CREATE TABLE {CATALOG}.{schema}.t (a BIGINT NOT NULL, b DATE, record_uuid STRING)")
    rows = [{"a": 1}, {"a": "x"}, {"a": 2, "b": "not a date"}, {"b": "2024-01-01"}]
    answer = refused(alice, "/api/v1/records/write", {**target(schema), "data": rows})
    assert answer["message"] == "Schema validation failed: Record 1: Column 'a' expects integer, got str"
    assert [item["record"] for item in answer["details"]["invalid_records"]] == [1, 2, 3]
    assert answer["details"]["invalid_record_count"] == 3
    assert answer["details"]["expected_schema"] == [
        {"name": "a", "type": "BIGINT", "nullable": False},
        {"name": "b", "type": "DATE", "nullable": True},
    ]


def test_what_cannot_be_cut_to_fit_the_parameter_budget_is_a_400(
    alice: ApiCaller, schema: str, settings: Any
) -> None:
    """A row, a key or a filter's in list larger than the budget is a 400 naming the limit."""
    settings.RECORDS_MAX_PARAMETER_BYTES = 2000
    get_client().execute(
        f"CREATE TABLE {CATALOG}.{schema}.t (k STRING, v STRING, record_uuid STRING, is_deleted BOOLEAN)"
    )
    row = refused(alice, "/api/v1/records/write", {**target(schema), "data": [{"k": "a"}, {"k": "x" * 3000}]})
    assert row["details"]["record"] == 1 and row["details"]["max_parameter_bytes"] == 2000
    assert "RECORDS_MAX_PARAMETER_BYTES" in row["message"]
    key = {**target(schema), "key_column": "k", "key_values": ["a", "y" * 3000]}
    assert refused(alice, "/api/v1/records/delete", key, "delete")["details"]["item"] == 1
    in_list = [{"column": "k", "op": "in", "value": [f"key-{i}" for i in range(300)]}]
    filters = {**target(schema), "filters": in_list, "updates": {"v": "z"}}
    assert refused(alice, "/api/v1/records/update", filters, "put")["details"]["bytes"] > 2000
    big_update = {**target(schema), "key_column": "k", "key_value": "a", "updates": {"v": "u" * 3000}}
    assert refused(alice, "/api/v1/records/update", big_update, "put")["details"]["item"] is None
    assert count_rows(schema) == 0


def test_during_an_outage_known_tables_take_writes_and_unknown_ones_answer_503(
    alice: ApiCaller, schema: str, local_warehouse: Any, settings: Any
) -> None:
    """With the warehouse unreachable, a write to a table whose columns are cached (even past
    RECORDS_SCHEMA_CACHE_SECONDS) is accepted and lands once the warehouse is back; a write
    that needs the warehouse to be checked (a table never seen) is a 503 with Retry-After in
    the error format, and stores no job."""
    get_client().execute(f"CREATE TABLE {CATALOG}.{schema}.t (a BIGINT, record_uuid STRING)")
    get_client().execute(f"CREATE TABLE {CATALOG}.{schema}.unseen (a BIGINT, record_uuid STRING)")
    first = alice.post("/api/v1/records/write?wait=20", {**target(schema), "data": [{"a": 1}]})
    assert first.status_code == 201, first.json()
    settings.RECORDS_SCHEMA_CACHE_SECONDS = 0  # every entry is past its freshness now
    local_warehouse.stop()
    try:
        get_client().reset()
        accepted = alice.post("/api/v1/records/write", {**target(schema), "data": [{"a": 2}]})
        jobs = Job.objects.count()
        unknown = alice.post("/api/v1/records/write", {**target(schema, "unseen"), "data": [{"a": 3}]})
        assert Job.objects.count() == jobs
    finally:
        local_warehouse.start()
        get_client().reset()
    assert accepted.status_code == 202, accepted.json()
    assert unknown.status_code == 503 and unknown.headers["Retry-After"]
    assert unknown.json()["error"] is True
    job = Job.objects.get(job_id=accepted.json()["job_id"])
    Job.objects.filter(pk=job.pk).update(available_at=None)  # its retry is due now
    job_publish_next(Job.objects.get(job_id=first.json()["job_id"]))
    done = wait_for_job(job, timeout=60)
    assert done.status == Job.Status.SUCCEEDED and done.result is not None and done.result["count"] == 1
    assert count_rows(schema) == 2
