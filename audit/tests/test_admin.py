"""The api_log admin: list, filters, search and a read-only detail view with the stack trace."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from audit.models import ApiLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_() -> Client:
    user = User.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def log() -> ApiLog:
    return ApiLog.objects.create(
        timestamp=timezone.now(),
        level="ERROR",
        endpoint="/api/v1/records/read",
        method="GET",
        status_code=500,
        error_type="RuntimeError",
        error_message="selector exploded",
        stack_trace="Traceback (most recent call last): boom-frame",
        user="alice",
        table_name="wells",
    )


def test_the_list_filters_and_searches_log_entries(admin_client_: Client, log: ApiLog) -> None:
    """Filtering by level, status, error type and searching messages finds the entry."""
    url = "/admin/audit/apilog/"
    query = {"level__exact": "ERROR", "status_code__exact": "500", "error_type__exact": "RuntimeError"}
    response = admin_client_.get(url, {**query, "q": "exploded"})
    assert response.status_code == 200 and b"/api/v1/records/read" in response.content
    response = admin_client_.get(url, {"q": "no such message"})
    assert b"/api/v1/records/read" not in response.content


def test_the_detail_view_shows_the_stack_trace_read_only(admin_client_: Client, log: ApiLog) -> None:
    """The detail page shows the trace; adding and changing are refused."""
    response = admin_client_.get(f"/admin/audit/apilog/{log.pk}/change/")
    assert response.status_code == 200 and b"boom-frame" in response.content
    assert '<pre class="apilog-text">Traceback (most recent call last): boom-frame</pre>' in response.text
    assert b'name="_save"' not in response.content
    assert admin_client_.get("/admin/audit/apilog/add/").status_code == 403


def test_durations_are_rounded(admin_client_: Client, log: ApiLog) -> None:
    ApiLog.objects.filter(pk=log.pk).update(execution_time_ms=12.345678)
    assert "12.3 ms" in admin_client_.get("/admin/audit/apilog/").text
    ApiLog.objects.filter(pk=log.pk).update(execution_time_ms=2345.678)
    assert "2.35 s" in admin_client_.get(f"/admin/audit/apilog/{log.pk}/change/").text
