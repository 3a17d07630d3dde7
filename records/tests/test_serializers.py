"""Request validation of write, update, delete and read: every bad input is a clear 4xx.

The serializers need no database or warehouse. Each failure is rendered through the
project's exception handler, so the tests check the body clients get.
"""

from __future__ import annotations

import copy
import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.http import QueryDict
from pytest_django import Settings
from rest_framework.exceptions import APIException

from common.handlers import api_exception_handler
from records.api.serializers import (
    DeleteSerializer,
    FilterSerializer,
    ReadQuerySerializer,
    UpdateSerializer,
    WriteSerializer,
)
from records.tables import FILTER_OPS, Column
from records.tests.seed import WELLS_DEFINITION, WELLS_ROW

# --- the seed's request examples ------------------------------------------------------------

SEED_WRITE: dict[str, Any] = {
    "catalog": "oil_gas_catalog",
    "schema": "production_schema",
    "table": "wells",
    "auto_create": True,
    "schema_definition": WELLS_DEFINITION,
    "data": [WELLS_ROW],
}
TABLE = {"catalog": "oil_gas_catalog", "schema": "production_schema", "table": "wells"}
SEED_UPDATES: dict[str, dict[str, Any]] = {
    "key_value": {
        **TABLE,
        "key_column": "api10",
        "key_value": 4201234567,
        "updates": {"oileur": 130000.00, "gaseur": 475000.00},
    },
    "key_values": {
        **TABLE,
        "key_column": "api10",
        "key_values": [4201234567, 4201234568, 4201234569],
        "updates": {"wellspacing": 640.0},
    },
    "bulk_updates": {
        **TABLE,
        "key_column": "api10",
        "bulk_updates": [
            {"key_value": 4201234567, "updates": {"oileur": 130000.00, "gaseur": 475000.00}},
            {"key_value": 4201234568, "updates": {"wellspacing": 320.0}},
            {"key_value": 4201234569, "updates": {"compldate": "05/15/2024"}},
        ],
    },
    "filters": {
        **TABLE,
        "filters": [{"column": "oileur", "op": "<", "value": 100000}],
        "updates": {"wellspacing": 640.0},
    },
}
SEED_DELETES: dict[str, dict[str, Any]] = {
    "key_value": {**TABLE, "key_column": "api10", "key_value": 4201234567, "soft": True},
    "key_values": {
        **TABLE,
        "key_column": "api10",
        "key_values": [4201234567, 4201234568, 4201234569],
        "soft": True,
    },
    "filters": {**TABLE, "filters": [{"column": "oileur", "op": "=", "value": 0}], "soft": True},
}
SEED_READ = (
    "catalog=oil_gas_catalog&schema=production_schema&table=wells&limit=10&offset=0"
    "&columns=api10,api14,wellname,oileur,gaseur"
    '&filters=[{"column":"oileur","op":">","value":100000},{"column":"spuddate","op":"like","value":"%2024"}]'
)


def write_body(**changes: Any) -> dict[str, Any]:
    """The seed's write body with some keys replaced (None removes a key)."""
    body = copy.deepcopy(SEED_WRITE)
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def query(text: str) -> QueryDict:
    """Query parameters as a request carries them, from ``name=value&...`` written unencoded."""
    params = QueryDict(mutable=True)
    for pair in text.split("&"):
        name, _, value = pair.partition("=")
        params.appendlist(name, value)
    return params


def valid(serializer_class: type[Any], data: Any) -> dict[str, Any]:
    """validated_data of a request that must pass."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def refused(serializer_class: type[Any], data: Any) -> tuple[int, dict[str, Any]]:
    """Status and error body a client gets for a request that must fail."""
    serializer = serializer_class(data=data)
    with pytest.raises(APIException) as caught:
        serializer.is_valid(raise_exception=True)
    method = "GET" if isinstance(data, QueryDict) else "POST"
    response = api_exception_handler(caught.value, {"request": SimpleNamespace(method=method)})
    return response.status_code, dict(response.data)


def validation_errors(serializer_class: type[Any], data: Any) -> list[dict[str, Any]]:
    """``details.errors`` of a request refused with the generic "Validation error"."""
    status, body = refused(serializer_class, data)
    assert status == 400
    assert body["error"] is True
    assert body["message"] == "Validation error"
    return list(body["details"]["errors"])


def refused_with(serializer_class: type[Any], data: Any) -> tuple[int, str, dict[str, Any]]:
    """Status, message and details of a request refused with its own message."""
    status, body = refused(serializer_class, data)
    assert body["error"] is True
    return status, body["message"], body["details"]


# --- write -----------------------------------------------------------------------------------


def test_the_seed_write_request_is_valid() -> None:
    """The wells example passes; rows are normalized and columns parsed."""
    data = valid(WriteSerializer, SEED_WRITE)

    assert data["catalog"] == "oil_gas_catalog"
    assert data["auto_create"] is True
    assert data["rows"] == SEED_WRITE["data"]
    assert data["columns"][0] == Column("api10", "BIGINT", nullable=False)
    assert data["schema_definition"][2] == {"name": "wellname", "data_type": "STRING", "nullable": False}
    assert "data" not in data


def test_a_write_without_schema_definition_leaves_rows_for_the_service() -> None:
    """Without a definition the rows are checked later against the table's own columns."""
    data = valid(WriteSerializer, write_body(schema_definition=None, auto_create=None))

    assert data["auto_create"] is False
    assert data["columns"] is None
    assert data["schema_definition"] is None
    assert data["rows"] == SEED_WRITE["data"]


def test_rows_are_normalized_to_the_schema_definition() -> None:
    """Decimals, dates and timestamps come out in the warehouse's JSON form."""
    body = write_body(
        schema_definition=[
            {"name": "price", "data_type": "decimal(6, 2)"},
            {"name": "day", "data_type": "date"},
            {"name": "at", "data_type": "timestamp"},
        ],
        data=[{"price": 3, "day": "2024-01-15", "at": "2024-01-15T10:30:00+01:00"}],
    )

    assert valid(WriteSerializer, body)["rows"] == [
        {"price": "3.00", "day": "2024-01-15", "at": "2024-01-15T09:30:00+00:00"}
    ]


@pytest.mark.parametrize("field", ["catalog", "schema", "table"])
@pytest.mark.parametrize(
    "name", ["test'; DROP TABLE users; --", "my-table", "1st", "a.b", "wells ", "wells\n"]
)
def test_invalid_names_in_a_write_are_refused_with_the_seed_message(field: str, name: str) -> None:
    """catalog, schema and table must be identifiers."""
    status, message, details = refused_with(WriteSerializer, write_body(**{field: name}))

    assert (status, message, details) == (400, f"Invalid identifier: {name}", {})


def test_an_invalid_column_name_in_schema_definition_is_refused() -> None:
    """Column names in the definition follow the same rule."""
    definition = [{"name": "api10); DROP TABLE x; --", "data_type": "BIGINT"}]

    status, message, _ = refused_with(WriteSerializer, write_body(schema_definition=definition))

    assert (status, message) == (400, "Invalid identifier: api10); DROP TABLE x; --")


def test_auto_create_without_schema_definition_is_refused() -> None:
    """A table cannot be created without its columns."""
    errors = validation_errors(WriteSerializer, write_body(schema_definition=None))

    assert errors == [
        {
            "type": "missing",
            "loc": ["body", "schema_definition"],
            "msg": "schema_definition is required when auto_create is true",
        }
    ]


def test_an_unknown_data_type_is_refused() -> None:
    """The message names the type; details name the column and list the supported types."""
    definition = [{"name": "api10", "data_type": "NUMBER"}]

    status, message, details = refused_with(
        WriteSerializer, write_body(schema_definition=definition, data=[{"api10": 1}])
    )

    assert (status, message) == (400, "Unknown data type: NUMBER")
    assert details["column"] == "api10"
    assert "TIMESTAMP_NTZ" in details["supported"]


def test_duplicate_column_names_are_refused() -> None:
    """One name, two columns: case does not make them different."""
    definition = [{"name": "api10", "data_type": "BIGINT"}, {"name": "API10", "data_type": "BIGINT"}]

    status, message, _ = refused_with(WriteSerializer, write_body(schema_definition=definition))

    assert (status, message) == (400, "Duplicate column name: 'API10'")


def test_a_row_not_matching_the_definition_gets_the_seed_error() -> None:
    """The seed's schema validation error, with details.expected_schema."""
    body = write_body(
        schema_definition=[
            {"name": "customer_id", "data_type": "BIGINT", "nullable": False},
            {"name": "name", "data_type": "STRING", "nullable": False},
            {"name": "balance", "data_type": "DOUBLE", "nullable": True},
        ],
        data=[{"customer_id": "C-1", "name": "Ann"}],
    )

    status, body_out = refused(WriteSerializer, body)

    assert status == 400
    assert body_out == {
        "error": True,
        "message": "Schema validation failed: Record 0: Column 'customer_id' expects integer, got str",
        "details": {
            "expected_schema": [
                {"name": "customer_id", "type": "BIGINT", "nullable": False},
                {"name": "name", "type": "STRING", "nullable": False},
                {"name": "balance", "type": "DOUBLE", "nullable": True},
            ]
        },
    }


@pytest.mark.parametrize(
    ("row_change", "message"),
    [
        ({"api10": None}, "Record 0: Column 'api10' is required"),
        ({"foo": 1}, "Record 0: Unknown column 'foo'"),
        ({"oileur": "a lot"}, "Record 0: Column 'oileur' expects number, got str"),
        (
            {"record_uuid": "mine"},
            "Record 0: Column 'record_uuid' is set by the service and cannot be written",
        ),
        ({"Inserted_By": "me"}, "Record 0: Column 'Inserted_By' is set by the service and cannot be written"),
    ],
)
def test_rows_that_break_the_definition_are_refused(row_change: dict[str, Any], message: str) -> None:
    """Missing required, unknown, wrongly typed and audit columns are all 400s."""
    row = {**SEED_WRITE["data"][0], **row_change}

    status, got, details = refused_with(WriteSerializer, write_body(data=[row]))

    assert (status, got) == (400, f"Schema validation failed: {message}")
    assert len(details["expected_schema"]) == 9


@pytest.mark.parametrize("data", [[], {}, "rows", None])
def test_data_must_be_a_non_empty_list(data: Any) -> None:
    """No rows, or something that is not a list of rows, is refused."""
    body = {**write_body(), "data": data}

    errors = validation_errors(WriteSerializer, body)

    assert [error["loc"] for error in errors] == [["body", "data"]]


def test_missing_data_is_refused() -> None:
    """data is required."""
    errors = validation_errors(WriteSerializer, write_body(data=None))

    assert errors == [{"type": "missing", "loc": ["body", "data"], "msg": "This field is required."}]


def test_rows_that_are_not_objects_are_refused_even_without_a_definition() -> None:
    """Each row must be an object whatever the schema."""
    body = write_body(schema_definition=None, auto_create=None, data=[{"a": 1}, [1, 2]])

    assert refused_with(WriteSerializer, body)[:2] == (
        400,
        "Schema validation failed: Record 1: expects an object, got list",
    )


def test_audit_columns_are_refused_even_without_a_definition() -> None:
    """The service sets audit columns; a client cannot, schema or not."""
    body = write_body(
        schema_definition=None, auto_create=None, data=[{"api10": 1, "deleted_at": "2024-01-01"}]
    )

    status, message, _ = refused_with(WriteSerializer, body)

    assert (status, message) == (
        400,
        "Schema validation failed: Record 0: Column 'deleted_at' is set by the service and cannot be written",
    )


def test_too_many_rows_is_a_413(settings: Settings) -> None:
    """RECORDS_MAX_ROWS_PER_REQUEST caps the rows of one request."""
    settings.RECORDS_MAX_ROWS_PER_REQUEST = 2
    body = write_body(data=SEED_WRITE["data"] * 3)

    status, message, details = refused_with(WriteSerializer, body)

    assert status == 413
    assert message == "Too many rows: data has 3; at most 2 are accepted per request"
    assert details == {"count": 3, "max_rows": 2}


def test_exactly_the_row_limit_is_accepted(settings: Settings) -> None:
    """The limit itself is allowed."""
    settings.RECORDS_MAX_ROWS_PER_REQUEST = 3

    assert len(valid(WriteSerializer, write_body(data=SEED_WRITE["data"] * 3))["rows"]) == 3


# --- update ----------------------------------------------------------------------------------


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


# --- filters ---------------------------------------------------------------------------------


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


# --- delete ----------------------------------------------------------------------------------


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


# --- read ------------------------------------------------------------------------------------


def test_the_seed_read_query_is_valid() -> None:
    """The seed's example URL parses into the arguments records_read takes."""
    data = valid(ReadQuerySerializer, query(SEED_READ))

    assert data == {
        "catalog": "oil_gas_catalog",
        "schema": "production_schema",
        "table": "wells",
        "limit": 10,
        "offset": 0,
        "columns": ["api10", "api14", "wellname", "oileur", "gaseur"],
        "filters": [
            {"column": "oileur", "op": ">", "value": 100000},
            {"column": "spuddate", "op": "like", "value": "%2024"},
        ],
        "include_deleted": False,
    }


def test_read_defaults_are_the_seeds() -> None:
    """limit 100, offset 0, every column, no filters, deleted rows hidden."""
    data = valid(ReadQuerySerializer, query("catalog=c&schema=s&table=t"))

    assert data == {
        "catalog": "c",
        "schema": "s",
        "table": "t",
        "limit": 100,
        "offset": 0,
        "columns": None,
        "filters": [],
        "include_deleted": False,
    }


def test_read_options_are_parsed() -> None:
    """columns=* means all, include_deleted takes true, spaces around names are fine."""
    data = valid(ReadQuerySerializer, query("catalog=c&schema=s&table=t&columns=*&include_deleted=true"))
    assert (data["columns"], data["include_deleted"]) == (None, True)

    data = valid(ReadQuerySerializer, query("catalog=c&schema=s&table=t&columns= a , b,a,&filters="))
    assert (data["columns"], data["filters"]) == (["a", "b"], [])


@pytest.mark.parametrize("limit", ["0", "1001", "-5", "ten"])
def test_a_limit_out_of_range_is_refused(limit: str) -> None:
    """limit is 1 to 1000."""
    errors = validation_errors(ReadQuerySerializer, query(f"catalog=c&schema=s&table=t&limit={limit}"))

    assert [error["loc"] for error in errors] == [["query", "limit"]]


def test_the_limit_bounds_are_accepted() -> None:
    """1 and 1000 are both fine."""
    assert valid(ReadQuerySerializer, query("catalog=c&schema=s&table=t&limit=1"))["limit"] == 1
    assert valid(ReadQuerySerializer, query("catalog=c&schema=s&table=t&limit=1000"))["limit"] == 1000


def test_a_negative_offset_is_refused() -> None:
    """offset counts rows to skip."""
    errors = validation_errors(ReadQuerySerializer, query("catalog=c&schema=s&table=t&offset=-1"))

    assert errors == [
        {
            "type": "min_value",
            "loc": ["query", "offset"],
            "msg": "Ensure this value is greater than or equal to 0.",
        }
    ]


def test_malformed_filters_json_is_refused() -> None:
    """The message says the JSON is broken and where."""
    errors = validation_errors(
        ReadQuerySerializer, query('catalog=c&schema=s&table=t&filters=[{"column":"a",')
    )

    assert len(errors) == 1
    assert errors[0]["loc"] == ["query", "filters"]
    assert errors[0]["msg"].startswith("filters is not valid JSON: ")


@pytest.mark.parametrize("filters", ['{"column":"a","op":"=","value":1}', "5", '"a"'])
def test_filters_must_be_a_json_list(filters: str) -> None:
    """A single object is not a list of filters."""
    errors = validation_errors(ReadQuerySerializer, query(f"catalog=c&schema=s&table=t&filters={filters}"))

    assert errors[0]["msg"] == 'filters must be a JSON list of {"column", "op", "value"} objects'


def test_nan_in_filters_is_not_json() -> None:
    """Python's json would take NaN; JSON does not."""
    errors = validation_errors(
        ReadQuerySerializer, query('catalog=c&schema=s&table=t&filters=[{"column":"a","op":"=","value":NaN}]')
    )

    assert errors[0]["msg"].startswith("filters is not valid JSON: ")


def test_bad_filters_in_a_read_point_at_the_filter() -> None:
    """An unknown op inside the JSON is located by index."""
    filters = json.dumps([{"column": "a", "op": "=", "value": 1}, {"column": "a", "op": "~", "value": 1}])

    errors = validation_errors(ReadQuerySerializer, query(f"catalog=c&schema=s&table=t&filters={filters}"))

    assert [error["loc"] for error in errors] == [["query", "filters", 1, "op"]]


def test_a_filter_column_in_a_read_must_be_an_identifier() -> None:
    """Names inside the filters JSON are checked like the others."""
    filters = json.dumps([{"column": "a) OR (1=1", "op": "=", "value": 1}])

    assert refused_with(ReadQuerySerializer, query(f"catalog=c&schema=s&table=t&filters={filters}"))[:2] == (
        400,
        "Invalid identifier: a) OR (1=1",
    )


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ("catalog=c;--&schema=s&table=t", "c;--"),
        ("catalog=c&schema=s s&table=t", "s s"),
        ("catalog=c&schema=s&table=t'", "t'"),
        ("catalog=c&schema=s&table=t&columns=a,b;c", "b;c"),
        ("catalog=c&schema=s&table=t&columns=a,*", "*"),
    ],
)
def test_invalid_names_in_a_read_are_refused(params: str, name: str) -> None:
    """catalog, schema, table and every listed column are identifiers."""
    assert refused_with(ReadQuerySerializer, query(params))[:2] == (400, f"Invalid identifier: {name}")


def test_missing_table_names_in_a_read_are_refused() -> None:
    """catalog, schema and table are required."""
    errors = validation_errors(ReadQuerySerializer, query("catalog=c"))

    assert [error["loc"] for error in errors] == [["query", "schema"], ["query", "table"]]
    assert {error["type"] for error in errors} == {"missing"}
