"""``from_json`` as Spark's JSON reader does it, for DuckDB (a Python function per schema).

DuckDB's own ``from_json`` is kinder than Spark: it reads ``"12"`` into an INT field, rounds
``1.7`` into one, and turns anything that does not fit into NULL whatever the mode. This
reader follows Spark's JacksonParser instead:

- a field takes only the JSON tokens Spark takes for its type (an INT field a JSON integer in
  range, a BOOLEAN field ``true``/``false``, a DOUBLE field a number or ``"NaN"``/``"Infinity"``,
  a DECIMAL a number or a numeric string, rounded half up to its scale, a DATE/TIMESTAMP a
  string, a BINARY field a base64 string, decoded); a STRING field takes any value (a
  non-string as its JSON text);
- PERMISSIVE (the default): a field that does not fit becomes NULL and the rest of its
  record is kept; an array element or a map value that does not fit NULLs the whole array
  or map; a malformed document gives a STRUCT of NULLs (STRUCT schema) or NULL;
- FAILFAST: the statement fails with ``MALFORMED_RECORD_IN_PARSING``.

An empty (or blank) document is NULL in either mode, as in Spark.
"""

from __future__ import annotations

import decimal
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyarrow as pa
from sqlglot import exp

from .errors import LocalWarehouseError, UnsupportedStatement
from .json_schema import JsonType, parse_json_schema
from .json_values import MISFIT, Cause, Converter, Failed, Partial, scalar_converter

PERMISSIVE, FAILFAST = "PERMISSIVE", "FAILFAST"
_RECORD_SHOWN = 200


@dataclass(frozen=True)
class JsonReader:
    """One ``from_json(<json>, '<schema>', <options>)``: the DuckDB function that runs it."""

    schema: str
    mode: str

    @property
    def function_name(self) -> str:
        digest = hashlib.sha1(f"{self.mode}\0{self.schema}".encode(), usedforsecurity=False)
        return f"__uc_from_json_{digest.hexdigest()[:16]}"

    @property
    def json_type(self) -> JsonType:
        return parse_json_schema(self.schema)


def from_json_call(node: exp.FromJson) -> tuple[exp.Expr, JsonReader]:
    """``from_json(json, 'schema'[, map(...)])`` as a call of the reader for that schema and mode."""
    schema = node.expression
    if not isinstance(schema, exp.Literal) or not schema.is_string:
        raise LocalWarehouseError(
            "INVALID_SCHEMA.NON_STRING_LITERAL",
            f'The input schema "{schema.sql(dialect="databricks")}" is not a valid schema string. '
            "The input expression must be string literal and not null.",
            "42K07",
        )
    reader = JsonReader(schema=schema.this, mode=_parse_mode(node.args.get("options")))
    reader.json_type  # noqa: B018 (parsing the schema raises what Spark raises for it)
    text = exp.Cast(this=node.this, to=exp.DataType.build("VARCHAR"))
    call: exp.Expr = exp.Anonymous(this=reader.function_name, expressions=[text])
    if isinstance(node.parent, exp.Select) and node.arg_key == "expressions":
        call = exp.alias_(call, "from_json")  # not the reader function's name
    return call, reader


def _parse_mode(options: exp.Expression | None) -> str:
    """The ``mode`` of ``from_json``'s options (``map('mode', 'FAILFAST')``); PERMISSIVE without."""
    if options is None:
        return PERMISSIVE
    if not isinstance(options, exp.VarMap):
        raise LocalWarehouseError(
            "INVALID_OPTIONS.NON_MAP_FUNCTION", "Must use the `map()` function for options.", "42K06"
        )
    pairs = list(zip(options.args["keys"].expressions, options.args["values"].expressions, strict=True))
    if not all(isinstance(part, exp.Literal) and part.is_string for pair in pairs for part in pair):
        raise LocalWarehouseError(
            "INVALID_OPTIONS.NON_STRING_TYPE",
            "A type of keys and values in `map()` must be string, "
            f"but got {options.sql(dialect='databricks')}.",
            "42K06",
        )
    mode = PERMISSIVE
    for key, value in pairs:
        if key.this.lower() != "mode":
            raise UnsupportedStatement(f"the from_json option {key.this!r} (only 'mode' is implemented)")
        mode = value.this.upper()
    if mode not in (PERMISSIVE, FAILFAST):
        raise LocalWarehouseError(
            "PARSE_MODE_UNSUPPORTED",
            f"The function `from_json` doesn't support the {mode} mode. "
            "Acceptable modes are PERMISSIVE and FAILFAST.",
            "42601",
        )
    return mode


@lru_cache(maxsize=256)
def udf(reader: JsonReader) -> Callable[[pa.Array], pa.Array]:
    """The Arrow function DuckDB calls with a vector of JSON texts."""
    root = reader.json_type
    read = _root_reader(root, reader.mode == FAILFAST)

    def from_json(texts: pa.Array) -> pa.Array:
        return pa.array([read(text) for text in texts.to_pylist()], type=root.arrow)

    return from_json


def _root_reader(root: JsonType, failfast: bool) -> Callable[[str | None], Any]:
    convert = _converter(root)
    null_record = {name: None for name, _ in root.fields} if root.name == "STRUCT" else None
    # Exact digits only where a DECIMAL needs them; floats are faster (and a STRING field keeps
    # a number as a double's text, as Jackson writes it).
    parse_float = decimal.Decimal if "DECIMAL" in root.sql else float

    def read(text: str | None) -> Any:
        if text is None or not text.strip():
            return None
        try:
            document = json.loads(text, parse_float=parse_float, parse_constant=float)
        except ValueError:
            return malformed(text, None, MISFIT)
        try:
            return convert(_root_document(root, document), None)
        except Partial as partial:
            return malformed(text, partial.value, partial.cause)
        except Failed as failed:
            return malformed(text, None, failed.cause)

    def malformed(text: str, partial: Any, cause: Cause) -> Any:
        if failfast:
            raise _malformed_record(text, cause)
        return null_record if partial is None else partial

    return read


def _root_document(root: JsonType, document: Any) -> Any:
    """The document the root converter reads, or ``Failed`` for one Spark refuses at the root."""
    if document is None:
        raise Failed(MISFIT)  # Spark: "the root converter returned null"
    if isinstance(document, list) and root.name == "STRUCT":
        raise Failed(
            Cause("CANNOT_PARSE_JSON_ARRAYS_AS_STRUCTS", "Parsing JSON arrays as structs is forbidden.")
        )
    if isinstance(document, dict) and root.name == "ARRAY" and root.element.name == "STRUCT":
        return [document]  # Spark reads an object as an array of that one struct
    return document


def _malformed_record(text: str, cause: Cause) -> LocalWarehouseError:
    shown = text if len(text) <= _RECORD_SHOWN else text[:_RECORD_SHOWN] + "..."
    message = (
        f"Malformed records are detected in record parsing: {shown}. Parse Mode: {FAILFAST}. "
        "To process malformed records as null result, try setting the option 'mode' as 'PERMISSIVE'."
    )
    return LocalWarehouseError(
        f"MALFORMED_RECORD_IN_PARSING.{cause.detail}",
        f"{message} {cause.message}".strip(),
        "22023",
    )


# -- converters: one per JsonType, each taking a value of json.loads and its field name ------


def _converter(json_type: JsonType) -> Converter:
    name = json_type.name
    if name == "STRUCT":
        return _struct_converter(json_type)
    if name == "ARRAY":
        return _array_converter(_converter(json_type.element))
    if name == "MAP":
        return _map_converter(_converter(json_type.element))
    return scalar_converter(json_type)


def _container(kind: type, read: Converter) -> Converter:
    """The converter of a STRUCT or MAP (``kind`` dict) or an ARRAY (list): NULL stays NULL, a
    JSON value of another kind does not fit, and ``read`` reads the others."""

    def convert(value: Any, field: str | None) -> Any:
        if value is None:
            return None
        if not isinstance(value, kind):
            raise Failed(MISFIT)
        return read(value, field)

    return convert


def _struct_converter(json_type: JsonType) -> Converter:
    fields = [(name, _converter(t)) for name, t in json_type.fields]

    def read(value: dict[str, Any], field: str | None) -> Any:
        record: dict[str, Any] = {}
        cause = None
        for name, convert_field in fields:
            try:
                record[name] = convert_field(value.get(name), name)
            except Partial as partial:
                record[name], cause = partial.value, cause or partial.cause
            except Failed as failed:
                record[name], cause = None, cause or failed.cause
        if cause:
            raise Partial(record, cause)
        return record

    return _container(dict, read)


def _array_converter(convert_element: Converter) -> Converter:
    return _container(list, lambda value, field: _items(convert_element, [(item, field) for item in value]))


def _map_converter(convert_value: Converter) -> Converter:
    def read(value: dict[str, Any], field: str | None) -> Any:
        keys = list(value)
        try:
            return list(zip(keys, _items(convert_value, [(value[k], k) for k in keys]), strict=True))
        except Partial as partial:
            raise Partial(list(zip(keys, partial.value, strict=True)), partial.cause) from None

    return _container(dict, read)


def _items(convert: Converter, values: list[tuple[Any, str | None]]) -> list[Any]:
    """The elements of an ARRAY or the values of a MAP, converted in order. One that does not
    fit fails them all (``Failed``); a partly read STRUCT among them is kept and the whole is
    ``Partial`` (as Spark's convertArray and convertMap do)."""
    converted, cause = [], None
    for value, name in values:
        try:
            converted.append(convert(value, name))
        except Partial as partial:
            converted.append(partial.value)
            cause = cause or partial.cause
    if cause:
        raise Partial(converted, cause)
    return converted
