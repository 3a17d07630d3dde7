"""``DeleteSerializer``: the seed's delete scenarios, soft by default."""

from __future__ import annotations

import pytest

from records.api.serializers import DeleteSerializer

from .conftest import SEED_DELETES, TABLE, refused_with, valid, validation_errors


@pytest.mark.parametrize("method", list(SEED_DELETES))
def test_each_seed_delete_scenario_is_valid(method: str) -> None:
    """key_value, key_values and filters as the seed shows them."""
    data = valid(DeleteSerializer, SEED_DELETES[method])

    assert data["method"] == method
    assert data[method] == SEED_DELETES[method][method]
    assert data["soft"] is True


def test_soft_delete_is_the_default_and_hard_delete_is_asked_for() -> None:
    """Without soft, a delete is soft; soft: false deletes for good."""
    body = {k: v for k, v in SEED_DELETES["key_value"].items() if k != "soft"}

    assert valid(DeleteSerializer, body)["soft"] is True
    assert valid(DeleteSerializer, {**body, "soft": False})["soft"] is False


def test_a_delete_without_a_method_is_refused() -> None:
    """One of the three ways of choosing rows is needed."""
    errors = validation_errors(DeleteSerializer, {**TABLE, "soft": True})

    assert errors == [
        {"type": "invalid", "loc": ["body"], "msg": "Specify exactly one of key_value, key_values, filters"}
    ]


def test_a_delete_with_two_methods_is_refused() -> None:
    """key_value and key_values together are ambiguous."""
    body = {**SEED_DELETES["key_value"], "key_values": [1, 2]}

    assert (
        validation_errors(DeleteSerializer, body)[0]["msg"]
        == "Specify exactly one of key_value, key_values, filters"
    )


@pytest.mark.parametrize("field", ["catalog", "schema", "table", "key_column"])
def test_invalid_names_in_a_delete_are_refused(field: str) -> None:
    """Every name in a delete is an identifier."""
    body = {**SEED_DELETES["key_values"], field: "test'; DROP TABLE users; --"}

    assert refused_with(DeleteSerializer, body)[:2] == (
        400,
        "Invalid identifier: test'; DROP TABLE users; --",
    )


def test_a_delete_by_key_needs_the_key_column() -> None:
    """Keys need the column they are values of."""
    body = {k: v for k, v in SEED_DELETES["key_value"].items() if k != "key_column"}

    assert validation_errors(DeleteSerializer, body)[0]["loc"] == ["body", "key_column"]
