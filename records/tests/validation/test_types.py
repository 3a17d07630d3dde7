"""Databricks data types: one canonical spelling, and clear refusals (``records.validation.types``)."""

from __future__ import annotations

from typing import Any

import pytest

from records.tables import Column
from records.validation.rows import compile_row_validator
from records.validation.types import (
    MAX_TYPE_NESTING,
    InvalidDataType,
    normalize_type,
    parse_table_type,
    table_type,
)

from .conftest import rejection


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


# --- nesting -------------------------------------------------------------------------------------

_OPENINGS = {"array": "array<", "map": "map<string,", "struct": "struct<Field{}:"}


def _wrapper(kind: str, level: int) -> str:
    return kind if kind != "mixed" else ("array", "map", "struct")[level % 3]


def nested_type(levels: int, kind: str, *, canonical: bool = False) -> str:
    """``levels`` complex types around INT (``mixed`` cycles array, map, struct), as DESCRIBE
    spells them or (``canonical``) as ``normalize_type`` does. Level 0 is the innermost."""
    openings = [_OPENINGS[_wrapper(kind, level)].format(level) for level in reversed(range(levels))]
    text = "".join(openings) + "int" + ">" * levels
    if canonical:
        text = text.replace("array", "ARRAY").replace("map", "MAP").replace("struct", "STRUCT")
        text = text.replace("string", "STRING").replace("int", "INT")
    return text


def nested_value(levels: int, kind: str, leaf: Any) -> Any:
    value = leaf
    for level in range(levels):
        shape = _wrapper(kind, level)
        value = {"array": [value], "map": {"k": value}, "struct": {f"Field{level}": value}}[shape]
    return value


@pytest.mark.parametrize("kind", ["array", "map", "struct", "mixed"])
def test_types_nested_to_the_limit_are_accepted(kind: str) -> None:
    text = nested_type(MAX_TYPE_NESTING, kind)

    assert normalize_type(text) == nested_type(MAX_TYPE_NESTING, kind, canonical=True)
    assert not table_type(text).opaque


@pytest.mark.parametrize("levels", [MAX_TYPE_NESTING + 1, 48, 100_000])
@pytest.mark.parametrize("kind", ["array", "map", "struct", "mixed"])
def test_types_nested_deeper_than_the_limit_are_rejected(kind: str, levels: int) -> None:
    """Refused while parsing (no RecursionError however deep), saying how deep is allowed."""
    with pytest.raises(InvalidDataType) as caught:
        normalize_type(nested_type(levels, kind))

    assert caught.value.message.startswith("Invalid data type: ")
    assert caught.value.message.endswith(f"(nested deeper than {MAX_TYPE_NESTING} levels)")
    assert caught.value.details["max_nesting"] == MAX_TYPE_NESTING


@pytest.mark.parametrize("kind", ["array", "map", "struct", "mixed"])
def test_a_table_type_nested_deeper_than_the_limit_is_opaque_in_its_own_spelling(kind: str) -> None:
    """From DESCRIBE it is kept as the table spells it (struct field names keep their case)."""
    describe = nested_type(MAX_TYPE_NESTING + 1, kind)

    assert parse_table_type(describe) == describe
    assert table_type(describe).opaque


@pytest.mark.parametrize("levels", [MAX_TYPE_NESTING + 1, 20, 48, 100_000])
@pytest.mark.parametrize("kind", ["array", "struct", "mixed"])
def test_rows_of_a_table_type_nested_deeper_than_the_limit_are_not_checked(kind: str, levels: int) -> None:
    """The row checker compiles (no Python nesting limit hit) and leaves the value to the warehouse."""
    columns = (Column("c", parse_table_type(nested_type(levels, kind)), nullable=False),)
    rows = [{"c": nested_value(min(levels, 200), kind, 1)}, {"c": "anything"}]

    assert compile_row_validator(columns)(rows) == rows


@pytest.mark.parametrize("kind", ["array", "map", "struct", "mixed"])
def test_rows_of_a_table_type_nested_to_the_limit_are_checked_all_the_way_down(kind: str) -> None:
    columns = (Column("c", parse_table_type(nested_type(MAX_TYPE_NESTING, kind)), nullable=False),)
    good = {"c": nested_value(MAX_TYPE_NESTING, kind, 1)}

    assert compile_row_validator(columns)([good]) == [good]
    assert rejection(columns, {"c": nested_value(MAX_TYPE_NESTING, kind, "one")}).endswith(
        "expects integer, got str"
    )
