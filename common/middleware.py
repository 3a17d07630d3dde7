"""Under /api/, every error is the JSON error body, with DEBUG on or off.

Django answers some errors itself, before or after any view: an unknown URL (with DEBUG on,
its HTML debug page: ``handler404`` is only used with DEBUG off), an exception raised outside
DRF's exception handler (with DEBUG on, the HTML traceback page), a failure in another
middleware. ``ApiErrorMiddleware`` turns each of them, under ``API_PREFIX`` only, into the
error format; other paths (the admin) keep Django's pages. It also refuses query strings over
``MAX_QUERY_STRING_BYTES`` with a 414.

Its place in ``MIDDLEWARE``: right after ``audit.middleware.ApiLogMiddleware``, so that the
audit log times the whole request and records the JSON answer, once.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from rest_framework import status

from .errors import error_body
from .handlers import exception_response, json_error_response

API_PREFIX = "/api/"
# Longer query strings are a 414. Below the longest request line runserver reads (64 KiB) and
# above any read this API needs; gunicorn's own limit (--limit-request-line, 4094 bytes by
# default) answers first in production, with its HTML 414.
MAX_QUERY_STRING_BYTES = 32 * 1024
# The headers of an error response that still apply to its JSON replacement.
_KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")
_MESSAGES = {
    status.HTTP_400_BAD_REQUEST: "Bad request",
    status.HTTP_403_FORBIDDEN: "Permission denied",
    status.HTTP_404_NOT_FOUND: "Not found.",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "Request body is too large",
    status.HTTP_500_INTERNAL_SERVER_ERROR: "Internal server error",
}


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


class ApiErrorMiddleware:
    """JSON error bodies under /api/: for exceptions no handler caught and for Django's own
    (HTML) error responses; a 414 for an over-long query string."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not is_api_request(request):
            return self.get_response(request)
        query_bytes = len(request.META.get("QUERY_STRING", ""))
        if query_bytes > MAX_QUERY_STRING_BYTES:
            message = f"Query string is longer than {MAX_QUERY_STRING_BYTES} bytes"
            details = {"length": query_bytes, "max_bytes": MAX_QUERY_STRING_BYTES}
            return json_error_response(status.HTTP_414_REQUEST_URI_TOO_LONG, error_body(message, details))
        response = self.get_response(request)
        if response.status_code >= 400 and not _is_json(response):
            return _as_json_error(request, response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponseBase | None:
        """An exception a view under /api/ raised and nothing caught: shaped, logged and
        announced like one in a DRF view (so the audit log records it with its traceback)."""
        return exception_response(request, exception) if is_api_request(request) else None


def _is_json(response: HttpResponseBase) -> bool:
    return response.get("Content-Type", "").partition(";")[0].strip().lower() == "application/json"


def _as_json_error(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """Django's HTML (or empty) error response as the JSON error body, same status."""
    code = response.status_code
    if code == status.HTTP_405_METHOD_NOT_ALLOWED:
        message = f'Method "{request.method}" not allowed.'
    else:
        message = _MESSAGES.get(code, str(response.reason_phrase))
    headers = {name: response[name] for name in _KEPT_HEADERS if response.has_header(name)}
    return json_error_response(code, error_body(message), headers)
