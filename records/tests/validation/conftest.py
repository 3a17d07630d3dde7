"""Helpers of the validation tests."""

from __future__ import annotations

from typing import Any

import pytest

from records.tables import Column
from records.validation.rows import SchemaValidationError, compile_row_validator


def rejection(columns: tuple[Column, ...], row: dict[str, Any]) -> str:
    """The message of the SchemaValidationError a single row gets."""
    with pytest.raises(SchemaValidationError) as caught:
        compile_row_validator(columns)([row])
    return caught.value.message
