"""What the compiled row validator checks for each type: ``records.validation.generator`` writes its
code, which calls the helpers of ``records.validation.runtime`` (run through ``compile_row_validator``)."""

from __future__ import annotations

from typing import Any

import pytest

from records.tables import Column
from records.validation.rows import compile_row_validator
from records.validation.types import normalize_type, parse_table_type

from .conftest import rejection


def one_column(data_type: str, value: Any) -> str:
    """The message for one value in a nullable column ``c`` of the given type."""
    return rejection((Column("c", data_type),), {"c": value})


def accepted(data_type: str, value: Any) -> Any:
    """The normalized form of one value in a column ``c`` of the given type."""
    return compile_row_validator((Column("c", data_type),))([{"c": value}])[0]["c"]


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


def test_column_names_are_data_in_the_generated_code() -> None:
    """A column name from an existing table that looks like code is only a string literal."""
    name = "x'] or __import__('os') #"
    validator = compile_row_validator((Column(name, "INT"),))

    assert validator([{name: 1}]) == [{name: 1}]
    assert "__import__('os')" not in validator.source.replace(repr(name), "")
