"""Counts and times every HTTP request by view, method and status (``metrics``)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from .metrics import http_request_duration_seconds, http_requests_total

# A request no URL pattern matched (or refused before URL resolution): one label for them all,
# so that scanning for random paths cannot add series.
UNMATCHED_VIEW = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class HttpMetricsMiddleware:
    """Near the top of ``MIDDLEWARE``, so that it sees the status the client gets."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        view = view_label(request)
        method = request.method if request.method in _METHODS else "other"
        http_request_duration_seconds.labels(view, method).observe(time.perf_counter() - started)
        http_requests_total.labels(view, method, str(response.status_code)).inc()
        return response


def view_label(request: HttpRequest) -> str:
    """The matched URL pattern's name (``records-write``, ``admin:index``), never the path."""
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None and match.view_name else UNMATCHED_VIEW
