"""Databricks data types: parsing, canonical spelling, and the names DESCRIBE TABLE returns.

``parse_type`` is strict (a client's ``schema_definition``: unknown types are a 400);
``parse_table_type`` never fails (a table may use types the service does not validate).

Complex types nest at most ``MAX_TYPE_NESTING`` levels (``ARRAY<ARRAY<INT>>`` is 2): a deeper
client type is ``InvalidDataType``; a deeper table type is opaque (not checked, the warehouse
decides), since the row checkers generated from types are Python source with one nested
block per level.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from typing import Any

from common.errors import ApiError
from warehouse.sql import IDENTIFIER, IDENTIFIER_PATTERN


class InvalidDataType(ApiError):
    """A data type that is not a supported Databricks type, or is malformed."""


# --- data types ------------------------------------------------------------------------------

INTEGER_RANGES = {
    "TINYINT": (-(2**7), 2**7 - 1),
    "SMALLINT": (-(2**15), 2**15 - 1),
    "INT": (-(2**31), 2**31 - 1),
    "BIGINT": (-(2**63), 2**63 - 1),
}
FLOAT_MAX = 3.4028234663852886e38
DOUBLE_MAX = sys.float_info.max
PRIMITIVE_TYPES = frozenset(
    {*INTEGER_RANGES, "DOUBLE", "FLOAT", "STRING", "BOOLEAN", "DATE", "TIMESTAMP", "TIMESTAMP_NTZ", "BINARY"}
)
SUPPORTED_TYPES = (
    "BIGINT", "INT", "INTEGER", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT", "DECIMAL(p,s)", "STRING",
    "VARCHAR(n)", "CHAR(n)", "BOOLEAN", "DATE", "TIMESTAMP", "TIMESTAMP_NTZ", "BINARY", "ARRAY<type>",
    "MAP<key,value>", "STRUCT<name:type,...>",
)  # fmt: skip
# Other spellings Databricks accepts for the same types.
_ALIASES = {
    "INTEGER": "INT",
    "LONG": "BIGINT",
    "SHORT": "SMALLINT",
    "BYTE": "TINYINT",
    "REAL": "FLOAT",
    "DEC": "DECIMAL",
    "NUMERIC": "DECIMAL",
    "TIMESTAMP_LTZ": "TIMESTAMP",
}
_COMPLEX = frozenset({"ARRAY", "MAP", "STRUCT"})
_MAX_LENGTH = 2**31 - 1
# Levels of ARRAY, MAP and STRUCT inside one another. A generated row checker has one loop or
# branch per level; Python refuses more than 20 nested loops and 100 indentation levels.
MAX_TYPE_NESTING = 16


@dataclass(frozen=True)
class DataType:
    """A parsed type. ``args``: DECIMAL's (precision, scale) or VARCHAR/CHAR's (length,).
    ``fields``: ARRAY's element, MAP's key and value, or STRUCT's named fields. An ``opaque``
    type came from an existing table and is not one this module knows; it is not checked."""

    name: str
    args: tuple[int, ...] = ()
    fields: tuple[tuple[str, DataType], ...] = ()
    opaque: bool = False

    def __str__(self) -> str:
        if self.args:
            return f"{self.name}({','.join(map(str, self.args))})"
        if not self.fields:
            return self.name
        if self.name == "STRUCT":
            return "STRUCT<" + ",".join(f"{_field_text(name)}:{kind}" for name, kind in self.fields) + ">"
        return f"{self.name}<{','.join(str(kind) for _, kind in self.fields)}>"


def _field_text(name: str) -> str:
    return name if IDENTIFIER.fullmatch(name) else "`" + name.replace("`", "``") + "`"


class _TypeSyntaxError(Exception):
    def __init__(self, reason: str, *, unknown: bool = False, too_deep: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unknown = unknown
        self.too_deep = too_deep


_TOKEN = re.compile(rf"\s*(?:`((?:[^`]|``)+)`|({IDENTIFIER_PATTERN})|([0-9]+)|([<>(),:]))")


class _TypeParser:
    """Recursive descent over Databricks type syntax. ``strict`` (client input): struct field
    names must be identifiers and unknown names are errors; otherwise (``DESCRIBE TABLE``
    output) an unknown name is an opaque type."""

    def __init__(self, text: str, *, strict: bool) -> None:
        self.strict = strict
        self.tokens: list[tuple[str, str]] = []
        text, pos = text.rstrip(), 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None:
                raise _TypeSyntaxError(f"unexpected {text[pos:].strip()[:20]!r}")
            quoted, word, number, punct = match.groups()
            if quoted is not None:
                self.tokens.append(("quoted", quoted.replace("``", "`")))
            else:
                kind = "word" if word else "number" if number else "punct"
                self.tokens.append((kind, word or number or punct))
            pos = match.end()
        self.pos = 0
        self.nesting = 0  # complex types open around the one being parsed

    def parse(self) -> DataType:
        data_type = self._type()
        if self.pos < len(self.tokens):
            raise _TypeSyntaxError(f"unexpected {self.tokens[self.pos][1]!r}")
        return data_type

    def _next(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise _TypeSyntaxError("unexpected end")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _accept(self, punct: str) -> bool:
        if self.pos < len(self.tokens) and self.tokens[self.pos] == ("punct", punct):
            self.pos += 1
            return True
        return False

    def _expect(self, punct: str) -> None:
        if not self._accept(punct):
            found = self.tokens[self.pos][1] if self.pos < len(self.tokens) else "end"
            raise _TypeSyntaxError(f"expected {punct!r}, got {found!r}")

    def _number(self) -> int:
        kind, text = self._next()
        if kind != "number":
            raise _TypeSyntaxError(f"expected a number, got {text!r}")
        return int(text)

    def _type(self) -> DataType:
        kind, word = self._next()
        if kind != "word":
            raise _TypeSyntaxError(f"expected a type name, got {word!r}")
        name = _ALIASES.get(word.upper(), word.upper())
        if name in PRIMITIVE_TYPES:
            return DataType(name)
        if name == "DECIMAL":
            return self._decimal()
        if name in ("VARCHAR", "CHAR"):
            return self._char(name)
        if name in _COMPLEX:
            return self._complex(name)
        if not self.strict:
            return DataType(name, opaque=True)
        raise _TypeSyntaxError(f"unknown type {word}", unknown=True)

    def _decimal(self) -> DataType:
        precision, scale = 10, 0
        if self._accept("("):
            precision = self._number()
            scale = self._number() if self._accept(",") else 0
            self._expect(")")
        if not 1 <= precision <= 38:
            raise _TypeSyntaxError("DECIMAL precision must be from 1 to 38")
        if not 0 <= scale <= precision:
            raise _TypeSyntaxError("DECIMAL scale must be from 0 to the precision")
        return DataType("DECIMAL", (precision, scale))

    def _char(self, name: str) -> DataType:
        if not self._accept("("):
            return DataType("STRING")  # the seed lists bare VARCHAR and CHAR: unbounded strings
        length = self._number()
        self._expect(")")
        if not 1 <= length <= _MAX_LENGTH:
            raise _TypeSyntaxError(f"{name} length must be from 1 to {_MAX_LENGTH}")
        return DataType(name, (length,))

    def _complex(self, name: str) -> DataType:
        """An ARRAY, MAP or STRUCT, refused once more than ``MAX_TYPE_NESTING`` are open (so
        the recursion is bounded too)."""
        self.nesting += 1
        if self.nesting > MAX_TYPE_NESTING:
            raise _TypeSyntaxError(f"nested deeper than {MAX_TYPE_NESTING} levels", too_deep=True)
        parsed = self._array() if name == "ARRAY" else self._map() if name == "MAP" else self._struct()
        self.nesting -= 1
        return parsed

    def _array(self) -> DataType:
        element = DataType("STRING")
        if self._accept("<"):
            element = self._type()
            self._expect(">")
        return DataType("ARRAY", fields=(("element", element),))

    def _map(self) -> DataType:
        key, value = DataType("STRING"), DataType("STRING")
        if self._accept("<"):
            key = self._type()
            self._expect(",")
            value = self._type()
            self._expect(">")
        if key.name in _COMPLEX:
            raise _TypeSyntaxError("MAP keys must be a primitive type (JSON object keys are strings)")
        return DataType("MAP", fields=(("key", key), ("value", value)))

    def _struct(self) -> DataType:
        if not self._accept("<"):
            raise _TypeSyntaxError("STRUCT needs its fields: STRUCT<name:type,...>")
        if self._accept(">"):
            raise _TypeSyntaxError("STRUCT needs at least one field")
        fields: list[tuple[str, DataType]] = []
        while True:
            kind, name = self._next()
            if kind not in ("word", "quoted") or (self.strict and not IDENTIFIER.fullmatch(name)):
                raise _TypeSyntaxError(f"invalid STRUCT field name {name!r}")
            if name.lower() in {existing.lower() for existing, _ in fields}:
                raise _TypeSyntaxError(f"STRUCT field {name!r} appears twice")
            self._accept(":")
            fields.append((name, self._type()))
            if not self._accept(","):
                break
        self._expect(">")
        return DataType("STRUCT", fields=tuple(fields))


def parse_type(text: str) -> DataType:
    """The parsed form of a client's type (``decimal(10, 2)``); ``InvalidDataType`` if unknown,
    malformed or nested deeper than ``MAX_TYPE_NESTING``."""
    details: dict[str, Any] = {"supported": list(SUPPORTED_TYPES)}
    if not isinstance(text, str):
        raise InvalidDataType(f"Unknown data type: {text!r}", details=details)
    try:
        return _TypeParser(text, strict=True).parse()
    except _TypeSyntaxError as error:
        if error.unknown:
            raise InvalidDataType(f"Unknown data type: {clip(text)}", details=details) from None
        if error.too_deep:
            details["max_nesting"] = MAX_TYPE_NESTING
        raise InvalidDataType(f"Invalid data type: {clip(text)} ({error.reason})", details=details) from None


def normalize_type(text: str) -> str:
    """The canonical spelling of a client's type: ``decimal(10, 2)`` -> ``DECIMAL(10,2)``."""
    return str(parse_type(text))


def parse_table_type(describe_type: str) -> str:
    """The canonical spelling of a ``DESCRIBE TABLE`` type (``map<string,int>``).

    Never fails: a type this module does not know (``variant``, ``interval day``) comes back
    upper-cased and is then accepted as is by row validation; the warehouse decides. A type
    nested deeper than ``MAX_TYPE_NESTING`` is accepted as is too, in the table's spelling
    (its struct field names keep their case)."""
    return str(table_type(describe_type))


@functools.lru_cache(maxsize=1024)
def table_type(text: str) -> DataType:
    try:
        return _TypeParser(text, strict=False).parse()
    except _TypeSyntaxError as error:
        spelled = " ".join(text.split())
        return DataType(spelled if error.too_deep else spelled.upper(), opaque=True)


def clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
