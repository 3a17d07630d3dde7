"""from_json as Spark's JSON reader: FAILFAST fails, PERMISSIVE NULLs only what does not fit, BINARY is base64."""

from __future__ import annotations

import datetime
import decimal
import json
from typing import Any

import pytest
from databricks.sql.exc import ServerOperationError

FAILFAST = "map('mode', 'FAILFAST')"
ROWS = "ARRAY<STRUCT<a: INT, b: STRING>>"


def _error_of(cursor: Any, statement: str, params: dict[str, Any] | None = None) -> str:
    with pytest.raises(ServerOperationError) as caught:
        cursor.execute(statement, params or {})
    return str(caught.value)


def _read(cursor: Any, document: str, schema: str = ROWS, options: str = "") -> Any:
    cursor.execute(
        f"SELECT from_json(:j, '{schema}'{', ' + options if options else ''}) AS v", {"j": document}
    )
    return cursor.fetchone().v


@pytest.mark.parametrize(
    ("document", "schema"),
    [
        ('[{"a": "abc", "b": "x"}]', ROWS),  # a string for an INT field
        ('[{"a": "12", "b": "x"}]', ROWS),  # a numeric string is still a string
        ('[{"a": 1.7, "b": "x"}]', ROWS),  # not rounded into an INT
        ('[{"a": 3000000000, "b": "x"}]', ROWS),  # out of the INT range
        ('[{"a": true}]', ROWS),
        ('{"l": "not an array"}', "STRUCT<l: ARRAY<INT>>"),  # a string for an ARRAY field
        ('{"l": [1, "x"]}', "STRUCT<l: ARRAY<INT>>"),
        ('{"m": [1]}', "STRUCT<m: MAP<STRING, INT>>"),
        ('{"d": "2024-13-45"}', "STRUCT<d: DATE>"),
        ('{"d": 12345.6}', "STRUCT<d: DECIMAL(4,1)>"),  # overflows DECIMAL(4,1)
        ('{"x": "%%%"}', "STRUCT<x: BINARY>"),  # not base64
        ('[{"a": 1, "b": "x"}', ROWS),  # malformed JSON
        ("null", ROWS),
    ],
)
def test_failfast_fails_on_a_value_that_does_not_fit(cursor: Any, document: str, schema: str) -> None:
    """With mode FAILFAST a value that does not fit its field fails the statement with Spark's class."""
    message = _error_of(cursor, f"SELECT from_json(:j, '{schema}', {FAILFAST}) AS v", {"j": document})
    assert message.startswith(
        "[MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION] Malformed records are detected"
    )
    assert "Parse Mode: FAILFAST" in message and "SQLSTATE: 22023" in message


def test_failfast_names_a_string_that_is_not_a_number(cursor: Any) -> None:
    """A string for a DOUBLE field that is not NaN/Infinity is Spark's CANNOT_PARSE_STRING_AS_DATATYPE."""
    message = _error_of(
        cursor, f"SELECT from_json(:j, 'STRUCT<x: DOUBLE>', {FAILFAST}) AS v", {"j": '{"x": "abc"}'}
    )
    assert message.startswith("[MALFORMED_RECORD_IN_PARSING.CANNOT_PARSE_STRING_AS_DATATYPE]")
    assert "Cannot parse the value 'abc' of the field `x`" in message and '"DOUBLE"' in message
    message = _error_of(cursor, f"SELECT from_json(:j, 'STRUCT<x: INT>', {FAILFAST}) AS v", {"j": "[1]"})
    assert message.startswith("[MALFORMED_RECORD_IN_PARSING.CANNOT_PARSE_JSON_ARRAYS_AS_STRUCTS]")


def test_failfast_insert_writes_nothing(cursor: Any, schema: str) -> None:
    """An INSERT whose JSON has one bad value fails whole: no row of the batch is written."""
    cursor.execute(f"CREATE TABLE {schema}.t (a INT, b STRING)")
    rows = json.dumps([{"a": 1, "b": "ok"}, {"a": "abc", "b": "bad"}])
    message = _error_of(
        cursor,
        f"INSERT INTO {schema}.t SELECT * FROM inline(from_json(:rows, '{ROWS}', {FAILFAST}))",
        {"rows": rows},
    )
    assert message.startswith("[MALFORMED_RECORD_IN_PARSING")
    cursor.execute(f"SELECT COUNT(*) AS n FROM {schema}.t")
    assert cursor.fetchone().n == 0


def test_failfast_passes_values_that_fit(cursor: Any) -> None:
    """FAILFAST accepts every value Spark takes: nulls, missing fields, NaN strings for DOUBLE, numeric strings for DECIMAL."""
    schema = "ARRAY<STRUCT<a: INT, b: STRING, d: DOUBLE, m: DECIMAL(5,2), t: TIMESTAMP, l: ARRAY<BIGINT>>>"
    document = json.dumps(
        [
            {"a": 1, "b": 2, "d": "NaN", "m": "1.005", "t": "2024-03-10T12:30:00Z", "l": [1, None]},
            {"a": None, "extra": True},
        ]
    )
    first, second = _read(cursor, document, schema, FAILFAST)
    assert first["a"] == 1 and first["b"] == "2"  # a STRING field keeps a non-string's JSON text
    assert first["d"] != first["d"]  # NaN
    assert first["m"] == decimal.Decimal("1.01")  # rounded half up to the scale, as Spark does
    assert first["t"] == datetime.datetime(2024, 3, 10, 12, 30, tzinfo=datetime.UTC)
    assert (
        first["l"][0] == 1 and first["l"][1] != first["l"][1]
    )  # the connector gives NULL in a BIGINT array as NaN
    assert second == {"a": None, "b": None, "d": None, "m": None, "t": None, "l": None}


def test_permissive_nulls_only_the_field_that_does_not_fit(cursor: Any) -> None:
    """Without options (PERMISSIVE) a misfit field is NULL and the rest of its record is kept."""
    value = _read(cursor, '[{"a": "abc", "b": "kept"}, {"a": 2, "b": "y"}]')
    assert [dict(v) for v in value] == [{"a": None, "b": "kept"}, {"a": 2, "b": "y"}]
    assert _read(cursor, '{"a": "12", "l": [1, "x"]}', "STRUCT<a: INT, l: ARRAY<INT>, c: STRING>") == {
        "a": None,
        "l": None,  # an element that does not fit NULLs the whole array, as in Spark
        "c": None,
    }


def test_permissive_malformed_document(cursor: Any) -> None:
    """A malformed document is NULL for an ARRAY schema and a STRUCT of NULLs for a STRUCT schema."""
    assert _read(cursor, '[{"a": 1') is None
    assert _read(cursor, "{bad", "STRUCT<a: INT, b: STRING>") == {"a": None, "b": None}
    assert _read(cursor, "") is None  # an empty document is NULL in either mode
    assert _read(cursor, "  ", ROWS, FAILFAST) is None


def test_an_object_for_an_array_of_structs_is_one_element(cursor: Any) -> None:
    """Spark reads a JSON object as a one-element array when the schema is ARRAY<STRUCT<...>>."""
    assert [dict(v) for v in _read(cursor, '{"a": 1, "b": "x"}', ROWS, FAILFAST)] == [{"a": 1, "b": "x"}]


def test_binary_fields_decode_base64(cursor: Any, schema: str) -> None:
    """A BINARY field of a from_json schema takes a base64 string and yields its bytes."""
    cursor.execute(f"CREATE TABLE {schema}.t (id INT, payload BINARY)")
    rows = json.dumps(
        [{"id": 1, "payload": "AAEC/w=="}, {"id": 2, "payload": ""}, {"id": 3, "payload": None}]
    )
    cursor.execute(
        f"INSERT INTO {schema}.t SELECT * FROM inline(from_json(:rows, 'ARRAY<STRUCT<id: INT, payload: BINARY>>', {FAILFAST}))",
        {"rows": rows},
    )
    cursor.execute(f"SELECT id, payload FROM {schema}.t ORDER BY id")
    assert [tuple(r) for r in cursor.fetchall()] == [(1, b"\x00\x01\x02\xff"), (2, b""), (3, None)]


def test_a_field_of_a_one_field_struct(cursor: Any) -> None:
    """from_json(...).`v` reads one complex value, as the service reads an update value."""
    cursor.execute(
        f"SELECT from_json(:j, 'STRUCT<`v`: MAP<STRING, INT>>', {FAILFAST}).`v` AS v",
        {"j": '{"v": {"x": 1}}'},
    )
    assert dict(cursor.fetchone().v) == {"x": 1}


@pytest.mark.parametrize(
    ("options", "error_class"),
    [
        ("map('mode', 'DROPMALFORMED')", "[PARSE_MODE_UNSUPPORTED]"),
        ("map('mode', 'STRICT')", "[PARSE_MODE_UNSUPPORTED]"),
        ("map('mode', 1)", "[INVALID_OPTIONS.NON_STRING_TYPE]"),
        ("named_struct('mode', 'FAILFAST')", "[INVALID_OPTIONS.NON_MAP_FUNCTION]"),
        ("map('dateFormat', 'yyyy')", "[UNSUPPORTED_FEATURE.LOCAL_WAREHOUSE]"),
    ],
)
def test_options_other_than_the_modes_are_refused(cursor: Any, options: str, error_class: str) -> None:
    """Only mode PERMISSIVE and FAILFAST are read; every other option fails instead of being ignored."""
    assert _error_of(cursor, f"SELECT from_json(:j, '{ROWS}', {options}) AS v", {"j": "[]"}).startswith(
        error_class
    )


def test_option_names_and_modes_are_case_insensitive(cursor: Any) -> None:
    """map('MODE', 'failfast') is FAILFAST, as in Spark."""
    message = _error_of(
        cursor, f"SELECT from_json(:j, '{ROWS}', map('MODE', 'failfast')) AS v", {"j": '[{"a": "x"}]'}
    )
    assert message.startswith("[MALFORMED_RECORD_IN_PARSING")


@pytest.mark.parametrize(
    ("schema", "error_class"),
    [
        ("INT", "[DATATYPE_MISMATCH.INVALID_JSON_SCHEMA]"),
        ("MAP<INT, STRING>", "[DATATYPE_MISMATCH.INVALID_JSON_MAP_KEY_TYPE]"),
        ("STRUCT<a: VARCHAR(3)>", "[UNSUPPORTED_CHAR_OR_VARCHAR_AS_STRING]"),
    ],
)
def test_schemas_spark_refuses_are_refused(cursor: Any, schema: str, error_class: str) -> None:
    """A top-level scalar, non-STRING map keys and CHAR/VARCHAR fail as in Spark."""
    assert _error_of(cursor, f"SELECT from_json(:j, '{schema}') AS v", {"j": "{}"}).startswith(error_class)


def test_a_bare_field_list_is_a_struct_schema(cursor: Any) -> None:
    """'a INT, b STRING' is a STRUCT schema, and a bare DECIMAL is DECIMAL(10,0)."""
    assert _read(cursor, '{"a": 1, "b": "x", "d": 2.5}', "a INT, b STRING, d DECIMAL") == {
        "a": 1,
        "b": "x",
        "d": decimal.Decimal("3"),
    }
