"""Checks that need no warehouse: identifiers, Databricks data types, rows against a schema.

Rows are checked by Python source generated once per schema (``compile_row_validator``,
cached): the schema is interpreted when the source is built, so each row runs straight-line
type checks with no lookups by type name. Helpers do only the work a value needs anyway
(parsing a decimal, a date, a timestamp, base64).

Only the first problem is reported, in the original service's words: ``Schema validation
failed: Record 0: Column 'order_id' expects integer, got str``.
"""

from __future__ import annotations

import base64
import binascii
import decimal
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from project.exceptions import ApiError

from .datatypes import (
    DOUBLE_MAX,
    FLOAT_MAX,
    INTEGER_RANGES,
    DataType,
    InvalidDataType,
    _table_type,
    clip,
    normalize_type,
)
from .tables import AUDIT_COLUMN_NAMES, IDENTIFIER, Column

# Unity Catalog names are at most 255 characters; the Job model stores them in 255.
MAX_IDENTIFIER_LENGTH = 255


class InvalidIdentifier(ApiError):
    """A catalog, schema, table or column name outside ``^[A-Za-z_][A-Za-z0-9_]*$``."""

    def __init__(self, value: str, what: str = "identifier") -> None:
        super().__init__(f"Invalid identifier: {clip(value, 300)}")  # the value is echoed: keep it short
        self.what = what


class InvalidSchemaDefinition(ApiError):
    """A schema_definition that is empty, repeats a column or names an audit column."""


class SchemaValidationError(ApiError):
    """A row, update or key value that does not fit the table's columns."""


def validate_identifier(value: str, what: str) -> str:
    """``value`` if it is a valid identifier; else ``InvalidIdentifier`` (``what`` names the field)."""
    if not isinstance(value, str) or len(value) > MAX_IDENTIFIER_LENGTH or not IDENTIFIER.fullmatch(value):
        raise InvalidIdentifier(str(value), what)
    return value


def parse_schema_definition(items: Iterable[Mapping[str, Any]]) -> tuple[Column, ...]:
    """Columns from the seed's ``schema_definition`` (``name``, ``data_type``, ``nullable``).

    Names must be identifiers, unique (case-insensitively) and not audit columns, which the
    service adds itself; types are normalized."""
    columns: list[Column] = []
    seen: set[str] = set()
    for item in items:
        name = validate_identifier(item.get("name", ""), "column")
        if name.lower() in AUDIT_COLUMN_NAMES:
            raise InvalidSchemaDefinition(
                f"Column '{name}' is an audit column the service adds; remove it from schema_definition",
                details={"column": name, "audit_columns": sorted(AUDIT_COLUMN_NAMES)},
            )
        if name.lower() in seen:
            raise InvalidSchemaDefinition(f"Duplicate column name: '{name}'", details={"column": name})
        seen.add(name.lower())
        try:
            data_type = normalize_type(item.get("data_type", ""))
        except InvalidDataType as error:
            raise InvalidDataType(error.message, details={"column": name, **error.details}) from None
        nullable = item.get("nullable", True)
        if not isinstance(nullable, bool):
            raise InvalidSchemaDefinition(f"Column '{name}': nullable must be true or false")
        columns.append(Column(name, data_type, nullable))
    if not columns:
        raise InvalidSchemaDefinition("schema_definition must list at least one column")
    return tuple(columns)


def expected_schema(columns: Iterable[Column]) -> list[dict[str, Any]]:
    """``details.expected_schema`` of a schema error, as the seed shows it."""
    return [{"name": c.name, "type": c.data_type, "nullable": c.nullable} for c in columns]


# --- values: run-time helpers of the generated code ------------------------------------------

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
def _decimal_checker(precision: int, scale: int) -> Callable[[Any], Any]:
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


def _got_type(expects: str, value: Any) -> str:
    return f"expects {expects}, got {'null' if value is None else type(value).__name__}"


def _got_value(expects: str, value: Any) -> str:
    if type(value) not in (int, float, str):
        return _got_type(expects, value)
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


class _Invalid(Exception):
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
            if str(key).lower() in AUDIT_COLUMN_NAMES:
                raise _Invalid(index, str(key), (), "is set by the service and cannot be written")
            raise _Invalid(index, None, (), f"Unknown column '{clip(str(key))}'")
        if name in folded:
            raise _Invalid(
                index, None, (), f"Column '{name}' is given twice (column names are case-insensitive)"
            )
        folded[name] = value
    return folded


# The names generated code may use, and nothing else.
_RUNTIME: dict[str, Any] = {
    "_BAD": _BAD,
    "_Invalid": _Invalid,
    "_fold": _fold,
    "_fold_row": _fold_row,
    "_got_type": _got_type,
    "_got_value": _got_value,
    "_got_length": _got_length,
    "_date": _date,
    "_timestamp": _timestamp,
    "_timestamp_ntz": _timestamp_ntz,
    "_base64": _base64,
    "_int_key": _int_key,
    "_number_key": _number_key,
    "_bool_key": _bool_key,
    "_key_text": _key_text,
}


# --- the generated checker -------------------------------------------------------------------


class _Source:
    """Python source being generated, and the names it refers to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = dict(_RUNTIME)
        self.count = itertools.count(1)

    def line(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def local(self, prefix: str) -> str:
        return f"{prefix}{next(self.count)}"

    def constant(self, value: Any) -> str:
        name = self.local("_k")
        self.namespace[name] = value
        return name


@dataclass(frozen=True)
class _Where:
    """Where a value sits, as source: the row's column and the steps inside it."""

    column: str
    steps: tuple[str, ...] = ()

    def then(self, kind: str, step: str) -> _Where:
        return _Where(self.column, (*self.steps, repr(kind), step))

    def fail(self, problem: str) -> str:
        """A raise statement; ``problem`` is an expression evaluated only when it runs."""
        steps = "".join(f"{step}, " for step in self.steps)
        return f"raise _Invalid(_i, {self.column!r}, ({steps}), {problem})"

    def check(self, failed: str, helper: str, expects: str, value: str) -> str:
        """``if <failed>: raise`` with the message ``helper(expects, value)`` builds."""
        return f"if {failed}: {self.fail(f'{helper}({expects!r}, {value})')}"


# Each emitter writes code checking the local ``value`` (never None) and returns the
# expression of its JSON form.
Emitter = Callable[["_Source", DataType, str, _Where, int], str]


def _emit(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    if kind.opaque:
        return value
    return _EMITTERS[kind.name](src, kind, value, where, depth)


def _emit_integer(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    low, high = INTEGER_RANGES[kind.name]
    src.line(depth, where.check(f"type({value}) is not int", "_got_type", "integer", value))
    expects = f"{kind.name} between {low} and {high}"
    src.line(depth, where.check(f"not {low} <= {value} <= {high}", "_got_value", expects, value))
    return value


def _emit_number(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    limit, expects = (
        (FLOAT_MAX, "finite FLOAT (at most 3.4e38)")
        if kind.name == "FLOAT"
        else (DOUBLE_MAX, "finite number")
    )
    src.line(
        depth,
        where.check(f"type({value}) is not float and type({value}) is not int", "_got_type", "number", value),
    )
    src.line(depth, where.check(f"not {-limit!r} <= {value} <= {limit!r}", "_got_value", expects, value))
    return value


def _emit_string(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    expects = f"string of at most {kind.args[0]} characters" if kind.args else "string"
    src.line(depth, where.check(f"type({value}) is not str", "_got_type", expects, value))
    if kind.args:
        src.line(depth, where.check(f"len({value}) > {kind.args[0]}", "_got_length", expects, value))
    return value


def _emit_boolean(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    src.line(depth, where.check(f"type({value}) is not bool", "_got_type", "boolean", value))
    return value


def _emit_decimal(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    precision, scale = kind.args
    out, checker = src.local("d"), src.constant(_decimal_checker(precision, scale))
    src.line(depth, f"{out} = {checker}({value})")
    src.line(depth, where.check(f"{out} is _BAD", "_got_value", f"decimal({precision},{scale})", value))
    return out


_PARSED_STRINGS = {
    "DATE": ("_date", "date (YYYY-MM-DD)"),
    "TIMESTAMP": ("_timestamp", "timestamp (ISO 8601)"),
    "TIMESTAMP_NTZ": ("_timestamp_ntz", "timestamp without time zone (ISO 8601)"),
    "BINARY": ("_base64", "base64 string"),
}


def _emit_parsed_string(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    helper, expects = _PARSED_STRINGS[kind.name]
    out = src.local("s")
    src.line(depth, where.check(f"type({value}) is not str", "_got_type", expects, value))
    src.line(depth, f"{out} = {helper}({value})")
    src.line(depth, where.check(f"{out} is _BAD", "_got_value", expects, value))
    return out


def _emit_array(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    out, index, item = src.local("a"), src.local("i"), src.local("e")
    src.line(depth, where.check(f"type({value}) is not list", "_got_type", "array", value))
    src.line(depth, f"{out} = []")
    src.line(depth, f"for {index}, {item} in enumerate({value}):")
    src.line(depth + 1, f"if {item} is None:")
    src.line(depth + 2, f"{out}.append(None)")
    src.line(depth + 1, "else:")
    element = _emit(src, kind.fields[0][1], item, where.then("element", index), depth + 2)
    src.line(depth + 2, f"{out}.append({element})")
    return out


# A JSON object's keys are strings: these turn them into the value a key type checks.
_KEY_CONVERSIONS = {
    **dict.fromkeys(INTEGER_RANGES, "_int_key"),
    "DOUBLE": "_number_key",
    "FLOAT": "_number_key",
    "BOOLEAN": "_bool_key",
}


def _emit_map(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    (_, key_kind), (_, value_kind) = kind.fields
    out, key, item = src.local("m"), src.local("k"), src.local("v")
    src.line(depth, where.check(f"type({value}) is not dict", "_got_type", "map (object)", value))
    src.line(depth, f"{out} = {{}}")
    src.line(depth, f"for {key}, {item} in {value}.items():")
    converted = key
    if key_kind.name in _KEY_CONVERSIONS:
        converted = src.local("c")
        src.line(depth + 1, f"{converted} = {_KEY_CONVERSIONS[key_kind.name]}({key})")
    new_key = _emit(src, key_kind, converted, where.then("key", key), depth + 1)
    if not (key_kind.name in ("STRING", "VARCHAR", "CHAR") or key_kind.opaque):
        # Keys that normalize ("1" and "01" of an INT key) may collide.
        text = src.local("t")
        src.line(depth + 1, f"{text} = _key_text({new_key})")
        src.line(depth + 1, f"if {text} in {out}: {where.then('key', key).fail(repr('repeats another key'))}")
        new_key = text
    src.line(depth + 1, f"if {item} is None:")
    src.line(depth + 2, f"{out}[{new_key}] = None")
    src.line(depth + 1, "else:")
    checked = _emit(src, value_kind, item, where.then("value", key), depth + 2)
    src.line(depth + 2, f"{out}[{new_key}] = {checked}")
    return out


def _emit_struct(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    out, obj, problem = src.local("r"), src.local("o"), src.local("p")
    names = src.constant(frozenset(name for name, _ in kind.fields))
    by_lower = src.constant({name.lower(): name for name, _ in kind.fields})
    src.line(depth, where.check(f"type({value}) is not dict", "_got_type", "struct (object)", value))
    src.line(depth, f"{obj} = {value}")
    src.line(depth, f"if not {obj}.keys() <= {names}:")
    src.line(depth + 1, f"{obj}, {problem} = _fold({obj}, {by_lower})")
    src.line(depth + 1, f"if {obj} is None: {where.fail(problem)}")
    src.line(depth, f"{out} = {{}}")
    for name, field_kind in kind.fields:
        item = src.local("f")
        src.line(depth, f"if {name!r} in {obj}:")
        src.line(depth + 1, f"{item} = {obj}[{name!r}]")
        src.line(depth + 1, f"if {item} is None:")
        src.line(depth + 2, f"{out}[{name!r}] = None")
        src.line(depth + 1, "else:")
        checked = _emit(src, field_kind, item, where.then("field", repr(name)), depth + 2)
        src.line(depth + 2, f"{out}[{name!r}] = {checked}")
    return out


_EMITTERS: dict[str, Emitter] = {
    **dict.fromkeys(INTEGER_RANGES, _emit_integer),
    "DOUBLE": _emit_number,
    "FLOAT": _emit_number,
    "DECIMAL": _emit_decimal,
    "STRING": _emit_string,
    "VARCHAR": _emit_string,
    "CHAR": _emit_string,
    "BOOLEAN": _emit_boolean,
    **dict.fromkeys(_PARSED_STRINGS, _emit_parsed_string),
    "ARRAY": _emit_array,
    "MAP": _emit_map,
    "STRUCT": _emit_struct,
}


def _emit_column(src: _Source, column: Column, *, partial: bool) -> None:
    name, where = column.name, _Where(column.name)
    if column.nullable or partial:
        src.line(2, f"if {name!r} in row:")
        src.line(3, f"v = row[{name!r}]")
        src.line(3, "if v is None:")
        if column.nullable:
            src.line(4, f"out[{name!r}] = None")
        else:
            src.line(4, where.fail(repr("cannot be null")))
        src.line(3, "else:")
        depth = 4
    else:
        src.line(2, f"v = row.get({name!r})")
        src.line(2, f"if v is None: {where.fail(repr('is required'))}")
        depth = 2
    checked = _emit(src, _table_type(column.data_type), "v", where, depth)
    src.line(depth, f"out[{name!r}] = {checked}")


def _generate(
    columns: tuple[Column, ...], *, partial: bool
) -> tuple[str, Callable[[Sequence[Any]], list[Any]]]:
    src = _Source()
    names = src.constant(frozenset(column.name for column in columns))
    by_lower = src.constant({column.name.lower(): column.name for column in columns})
    src.line(0, "def check_rows(rows):")
    src.line(1, "checked = []")
    src.line(1, "for _i, row in enumerate(rows):")
    src.line(2, "if type(row) is not dict: raise _Invalid(_i, None, (), _got_type('an object', row))")
    src.line(2, f"if not row.keys() <= {names}: row = _fold_row(_i, row, {by_lower})")
    src.line(2, "out = {}")
    for column in columns:
        _emit_column(src, column, partial=partial)
    src.line(2, "checked.append(out)")
    src.line(1, "return checked")
    source = "\n".join(src.lines) + "\n"
    # Safe to exec: the source is built here from the schema alone. Names appear only as
    # repr() literals, numbers are ints from the type parser, and no row value is ever in it.
    exec(compile(source, "<row validator>", "exec"), src.namespace)  # noqa: S102
    return source, src.namespace["check_rows"]


class RowValidator:
    """Checks rows against one schema with code generated for it; call it with the rows.

    Answers the rows ready for the warehouse's ``from_json``: integers, floats, strings and
    booleans as given, DECIMAL as a string with the column's scale, DATE as ``YYYY-MM-DD``,
    TIMESTAMP as ISO 8601 in UTC with its offset (naive means UTC), TIMESTAMP_NTZ as ISO
    8601 without offset, BINARY as the (checked) base64 text, ARRAY a list, MAP and STRUCT
    dicts; a column absent from a row stays absent, an explicit null stays null. Column names
    match case-insensitively and come back spelled as declared. Audit columns in the schema
    are not writable (unless ``audit_writable``). With ``partial`` (update values) a required
    column may be absent, but not null.
    """

    def __init__(
        self, columns: tuple[Column, ...], *, partial: bool = False, audit_writable: bool = False
    ) -> None:
        self.columns = columns
        self.writable = tuple(
            c for c in columns if audit_writable or c.name.lower() not in AUDIT_COLUMN_NAMES
        )
        self.source, self._check = _generate(self.writable, partial=partial)

    def __call__(self, rows: Sequence[Any], *, record: str | None = "Record {index}") -> list[dict[str, Any]]:
        """The normalized rows, or ``SchemaValidationError`` for the first bad value.

        ``record`` labels the row in the message (``Record 3: ...``); ``None`` leaves it out."""
        try:
            return self._check(rows)
        except _Invalid as error:
            message = f"Schema validation failed: {error.describe(record)}"
            raise SchemaValidationError(
                message, details={"expected_schema": expected_schema(self.writable)}
            ) from None


def compile_row_validator(
    columns: Iterable[Column], *, partial: bool = False, audit_writable: bool = False
) -> RowValidator:
    """The validator of these columns, generated once per schema and then reused."""
    return _compiled(tuple(columns), partial, audit_writable)


@functools.lru_cache(maxsize=256)
def _compiled(columns: tuple[Column, ...], partial: bool, audit_writable: bool) -> RowValidator:
    return RowValidator(columns, partial=partial, audit_writable=audit_writable)


def validate_rows(columns: Iterable[Column], rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows to insert, checked against the columns and normalized (``RowValidator``)."""
    return compile_row_validator(columns)(rows)


def validate_update_values(
    columns: Iterable[Column], updates: Mapping[str, Any], *, label: str | None = None
) -> dict[str, Any]:
    """One ``updates`` object checked against the table's columns and normalized.

    Required columns may be left out but not set to null; ``label`` (``"bulk_updates[2]"``)
    prefixes the message."""
    return compile_row_validator(columns, partial=True)([updates], record=label)[0]


def validate_key_values(column: Column, values: Sequence[Any]) -> list[Any]:
    """Key values (``key_value``, ``key_values``, bulk keys) checked against the key column
    and normalized; null is never a key. The key may be an audit column (``record_uuid``)."""
    key = Column(column.name, column.data_type, nullable=False)
    validator = compile_row_validator((key,), partial=True, audit_writable=True)
    return [row[key.name] for row in validator([{key.name: value} for value in values], record="Key {index}")]


def check_rows_shape(rows: Sequence[Any]) -> None:
    """Without a schema: every row an object that sets no audit column (exact names; other
    spellings are caught when the rows meet the table's columns)."""
    for index, row in enumerate(rows):
        if type(row) is not dict:
            raise SchemaValidationError(
                f"Schema validation failed: Record {index}: {_got_type('an object', row)}"
            )
        if not AUDIT_COLUMN_NAMES.isdisjoint(row):
            name = sorted(AUDIT_COLUMN_NAMES.intersection(row))[0]
            problem = f"Column '{name}' is set by the service and cannot be written"
            raise SchemaValidationError(f"Schema validation failed: Record {index}: {problem}")


def check_update_names(updates: Mapping[str, Any]) -> Mapping[str, Any]:
    """Update keys are identifiers and not audit columns (values are checked against the table later)."""
    for name in updates:
        validate_identifier(name, "column")
        if name.lower() in AUDIT_COLUMN_NAMES:
            message = f"Schema validation failed: Column '{name}' is set by the service and cannot be written"
            raise SchemaValidationError(message)
    return updates
