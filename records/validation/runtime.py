"""The run-time helpers that generated row-checking code calls (``RUNTIME``), and ``InvalidValue``.

Helpers do only the work a value needs anyway (parsing a decimal, a date, a timestamp,
base64) and answer ``BAD`` for a value they cannot accept.
"""

from __future__ import annotations

import base64
import binascii
import decimal
import functools
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from ..tables import is_audit_column
from .types import clip

_BAD = object()  # a helper's answer for a value it cannot accept
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# Room for 38 digits and any scale; an exponent beyond it is an InvalidOperation, not a hang.
_DECIMAL_CONTEXT = decimal.Context(prec=80, Emax=200, Emin=-200, traps=[decimal.InvalidOperation])
_SCALES = [decimal.Decimal(1).scaleb(-scale) for scale in range(39)]


def _decimal(value: Any, precision: int, scale: int) -> Any:
    """The value as a DECIMAL(precision, scale) string, exact (never rounded), or ``_BAD``."""
    kind = type(value)
    if kind is str and len(value) <= 100 and _DECIMAL_TEXT.fullmatch(value):
        number = decimal.Decimal(value)
    elif kind is int or (kind is float and value - value == 0):  # finite floats only
        number = decimal.Decimal(repr(value) if kind is float else value)
    else:
        return _BAD
    try:
        quantized = number.quantize(_SCALES[scale], context=_DECIMAL_CONTEXT)
    except decimal.InvalidOperation:
        return _BAD
    if quantized != number or (quantized and quantized.adjusted() >= precision - scale):
        return _BAD
    return format(quantized, "f")


@functools.lru_cache(maxsize=64)
def decimal_checker(precision: int, scale: int) -> Callable[[Any], Any]:
    """``_decimal`` for one DECIMAL type, with a fast path for plain ``-123.4`` text and ints."""
    whole = precision - scale
    digits = "0" if whole == 0 else f"(?:0|[1-9][0-9]{{0,{whole - 1}}})"
    plain = re.compile(f"-?{digits}(?:\\.([0-9]{{0,{scale}}}))?").fullmatch
    bound, zeros = 10**whole, "0" * scale

    def check(value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is float:
            text: str = value if kind is str else repr(value)
            match = plain(text)
            if match is not None:
                fraction = match.group(1)
                if fraction is None:
                    return f"{text}.{zeros}" if scale else text
                return text + zeros[len(fraction) :] if scale else text[:-1]
        elif kind is int and -bound < value < bound:
            return f"{value}.{zeros}" if scale else str(value)
        return _decimal(value, precision, scale)

    return check


def _date(value: str, _match: Callable[[str], Any] = _DATE_TEXT.fullmatch) -> Any:
    if _match(value) is None:
        return _BAD
    try:
        date.fromisoformat(value)
    except ValueError:
        return _BAD
    return value  # already YYYY-MM-DD


def _timestamp(value: str) -> Any:
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC).isoformat()  # a naive timestamp means UTC
        if moment.tzinfo is not UTC:
            moment = moment.astimezone(UTC)
        return moment.isoformat()
    except (ValueError, OverflowError):
        return _BAD


def _timestamp_ntz(value: str) -> Any:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return _BAD
    return _BAD if moment.tzinfo is not None else moment.isoformat()


def _base64(value: str) -> Any:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return _BAD
    return value


def _int_key(key: Any) -> Any:
    return int(key) if type(key) is str and _INTEGER_TEXT.fullmatch(key) else key


def _number_key(key: Any) -> Any:
    return float(key) if type(key) is str and _DECIMAL_TEXT.fullmatch(key) else key


def _bool_key(key: Any) -> Any:
    return {"true": True, "false": False}.get(key, key) if type(key) is str else key


def _key_text(key: Any) -> str:
    return ("true" if key else "false") if type(key) is bool else str(key)


def got_type(expects: str, value: Any) -> str:
    return f"expects {expects}, got {'null' if value is None else type(value).__name__}"


def _got_value(expects: str, value: Any) -> str:
    if type(value) not in (int, float, str):
        return got_type(expects, value)
    return f"expects {expects}, got {clip(repr(value), 60)}"


def _got_length(expects: str, value: str) -> str:
    return f"expects {expects}, got {len(value)} characters"


def _fold(obj: dict[Any, Any], by_lower: Mapping[str, str]) -> tuple[dict[str, Any] | None, str]:
    """``obj`` with its keys spelled as declared (names are case-insensitive), or the problem."""
    folded: dict[str, Any] = {}
    for key, value in obj.items():
        name = by_lower.get(key.lower()) if isinstance(key, str) else None
        if name is None:
            return None, f"has unknown field '{clip(str(key))}'"
        if name in folded:
            return None, f"has field '{name}' twice (names are case-insensitive)"
        folded[name] = value
    return folded, ""


class InvalidValue(Exception):
    """Raised by generated code: where the first bad value is, and what is wrong with it."""

    def __init__(self, index: int, column: str | None, path: tuple[Any, ...], problem: str) -> None:
        super().__init__(problem)
        self.index, self.column, self.path, self.problem = index, column, path, problem

    def describe(self, record: str | None) -> str:
        """The message; ``record`` (``"Record {index}"``) says which row, unless ``None``."""
        where = record.format(index=self.index) + ": " if record else ""
        if self.column is None:
            return where + self.problem
        steps = "".join(
            _STEPS[kind].format(clip(str(step)))
            for kind, step in zip(self.path[::2], self.path[1::2], strict=True)
        )
        return f"{where}Column '{self.column}'{steps} {self.problem}"


_STEPS = {
    "element": " element {}",
    "field": " field '{}'",
    "key": " key '{}'",
    "value": " value for key '{}'",
}


def _fold_row(index: int, row: dict[Any, Any], by_lower: Mapping[str, str]) -> dict[str, Any]:
    """The row with declared column spellings; unknown and audit columns are errors."""
    folded: dict[str, Any] = {}
    for key, value in row.items():
        name = by_lower.get(key.lower()) if isinstance(key, str) else None
        if name is None:
            if is_audit_column(key):
                raise InvalidValue(index, str(key), (), "is set by the service and cannot be written")
            raise InvalidValue(index, None, (), f"Unknown column '{clip(str(key))}'")
        if name in folded:
            raise InvalidValue(
                index, None, (), f"Column '{name}' is given twice (column names are case-insensitive)"
            )
        folded[name] = value
    return folded


_HELPERS = (_fold, _fold_row, got_type, _got_value, _got_length, _date, _timestamp, _timestamp_ntz, _base64)
_KEY_HELPERS = (_int_key, _number_key, _bool_key, _key_text)

# The names generated code may use, and nothing else: each helper as ``_<its name>``.
RUNTIME: dict[str, Any] = {
    "_BAD": _BAD,
    "_Invalid": InvalidValue,
    **{"_" + helper.__name__.lstrip("_"): helper for helper in (*_HELPERS, *_KEY_HELPERS)},
}
