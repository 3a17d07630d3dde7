"""Request headers the records API reads."""

from __future__ import annotations

import re

from django.conf import settings
from rest_framework.request import Request

from common.errors import ApiError

# The stored key's column holds 255 characters; printable ASCII keeps keys comparable as sent.
MAX_IDEMPOTENCY_KEY_LENGTH = 255
_PRINTABLE = re.compile(r"[\x20-\x7e]+")


def idempotency_key(request: Request) -> str | None:
    """The ``Idempotency-Key`` header (``None`` when absent or empty); a 400 when it is longer
    than 255 characters or not printable ASCII, before anything is stored."""
    key = request.headers.get("Idempotency-Key")
    if not key:
        return None
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not _PRINTABLE.fullmatch(key):
        raise ApiError(
            f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters",
            details={"length": len(key)},
        )
    return key


def preferred_wait(request: Request) -> int | None:
    """The ``wait`` preference of a ``Prefer`` header (RFC 7240: ``Prefer: wait=10``), capped at
    ``RECORDS_MAX_WAIT_SECONDS``; ``None`` when there is none. A preference is a hint: one this
    service cannot read is ignored, never a 400."""
    for preference in request.headers.get("Prefer", "").split(","):
        token, _, value = preference.split(";")[0].partition("=")
        value = value.strip().strip('"')
        if token.strip().lower() == "wait" and value.isascii() and value.isdigit():
            # Many digits are beyond any cap (and int() refuses very long ones).
            seconds = int(value) if len(value) < 6 else settings.RECORDS_MAX_WAIT_SECONDS
            return min(seconds, settings.RECORDS_MAX_WAIT_SECONDS)
    return None
