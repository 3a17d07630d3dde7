"""Grants over HTTP: every endpoint needs its privilege, checked at submit and again at run."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from access.models import ApiClient
from access.testing import ApiCaller
from audit.models import ApiLog
from records.jobs.tasks import job_run_task
from records.models import Job
from records.sql import create_table
from records.testing import WELLS_COLUMNS, WELLS_DEFINITION, well
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName

# Not one of access.testing.TEST_CATALOGS: every client here holds only what its test grants.
CATALOG = "grants_tests"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def wells(schema: str) -> TableName:
    """A wells table holding well(1) and well(2), written by a client of its own."""
    table = TableName(CATALOG, schema, "wells")
    statement = create_table(table, WELLS_COLUMNS)
    get_client().execute(statement.sql, statement.params)
    owner = ApiCaller("owner", grants=[("MODIFY", f"{CATALOG}.{schema}.wells")])
    response = owner.post("/api/v1/records/write", {**target(table), "data": [well(1), well(2)]})
    job_run_task.apply(args=(Job.objects.get(job_id=response.json()["job_id"]).pk,))
    assert Job.objects.get().status == Job.Status.SUCCEEDED
    return table


def target(table: TableName) -> dict[str, str]:
    return {"catalog": table.catalog, "schema": table.schema, "table": table.table}


def requests_for(table: TableName) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """One request of each operation on ``table``: (method, path, body or query)."""
    where = target(table)
    return {
        "write": ("post", "/api/v1/records/write", {**where, "data": [well(3)]}),
        "update": (
            "put",
            "/api/v1/records/update",
            {**where, "key_column": "api10", "key_value": well(1)["api10"], "updates": {"oileur": 5.0}},
        ),
        "delete": (
            "delete",
            "/api/v1/records/delete",
            {**where, "key_column": "api10", "key_value": well(2)["api10"]},
        ),
        "read": ("get", "/api/v1/records/read", where),
    }


NEEDS = {"write": "MODIFY", "update": "MODIFY", "delete": "MODIFY", "read": "SELECT"}


def send(caller: ApiCaller, request: tuple[str, str, dict[str, Any]]) -> Any:
    method, path, body = request
    return getattr(caller, method)(path, body)


def grant(name: str, privileges: str, securable: str) -> None:
    call_command("grant", name, privileges, securable, stdout=io.StringIO())


def revoke(name: str, privileges: str, securable: str) -> None:
    call_command("revoke", name, privileges, securable, stdout=io.StringIO())


@pytest.mark.parametrize("operation", list(NEEDS))
def test_each_endpoint_is_403_without_its_privilege_and_works_with_it(
    operation: str, wells: TableName, local_warehouse: LocalWarehouseProcess
) -> None:
    """Without the privilege: a 403 naming privilege and securable, no job stored, the denial in
    api_log. The other privilege alone is not enough; with the right one, the request is served."""
    needed = NEEDS[operation]
    other = "SELECT" if needed == "MODIFY" else "MODIFY"
    carol = ApiCaller("carol", grants=[(other, CATALOG)])
    response = send(carol, requests_for(wells)[operation])
    assert response.status_code == 403, response.json()
    full = f"{CATALOG}.{wells.schema}.wells"
    assert response.json() == {
        "error": True,
        "message": f"Permission denied: client 'carol' lacks {needed} on table {full}",
        "details": {
            "error_class": "PERMISSION_DENIED",
            "privilege": needed,
            "securable_type": "TABLE",
            "securable": full,
        },
    }
    assert not Job.objects.filter(client=carol.client).exists()
    log = ApiLog.objects.get()
    assert (log.status_code, log.user, log.client_id) == (403, "carol", carol.client.pk)
    assert f"lacks {needed}" in log.error_message

    grant("carol", needed, full)
    response = send(carol, requests_for(wells)[operation])
    assert response.status_code == (200 if operation == "read" else 202), response.json()
    if operation == "read":
        assert response.json()["count"] == 2


def test_grants_inherit_from_catalog_to_schema_to_table(wells: TableName, schema: str) -> None:
    """A read is allowed by SELECT on the catalog, on the schema or on the table; a grant on
    another schema or another table of the schema does not reach it."""
    read = requests_for(wells)["read"]
    dave = ApiCaller("dave", grants=[("SELECT", f"{CATALOG}.other"), ("SELECT", f"{CATALOG}.{schema}.other")])
    assert send(dave, read).status_code == 403
    for securable in (CATALOG, f"{CATALOG}.{schema}", f"{CATALOG}.{schema}.wells"):
        grant("dave", "SELECT", securable)
        assert send(dave, read).status_code == 200, securable
        revoke("dave", "SELECT", securable)
        assert send(dave, read).status_code == 403, securable
    grant("dave", "ALL_PRIVILEGES", CATALOG.upper())  # names are case-insensitive
    assert all(send(dave, request).status_code in (200, 202) for request in requests_for(wells).values())


def test_creating_a_table_needs_create_table_on_its_schema(schema: str) -> None:
    """auto_create of a table that does not exist needs CREATE_TABLE on the schema besides MODIFY
    on the table; a write with auto_create to an existing table needs only MODIFY."""
    new = TableName(CATALOG, schema, "new_wells")
    body = {**target(new), "auto_create": True, "schema_definition": WELLS_DEFINITION, "data": [well(1)]}
    erin = ApiCaller("erin", grants=[("MODIFY", f"{CATALOG}.{schema}")])
    response = erin.post("/api/v1/records/write?wait=20", body)
    assert response.status_code == 403
    assert response.json()["details"] == {
        "error_class": "PERMISSION_DENIED",
        "privilege": "CREATE_TABLE",
        "securable_type": "SCHEMA",
        "securable": f"{CATALOG}.{schema}",
    }
    grant("erin", "CREATE_TABLE", f"{CATALOG}.{schema}")
    response = erin.post("/api/v1/records/write", body)
    assert response.status_code == 202, response.json()
    job = Job.objects.get(job_id=response.json()["job_id"])
    job_run_task.apply(args=(job.pk,))
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    revoke("erin", "CREATE_TABLE", f"{CATALOG}.{schema}")
    assert erin.post("/api/v1/records/write", body).status_code == 202  # the table exists now


def test_a_grant_revoked_before_the_job_runs_fails_it_and_writes_nothing(wells: TableName) -> None:
    """Submit checks MODIFY; the job runs later (no worker here), after the grant was revoked:
    it fails with the reason, the table unchanged, the failure in api_log."""
    frank = ApiCaller("frank", grants=[("MODIFY", f"{CATALOG}.{wells.schema}.wells")])
    response = send(frank, requests_for(wells)["write"])
    assert response.status_code == 202, response.json()
    revoke("frank", "MODIFY", f"{CATALOG}.{wells.schema}.wells")
    job = Job.objects.get(job_id=response.json()["job_id"])
    job_run_task.apply(args=(job.pk,))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.error is not None
    assert job.error["error_class"] == "PERMISSION_DENIED"
    assert "lacks MODIFY" in job.error["message"] and "checked again when the job ran" in job.error["message"]
    assert get_client().execute(f"SELECT count(*) FROM {wells.quoted}").rows[0][0] == 2
    assert ApiLog.objects.filter(method="JOB", error_message__contains="PERMISSION_DENIED").count() == 1


def test_a_deactivated_client_s_queued_job_fails_at_run(wells: TableName) -> None:
    grace = ApiCaller("grace", grants=[("ALL_PRIVILEGES", CATALOG)])
    response = send(grace, requests_for(wells)["delete"])
    assert response.status_code == 202
    ApiClient.objects.filter(pk=grace.client.pk).update(is_active=False)
    job = Job.objects.get(job_id=response.json()["job_id"])
    job_run_task.apply(args=(job.pk,))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.error is not None
    assert job.error["error_class"] == "PERMISSION_DENIED"


@pytest.fixture
def api_log_table(schema: str, settings: Any) -> TableName:
    """The service's api_log table, put by DATABRICKS_LOG_* in this test's schema."""
    settings.DATABRICKS_LOG_CATALOG, settings.DATABRICKS_LOG_SCHEMA = CATALOG, schema
    table = TableName(CATALOG, schema, "api_log")
    get_client().execute(
        f"CREATE TABLE {table.quoted} (log_id STRING, level STRING, user STRING, is_deleted BOOLEAN)"
    )
    get_client().execute(f"INSERT INTO {table.quoted} VALUES ('1', 'ERROR', 'alice', false)")
    return table


def test_no_client_can_modify_the_audit_log_and_reading_needs_its_own_grant(api_log_table: TableName) -> None:
    """Even ALL_PRIVILEGES on the catalog gives nothing on api_log: writes, updates, deletes and
    auto_create are 403 naming the audit log; a read needs SELECT granted on the table itself."""
    mallory = ApiCaller("mallory", grants=[("ALL_PRIVILEGES", CATALOG)])
    where = target(api_log_table)
    attempts: list[tuple[str, str, dict[str, Any]]] = [
        ("post", "/api/v1/records/write", {**where, "data": [{"log_id": "2", "level": "x", "user": "bob"}]}),
        (
            "put",
            "/api/v1/records/update",
            {
                **where,
                "filters": [{"column": "user", "op": "=", "value": "alice"}],
                "updates": {"user": "bob"},
            },
        ),
        (
            "put",
            "/api/v1/records/update",
            {**where, "key_column": "log_id", "key_value": "1", "updates": {"user": "x"}},
        ),
        (
            "delete",
            "/api/v1/records/delete",
            {**where, "key_column": "log_id", "key_value": "1", "soft": False},
        ),
        (
            "delete",
            "/api/v1/records/delete",
            {**where, "filters": [{"column": "level", "op": "=", "value": "ERROR"}]},
        ),
    ]
    for attempt in attempts:
        response = send(mallory, attempt)
        assert response.status_code == 403, (attempt, response.json())
        assert "is the service's audit log; no client may modify it" in response.json()["message"]
    # Upper case names reach the same table.
    shouted = {**where, "catalog": CATALOG.upper(), "table": "API_LOG", "data": [{"log_id": "3"}]}
    assert mallory.post("/api/v1/records/write", shouted).status_code == 403
    assert send(mallory, ("get", "/api/v1/records/read", where)).status_code == 403
    assert not Job.objects.filter(client=mallory.client).exists()

    grant("mallory", "SELECT", f"{CATALOG}.{api_log_table.schema}.api_log")
    response = send(mallory, ("get", "/api/v1/records/read", where))
    assert response.status_code == 200 and response.json()["count"] == 1
    assert send(mallory, attempts[0]).status_code == 403  # reading is all it gives
    assert get_client().execute(f"SELECT user FROM {api_log_table.quoted}").rows == [("alice",)]


def test_a_new_client_with_an_old_client_s_name_sees_nothing_of_the_old_one(wells: TableName) -> None:
    """Jobs belong to the client's id: after the old client is renamed, a new client with its
    former name sees none of its jobs."""
    old = ApiCaller("henry", grants=[("ALL_PRIVILEGES", CATALOG)])
    job_id = send(old, requests_for(wells)["write"]).json()["job_id"]
    ApiClient.objects.filter(pk=old.client.pk).update(name="henry-2025", is_active=False)
    new = ApiCaller("henry", grants=[("ALL_PRIVILEGES", CATALOG)])
    assert new.get("/api/v1/jobs").json()["results"] == []
    assert new.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert old.get("/api/v1/jobs").status_code == 401
