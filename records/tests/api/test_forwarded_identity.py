"""The caller's identity from the Databricks Apps proxy (access.forwarded), over HTTP."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from pytest_django import Settings

from access.models import ApiClient
from access.testing import ApiCaller
from records.jobs.tasks import job_run_task
from records.models import Job
from records.sql import create_table
from records.testing import WELLS_COLUMNS, well
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName

# Not one of access.testing.TEST_CATALOGS: the forwarded clients hold only what a test grants.
CATALOG = "forwarded_tests"
ALICE = "alice@example.com"

pytestmark = pytest.mark.django_db(transaction=True)


def through_proxy(email: str | None = None, user: str | None = None) -> Client:
    """A test client whose requests carry what the Apps proxy forwards."""
    headers = {"X-Forwarded-Email": email, "X-Forwarded-User": user}
    return Client(headers={name: value for name, value in headers.items() if value is not None})


@pytest.fixture
def wells(schema: str, local_warehouse: LocalWarehouseProcess) -> TableName:
    """An empty wells table."""
    table = TableName(CATALOG, schema, "wells")
    statement = create_table(table, WELLS_COLUMNS)
    get_client().execute(statement.sql, statement.params)
    return table


def read(client: Client, table: TableName) -> Any:
    query = {"catalog": table.catalog, "schema": table.schema, "table": table.table}
    return client.get("/api/v1/records/read", query)


def grant(name: str, privileges: str, securable: str) -> None:
    call_command("grant", name, privileges, securable, stdout=io.StringIO())


def test_the_forwarded_headers_are_ignored_unless_the_proxy_is_trusted(settings: Settings) -> None:
    """With RECORDS_TRUST_APPS_PROXY off (the default) the headers are nobody: a 401 asking for
    an API key, and no client is made of them."""
    settings.RECORDS_TRUST_APPS_PROXY = False
    response = through_proxy(ALICE, "42@7").get("/api/v1/jobs")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Api-Key"
    assert not ApiClient.objects.exists()


def test_behind_the_proxy_a_forwarded_user_needs_grants_like_an_api_key(
    settings: Settings, wells: TableName
) -> None:
    """The forwarded email (lower case) is a client made on first sight with no privileges: a
    403 naming it until it is granted SELECT, then its read is served; with MODIFY its write
    lands with the email as inserted_by."""
    settings.RECORDS_TRUST_APPS_PROXY = True
    alice = through_proxy("Alice@Example.com", "42@7")
    response = read(alice, wells)
    assert response.status_code == 403
    assert response.json()["message"] == f"Permission denied: client '{ALICE}' lacks SELECT on table {wells}"
    client = ApiClient.objects.get()
    assert client.name == ALICE and not client.grants.exists() and not client.keys.exists()

    grant(ALICE, "SELECT", str(wells))
    response = read(alice, wells)
    assert response.status_code == 200 and response.json()["count"] == 0

    grant(ALICE, "MODIFY", str(wells))
    where = {"catalog": wells.catalog, "schema": wells.schema, "table": wells.table}
    response = alice.post(
        "/api/v1/records/write", {**where, "data": [well(1)]}, content_type="application/json"
    )
    assert response.status_code == 202, response.json()
    job = Job.objects.get(job_id=response.json()["job_id"])
    assert (job.client_id, job.principal) == (client.pk, ALICE)
    job_run_task.apply(args=(job.pk,))
    rows = get_client().execute(f"SELECT inserted_by FROM {wells.quoted}").rows
    assert rows == [(ALICE,)]
    assert ApiClient.objects.count() == 1


def test_a_caller_without_an_email_is_named_by_its_user_id(settings: Settings) -> None:
    """A service principal may come without X-Forwarded-Email: X-Forwarded-User names it."""
    settings.RECORDS_TRUST_APPS_PROXY = True
    response = through_proxy(user="7512349@1234567").get("/api/v1/jobs")
    assert response.status_code == 200, response.json()
    assert list(ApiClient.objects.values_list("name", flat=True)) == ["7512349@1234567"]


def test_a_forwarded_identity_wins_over_an_api_key(settings: Settings) -> None:
    """Behind the proxy the caller is who the proxy says, whatever key the request carries."""
    settings.RECORDS_TRUST_APPS_PROXY = True
    bob = ApiCaller("bob", grants=[("SELECT", CATALOG)])
    table = TableName(CATALOG, "s", "t")
    response = read(
        Client(headers={"Authorization": f"Api-Key {bob.key}", "X-Forwarded-Email": ALICE}), table
    )
    assert response.status_code == 403
    assert f"client '{ALICE}' lacks SELECT" in response.json()["message"]


def test_a_deactivated_forwarded_client_is_refused_and_never_locks_out_the_proxy(settings: Settings) -> None:
    """A deactivated client is a 401 each time; its failures are not counted against the address
    (every caller shares the proxy's), so other callers behind the proxy still get in."""
    settings.RECORDS_TRUST_APPS_PROXY = True
    settings.API_THROTTLE_FAILED_AUTH_RATE = "2/min"
    ApiClient.objects.create(name=ALICE, is_active=False)
    alice = through_proxy(ALICE)
    responses = [alice.get("/api/v1/jobs") for _ in range(4)]
    assert [r.status_code for r in responses] == [401] * 4
    assert responses[0].json()["message"] == f"Client '{ALICE}' is deactivated."
    assert through_proxy("carol@example.com").get("/api/v1/jobs").status_code == 200


@pytest.mark.parametrize("name", ["x" * 256 + "@example.com", "ali\x00ce@example.com"])
def test_a_forwarded_name_that_cannot_be_a_client_is_a_401(settings: Settings, name: str) -> None:
    """Too long for a client's name, or not printable: refused, nothing created."""
    settings.RECORDS_TRUST_APPS_PROXY = True
    assert through_proxy(name).get("/api/v1/jobs").status_code == 401
    assert not ApiClient.objects.exists()
