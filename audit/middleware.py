"""Times every request and records error responses that DRF's exception handler never saw.

Only the API's (``/api/...``) are the audit log's business: a browser's ``/favicon.ico`` 404
or an admin page is not an API error, and would be shipped to the warehouse as one."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from .recorder import EXCEPTION, STARTED_AT, apilog_record_response

API_PREFIX = "/api/"


class ApiLogMiddleware:
    """Records each response >= 400 once (404 of unknown URLs, Django's 413, errors outside DRF)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        setattr(request, STARTED_AT, time.monotonic())
        response = self.get_response(request)
        if response.status_code >= 400 and request.path.startswith(API_PREFIX):
            apilog_record_response(request, response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        # Kept for the traceback; Django's handler500 builds the response.
        setattr(request, EXCEPTION, exception)
