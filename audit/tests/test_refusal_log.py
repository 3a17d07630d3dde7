"""Refusals anyone can repeat (401, 429) are one api_log row per caller, status and window."""

from __future__ import annotations

import time
import uuid

import pytest
from django.test import Client
from pytest_django import Settings

from access.testing import ApiCaller
from audit.models import ApiLog

pytestmark = pytest.mark.django_db

JOBS = "/api/v1/jobs"
WINDOW = 3  # seconds, for AUDIT_REFUSAL_WINDOW_SECONDS


def at_window_start() -> None:
    """Sleep until a window has just begun, so that a few quick requests share it."""
    time.sleep(WINDOW - time.time() % WINDOW + 0.01)


def bad_key_from(address: str) -> Client:
    return Client(REMOTE_ADDR=address, headers={"Authorization": "Api-Key notakey.0123456789"})


def test_failed_authentications_are_one_row_per_address_and_window(settings: Settings) -> None:
    """Five 401s from one address in a window are one row, another address has its own, and the
    first row of the next window counts the four left out."""
    settings.AUDIT_REFUSAL_WINDOW_SECONDS = WINDOW
    at_window_start()
    assert [bad_key_from("192.0.2.1").get(JOBS).status_code for _ in range(5)] == [401] * 5
    assert bad_key_from("192.0.2.2").get(JOBS).status_code == 401
    assert ApiLog.objects.filter(status_code=401).count() == 2

    at_window_start()
    assert bad_key_from("192.0.2.1").get(JOBS).status_code == 401

    latest = ApiLog.objects.filter(status_code=401).latest("timestamp")
    assert ApiLog.objects.filter(status_code=401).count() == 3
    assert latest.error_message == (
        f"Invalid or revoked API key. (4 more like it from this caller in the previous {WINDOW} s"
        " were not recorded)"
    )


def test_throttled_requests_of_a_client_are_one_row_per_window(settings: Settings) -> None:
    """A client over its rate is recorded once per window, under its own name."""
    settings.AUDIT_REFUSAL_WINDOW_SECONDS = WINDOW
    settings.API_THROTTLE_CLIENT_RATE = "1/min"
    alice = ApiCaller("alice")
    at_window_start()
    assert [alice.get(JOBS).status_code for _ in range(4)] == [200, 429, 429, 429]

    log = ApiLog.objects.get()
    assert (log.status_code, log.user, log.client_id, log.error_type) == (
        429,
        "alice",
        alice.client.pk,
        "Throttled",
    )
    assert log.error_message.startswith("Request was throttled. Expected available in ")


def test_other_errors_are_recorded_every_time(settings: Settings) -> None:
    """A 404 is not a refusal anyone can repeat without a key: each one is a row."""
    settings.AUDIT_REFUSAL_WINDOW_SECONDS = WINDOW
    alice = ApiCaller("alice")
    for _ in range(3):
        assert alice.get(f"{JOBS}/{uuid.uuid4()}").status_code == 404
    assert ApiLog.objects.filter(status_code=404).count() == 3


def test_a_window_of_zero_records_every_refusal(settings: Settings) -> None:
    """AUDIT_REFUSAL_WINDOW_SECONDS=0 turns the grouping off."""
    settings.AUDIT_REFUSAL_WINDOW_SECONDS = 0
    for _ in range(3):
        assert bad_key_from("192.0.2.1").get(JOBS).status_code == 401
    assert ApiLog.objects.filter(status_code=401).count() == 3
