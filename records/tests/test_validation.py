"""Identifiers, data types, schema definitions and the compiled row validator (no database)."""

from __future__ import annotations

from typing import Any

import pytest

from records.tables import AUDIT_COLUMNS, Column
from records.tests.seed import WELLS_DEFINITION, WELLS_ROW
from records.validation.identifiers import InvalidIdentifier, validate_identifier
from records.validation.rows import (
    SchemaValidationError,
    check_rows_shape,
    check_update_names,
    compile_row_validator,
    validate_key_values,
    validate_rows,
    validate_update_values,
)
from records.validation.schema import InvalidSchemaDefinition, parse_schema_definition
from records.validation.types import InvalidDataType, normalize_type, parse_table_type

ORDERS = (Column("order_id", "BIGINT", nullable=False), Column("amount", "DOUBLE"))


def rejection(columns: tuple[Column, ...], row: dict[str, Any]) -> str:
    """The message of the SchemaValidationError a single row gets."""
    with pytest.raises(SchemaValidationError) as caught:
        compile_row_validator(columns)([row])
    return caught.value.message


def one_column(data_type: str, value: Any) -> str:
    """The message for one value in a nullable column ``c`` of the given type."""
    return rejection((Column("c", data_type),), {"c": value})


def accepted(data_type: str, value: Any) -> Any:
    """The normalized form of one value in a column ``c`` of the given type."""
    return compile_row_validator((Column("c", data_type),))([{"c": value}])[0]["c"]


# --- identifiers -----------------------------------------------------------------------------


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


# --- data types ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("BIGINT", "BIGINT"),
        ("int", "INT"),
        ("INTEGER", "INT"),
        ("smallint", "SMALLINT"),
        ("TINYINT", "TINYINT"),
        ("double", "DOUBLE"),
        ("FLOAT", "FLOAT"),
        ("DECIMAL", "DECIMAL(10,0)"),
        ("decimal(10, 2)", "DECIMAL(10,2)"),
        ("DECIMAL(7)", "DECIMAL(7,0)"),
        ("numeric(38,38)", "DECIMAL(38,38)"),
        ("string", "STRING"),
        ("VARCHAR(10)", "VARCHAR(10)"),
        ("char( 3 )", "CHAR(3)"),
        ("VARCHAR", "STRING"),
        ("CHAR", "STRING"),
        ("boolean", "BOOLEAN"),
        ("DATE", "DATE"),
        ("timestamp", "TIMESTAMP"),
        ("TIMESTAMP_NTZ", "TIMESTAMP_NTZ"),
        ("binary", "BINARY"),
        ("array<string>", "ARRAY<STRING>"),
        ("ARRAY", "ARRAY<STRING>"),
        ("MAP", "MAP<STRING,STRING>"),
        ("map<string, int>", "MAP<STRING,INT>"),
        ("struct<a: int, b: string>", "STRUCT<a:INT,b:STRING>"),
        ("STRUCT<a INT>", "STRUCT<a:INT>"),
        ("STRUCT<`Zip`:STRING>", "STRUCT<Zip:STRING>"),
        ("array<struct<x:map<int,array<decimal(5,2)>>>>", "ARRAY<STRUCT<x:MAP<INT,ARRAY<DECIMAL(5,2)>>>>"),
        ("long", "BIGINT"),
    ],
)
def test_types_are_normalized_to_one_canonical_spelling(text: str, canonical: str) -> None:
    """Case, spaces, aliases and defaults all come out as Column.data_type spells them."""
    assert normalize_type(text) == canonical


@pytest.mark.parametrize("text", ["FOO", "TEXT", "ARRAY<FOO>", "STRUCT<a:NUMBER>", "VARIANT", "JSON"])
def test_unknown_types_are_rejected(text: str) -> None:
    """A type outside the supported list is "Unknown data type" with the list in details."""
    with pytest.raises(InvalidDataType) as caught:
        normalize_type(text)

    assert caught.value.message == f"Unknown data type: {text}"
    assert "DECIMAL(p,s)" in caught.value.details["supported"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("DECIMAL(39,0)", "precision must be from 1 to 38"),
        ("DECIMAL(0)", "precision must be from 1 to 38"),
        ("DECIMAL(5,6)", "scale must be from 0 to the precision"),
        ("STRUCT", "STRUCT needs its fields"),
        ("STRUCT<>", "STRUCT needs at least one field"),
        ("STRUCT<a:INT,A:STRING>", "appears twice"),
        ("STRUCT<`a b`:INT>", "invalid STRUCT field name"),
        ("MAP<ARRAY<INT>,INT>", "MAP keys must be a primitive type"),
        ("MAP<INT>", "expected ','"),
        ("VARCHAR(0)", "length must be from 1"),
        ("ARRAY<INT", "expected '>'"),
        ("INT INT", "unexpected 'INT'"),
        ("DECIMAL(10;2)", "unexpected"),
        ("", "unexpected end"),
    ],
)
def test_malformed_types_are_rejected_with_the_reason(text: str, reason: str) -> None:
    """A known type with bad parameters or syntax says what is wrong."""
    with pytest.raises(InvalidDataType) as caught:
        normalize_type(text)

    assert caught.value.message.startswith(f"Invalid data type: {text}")
    assert reason in caught.value.message


@pytest.mark.parametrize(
    ("describe", "canonical"),
    [
        ("bigint", "BIGINT"),
        ("int", "INT"),
        ("decimal(12,3)", "DECIMAL(12,3)"),
        ("varchar(10)", "VARCHAR(10)"),
        ("char(2)", "CHAR(2)"),
        ("array<string>", "ARRAY<STRING>"),
        ("map<string,int>", "MAP<STRING,INT>"),
        ("struct<x:int,y:string>", "STRUCT<x:INT,y:STRING>"),
        ("timestamp_ntz", "TIMESTAMP_NTZ"),
        ("timestamp", "TIMESTAMP"),
        ("struct<`a b`:int>", "STRUCT<`a b`:INT>"),
        ("variant", "VARIANT"),
        ("interval day to second", "INTERVAL DAY TO SECOND"),
        ("array<variant>", "ARRAY<VARIANT>"),
    ],
)
def test_describe_table_types_get_the_same_canonical_spelling(describe: str, canonical: str) -> None:
    """DESCRIBE's lower-case names map to Column.data_type; unknown ones are kept, upper-cased."""
    assert parse_table_type(describe) == canonical


# --- schema_definition -----------------------------------------------------------------------


def test_the_seed_schema_definition_becomes_columns() -> None:
    """The wells definition parses into nine columns with their nullability."""
    columns = parse_schema_definition(WELLS_DEFINITION)

    assert columns[0] == Column("api10", "BIGINT", nullable=False)
    assert columns[-1] == Column("wellspacing", "DOUBLE", nullable=True)
    assert len(columns) == 9


def test_nullable_defaults_to_true_and_types_are_normalized() -> None:
    """A column without nullable may be null; its type is spelled canonically."""
    assert parse_schema_definition([{"name": "amount", "data_type": "decimal(10, 2)"}]) == (
        Column("amount", "DECIMAL(10,2)", nullable=True),
    )


def test_duplicate_column_names_are_rejected_case_insensitively() -> None:
    """Api10 and api10 are the same Databricks column."""
    items = [{"name": "api10", "data_type": "BIGINT"}, {"name": "Api10", "data_type": "STRING"}]

    with pytest.raises(InvalidSchemaDefinition) as caught:
        parse_schema_definition(items)

    assert caught.value.message == "Duplicate column name: 'Api10'"


@pytest.mark.parametrize("name", ["record_uuid", "is_deleted", "inserted_at", "Updated_By", "deleted_at"])
def test_audit_columns_cannot_be_defined_by_the_client(name: str) -> None:
    """The service adds the audit columns itself."""
    with pytest.raises(InvalidSchemaDefinition) as caught:
        parse_schema_definition([{"name": name, "data_type": "STRING"}])

    assert "audit column" in caught.value.message


def test_an_unknown_type_in_a_definition_names_the_column() -> None:
    """The error says which column has the bad type."""
    with pytest.raises(InvalidDataType) as caught:
        parse_schema_definition([{"name": "x", "data_type": "NUMBER"}])

    assert caught.value.message == "Unknown data type: NUMBER"
    assert caught.value.details["column"] == "x"


def test_an_invalid_column_name_in_a_definition_is_an_invalid_identifier() -> None:
    """Column names follow the identifier rule like table names."""
    with pytest.raises(InvalidIdentifier) as caught:
        parse_schema_definition([{"name": "bad name", "data_type": "INT"}])

    assert caught.value.message == "Invalid identifier: bad name"


def test_an_empty_definition_is_rejected() -> None:
    """A table needs at least one column."""
    with pytest.raises(InvalidSchemaDefinition):
        parse_schema_definition([])


# --- rows: the seed's examples ---------------------------------------------------------------


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
        ]
    }


def test_only_the_first_bad_row_is_reported_with_its_index() -> None:
    """Rows are checked in order and the first problem stops the check."""
    rows = [{"order_id": 1}, {"order_id": 2}, {"order_id": "x"}, {"order_id": "y"}]

    with pytest.raises(SchemaValidationError) as caught:
        compile_row_validator(ORDERS)(rows)

    assert (
        caught.value.message
        == "Schema validation failed: Record 2: Column 'order_id' expects integer, got str"
    )


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


def test_column_names_are_data_in_the_generated_code() -> None:
    """A column name from an existing table that looks like code is only a string literal."""
    name = "x'] or __import__('os') #"
    validator = compile_row_validator((Column(name, "INT"),))

    assert validator([{name: 1}]) == [{name: 1}]
    assert "__import__('os')" not in validator.source.replace(repr(name), "")


# --- rows: every type ------------------------------------------------------------------------

WRONG_TYPES = [
    ("BIGINT", "1", "expects integer, got str"),
    ("INT", 1.0, "expects integer, got float"),
    ("SMALLINT", True, "expects integer, got bool"),
    ("TINYINT", [1], "expects integer, got list"),
    ("DOUBLE", "1.5", "expects number, got str"),
    ("FLOAT", False, "expects number, got bool"),
    ("DECIMAL(10,2)", "abc", "expects decimal(10,2), got 'abc'"),
    ("DECIMAL(10,2)", True, "expects decimal(10,2), got bool"),
    ("STRING", 5, "expects string, got int"),
    ("VARCHAR(10)", 5, "expects string of at most 10 characters, got int"),
    ("CHAR(2)", {"a": 1}, "expects string of at most 2 characters, got dict"),
    ("BOOLEAN", "true", "expects boolean, got str"),
    ("BOOLEAN", 1, "expects boolean, got int"),
    ("DATE", 20240115, "expects date (YYYY-MM-DD), got int"),
    ("TIMESTAMP", 1705312200, "expects timestamp (ISO 8601), got int"),
    ("TIMESTAMP_NTZ", 1.5, "expects timestamp without time zone (ISO 8601), got float"),
    ("BINARY", b"abc", "expects base64 string, got bytes"),
    ("ARRAY<INT>", "1,2", "expects array, got str"),
    ("MAP<STRING,INT>", [["a", 1]], "expects map (object), got list"),
    ("STRUCT<a:INT>", "a=1", "expects struct (object), got str"),
]


@pytest.mark.parametrize(("data_type", "value", "problem"), WRONG_TYPES)
def test_a_value_of_the_wrong_type_is_rejected_for_every_type(
    data_type: str, value: Any, problem: str
) -> None:
    """Each of the 19 types says what it expects and what it got."""
    assert one_column(data_type, value) == f"Schema validation failed: Record 0: Column 'c' {problem}"


def test_every_supported_type_has_a_wrong_type_case() -> None:
    """The table above covers the seed's 18 types plus TIMESTAMP_NTZ."""
    seed_types = {"BIGINT", "INT", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT", "DECIMAL", "STRING", "VARCHAR"}
    seed_types |= {
        "CHAR",
        "BOOLEAN",
        "DATE",
        "TIMESTAMP",
        "TIMESTAMP_NTZ",
        "BINARY",
        "ARRAY",
        "MAP",
        "STRUCT",
    }
    covered = {Column("c", normalize_type(data_type)).base_type for data_type, _, _ in WRONG_TYPES}

    assert covered == seed_types  # INTEGER is INT once normalized


@pytest.mark.parametrize(
    ("data_type", "low", "high"),
    [
        ("TINYINT", -128, 127),
        ("SMALLINT", -32768, 32767),
        ("INT", -(2**31), 2**31 - 1),
        ("INTEGER", -(2**31), 2**31 - 1),
        ("BIGINT", -(2**63), 2**63 - 1),
    ],
)
def test_integers_must_fit_their_type(data_type: str, low: int, high: int) -> None:
    """Both ends of the range pass; one past either end is an error naming the range."""
    canonical = normalize_type(data_type)
    assert accepted(canonical, low) == low
    assert accepted(canonical, high) == high
    for value in (low - 1, high + 1):
        assert one_column(canonical, value) == (
            f"Schema validation failed: Record 0: Column 'c' expects {canonical} between {low} and {high}, got {value}"
        )


def test_a_tinyint_of_300_gives_the_range_message() -> None:
    """The example wording: expects TINYINT between -128 and 127, got 300."""
    assert one_column("TINYINT", 300).endswith("expects TINYINT between -128 and 127, got 300")


@pytest.mark.parametrize("value", [3.5e38, -1e39, float("inf"), float("nan")])
def test_floats_must_be_finite_and_fit_float(value: float) -> None:
    """FLOAT is 32-bit: beyond 3.4e38 is an error, as are inf and nan."""
    assert "expects finite FLOAT" in one_column("FLOAT", value)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 10**400])
def test_doubles_must_be_finite(value: float) -> None:
    """DOUBLE rejects inf, nan and integers beyond its range."""
    assert "expects finite number" in one_column("DOUBLE", value)


def test_doubles_accept_ints_and_floats_as_given() -> None:
    """JSON 5 and 5.5 are both DOUBLE values."""
    assert accepted("DOUBLE", 5) == 5
    assert accepted("DOUBLE", 5.5) == 5.5


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        (5, "5.00"),
        (-5, "-5.00"),
        (1.5, "1.50"),
        (125000.5, "125000.50"),
        ("123.45", "123.45"),
        ("-0.5", "-0.50"),
        ("7", "7.00"),
        ("7.", "7.00"),
        (".5", "0.50"),
        ("1e2", "100.00"),
        ("+3.1", "3.10"),
        ("1.500", "1.50"),
        ("0012.3", "12.30"),
        (99999999.99, "99999999.99"),
        ("-99999999.99", "-99999999.99"),
    ],
)
def test_decimals_become_strings_with_the_columns_scale(value: Any, normalized: str) -> None:
    """DECIMAL(10,2) values come out as exact text with two decimals."""
    assert accepted("DECIMAL(10,2)", value) == normalized


@pytest.mark.parametrize(
    "value",
    [
        100000000,
        "100000000.00",
        1.234,
        "1.001",
        "1e10",
        "abc",
        "1,5",
        "NaN",
        "Infinity",
        float("nan"),
        "",
        " 1",
    ],
)
def test_decimals_that_do_not_fit_precision_or_scale_are_rejected(value: Any) -> None:
    """More than 8 integer digits or 2 decimals, or no number at all, is an error (never rounded)."""
    assert "expects decimal(10,2), got" in one_column("DECIMAL(10,2)", value)


def test_decimal_with_scale_zero_and_full_scale_work() -> None:
    """DECIMAL(3,0) takes integers; DECIMAL(2,2) takes only fractions."""
    assert accepted("DECIMAL(3,0)", 999) == "999"
    assert accepted("DECIMAL(3,0)", "12.") == "12"
    assert accepted("DECIMAL(2,2)", 0.99) == "0.99"
    assert accepted("DECIMAL(2,2)", 0) == "0.00"
    assert "expects decimal(2,2)" in one_column("DECIMAL(2,2)", 1)
    assert "expects decimal(3,0)" in one_column("DECIMAL(3,0)", 1000)


def test_a_38_digit_decimal_is_accepted() -> None:
    """The widest DECIMAL keeps every digit."""
    digits = "9" * 38
    assert accepted("DECIMAL(38,0)", digits) == digits
    assert accepted("DECIMAL(38,0)", int(digits)) == digits


@pytest.mark.parametrize(
    "value", ["2024-02-30", "2024-1-5", "20240115", "01/15/2024", "2024-01-15T00:00:00", "", "2024-13-01"]
)
def test_dates_must_be_real_yyyy_mm_dd_dates(value: str) -> None:
    """Only calendar dates written YYYY-MM-DD pass."""
    assert one_column("DATE", value).endswith(f"expects date (YYYY-MM-DD), got {value!r}")


def test_a_valid_date_passes_unchanged() -> None:
    """A leap day is a date."""
    assert accepted("DATE", "2024-02-29") == "2024-02-29"


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("2024-01-15T10:30:00", "2024-01-15T10:30:00+00:00"),
        ("2024-01-15 10:30:00.123456", "2024-01-15T10:30:00.123456+00:00"),
        ("2024-01-15T10:30:00Z", "2024-01-15T10:30:00+00:00"),
        ("2024-01-15T10:30:00+02:00", "2024-01-15T08:30:00+00:00"),
        ("2024-01-15", "2024-01-15T00:00:00+00:00"),
    ],
)
def test_timestamps_become_iso_8601_in_utc(value: str, normalized: str) -> None:
    """Naive timestamps mean UTC; offsets are converted to UTC."""
    assert accepted("TIMESTAMP", value) == normalized


@pytest.mark.parametrize(
    "value", ["2024-01-15T25:00:00", "yesterday", "15/01/2024 10:30", "", "2024-01-15T10:30:00+25:00"]
)
def test_unparsable_timestamps_are_rejected(value: str) -> None:
    """Text that is not ISO 8601 is an error."""
    assert one_column("TIMESTAMP", value).endswith(f"expects timestamp (ISO 8601), got {value!r}")
    assert "expects timestamp without time zone (ISO 8601)" in one_column("TIMESTAMP_NTZ", value)


def test_timestamp_ntz_keeps_wall_clock_time_and_refuses_offsets() -> None:
    """TIMESTAMP_NTZ has no time zone: an offset would be silently meaningless."""
    assert accepted("TIMESTAMP_NTZ", "2024-01-15 10:30:00") == "2024-01-15T10:30:00"
    assert "expects timestamp without time zone" in one_column("TIMESTAMP_NTZ", "2024-01-15T10:30:00Z")


@pytest.mark.parametrize("value", ["aGVsbG8", "not base64!", "aGVs\nbG8=", "é"])
def test_binary_values_must_be_base64(value: str) -> None:
    """Bad padding, stray characters or non-ASCII text are not base64."""
    assert "expects base64 string, got" in one_column("BINARY", value)


def test_binary_values_stay_base64_text() -> None:
    """The warehouse's from_json decodes the base64 itself."""
    assert accepted("BINARY", "aGVsbG8=") == "aGVsbG8="
    assert accepted("BINARY", "") == ""


def test_strings_of_a_bounded_type_must_fit() -> None:
    """VARCHAR(n) and CHAR(n) take at most n characters."""
    assert accepted("VARCHAR(3)", "abc") == "abc"
    assert one_column("VARCHAR(3)", "abcd").endswith(
        "expects string of at most 3 characters, got 4 characters"
    )
    assert one_column("CHAR(1)", "ab").endswith("expects string of at most 1 characters, got 2 characters")


def test_arrays_check_every_element_and_allow_nulls_inside() -> None:
    """ARRAY<INT> takes a list of ints with nulls; a bad element is named by position."""
    assert accepted("ARRAY<INT>", [1, None, 3]) == [1, None, 3]
    assert one_column("ARRAY<INT>", [1, "2"]).endswith("Column 'c' element 1 expects integer, got str")


def test_nested_arrays_name_the_full_path_of_a_bad_element() -> None:
    """The message walks down through each level."""
    assert one_column("ARRAY<ARRAY<TINYINT>>", [[1], [2, 999]]).endswith(
        "Column 'c' element 1 element 1 expects TINYINT between -128 and 127, got 999"
    )


def test_maps_check_keys_and_values() -> None:
    """MAP<INT,DECIMAL(4,1)>: numeric-string keys, normalized values."""
    assert accepted("MAP<INT,DECIMAL(4,1)>", {"01": 1.5, "-2": None}) == {"1": "1.5", "-2": None}
    assert one_column("MAP<INT,STRING>", {"x": "a"}).endswith("Column 'c' key 'x' expects integer, got str")
    assert one_column("MAP<STRING,INT>", {"x": "a"}).endswith(
        "Column 'c' value for key 'x' expects integer, got str"
    )


def test_map_keys_that_normalize_to_the_same_key_are_rejected() -> None:
    """ "1" and "01" are one INT key."""
    assert one_column("MAP<INT,STRING>", {"1": "a", "01": "b"}).endswith(
        "Column 'c' key '01' repeats another key"
    )


def test_map_keys_of_other_types_are_checked_as_text() -> None:
    """BOOLEAN, DATE and DOUBLE keys arrive as JSON object keys."""
    assert accepted("MAP<BOOLEAN,INT>", {"true": 1}) == {"true": 1}
    assert accepted("MAP<DATE,INT>", {"2024-01-15": 1}) == {"2024-01-15": 1}
    assert accepted("MAP<DOUBLE,INT>", {"1.5": 1}) == {"1.5": 1}
    assert "key 'yes' expects boolean" in one_column("MAP<BOOLEAN,INT>", {"yes": 1})
    assert "key 'soon' expects date" in one_column("MAP<DATE,INT>", {"soon": 1})


def test_structs_take_known_fields_and_check_each() -> None:
    """Missing fields are allowed, unknown ones are not, names are case-insensitive."""
    kind = "STRUCT<x:INT,y:STRUCT<z:DATE>>"
    assert accepted(kind, {"X": 1, "y": {"z": "2024-01-15"}}) == {"x": 1, "y": {"z": "2024-01-15"}}
    assert accepted(kind, {"x": None}) == {"x": None}
    assert one_column(kind, {"w": 1}).endswith("Column 'c' has unknown field 'w'")
    assert one_column(kind, {"y": {"z": "soon"}}).endswith(
        "Column 'c' field 'y' field 'z' expects date (YYYY-MM-DD), got 'soon'"
    )


def test_complex_types_normalize_their_contents() -> None:
    """Decimals and timestamps deep inside come out in their JSON form."""
    kind = "ARRAY<STRUCT<at:TIMESTAMP,price:DECIMAL(5,2)>>"
    value = [{"at": "2024-01-15T10:30:00", "price": 3}]

    assert accepted(kind, value) == [{"at": "2024-01-15T10:30:00+00:00", "price": "3.00"}]


def test_an_unknown_type_from_an_existing_table_accepts_any_value() -> None:
    """The warehouse, not this module, judges types it alone knows (VARIANT)."""
    assert accepted(parse_table_type("variant"), {"any": [1]}) == {"any": [1]}


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
