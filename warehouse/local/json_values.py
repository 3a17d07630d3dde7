"""The values of JSON fields as Spark's JSON reader takes them, one converter per scalar type.

A converter takes a value as ``json.loads`` gives it (a JSON number with a fraction or an
exponent as ``float``, or as ``Decimal`` for a schema with a DECIMAL; ``NaN`` and ``Infinity``
tokens as ``float``) and the name of its field, and returns the value of the field's type or
raises ``Failed`` (Spark's JacksonParser does not take that token for that type); ``Partial``
is the STRUCT, ARRAY or MAP that holds such a field (``json_reader``).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .json_schema import JsonType

_INT_RANGES = {"TINYINT": 8, "SMALLINT": 16, "INT": 32, "BIGINT": 64}
_NON_NUMERIC = {"NaN": math.nan, "+INF": math.inf, "+Infinity": math.inf, "Infinity": math.inf}
_NON_NUMERIC |= {"-INF": -math.inf, "-Infinity": -math.inf}
# Spark's stringToDate: yyyy, yyyy-[m]m, yyyy-[m]m-[d]d, then anything after " " or "T".
_DATE = re.compile(r"\s*([+-]?\d{4,7})(?:-(\d{1,2})(?:-(\d{1,2})(?:[ T].*)?)?)?\s*", re.DOTALL)


@dataclass(frozen=True)
class Cause:
    """Why a value does not fit; ``detail`` is Spark's sub-class of MALFORMED_RECORD_IN_PARSING."""

    detail: str = "WITHOUT_SUGGESTION"
    message: str = ""


class Failed(Exception):
    """A value that does not fit its type (control flow, as in Spark's JacksonParser)."""

    def __init__(self, cause: Cause) -> None:
        super().__init__(cause.detail)
        self.cause = cause


class Partial(Exception):
    """A STRUCT, ARRAY or MAP read with some fields NULLed: ``value`` is what was read."""

    def __init__(self, value: Any, cause: Cause) -> None:
        super().__init__(cause.detail)
        self.value = value
        self.cause = cause


MISFIT = Cause()
Converter = Callable[[Any, str | None], Any]


def scalar_converter(json_type: JsonType) -> Converter:
    """The converter of a type that is not a STRUCT, ARRAY or MAP."""
    if json_type.name == "DECIMAL":
        return _decimal_converter(json_type)
    if json_type.name in _INT_RANGES:
        return _integer_converter(_INT_RANGES[json_type.name])
    if json_type.name in ("FLOAT", "DOUBLE"):
        return _floating_converter(json_type)
    return _SIMPLE[json_type.name]


def _integer_converter(bits: int) -> Converter:
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def convert(value: Any, field: str | None) -> Any:
        if value is None or (type(value) is int and low <= value <= high):
            return value
        raise Failed(MISFIT)

    return convert


def _floating_converter(json_type: JsonType) -> Converter:
    def convert(value: Any, field: str | None) -> Any:
        if value is None or type(value) is float:  # also the NaN and Infinity tokens
            return value
        if type(value) is int or isinstance(value, decimal.Decimal):
            return _to_float(value)
        if isinstance(value, str) and value:
            if value in _NON_NUMERIC:
                return _NON_NUMERIC[value]
            message = (
                f"Cannot parse the value {_sql_string(value)} of the field `{field}` as target spark "
                f'data type "{json_type.sql}" from the input type "STRING".'
            )
            raise Failed(Cause("CANNOT_PARSE_STRING_AS_DATATYPE", message))
        raise Failed(MISFIT)

    return convert


def _to_float(value: int | decimal.Decimal) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer beyond a double: Jackson reads it as an infinity
        return math.inf if value > 0 else -math.inf


def _decimal_converter(json_type: JsonType) -> Converter:
    quantum = decimal.Decimal(1).scaleb(-json_type.scale)
    limit = decimal.Decimal(10) ** (json_type.precision - json_type.scale)

    def convert(value: Any, field: str | None) -> Any:
        if value is None:
            return None
        if isinstance(value, str) and value:
            value = _decimal_text(value)
        if type(value) is int or (isinstance(value, decimal.Decimal) and value.is_finite()):
            number = decimal.Decimal(value)
            if abs(number) < limit:  # then rounding to the scale needs at most 40 digits
                with decimal.localcontext(prec=40):
                    rounded = number.quantize(quantum, rounding=decimal.ROUND_HALF_UP)
                if abs(rounded) < limit:
                    return rounded
        raise Failed(MISFIT)

    return convert


def _decimal_text(text: str) -> decimal.Decimal | None:
    """A numeric string as Spark's decimal parser (en-US) reads it: grouping commas dropped."""
    if text != text.strip():
        return None
    try:
        return decimal.Decimal(text.replace(",", ""))
    except decimal.InvalidOperation:
        return None


def _boolean(value: Any, field: str | None) -> Any:
    if value is None or value is True or value is False:
        return value
    raise Failed(MISFIT)


def _string(value: Any, field: str | None) -> Any:
    if value is None or isinstance(value, str):
        return value
    return _json_text(value)


def _json_text(value: Any) -> str:
    """A non-string JSON value as the text a STRING field keeps (compact, like Jackson)."""
    if isinstance(value, dict):
        items = (json.dumps(k, ensure_ascii=False) + ":" + _json_text(v) for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json_text(v) for v in value) + "]"
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return json.dumps(value, ensure_ascii=False)


def _date(value: Any, field: str | None) -> Any:
    if value is None:
        return None
    if isinstance(value, str) and (match := _DATE.fullmatch(value)):
        try:
            year, month, day = (int(part) if part else 1 for part in match.groups())
            return datetime.date(year, month, day)
        except ValueError:
            pass
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        # Spark 1.5 stored dates as days since the epoch in a string; Spark still reads those.
        try:
            return datetime.date(1970, 1, 1) + datetime.timedelta(days=int(value))
        except OverflowError:
            pass
    raise Failed(MISFIT)


def _timestamp(value: Any, field: str | None) -> Any:
    if value is None:
        return None
    if type(value) is int:  # seconds since the epoch
        try:
            return datetime.datetime.fromtimestamp(value, tz=datetime.UTC)
        except (OverflowError, OSError, ValueError):
            raise Failed(MISFIT) from None
    parsed = _datetime(value)
    if parsed is None:
        raise Failed(MISFIT)
    # A time without a zone is in the session time zone (UTC).
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _timestamp_ntz(value: Any, field: str | None) -> Any:
    if value is None:
        return None
    parsed = _datetime(value)
    if parsed is None or parsed.tzinfo is not None:
        raise Failed(MISFIT)
    return parsed


def _datetime(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def _binary(value: Any, field: str | None) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            pass
    raise Failed(MISFIT)


def _sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


_SIMPLE: dict[str, Converter] = {
    "BOOLEAN": _boolean,
    "STRING": _string,
    "DATE": _date,
    "TIMESTAMP": _timestamp,
    "TIMESTAMP_NTZ": _timestamp_ntz,
    "BINARY": _binary,
}
