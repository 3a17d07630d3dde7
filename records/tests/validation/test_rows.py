"""Rows, update values and keys checked against a table's columns, with the seed's messages
(``records.validation.rows``)."""

from __future__ import annotations

import pytest

from records.tables import AUDIT_COLUMNS, Column
from records.testing import WELLS_DEFINITION, WELLS_ROW
from records.validation.identifiers import InvalidIdentifier
from records.validation.rows import (
    SchemaValidationError,
    check_rows_shape,
    check_update_names,
    compile_row_validator,
    validate_key_values,
    validate_rows,
    validate_update_values,
)
from records.validation.schema import parse_schema_definition

from .conftest import rejection

ORDERS = (Column("order_id", "BIGINT", nullable=False), Column("amount", "DOUBLE"))


def test_the_seed_row_passes_and_comes_back_unchanged() -> None:
    """Ints, strings and floats need no normalization."""
    columns = parse_schema_definition(WELLS_DEFINITION)

    assert validate_rows(columns, [WELLS_ROW]) == [WELLS_ROW]


def test_a_string_for_an_integer_column_gives_the_seed_message_and_expected_schema() -> None:
    """The seed's example error, word for word, with details.expected_schema."""
    with pytest.raises(SchemaValidationError) as caught:
        compile_row_validator(ORDERS)([{"order_id": "A-1", "amount": 5.0}])

    assert caught.value.status_code == 400
    assert (
        caught.value.message
        == "Schema validation failed: Record 0: Column 'order_id' expects integer, got str"
    )
    assert caught.value.details == {
        "expected_schema": [
            {"name": "order_id", "type": "BIGINT", "nullable": False},
            {"name": "amount", "type": "DOUBLE", "nullable": True},
        ],
        "invalid_records": [{"record": 0, "message": "Record 0: Column 'order_id' expects integer, got str"}],
        "invalid_record_count": 1,
    }


def test_the_message_names_the_first_bad_row_and_details_list_every_bad_row() -> None:
    """Rows are checked in order: the message is the first problem, details the first of each bad row."""
    rows = [{"order_id": 1}, {"order_id": 2}, {"order_id": "x"}, {"order_id": 4, "amount": "y"}, {}]

    with pytest.raises(SchemaValidationError) as caught:
        compile_row_validator(ORDERS)(rows)

    assert (
        caught.value.message
        == "Schema validation failed: Record 2: Column 'order_id' expects integer, got str"
    )
    assert caught.value.details["invalid_records"] == [
        {"record": 2, "message": "Record 2: Column 'order_id' expects integer, got str"},
        {"record": 3, "message": "Record 3: Column 'amount' expects number, got str"},
        {"record": 4, "message": "Record 4: Column 'order_id' is required"},
    ]
    assert caught.value.details["invalid_record_count"] == 3


def test_at_most_100_bad_rows_are_listed_but_all_are_counted() -> None:
    """A request of 250 bad rows lists the first 100 and counts 250."""
    rows = [{"order_id": 1}] + [{"order_id": str(i)} for i in range(250)]

    with pytest.raises(SchemaValidationError) as caught:
        compile_row_validator(ORDERS)(rows)

    listed = caught.value.details["invalid_records"]
    assert [item["record"] for item in listed] == list(range(1, 101))
    assert caught.value.details["invalid_record_count"] == 250


def test_a_missing_required_column_is_reported() -> None:
    """A nullable=false column must be present."""
    assert (
        rejection(ORDERS, {"amount": 1.0})
        == "Schema validation failed: Record 0: Column 'order_id' is required"
    )


def test_an_explicit_null_in_a_required_column_is_reported() -> None:
    """null is not a value for a nullable=false column."""
    assert (
        rejection(ORDERS, {"order_id": None})
        == "Schema validation failed: Record 0: Column 'order_id' is required"
    )


def test_an_unknown_column_is_reported() -> None:
    """A key that is no column of the schema is an error."""
    assert (
        rejection(ORDERS, {"order_id": 1, "foo": 2})
        == "Schema validation failed: Record 0: Unknown column 'foo'"
    )


def test_a_row_that_is_not_an_object_is_reported() -> None:
    """Each row must be a JSON object."""
    assert rejection(ORDERS, [1, 2]) == "Schema validation failed: Record 0: expects an object, got list"  # type: ignore[arg-type]


def test_nullable_columns_may_be_absent_or_null() -> None:
    """Absent stays absent; null stays null."""
    rows = compile_row_validator(ORDERS)([{"order_id": 1}, {"order_id": 2, "amount": None}])

    assert rows == [{"order_id": 1}, {"order_id": 2, "amount": None}]


def test_column_names_match_case_insensitively_and_come_back_as_declared() -> None:
    """Databricks column names are case-insensitive."""
    assert compile_row_validator(ORDERS)([{"ORDER_ID": 1, "Amount": 2.5}]) == [{"order_id": 1, "amount": 2.5}]


def test_the_same_column_twice_in_different_cases_is_rejected() -> None:
    """order_id and ORDER_ID in one row are ambiguous."""
    message = rejection(ORDERS, {"order_id": 1, "ORDER_ID": 2})

    assert message == (
        "Schema validation failed: Record 0: Column 'order_id' is given twice (column names are case-insensitive)"
    )


@pytest.mark.parametrize("name", ["record_uuid", "is_deleted", "inserted_by", "UPDATED_AT", "deleted_by"])
def test_clients_cannot_set_audit_columns(name: str) -> None:
    """Audit values come from the service, whatever the spelling."""
    assert rejection(ORDERS, {"order_id": 1, name: "x"}) == (
        f"Schema validation failed: Record 0: Column '{name}' is set by the service and cannot be written"
    )


def test_audit_columns_of_an_existing_table_are_not_writable() -> None:
    """A table's real schema includes the audit columns; rows still cannot set them."""
    columns = ORDERS + AUDIT_COLUMNS

    assert "is set by the service" in rejection(columns, {"order_id": 1, "is_deleted": True})
    assert "record_uuid" not in str(compile_row_validator(columns)([{"order_id": 1}]))


def test_the_validator_is_compiled_once_per_schema() -> None:
    """The same columns give the same (cached) validator."""
    first = compile_row_validator(parse_schema_definition(WELLS_DEFINITION))

    assert compile_row_validator(parse_schema_definition(WELLS_DEFINITION)) is first
    assert compile_row_validator(ORDERS) is not first


# --- updates, keys, rows without a schema -----------------------------------------------------


def test_update_values_may_leave_out_required_columns_but_not_null_them() -> None:
    """An update sets some columns; a required one cannot become null."""
    assert validate_update_values(ORDERS, {"amount": 3}) == {"amount": 3}

    with pytest.raises(SchemaValidationError) as caught:
        validate_update_values(ORDERS, {"order_id": None})

    assert caught.value.message == "Schema validation failed: Column 'order_id' cannot be null"


def test_update_values_are_checked_and_named_by_column() -> None:
    """A bad update value names its column, with no record number (there is one object)."""
    with pytest.raises(SchemaValidationError) as caught:
        validate_update_values(ORDERS, {"amount": "lots"})

    assert caught.value.message == "Schema validation failed: Column 'amount' expects number, got str"


def test_update_values_cannot_name_unknown_or_audit_columns() -> None:
    """Update keys are columns of the table, never audit columns."""
    with pytest.raises(SchemaValidationError, match="Unknown column 'nope'"):
        validate_update_values(ORDERS, {"nope": 1})
    with pytest.raises(SchemaValidationError, match="is set by the service"):
        validate_update_values(ORDERS + AUDIT_COLUMNS, {"updated_by": "me"})


def test_key_values_are_checked_against_the_key_column_and_normalized() -> None:
    """Keys are values of the key column's type; null is never a key."""
    assert validate_key_values(Column("price", "DECIMAL(5,1)"), [1, "2.5"]) == ["1.0", "2.5"]

    with pytest.raises(SchemaValidationError) as caught:
        validate_key_values(Column("api10", "BIGINT"), [4201234567, "4201234568"])
    assert caught.value.message == "Schema validation failed: Key 1: Column 'api10' expects integer, got str"

    with pytest.raises(SchemaValidationError, match="Key 0: Column 'api10' cannot be null"):
        validate_key_values(Column("api10", "BIGINT"), [None])


def test_the_record_uuid_audit_column_can_be_a_key() -> None:
    """Clients may address rows by the uuid the service gave them."""
    assert validate_key_values(AUDIT_COLUMNS[0], ["a1b2"]) == ["a1b2"]


def test_rows_without_a_schema_must_be_objects_without_audit_columns() -> None:
    """Before the table's schema is known, shape and audit columns are still checked."""
    check_rows_shape([{"a": 1}])
    with pytest.raises(SchemaValidationError, match="Record 1: expects an object, got list"):
        check_rows_shape([{"a": 1}, []])
    with pytest.raises(SchemaValidationError, match="Record 0: Column 'is_deleted' is set by the service"):
        check_rows_shape([{"is_deleted": False}])


def test_update_names_must_be_identifiers_and_not_audit_columns() -> None:
    """Before the table's schema is known, update keys are still checked."""
    assert check_update_names({"oileur": 1}) == {"oileur": 1}
    with pytest.raises(InvalidIdentifier):
        check_update_names({"oileur = 0; --": 1})
    with pytest.raises(SchemaValidationError, match="Column 'updated_at' is set by the service"):
        check_update_names({"updated_at": "2024-01-01"})
