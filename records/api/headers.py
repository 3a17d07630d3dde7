"""Request headers the records API reads."""

from __future__ import annotations

import re

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
