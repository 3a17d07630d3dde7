"""A Python client of the records service (``records-client``; depends only on httpx). The
README's "Python client" section shows it at work."""

from __future__ import annotations

from .client import FINAL_STATUSES, Client, Job
from .errors import (
    ApiError,
    AuthenticationError,
    Conflict,
    NotFound,
    PermissionDenied,
    Throttled,
    ValidationError,
)

__all__ = [
    "FINAL_STATUSES",
    "ApiError",
    "AuthenticationError",
    "Client",
    "Conflict",
    "Job",
    "NotFound",
    "PermissionDenied",
    "Throttled",
    "ValidationError",
]
