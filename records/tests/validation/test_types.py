"""Databricks data types: one canonical spelling, and clear refusals (``records.validation.types``)."""

from __future__ import annotations

import pytest

from records.validation.types import InvalidDataType, normalize_type, parse_table_type


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
