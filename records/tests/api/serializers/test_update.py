"""``UpdateSerializer``: the seed's four update scenarios and every way of getting one wrong."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_django import Settings

from records.api.serializers import UpdateSerializer

from .conftest import SEED_UPDATES, TABLE, refused_with, valid, validation_errors


@pytest.mark.parametrize("method", list(SEED_UPDATES))
def test_each_seed_update_scenario_is_valid(method: str) -> None:
    """key_value, key_values, bulk_updates and filters as the seed shows them."""
    body = SEED_UPDATES[method]

    data = valid(UpdateSerializer, body)

    assert data["method"] == method
    assert data[method] == body[method]
    assert data.get("updates") == body.get("updates")
    assert data.get("key_column") == body.get("key_column")
    assert {"catalog", "schema", "table"} <= data.keys()


def test_a_filter_update_keeps_no_key_column() -> None:
    """With filters the key column plays no part."""
    data = valid(UpdateSerializer, {**SEED_UPDATES["filters"], "key_column": "api10"})

    assert "key_column" not in data
    assert data["filters"] == [{"column": "oileur", "op": "<", "value": 100000}]


def test_an_update_without_a_method_is_refused() -> None:
    """One of the four ways of choosing rows is needed."""
    errors = validation_errors(UpdateSerializer, {**TABLE, "key_column": "api10", "updates": {"oileur": 1}})

    assert errors == [
        {
            "type": "invalid",
            "loc": ["body"],
            "msg": "Specify exactly one of key_value, key_values, bulk_updates, filters",
        }
    ]


def test_an_update_with_two_methods_is_refused() -> None:
    """key_value and filters together are ambiguous."""
    body = {**SEED_UPDATES["key_value"], "filters": [{"column": "oileur", "op": "<", "value": 1}]}

    errors = validation_errors(UpdateSerializer, body)

    assert errors[0]["msg"] == "Specify exactly one of key_value, key_values, bulk_updates, filters"


def test_a_null_key_value_counts_as_not_given() -> None:
    """key_value: null with nothing else chooses no rows."""
    body = {**TABLE, "key_column": "api10", "key_value": None, "updates": {"oileur": 1}}

    assert validation_errors(UpdateSerializer, body)[0]["loc"] == ["body"]


@pytest.mark.parametrize("method", ["key_value", "key_values", "bulk_updates"])
def test_key_column_is_required_with_keys(method: str) -> None:
    """Keys need the column they are values of."""
    body = {k: v for k, v in SEED_UPDATES[method].items() if k != "key_column"}

    errors = validation_errors(UpdateSerializer, body)

    assert errors == [
        {"type": "missing", "loc": ["body", "key_column"], "msg": f"key_column is required with {method}"}
    ]


@pytest.mark.parametrize("method", ["key_value", "key_values", "filters"])
def test_updates_are_required_except_with_bulk_updates(method: str) -> None:
    """The three single-updates scenarios need an updates object."""
    body = {k: v for k, v in SEED_UPDATES[method].items() if k != "updates"}

    errors = validation_errors(UpdateSerializer, body)

    assert errors == [
        {"type": "missing", "loc": ["body", "updates"], "msg": f"updates is required with {method}"}
    ]


def test_updates_cannot_be_combined_with_bulk_updates() -> None:
    """Each bulk item carries its own updates."""
    body = {**SEED_UPDATES["bulk_updates"], "updates": {"oileur": 1}}

    assert validation_errors(UpdateSerializer, body)[0]["loc"] == ["body", "updates"]


@pytest.mark.parametrize("updates", [{}, [], "oileur=1"])
def test_updates_must_be_a_non_empty_object(updates: Any) -> None:
    """Nothing to set is an error."""
    body = {**SEED_UPDATES["key_value"], "updates": updates}

    assert validation_errors(UpdateSerializer, body)[0]["loc"] == ["body", "updates"]


def test_bulk_items_need_their_own_non_empty_updates_and_a_key() -> None:
    """Each bulk item is a key_value and a non-empty updates object."""
    body = {
        **SEED_UPDATES["bulk_updates"],
        "bulk_updates": [{"key_value": 1, "updates": {}}, {"updates": {"a": 1}}],
    }

    locs = [error["loc"] for error in validation_errors(UpdateSerializer, body)]

    assert locs == [["body", "bulk_updates", 0, "updates"], ["body", "bulk_updates", 1, "key_value"]]


@pytest.mark.parametrize("name", ["oileur; DROP TABLE wells", "1x", "a b", "a.b"])
def test_update_keys_must_be_identifiers(name: str) -> None:
    """Column names in updates are identifiers, like every other name."""
    body = {**SEED_UPDATES["key_value"], "updates": {name: 1}}

    assert refused_with(UpdateSerializer, body)[:2] == (400, f"Invalid identifier: {name}")


def test_update_keys_in_bulk_items_must_be_identifiers() -> None:
    """The rule holds inside bulk_updates too."""
    body = {**SEED_UPDATES["bulk_updates"], "bulk_updates": [{"key_value": 1, "updates": {"x'--": 1}}]}

    assert refused_with(UpdateSerializer, body)[:2] == (400, "Invalid identifier: x'--")


@pytest.mark.parametrize("name", ["updated_at", "updated_by", "is_deleted", "Record_UUID"])
def test_updates_cannot_set_audit_columns(name: str) -> None:
    """updated_at and friends are the service's."""
    body = {**SEED_UPDATES["key_value"], "updates": {name: "x"}}

    status, message, _ = refused_with(UpdateSerializer, body)

    assert (status, message) == (
        400,
        f"Schema validation failed: Column '{name}' is set by the service and cannot be written",
    )


@pytest.mark.parametrize("field", ["catalog", "schema", "table", "key_column"])
def test_invalid_names_in_an_update_are_refused(field: str) -> None:
    """Every name in an update is an identifier."""
    body = {**SEED_UPDATES["key_value"], field: "wells; --"}

    assert refused_with(UpdateSerializer, body)[:2] == (400, "Invalid identifier: wells; --")


@pytest.mark.parametrize(
    ("key_values", "loc"), [([], ["body", "key_values"]), ([1, [2]], ["body", "key_values", 1])]
)
def test_key_values_must_be_a_non_empty_list_of_single_values(key_values: Any, loc: list[Any]) -> None:
    """No keys, or a key that is a list, is refused."""
    body = {**SEED_UPDATES["key_values"], "key_values": key_values}

    assert validation_errors(UpdateSerializer, body)[0]["loc"] == loc


def test_a_key_value_must_be_a_single_value() -> None:
    """key_value takes one value; key_values takes several."""
    body = {**SEED_UPDATES["key_value"], "key_value": [1, 2]}

    errors = validation_errors(UpdateSerializer, body)

    assert errors == [
        {
            "type": "scalar",
            "loc": ["body", "key_value"],
            "msg": "Expected a single value (string, number or boolean), got array.",
        }
    ]


def test_too_many_keys_is_a_413(settings: Settings) -> None:
    """key_values count against the per-request row limit."""
    settings.RECORDS_MAX_ROWS_PER_REQUEST = 2

    assert refused_with(UpdateSerializer, SEED_UPDATES["key_values"])[0] == 413
    assert refused_with(UpdateSerializer, SEED_UPDATES["bulk_updates"])[0] == 413
