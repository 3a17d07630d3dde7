"""``WriteSerializer``: the seed's write request, schema_definition, rows and the row limit."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pytest_django import Settings

from records.api.serializers import WriteSerializer
from records.tables import Column
from records.testing import WELLS_DEFINITION, WELLS_ROW

from .conftest import refused, refused_with, valid, validation_errors

SEED_WRITE: dict[str, Any] = {
    "catalog": "oil_gas_catalog",
    "schema": "production_schema",
    "table": "wells",
    "auto_create": True,
    "schema_definition": WELLS_DEFINITION,
    "data": [WELLS_ROW],
}


def write_body(**changes: Any) -> dict[str, Any]:
    """The seed's write body with some keys replaced (None removes a key)."""
    body = copy.deepcopy(SEED_WRITE)
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


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
            ],
            "invalid_records": [
                {"record": 0, "message": "Record 0: Column 'customer_id' expects integer, got str"}
            ],
            "invalid_record_count": 1,
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
