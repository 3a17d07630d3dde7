"""Catalog, schema, table and column names (``records.validation.identifiers``)."""

from __future__ import annotations

import pytest

from records.validation.identifiers import InvalidIdentifier, validate_identifier


@pytest.mark.parametrize("name", ["wells", "_x", "A1", "oil_gas_catalog", "a" * 255])
def test_valid_identifiers_are_returned_unchanged(name: str) -> None:
    """Names matching ^[A-Za-z_][A-Za-z0-9_]*$ pass as they are."""
    assert validate_identifier(name, "table") == name


@pytest.mark.parametrize(
    "name",
    [
        "test'; DROP TABLE users; --",
        "1wells",
        "well-s",
        "we lls",
        "a.b",
        "`wells`",
        "wells;",
        "",
        "wéll",
        "a" * 256,
        'x" OR "1"="1',
        "wells\n",
        "wells\n; DROP TABLE x",
    ],
)
def test_invalid_identifiers_are_rejected_with_the_seed_message(name: str) -> None:
    """Anything else is a 400 "Invalid identifier: <value>" with empty details."""
    with pytest.raises(InvalidIdentifier) as caught:
        validate_identifier(name, "table")

    assert caught.value.status_code == 400
    assert caught.value.message == f"Invalid identifier: {name}"
    assert caught.value.details == {}


def test_a_very_long_invalid_identifier_is_clipped_in_the_message() -> None:
    """The message echoes at most 300 characters of what was sent."""
    with pytest.raises(InvalidIdentifier) as caught:
        validate_identifier("x" * 10_000, "table")

    assert caught.value.message == "Invalid identifier: " + "x" * 299 + "…"


def test_a_non_string_identifier_is_rejected() -> None:
    """A number is not a name."""
    with pytest.raises(InvalidIdentifier):
        validate_identifier(123, "table")  # type: ignore[arg-type]
