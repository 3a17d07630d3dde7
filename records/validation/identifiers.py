"""Catalog, schema, table and column names as the API accepts them."""

from __future__ import annotations

from common.errors import ApiError
from warehouse.sql import IDENTIFIER

from .types import clip

# Unity Catalog names are at most 255 characters; the Job model stores them in 255.
MAX_IDENTIFIER_LENGTH = 255


class InvalidIdentifier(ApiError):
    """A catalog, schema, table or column name outside ``^[A-Za-z_][A-Za-z0-9_]*$``."""

    def __init__(self, value: str, what: str = "identifier") -> None:
        super().__init__(f"Invalid identifier: {clip(value, 300)}")  # the value is echoed: keep it short
        self.what = what


def validate_identifier(value: str, what: str) -> str:
    """``value`` if it is a valid identifier; else ``InvalidIdentifier`` (``what`` names the field)."""
    if not isinstance(value, str) or len(value) > MAX_IDENTIFIER_LENGTH or not IDENTIFIER.fullmatch(value):
        raise InvalidIdentifier(str(value), what)
    return value
