"""Typed errors: one class per status a caller handles differently, each carrying the body."""

from __future__ import annotations

from typing import Any

import httpx


class ApiError(Exception):
    """The service answered an error: its ``status``, ``message``, ``details`` and whole ``body``
    (``{"error": true, "message": ..., "details": {...}}``, or the text when it was not JSON)."""

    def __init__(self, status: int, message: str, details: dict[str, Any], body: Any) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.details = details
        self.body = body


class ValidationError(ApiError):
    """400 or 413: the request is wrong or too large; ``details`` says what (``errors``, limits)."""


class AuthenticationError(ApiError):
    """401: no key or a key the service does not know."""


class PermissionDenied(ApiError):
    """403: the client lacks a privilege (``details.privilege``, ``details.securable``)."""


class NotFound(ApiError):
    """404: an unknown URL, or a job that is not the caller's."""


class Conflict(ApiError):
    """409: e.g. canceling a finished job, or an idempotency key reused with another body."""


class Throttled(ApiError):
    """429: over a rate; ``retry_after`` is the seconds the service asks to wait (or None)."""

    def __init__(
        self, status: int, message: str, details: dict[str, Any], body: Any, retry_after: float | None
    ) -> None:
        super().__init__(status, message, details, body)
        self.retry_after = retry_after


_ERRORS_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: ValidationError,
}


def error_from_response(response: httpx.Response) -> ApiError:
    """The typed error of an error answer."""
    try:
        body: Any = response.json()
    except ValueError:  # a proxy's HTML page, say
        body = response.text
    details: dict[str, Any] = {}
    if isinstance(body, dict):
        message = str(body.get("message") or response.reason_phrase)
        if isinstance(body.get("details"), dict):
            details = body["details"]
    else:
        message = response.reason_phrase or f"HTTP {response.status_code}"
    if response.status_code == 429:
        return Throttled(response.status_code, message, details, body, _retry_after(response))
    error_class = _ERRORS_BY_STATUS.get(response.status_code, ApiError)
    return error_class(response.status_code, message, details, body)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):  # absent, or an HTTP date (the service sends seconds)
        return None
