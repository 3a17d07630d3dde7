"""``FilterSerializer``: filter ops and the values each op takes, inside updates and deletes."""

from __future__ import annotations

from typing import Any

import pytest

from records.api.serializers import DeleteSerializer, FilterSerializer, UpdateSerializer
from records.tables import FILTER_OPS

from .conftest import SEED_DELETES, SEED_UPDATES, refused_with, valid, validation_errors


@pytest.mark.parametrize(
    ("op", "normalized"),
    [
        ("=", "="),
        ("LIKE", "like"),
        (" Not   In ", "not in"),
        ("IS NULL", "is null"),
        ("is not null", "is not null"),
    ],
)
def test_filter_ops_are_case_insensitive_and_normalized(op: str, normalized: str) -> None:
    """Ops come back lower case with single spaces."""
    value: Any = {"like": "%x", "not in": [1], "is null": None, "is not null": None}.get(normalized, 1)

    assert valid(FilterSerializer, {"column": "a", "op": op, "value": value})["op"] == normalized


def test_every_documented_op_is_accepted() -> None:
    """=, !=, >, <, >=, <=, like, in, not in, is null, is not null."""
    values: dict[str, Any] = {
        "in": [1, 2],
        "not in": ["a"],
        "like": "a%",
        "is null": None,
        "is not null": None,
    }
    for op in FILTER_OPS:
        assert valid(FilterSerializer, {"column": "a", "op": op, "value": values.get(op, 0)})["op"] == op


def test_null_ops_need_no_value() -> None:
    """is null takes no value; the filter comes back with value None."""
    assert valid(FilterSerializer, {"column": "a", "op": "is null"}) == {
        "column": "a",
        "op": "is null",
        "value": None,
    }


def test_an_unknown_filter_op_lists_the_allowed_ones() -> None:
    """between is not an op."""
    body = {**SEED_UPDATES["filters"], "filters": [{"column": "oileur", "op": "between", "value": 1}]}

    errors = validation_errors(UpdateSerializer, body)

    assert errors == [
        {
            "type": "invalid",
            "loc": ["body", "filters", 0, "op"],
            "msg": "Unknown filter op 'between'; allowed ops: =, !=, >, <, >=, <=, like, in, not in, is null, is not null",
        }
    ]


@pytest.mark.parametrize(
    ("op", "value", "msg"),
    [
        ("in", 1, "'in' needs a non-empty list of values"),
        ("not in", "a,b", "'not in' needs a non-empty list of values"),
        ("in", [], "'in' needs a non-empty list of values"),
        ("in", [1, None], "'in' values must be strings, numbers or booleans"),
        ("in", [[1]], "'in' values must be strings, numbers or booleans"),
        ("=", None, "'=' needs a value (use 'is null' to match nulls)"),
        (">", [1, 2], "'>' needs a single value, got array"),
        ("like", 5, "'like' needs a string pattern"),
        ("is null", 5, "'is null' takes no value"),
    ],
)
def test_filter_values_must_suit_their_op(op: str, value: Any, msg: str) -> None:
    """in/not in need a list; comparisons one value; like a string; is null nothing."""
    body = {**SEED_DELETES["filters"], "filters": [{"column": "oileur", "op": op, "value": value}]}

    errors = validation_errors(DeleteSerializer, body)

    assert errors == [{"type": "invalid", "loc": ["body", "filters", 0, "value"], "msg": msg}]


def test_a_comparison_without_value_is_refused() -> None:
    """A missing value is like a null one."""
    body = {**SEED_DELETES["filters"], "filters": [{"column": "oileur", "op": "="}]}

    assert validation_errors(DeleteSerializer, body)[0]["loc"] == ["body", "filters", 0, "value"]


@pytest.mark.parametrize("column", ["oileur OR 1=1", "1=1; --", "a.b", " oileur"])
def test_filter_columns_must_be_identifiers(column: str) -> None:
    """A filter's column is a name like any other."""
    body = {**SEED_DELETES["filters"], "filters": [{"column": column, "op": "=", "value": 1}]}

    assert refused_with(DeleteSerializer, body)[:2] == (400, f"Invalid identifier: {column}")


def test_a_blank_filter_column_is_refused() -> None:
    """An empty name is a blank field."""
    body = {**SEED_DELETES["filters"], "filters": [{"column": "", "op": "=", "value": 1}]}

    errors = validation_errors(DeleteSerializer, body)

    assert errors == [
        {"type": "blank", "loc": ["body", "filters", 0, "column"], "msg": "This field may not be blank."}
    ]


def test_an_empty_filter_list_is_refused() -> None:
    """filters: [] would choose every row."""
    body = {**SEED_DELETES["filters"], "filters": []}

    assert validation_errors(DeleteSerializer, body)[0]["loc"] == ["body", "filters"]
