"""The API key in ``X-Api-Key`` (what Swagger UI's Authorize sends) works as
``Authorization: Api-Key <key>`` does: same clients, same 401s, same lockout, same redaction."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django import Settings

from access.testing import ApiCaller
from audit.models import ApiLog

pytestmark = pytest.mark.django_db

JOBS = "/api/v1/jobs"


def test_the_bare_key_in_x_api_key_authenticates() -> None:
    caller = ApiCaller("swagger-user")
    caller.post("/api/v1/records/write", {})  # a 400, but a request of this client's

    response = Client(headers={"X-Api-Key": caller.key}).get(JOBS)

    assert response.status_code == 200
    assert response.json()["count"] == 0  # the 400 stored no job; the caller is this client


def test_a_bad_x_api_key_is_a_401_even_beside_a_good_authorization() -> None:
    """X-Api-Key, when sent, is the key: a bad one is refused whatever Authorization says."""
    caller = ApiCaller("both-headers")
    both = Client(headers={"X-Api-Key": "notakey.0123456789", "Authorization": f"Api-Key {caller.key}"})

    response = both.get(JOBS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json() == {"error": True, "message": "Invalid or revoked API key.", "details": {}}


def test_an_empty_x_api_key_leaves_authorization_to_decide() -> None:
    caller = ApiCaller("empty-header")
    assert (
        Client(headers={"X-Api-Key": " ", "Authorization": f"Api-Key {caller.key}"}).get(JOBS).status_code
        == 200
    )
    assert Client(headers={"X-Api-Key": ""}).get(JOBS).status_code == 401


def test_failed_x_api_key_authentications_lock_the_address_out(settings: Settings) -> None:
    """Bad keys in X-Api-Key count as failed authentications: over the rate, even a good key
    (in either header) is a 429 from that address."""
    settings.API_THROTTLE_FAILED_AUTH_RATE = "2/m"
    caller = ApiCaller("locked-out")
    bad = Client(REMOTE_ADDR="192.0.2.10", headers={"X-Api-Key": "notakey.0123456789"})
    assert [bad.get(JOBS).status_code for _ in range(2)] == [401, 401]

    good = Client(REMOTE_ADDR="192.0.2.10", headers={"X-Api-Key": caller.key})
    response = good.get(JOBS)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert Client(REMOTE_ADDR="192.0.2.11", headers={"X-Api-Key": caller.key}).get(JOBS).status_code == 200


def test_the_x_api_key_value_is_redacted_from_the_audit_log() -> None:
    """A refused request's body is logged; the literal X-Api-Key value in it is not (this value
    is not shaped like a key the service issues, so only the header's value can hide it)."""
    secret = "letmein-2025-not-a-key"
    client = Client(headers={"X-Api-Key": secret})

    response = client.post(
        "/api/v1/records/write", {"catalog": secret, "note": f"key {secret}"}, content_type="application/json"
    )

    assert response.status_code == 401
    row = ApiLog.objects.get(status_code=401)
    assert secret not in row.request_body
    assert "[REDACTED]" in row.request_body
