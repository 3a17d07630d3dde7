"""Under /api/, every error is the JSON error body with DEBUG on and off (``common.middleware``).

Tests marked ``urls`` use the URLconf at the bottom of this module: plain Django views (not
DRF) that crash, raise Http404 or allow GET only, a DRF view whose answer cannot be rendered,
and a middleware that crashes, under /api/ and outside it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.test import Client
from django.urls import path
from django.views.decorators.http import require_GET
from pytest_django import Settings
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.handlers import not_found, server_error
from common.middleware import MAX_QUERY_STRING_BYTES

THIS_URLCONF = "common.tests.test_middleware"
JSON = "application/json"

pytestmark = pytest.mark.urls(THIS_URLCONF)


@pytest.fixture(params=[True, False], ids=["debug", "no-debug"])
def debug(request: pytest.FixtureRequest, settings: Settings) -> bool:
    """Each test runs with DEBUG on and with DEBUG off; the middleware is installed either way."""
    settings.DEBUG = request.param
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.CrashingMiddleware"]
    return bool(request.param)


@pytest.fixture
def http(debug: bool) -> Client:
    """A client that answers 500s instead of re-raising the view's exception."""
    return Client(raise_request_exception=False)


def assert_error(response: Any, status: int, message: str) -> dict[str, Any]:
    """The response is the error format with ``status`` and ``message``; its details."""
    assert response.status_code == status
    assert response["Content-Type"] == JSON
    body = response.json()
    assert set(body) == {"error", "message", "details"}
    assert body["error"] is True and body["message"] == message
    return dict(body["details"])


def test_a_plain_view_that_crashes_is_a_json_500(http: Client, debug: bool) -> None:
    """Not Django's HTML traceback page, in DEBUG either; the traceback is in details only then."""
    details = assert_error(http.get("/api/crash"), 500, "Internal server error")

    if debug:
        assert details["type"] == "RuntimeError" and details["info"] == "plain view exploded"
    else:
        assert details == {}


def test_http404_from_a_plain_view_is_a_json_404(http: Client) -> None:
    assert_error(http.get("/api/missing"), 404, "No such thing")


def test_a_wrong_method_on_a_plain_view_is_a_json_405_naming_the_allowed_ones(http: Client) -> None:
    response = http.post("/api/get-only", data={}, content_type=JSON)

    assert_error(response, 405, 'Method "POST" not allowed.')
    assert response["Allow"] == "GET"


def test_a_drf_answer_that_cannot_be_rendered_is_a_json_500(http: Client, debug: bool) -> None:
    """Rendering happens after DRF's exception handler: the middleware shapes that failure too."""
    details = assert_error(http.get("/api/unrenderable"), 500, "Internal server error")

    assert ("type" in details) is debug


def test_a_crash_in_another_middleware_is_a_json_500(http: Client) -> None:
    """Django answers it (HTML in DEBUG) before any view runs; the JSON body replaces it."""
    assert_error(http.get("/api/middleware-crash"), 500, "Internal server error")


def test_an_unknown_path_under_api_is_a_json_404(http: Client) -> None:
    assert_error(http.get("/api/v9/nowhere"), 404, "Not found.")


def test_outside_api_djangos_pages_stay(http: Client, debug: bool) -> None:
    """The admin and other pages keep Django's own error pages (HTML in DEBUG)."""
    crash = http.get("/outside/crash")
    unknown = http.get("/outside/nowhere")

    assert (crash.status_code, unknown.status_code) == (500, 404)
    if debug:
        assert crash["Content-Type"].startswith("text/html") and b"plain view exploded" in crash.content
        assert unknown["Content-Type"].startswith("text/html")
    else:  # the project's handler views answer in JSON
        assert crash.json()["message"] == "Internal server error"
        assert unknown.json()["message"] == "Not found."


def test_a_query_string_over_the_limit_is_a_json_414(http: Client) -> None:
    """Checked before any view: the longest query string passes, one byte more is a 414."""
    longest = "q=" + "x" * (MAX_QUERY_STRING_BYTES - 2)

    assert http.get(f"/api/get-only?{longest}").status_code == 200
    response = http.get(f"/api/get-only?{longest}x")
    assert_error(response, 414, f"Query string is longer than {MAX_QUERY_STRING_BYTES} bytes")
    assert response.json()["details"] == {
        "length": MAX_QUERY_STRING_BYTES + 1,
        "max_bytes": MAX_QUERY_STRING_BYTES,
    }


# --- the URLconf of this module ----------------------------------------------------------------


def plain_crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("plain view exploded")


def plain_missing(request: HttpRequest) -> HttpResponse:
    raise Http404("No such thing")


@require_GET
def get_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


class UnrenderableView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get(self, request: Request) -> Response:
        return Response({"value": object()})


class CrashingMiddleware:
    """Innermost in these tests: raises for ``*/middleware-crash`` before the URL is resolved."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path.endswith("/middleware-crash"):
            raise RuntimeError("middleware exploded")
        return self.get_response(request)


urlpatterns = [
    path("api/crash", plain_crash),
    path("api/missing", plain_missing),
    path("api/get-only", get_only),
    path("api/unrenderable", UnrenderableView.as_view()),
    path("outside/crash", plain_crash),
]
handler404 = not_found
handler500 = server_error
