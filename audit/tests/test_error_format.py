"""Errors that ``common.middleware.ApiErrorMiddleware`` shapes are recorded once each, with DEBUG
on and off: unknown URLs, crashes outside DRF, bodies nested too deep, over-long query strings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.test import Client
from django.urls import include, path
from pytest_django import Settings

from access.testing import ApiCaller
from audit.models import ApiLog
from common.handlers import not_found, server_error
from common.middleware import MAX_QUERY_STRING_BYTES
from common.parsers import MAX_JSON_NESTING

pytestmark = pytest.mark.django_db

JSON = "application/json"
TOO_DEEP = f"JSON parse error - nested deeper than {MAX_JSON_NESTING} levels of arrays and objects"


@pytest.fixture(params=[True, False], ids=["debug", "no-debug"])
def alice(request: pytest.FixtureRequest, settings: Settings, db: None) -> ApiCaller:
    """Alice's client (answering 500s rather than re-raising), with DEBUG on, then off."""
    settings.DEBUG = request.param
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.CrashingMiddleware"]
    caller = ApiCaller("alice")
    caller.http = Client(headers={"Authorization": f"Api-Key {caller.key}"}, raise_request_exception=False)
    return caller


def only_log() -> ApiLog:
    logs = list(ApiLog.objects.all())
    assert len(logs) == 1, logs
    return logs[0]


def test_an_unknown_url_is_logged_once(alice: ApiCaller) -> None:
    response = alice.get("/api/v1/nowhere", {"table": "t1"})

    assert (response.status_code, response.json()["message"]) == (404, "Not found.")
    log = only_log()
    assert (log.level, log.status_code, log.endpoint, log.error_type) == (
        "WARNING",
        404,
        "/api/v1/nowhere",
        "Http404",
    )
    assert (log.error_message, log.table_name, log.user) == ("Not found.", "t1", "")


@pytest.mark.urls(__name__)
def test_a_crash_outside_drf_is_logged_once_with_its_traceback(alice: ApiCaller) -> None:
    response = alice.get("/api/plain-crash", {"catalog": "c1"})

    assert (response.status_code, response.json()["message"]) == (500, "Internal server error")
    log = only_log()
    assert (log.level, log.status_code, log.error_type, log.catalog) == ("ERROR", 500, "RuntimeError", "c1")
    assert log.error_message.startswith("Internal server error")  # + type and message in DEBUG
    assert "RuntimeError: plain view exploded" in log.stack_trace and "plain_crash" in log.stack_trace


def test_a_crash_in_a_middleware_is_logged_once(alice: ApiCaller) -> None:
    response = alice.get("/api/v1/middleware-crash")

    assert (response.status_code, response["Content-Type"]) == (500, JSON)
    log = only_log()
    assert (log.level, log.status_code, log.endpoint) == ("ERROR", 500, "/api/v1/middleware-crash")
    assert log.error_message == "Internal server error"


@pytest.mark.parametrize("levels", [MAX_JSON_NESTING + 1, 800])
def test_a_body_nested_too_deep_is_logged_once_with_its_text(alice: ApiCaller, levels: int) -> None:
    body = '{"catalog": "c1", "table": "t1", "data": ' + "[" * (levels - 1) + "]" * (levels - 1) + "}"

    response = alice.http.post("/api/v1/records/write", body, content_type=JSON)

    assert (response.status_code, response.json()["message"]) == (400, TOO_DEEP)
    log = only_log()
    assert (log.level, log.status_code, log.error_type, log.error_message) == (
        "WARNING",
        400,
        "ParseError",
        TOO_DEEP,
    )
    assert log.request_body.startswith('{"catalog": "c1"') and log.user == "alice"


def test_an_over_long_query_string_is_logged_once_as_a_414(alice: ApiCaller) -> None:
    response = alice.get("/api/v1/records/read", {"table": "t1", "filters": "x" * MAX_QUERY_STRING_BYTES})

    assert response.status_code == 414
    log = only_log()
    assert (log.level, log.status_code, log.table_name) == ("WARNING", 414, "t1")
    assert log.error_message.startswith(f"Query string is longer than {MAX_QUERY_STRING_BYTES} bytes")


# --- the URLconf of test_a_crash_outside_drf_is_logged_once_with_its_traceback ---------------------


def plain_crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("plain view exploded")


class CrashingMiddleware:
    """Innermost in these tests: raises for ``*/middleware-crash`` before the URL is resolved."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path.endswith("/middleware-crash"):
            raise RuntimeError("middleware exploded")
        return self.get_response(request)


urlpatterns: list[Any] = [
    path("api/plain-crash", plain_crash),
    path("", include("project.urls")),
]
handler404 = not_found
handler500 = server_error
