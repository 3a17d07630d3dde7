"""The admin login locks out after repeated wrong passwords (django-axes); the API is not affected."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from pytest_django import Settings

from access.testing import ApiCaller
from audit.models import ApiLog

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "the-right-password-1234"


@pytest.fixture(autouse=True)
def admin_user(settings: Settings) -> None:
    """An admin, and a failure limit of 3 whatever the environment says."""
    settings.AXES_FAILURE_LIMIT = 3
    get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)


def log_in(client: Client, password: str) -> int:
    """Submit the admin's login form; its status (302: logged in, 200: refused, 429: locked out)."""
    return client.post(LOGIN, {"username": "admin", "password": password, "next": "/admin/"}).status_code


def logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def lock_out(client: Client) -> None:
    """Three wrong passwords: the third reaches the limit and is already refused as locked out."""
    assert [log_in(client, "wrong") for _ in range(3)] == [200, 200, 429]


def test_after_the_failure_limit_the_right_password_is_refused_until_reset() -> None:
    """Locked out, the right password is a 429 too; `manage.py axes_reset` lets it in again."""
    client = Client()
    lock_out(client)

    response = client.post(LOGIN, {"username": "admin", "password": PASSWORD})
    assert response.status_code == 429 and b"too many login attempts" in response.content
    assert not logged_in(client)

    call_command("axes_reset", verbosity=0)
    assert log_in(client, PASSWORD) == 302
    assert logged_in(client)


def test_the_lockout_ends_after_the_cool_off(settings: Settings) -> None:
    """After AXES_COOLOFF_TIME the right password works again."""
    settings.AXES_COOLOFF_TIME = timedelta(seconds=2)
    client = Client()
    lock_out(client)
    assert log_in(client, PASSWORD) == 429

    time.sleep(2.3)
    assert log_in(client, PASSWORD) == 302


def test_a_success_before_the_limit_starts_the_count_again() -> None:
    """Two wrong passwords, the right one, two wrong again: never locked out."""
    client = Client()
    assert [log_in(client, "wrong") for _ in range(2)] == [200, 200]
    assert log_in(client, PASSWORD) == 302
    client.logout()
    assert [log_in(client, "wrong") for _ in range(2)] == [200, 200]
    assert log_in(client, PASSWORD) == 302


def test_the_lockout_is_per_address() -> None:
    """Another address can still log in while one is locked out."""
    lock_out(Client())
    assert log_in(Client(REMOTE_ADDR="192.0.2.10"), PASSWORD) == 302


def test_the_api_is_not_affected_and_axes_records_the_lockout() -> None:
    """An API key from a locked-out address still works. The lockout is axes' record (its
    admin pages), not an API error: api_log takes only /api/ paths."""
    client = Client()
    lock_out(client)
    assert log_in(client, PASSWORD) == 429

    assert ApiCaller("alice").get("/api/v1/jobs").status_code == 200
    assert AccessAttempt.objects.get(username="admin").failures_since_start >= 3
    assert not ApiLog.objects.filter(endpoint=LOGIN).exists()
