"""Completion webhooks, end to end with the real worker: a receiver started here gets exactly
one Standard Webhooks message per final job (verified with the ``standardwebhooks`` library,
not our signing code), retries after failures, nothing more after a 410; bad callback URLs are
400s storing nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from pytest_django import Settings
from standardwebhooks import Webhook, WebhookVerificationError

from access.models import ApiClient
from access.testing import ApiCaller
from records.jobs.queue import job_publish
from records.models import Job, WebhookDelivery
from records.testing import WebhookReceiver, unpublished_write, wait_for_job, wait_until
from records.webhooks.delivery import webhook_send_again
from warehouse.sql import TableName

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]


@pytest.fixture
def receiver(settings: Settings) -> Iterator[WebhookReceiver]:
    settings.RECORDS_WEBHOOK_ALLOW_HTTP = True
    settings.RECORDS_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = WebhookReceiver()
    yield server
    server.server.shutdown()


def names(table: TableName) -> dict[str, str]:
    return {"catalog": table.catalog, "schema": table.schema, "table": table.table}


def verified(headers: dict[str, str], body: str) -> Any:
    secret = ApiClient.objects.get(name="alice").webhook_secret
    return Webhook(secret).verify(body, headers)


def delivered(job_id: str) -> WebhookDelivery:
    delivery = wait_until(
        lambda: WebhookDelivery.objects.filter(job__job_id=job_id).exclude(status="pending").first(),
        30,
        what=f"job {job_id}'s webhook finishing",
    )
    assert delivery is not None
    return delivery


def test_each_final_job_gets_one_signed_delivery(
    alice: ApiCaller, table: TableName, receiver: WebhookReceiver
) -> None:
    """A write that succeeds, one that fails (its table is gone) and one canceled while queued:
    one message each, of the job's final type and body, signed with alice's secret."""
    body = {**names(table), "data": [{"id": 1, "note": "a"}], "callback_url": receiver.url}
    succeeded = alice.post("/api/v1/records/write?wait=10", body).json()
    missing = TableName(table.catalog, table.schema, "gone")
    failing = unpublished_write(missing, [{"id": 1}], principal="alice", callback_url=receiver.url)
    job_publish(failing.pk)
    canceled = unpublished_write(table, [{"id": 2}], principal="alice", callback_url=receiver.url)
    assert alice.http.post(f"/api/v1/jobs/{canceled.job_id}/cancel").status_code == 200
    expected = {
        succeeded["job_id"]: "succeeded",
        str(failing.job_id): "failed",
        str(canceled.job_id): "canceled",
    }
    for job_id in expected:
        wait_for_job(job_id)
        assert delivered(job_id).status == "delivered"
    time.sleep(1.5)  # past the retry delay: nothing more arrives
    assert len(receiver.received) == 3
    for job_id, status in expected.items():
        [(headers, text)] = receiver.deliveries_for(job_id)
        message = verified(headers, text)
        job = Job.objects.get(job_id=job_id)
        assert message["type"] == f"job.{status}"
        assert message["data"]["job_id"] == job_id and message["data"]["status"] == status
        assert message["data"]["callback_url"] == receiver.url
        assert headers["webhook-id"] == job.webhook.webhook_id
    with pytest.raises(WebhookVerificationError):
        Webhook(ApiClient.objects.get(name="alice").webhook_secret).verify(text + " ", headers)


def test_a_receiver_failing_twice_gets_the_third_attempt(
    alice: ApiCaller, table: TableName, receiver: WebhookReceiver
) -> None:
    receiver.answers = [500, 503]
    body = {**names(table), "data": [{"id": 1}], "callback_url": receiver.url}
    job_id = alice.post("/api/v1/records/write", body).json()["job_id"]
    delivery = delivered(job_id)
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert [a.status_code for a in delivery.attempt_set.all()] == [500, 503, 200]
    sent = receiver.deliveries_for(job_id)
    assert len(sent) == 3
    assert len({h["webhook-id"] for h, _ in sent}) == 1 and len({b for _, b in sent}) == 1
    for headers, text in sent:
        verified(headers, text)


def test_a_410_stops_at_once_and_send_again_sends_the_same_message(
    alice: ApiCaller, table: TableName, receiver: WebhookReceiver
) -> None:
    receiver.answers = [410]
    body = {**names(table), "data": [{"id": 1}], "callback_url": receiver.url}
    job_id = alice.post("/api/v1/records/write", body).json()["job_id"]
    delivery = delivered(job_id)
    time.sleep(1.5)
    assert (delivery.status, delivery.attempts, len(receiver.received)) == ("gone", 1, 1)
    webhook_send_again(delivery)
    again = wait_until(
        lambda: WebhookDelivery.objects.filter(pk=delivery.pk, status="delivered").first(), 30, what="resend"
    )
    assert again is not None and again.attempts == 2
    [(first, first_body), (second, second_body)] = receiver.received
    assert first["webhook-id"] == second["webhook-id"] and first_body == second_body


@pytest.mark.parametrize(
    ("url", "allow_http", "message"),
    [
        ("http://127.0.0.1:9/x", False, "callback_url must be an https URL"),
        ("https://10.0.0.1/x", True, "callback_url host '10.0.0.1' is not in RECORDS_WEBHOOK_ALLOWED_HOSTS"),
        ("https://hooks.example.com.evil.test/x", True, "is not in RECORDS_WEBHOOK_ALLOWED_HOSTS"),
        ("https://user:pw@hooks.example.com/x", True, "callback_url may not carry credentials"),
        ("ftp://hooks.example.com/x", True, "callback_url must be an https URL"),
        ("not a url", True, "callback_url must be an https URL"),
    ],
)
def test_a_callback_url_the_service_may_not_call_is_a_400_storing_nothing(
    alice: ApiCaller, table: TableName, settings: Settings, url: str, allow_http: bool, message: str
) -> None:
    settings.RECORDS_WEBHOOK_ALLOW_HTTP = allow_http
    settings.RECORDS_WEBHOOK_ALLOWED_HOSTS = [".example.com", "127.0.0.1"]
    response = alice.post("/api/v1/records/write", {**names(table), "data": [{"id": 1}], "callback_url": url})
    assert response.status_code == 400, response.json()
    assert message in str(response.json()), response.json()
    assert not Job.objects.exists()


def test_an_allowed_subdomain_is_accepted_and_shown_on_the_job(
    alice: ApiCaller, table: TableName, settings: Settings
) -> None:
    settings.RECORDS_WEBHOOK_ALLOWED_HOSTS = [".example.com"]
    url = "https://hooks.example.com/records"
    body = {**names(table), "key_column": "id", "key_value": 1, "updates": {"note": "b"}, "callback_url": url}
    response = alice.put("/api/v1/records/update", body)
    assert response.status_code == 202, response.json()
    assert alice.get(response.json()["status_url"]).json()["callback_url"] == url
    other = alice.put("/api/v1/records/update", {**body, "callback_url": None}).json()
    assert alice.get(other["status_url"]).json()["callback_url"] is None


def test_createapiclient_shows_the_secret_once_and_rotatewebhooksecret_replaces_it() -> None:
    out = StringIO()
    call_command("createapiclient", "hooked", stdout=out)
    secret = ApiClient.objects.get(name="hooked").webhook_secret
    assert secret.startswith("whsec_") and secret in out.getvalue()
    out = StringIO()
    call_command("rotatewebhooksecret", "hooked", "--quiet", stdout=out)
    rotated = ApiClient.objects.get(name="hooked").webhook_secret
    assert out.getvalue().strip() == rotated != secret
    assert Webhook(rotated)  # a secret the reference implementation accepts


def test_the_admin_shows_deliveries_with_their_attempts_and_sends_again(
    alice: ApiCaller, table: TableName, receiver: WebhookReceiver
) -> None:
    receiver.answers = [500, 500, 500, 500]  # every attempt of the schedule fails
    body = {**names(table), "data": [{"id": 1}], "callback_url": receiver.url}
    job_id = alice.post("/api/v1/records/write", body).json()["job_id"]
    delivery = delivered(job_id)
    assert (delivery.status, delivery.attempts) == ("failed", 4)  # the first and 3 retries
    User.objects.create_superuser("admin", "admin@example.com", "pw")
    admin = Client()
    admin.login(username="admin", password="pw")
    listing = admin.get("/admin/records/webhookdelivery/")
    assert listing.status_code == 200 and delivery.webhook_id in listing.content.decode()
    page = admin.get(f"/admin/records/webhookdelivery/{delivery.pk}/change/").content.decode()
    assert page.count(">500<") == 4, page
    answer = admin.post(
        "/admin/records/webhookdelivery/",
        {"action": "send_again", "_selected_action": [delivery.pk]},
        follow=True,
    )
    assert "Sending 1 webhook(s) again." in answer.content.decode()
    again = wait_until(
        lambda: WebhookDelivery.objects.filter(pk=delivery.pk, status="delivered").first(), 30, what="resend"
    )
    assert again is not None and again.attempts == 5 and len(receiver.received) == 5
