"""The JSON body parser: orjson where it reads a body exactly as ``json`` does, ``json`` elsewhere,
so that what is accepted, how it is read, and every refusal's words are ``json``'s."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import pytest
from rest_framework.exceptions import ParseError

from common.parsers import MAX_JSON_NESTING, NestingLimitedJSONParser


def parse(body: bytes, encoding: str = "utf-8") -> Any:
    return NestingLimitedJSONParser().parse(io.BytesIO(body), None, {"encoding": encoding})


def refusal(body: bytes, encoding: str = "utf-8") -> str:
    with pytest.raises(ParseError) as caught:
        parse(body, encoding)
    return str(caught.value.detail)


def test_a_body_is_read_as_json_reads_it() -> None:
    body = {"catalog": "c", "data": [{"a": 1, "b": -2.5e-7, "c": "é\n\u2028", "d": None, "e": True}] * 3}
    raw = json.dumps(body, ensure_ascii=False).encode()

    assert parse(raw) == json.loads(raw)


def test_integers_beyond_64_bits_stay_exact() -> None:
    """orjson would read them as floats: a DECIMAL(38,0) value or a BIGINT out of range."""
    raw = b'{"k": 12345678901234567890123456789012345678, "n": -9223372036854775809, "s": "1234567890123456789"}'

    parsed = parse(raw)

    assert parsed["k"] == 12345678901234567890123456789012345678 and type(parsed["k"]) is int
    assert parsed["n"] == -9223372036854775809 and type(parsed["n"]) is int


def test_what_only_json_reads_is_read_as_before() -> None:
    assert parse(b"[1e999]") == [math.inf]
    assert parse(b'["\\ud800"]') == ["\ud800"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[1,]", "Expecting value: line 1 column 4 (char 3)"),
        (b'{"a": 1} x', "Extra data: line 1 column 10 (char 9)"),
        (b"[NaN]", "Out of range float values are not JSON compliant: 'NaN'"),
        (b'["a\tb"]', "Invalid control character at: line 1 column 4 (char 3)"),
        (b"\xef\xbb\xbf{}", "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"),
        (b'["\xff"]', "'utf-8' codec can't decode byte 0xff in position 2: invalid start byte"),
        (
            b"[" * (MAX_JSON_NESTING + 1) + b"\xff",
            "'utf-8' codec can't decode byte 0xff in position 65: invalid start byte",
        ),
        (
            b"[" * (MAX_JSON_NESTING + 1) + b"]" * (MAX_JSON_NESTING + 1),
            "nested deeper than 64 levels of arrays and objects",
        ),
    ],
)
def test_a_refusal_is_in_json_words(body: bytes, message: str) -> None:
    assert refusal(body) == f"JSON parse error - {message}"


def test_other_charsets_are_decoded_first() -> None:
    assert parse('{"a": "é"}'.encode("latin-1"), "latin-1") == {"a": "é"}
    assert refusal(b"{}", "no-such-charset") == "JSON parse error - unknown encoding: no-such-charset"
