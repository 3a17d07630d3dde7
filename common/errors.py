"""The service's one error type and the body every failing request gets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import exceptions, status


class ApiError(exceptions.APIException):
    """A failure with a client-facing message and structured details (default status 400)."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_detail = "Bad request"
    default_code = "bad_request"

    def __init__(
        self, message: str, *, details: Mapping[str, Any] | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(detail=message)
        self.message = message
        self.details = dict(details or {})
        if status_code is not None:
            self.status_code = status_code


def error_body(message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The error body every failing request gets, whatever its status."""
    return {"error": True, "message": message, "details": dict(details or {})}
