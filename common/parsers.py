"""JSON with bounded nesting: request bodies (``NestingLimitedJSONParser``) and JSON in query strings.

Python's ``json`` module parses recursively, so a body nested ~1,000 levels deep raises
``RecursionError`` (a 500). Here the nesting is measured first, without recursion and without
building any object, and JSON nested deeper than ``MAX_JSON_NESTING`` levels of arrays and
objects is refused: a 400 ``JSON parse error - ...`` for a body, a ``ValueError`` for callers
of ``load_json``.

A UTF-8 body is parsed by orjson straight from its bytes (no decoded copy, about half the time
of ``json``), unless it has a run of 19 digits: orjson reads an integer beyond 64 bits as a
float, where ``json`` keeps it exact (a DECIMAL(38,0) value, a BIGINT out of range). A body
orjson refuses is parsed again by ``json``, so that what is refused is refused in ``json``'s
words, and what only ``json`` accepts (``1e999`` as infinity, a lone surrogate escape, NaN
for a non-strict parser) is read as before.

A body whose strings (or keys) hold the NUL character (``\u0000``) is refused too: bodies are
stored in the service database (jobs' payloads, the API log), and PostgreSQL's text and jsonb
cannot hold it (a 500 there, where SQLite stored it).
"""

from __future__ import annotations

import codecs
import itertools
from collections.abc import Callable, Mapping
from typing import IO, Any

import orjson
from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

# The top-level array or object is level 1; a write's rows are level 3 and their values 4.
MAX_JSON_NESTING = 64

# Only quotes and brackets matter for nesting; every other byte is dropped.
_DROPPED = bytes(byte for byte in range(256) if byte not in b'"[]{}')
_SQUARE = bytes.maketrans(b"{}", b"[]")
# As signed bytes: "[" is +1 and "]" is -1, so a running sum is the nesting level.
_SIGNS = bytes.maketrans(b"[]", b"\x01\xff")
# Every digit as "0": a body holds a number of 19 digits or more when it holds _LONG_NUMBER.
_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19  # the shortest integer orjson may read beyond 64 bits (as a float)


class JsonTooDeep(ValueError):
    """JSON nested deeper than allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} levels of arrays and objects")
        self.limit = limit


def json_nesting_exceeds(text: str | bytes, limit: int = MAX_JSON_NESTING) -> bool:
    """Whether JSON ``text`` nests arrays and objects more than ``limit`` levels deep.

    Exact for valid JSON; for invalid JSON it may answer True where the parser would have
    reported a syntax error, never False where parsing would recurse deeper than ``limit``.
    Linear time: bytes-level passes, then one running sum, all in C.
    """
    data = _brackets(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    run = b"[" * (limit + 1)
    removed = 0  # levels removed so far by deleting innermost "[]" pairs
    while data:
        if removed > limit or run in data:
            return True
        shorter = data.replace(b"[]", b"")
        if len(shorter) * 2 > len(data):
            break  # few leaves left (long chains): count the rest in one pass instead
        data, removed = shorter, removed + 1
    levels = itertools.accumulate(memoryview(data.translate(_SIGNS)).cast("b"))
    return any(map((limit - removed).__lt__, levels))


def _brackets(data: bytes) -> bytes:
    """The brackets of ``data`` outside strings, as ``[`` and ``]`` only."""
    # Escaped backslashes and quotes go first, so that every quote left opens or closes a
    # string; then everything but quotes and brackets, then strings without brackets ("").
    if b"\\" in data:  # a search costs a fraction of a replace that finds nothing
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    data = data.translate(None, _DROPPED).replace(b'""', b"")
    if b'"' in data:
        data = b"".join(data.split(b'"')[::2])  # what is left of strings holds brackets
    return data.translate(_SQUARE)


def load_json(text: str, *, parse_constant: Callable[[str], Any] | None = json.strict_constant) -> Any:
    """``json.loads`` refusing more than ``MAX_JSON_NESTING`` levels (``JsonTooDeep``, a
    ``ValueError`` like every other reason) and, by default, NaN and Infinity."""
    if json_nesting_exceeds(text, MAX_JSON_NESTING):
        raise JsonTooDeep(MAX_JSON_NESTING)
    return json.loads(text, parse_constant=parse_constant)


class NulInString(ValueError):
    """A JSON string or key holding U+0000, which the service database cannot store."""

    def __init__(self) -> None:
        super().__init__("strings cannot hold the NUL character (\\u0000)")


def holds_nul(value: Any) -> bool:
    """Whether a string or object key anywhere in parsed JSON ``value`` holds U+0000 (no recursion)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class NestingLimitedJSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than ``MAX_JSON_NESTING`` with a 400
    (``JSON parse error - nested deeper than 64 levels of arrays and objects``), and bodies
    with a NUL character in a string (``JSON parse error - strings cannot hold ...``)."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read()
        try:
            if codecs.lookup(encoding).name == "utf-8":  # nearly every body: measured and parsed as it came
                parsed = self._parse_utf8(raw)
                # JSON can only spell NUL as an escape: no escape, no walk through the values.
                may_hold_nul = b"\\u0000" in raw
            else:
                text = raw.decode(encoding)
                if json_nesting_exceeds(text):
                    raise JsonTooDeep(MAX_JSON_NESTING)
                parsed, may_hold_nul = self._loads(text), True
            if may_hold_nul and holds_nul(parsed):
                raise NulInString
        except (ValueError, LookupError) as exc:  # also bytes the charset cannot decode, or no text charset
            raise ParseError(f"JSON parse error - {exc}") from None
        return parsed

    def _parse_utf8(self, raw: bytes) -> Any:
        if json_nesting_exceeds(raw):
            raw.decode("utf-8")  # bytes that are no UTF-8 are reported first, nesting or not
            raise JsonTooDeep(MAX_JSON_NESTING)
        if _LONG_NUMBER not in raw.translate(_DIGITS):
            try:
                return orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass  # json below says why in its own words, or reads what orjson does not
        return self._loads(raw.decode("utf-8"))

    def _loads(self, text: str) -> Any:
        return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
