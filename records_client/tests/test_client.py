"""The Python client against the real service: over HTTP (``live_server``), jobs run by the
session's Celery worker on the local warehouse."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_django import Settings
from standardwebhooks import Webhook

from access.models import ApiClient
from access.testing import ApiCaller
from records.models import Job
from records.testing import WebhookReceiver, wait_until, warehouse_schema
from records_client import (
    AuthenticationError,
    Client,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from warehouse.local.testing import LocalWarehouseProcess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]

ROOT = Path(__file__).resolve().parents[2]
CATALOG = "api_tests"
TABLE = "wells"
DEFINITION = [
    {"name": "id", "data_type": "BIGINT", "nullable": False},
    {"name": "note", "data_type": "STRING", "nullable": True},
]


@pytest.fixture
def schema(local_warehouse: LocalWarehouseProcess) -> Iterator[str]:
    with warehouse_schema(CATALOG) as name:
        yield name


@pytest.fixture
def client(live_server: Any) -> Iterator[Client]:
    with Client(live_server.url, ApiCaller("client-tests").key, timeout=10) as client:
        yield client


def rows(ids: range, note: str = "row") -> list[dict[str, Any]]:
    return [{"id": i, "note": f"{note} {i}"} for i in ids]


def write_table(client: Client, schema: str, ids: range, note: str = "row") -> None:
    job = client.write(
        CATALOG, schema, TABLE, rows(ids, note), auto_create=True, schema_definition=DEFINITION, wait=20
    )
    assert (job.status, job.result["count"]) == ("succeeded", len(ids)), job.raw


def test_write_read_update_delete_and_the_jobs(client: Client, schema: str, settings: Settings) -> None:
    job = client.write(
        CATALOG, schema, TABLE, rows(range(5)), auto_create=True, schema_definition=DEFINITION, wait=20
    )
    assert job.finished and job.status == "succeeded", job.raw
    assert job.result["count"] == 5 and job.error is None
    assert job.progress["rows_inserted"] == 5
    assert client.job(job.job_id).raw == job.raw
    assert client.wait(job.job_id, 5).status == "succeeded"  # final: answered at once

    page = client.read(
        CATALOG, schema, TABLE, columns=["id"], filters=[{"column": "id", "op": ">=", "value": 2}], limit=2
    )
    # One write's rows share inserted_at: within it, the order is record_uuid's, not id's.
    assert (page["count"], page["total"], len(page["data"])) == (2, 3, 2), page
    assert {row["id"] for row in page["data"]} < {2, 3, 4}

    # Pages cut short by the byte budget (live_server answers from this process: the setting
    # applies): read_all follows next_offset and still yields every row once, in order.
    settings.RECORDS_MAX_READ_BYTES = 60
    truncated = client.read(CATALOG, schema, TABLE, columns=["id", "note"], limit=100)
    assert truncated["truncated"] is True and 0 < truncated["count"] < 5, truncated
    read = list(client.read_all(CATALOG, schema, TABLE, columns=["id", "note"], page_size=100))
    assert sorted(read, key=lambda row: row["id"]) == rows(range(5))
    settings.RECORDS_MAX_READ_BYTES = 10 * 1024 * 1024
    # Pages of 2 rows: offset moves by count until total.
    assert sorted(row["id"] for row in client.read_all(CATALOG, schema, TABLE, page_size=2)) == [
        0,
        1,
        2,
        3,
        4,
    ]

    updated = client.update(
        CATALOG, schema, TABLE, key_column="id", key_values=[1, 99], updates={"note": "changed"}, wait=20
    )
    assert updated.status == "succeeded", updated.raw
    assert updated.result["count"] == 1 and updated.result["data"][0]["not_found"] == [99]

    deleted = client.delete(CATALOG, schema, TABLE, key_column="id", key_value=0, wait=20)
    assert deleted.status == "succeeded" and deleted.result["count"] == 1, deleted.raw
    live = {row["id"]: row["note"] for row in client.read_all(CATALOG, schema, TABLE, columns=["id", "note"])}
    assert live == {1: "changed", 2: "row 2", 3: "row 3", 4: "row 4"}
    everything = client.read(CATALOG, schema, TABLE, columns=["id", "is_deleted"], include_deleted=True)
    assert {"id": 0, "is_deleted": True} in everything["data"] and everything["total"] == 5

    # Without wait: the 202's job, then the long poll until it is final.
    queued = client.upsert(CATALOG, schema, TABLE, rows(range(4, 6), "upserted"), key_columns=["id"])
    assert queued.status in {"queued", "running", "succeeded"} and queued.result is None
    upserted = client.wait(queued.job_id, 20)
    assert upserted.status == "succeeded", upserted.raw
    assert (upserted.result["inserted"], upserted.result["updated"]) == (1, 1)

    with pytest.raises(Conflict) as canceled:
        client.cancel(upserted.job_id)
    assert canceled.value.status == 409 and canceled.value.details["status"] == "succeeded"
    assert canceled.value.body["error"] is True


def test_a_submit_whose_answer_is_lost_is_sent_again_and_runs_once(live_server: Any, schema: str) -> None:
    """The connection drops after the service stored the job: the client sends the request
    again with the same Idempotency-Key and gets the same job; one job, its rows once."""
    sent: list[str] = []

    class AnswerLostOnce(httpx.BaseTransport):
        def __init__(self) -> None:
            self.real = httpx.HTTPTransport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = self.real.handle_request(request)
            if request.method == "POST" and "Idempotency-Key" in request.headers:
                sent.append(request.headers["Idempotency-Key"])
                if len(sent) == 1:
                    response.read()  # the service answered; the answer never arrives
                    raise httpx.ReadError("connection reset", request=request)
            return response

    caller = ApiCaller("client-retries")
    with Client(live_server.url, caller.key, transport=AnswerLostOnce()) as client:
        job = client.write(
            CATALOG, schema, TABLE, rows(range(3)), auto_create=True, schema_definition=DEFINITION, wait=20
        )
        assert job.status == "succeeded", job.raw
        assert len(sent) == 2 and sent[0] == sent[1]
        assert Job.objects.filter(client=caller.client).count() == 1
        assert sorted(row["id"] for row in client.read_all(CATALOG, schema, TABLE)) == [0, 1, 2]
        # A key the caller chooses: the same call twice is the same job.
        key = f"nightly-{uuid.uuid4()}"
        again = [client.write(CATALOG, schema, TABLE, rows(range(3, 4)), idempotency_key=key) for _ in "ab"]
        assert again[0].job_id == again[1].job_id
        assert client.wait(again[0].job_id, 20).status == "succeeded"
        assert client.read(CATALOG, schema, TABLE)["total"] == 4


def test_errors_are_typed_and_carry_the_body(live_server: Any, client: Client, schema: str) -> None:
    write_table(client, schema, range(2))

    with pytest.raises(ValidationError) as invalid:
        client.write(CATALOG, schema, TABLE, [{"id": "abc", "note": "x"}])
    error = invalid.value
    assert error.status == 400 and error.message.startswith("Schema validation failed"), error.body
    assert error.details["expected_schema"] and error.body["details"] == error.details

    with pytest.raises(ValidationError) as out_of_range:
        client.read(CATALOG, schema, TABLE, limit=5000)
    assert out_of_range.value.message == "Validation error"
    assert [item["loc"] for item in out_of_range.value.details["errors"]] == [["query", "limit"]]

    with pytest.raises(NotFound):
        client.job(str(uuid.uuid4()))

    with Client(live_server.url, "not-a-key") as stranger, pytest.raises(AuthenticationError) as unknown:
        stranger.read(CATALOG, schema, TABLE)
    assert unknown.value.status == 401 and unknown.value.body["error"] is True

    reader = ApiCaller("client-other-schema", grants=[("SELECT", f"{CATALOG}.elsewhere")])
    with Client(live_server.url, reader.key) as outsider, pytest.raises(PermissionDenied) as denied:
        outsider.read(CATALOG, schema, TABLE)
    assert denied.value.status == 403
    assert (denied.value.details["privilege"], denied.value.details["securable"]) == (
        "SELECT",
        f"{CATALOG}.{schema}.{TABLE}",
    )


def test_the_client_stands_alone() -> None:
    """Importing the package loads httpx and nothing of the service or Django."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, records_client; print(' '.join(sorted(sys.modules)))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "httpx" in loaded
    service = {"django", "rest_framework", "project", "common", "access", "records", "audit", "warehouse"}
    assert not service & {name.split(".")[0] for name in loaded}


def test_a_callback_url_brings_one_signed_webhook(client: Client, schema: str, settings: Settings) -> None:
    """``callback_url`` on a submit: the job carries it and its receiver gets the signed
    ``job.succeeded`` (verified with the client's secret, as the README's receiver does)."""
    receiver = WebhookReceiver()
    settings.RECORDS_WEBHOOK_ALLOW_HTTP = True
    settings.RECORDS_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    try:
        job = client.write(
            CATALOG,
            schema,
            TABLE,
            rows(range(2)),
            auto_create=True,
            schema_definition=DEFINITION,
            wait=20,
            callback_url=receiver.url,
        )
        assert job.status == "succeeded" and job.raw["callback_url"] == receiver.url
        wait_until(lambda: receiver.deliveries_for(job.job_id), 30, what="the webhook")
        [(headers, body)] = receiver.deliveries_for(job.job_id)
        secret = ApiClient.objects.get(name="client-tests").webhook_secret
        message = Webhook(secret).verify(body, headers)
        assert (message["type"], message["data"]["result"]["count"]) == ("job.succeeded", 2)
    finally:
        receiver.server.shutdown()


def test_ingest_sends_a_file_from_disk_and_waits_for_its_job(
    client: Client, schema: str, tmp_path: Path
) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("id,note\n" + "".join(f"{i},line {i}\n" for i in range(1000)))
    job = client.ingest(CATALOG, schema, TABLE, path, auto_create=True, schema_definition=DEFINITION, wait=25)
    assert job.status == "succeeded", job.raw
    assert job.result == {
        "message": f"Inserted 1000 record(s) into {CATALOG}.{schema}.{TABLE}",
        "count": 1000,
        "files": 3,
    }
    assert sorted(row["id"] for row in client.read_all(CATALOG, schema, TABLE)) == list(range(1000))
    semicolons = tmp_path / "more.txt"
    semicolons.write_text("1000;x\n1001;-\n")
    more = client.ingest(
        CATALOG,
        schema,
        TABLE,
        semicolons,
        file_format="csv",
        header=False,
        delimiter=";",
        null_value="-",
        wait=25,
    )
    assert more.result["count"] == 2, more.raw
    with pytest.raises(ValueError, match="file_format"):
        client.ingest(CATALOG, schema, TABLE, semicolons)
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"id": 1}\n{"id": "two"}\n')
    with pytest.raises(ValidationError) as caught:
        client.ingest(CATALOG, schema, TABLE, bad)
    assert caught.value.details["invalid_lines"][0]["line"] == 2
