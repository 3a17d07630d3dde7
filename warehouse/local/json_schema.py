"""The schema of a ``from_json`` call: a Spark type, checked as Spark checks it.

``parse_json_schema('ARRAY<STRUCT<a: INT>>')`` gives a ``JsonType`` that knows its DuckDB type
(the return type of the reader function), its Arrow type (what the reader builds) and its
Spark SQL name (for messages). Spark accepts a STRUCT, ARRAY or MAP at the top (a bare field
list ``a INT, b STRING`` is a STRUCT), map keys of type STRING only, and no CHAR/VARCHAR.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pyarrow as pa
from sqlglot import exp

from .errors import LocalWarehouseError, UnsupportedStatement
from .types import parse_type

T = exp.DataType.Type

# Spark type name -> Arrow type, for the scalar types a JSON field can have.
_ARROW: dict[str, pa.DataType] = {
    "BOOLEAN": pa.bool_(),
    "TINYINT": pa.int8(),
    "SMALLINT": pa.int16(),
    "INT": pa.int32(),
    "BIGINT": pa.int64(),
    "FLOAT": pa.float32(),
    "DOUBLE": pa.float64(),
    "STRING": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),
    "TIMESTAMP_NTZ": pa.timestamp("us"),
    "BINARY": pa.binary(),
}

_SQLGLOT_NAMES = {
    T.BOOLEAN: "BOOLEAN",
    T.TINYINT: "TINYINT",
    T.SMALLINT: "SMALLINT",
    T.INT: "INT",
    T.BIGINT: "BIGINT",
    T.FLOAT: "FLOAT",
    T.DOUBLE: "DOUBLE",
    T.TEXT: "STRING",
    T.DATE: "DATE",
    T.TIMESTAMPTZ: "TIMESTAMP",
    T.TIMESTAMPLTZ: "TIMESTAMP",
    T.TIMESTAMPNTZ: "TIMESTAMP_NTZ",
    T.BINARY: "BINARY",
}


@dataclass(frozen=True)
class JsonType:
    """A Spark type of a ``from_json`` schema (``fields``: a STRUCT's, or an ARRAY's element
    as ``element``, or a MAP's value as ``value``)."""

    name: str  # BOOLEAN ... BINARY, DECIMAL, ARRAY, MAP, STRUCT
    fields: tuple[tuple[str, JsonType], ...] = ()
    precision: int = 0
    scale: int = 0

    @property
    def element(self) -> JsonType:
        return self.fields[0][1]

    @cached_property
    def sql(self) -> str:
        """As Spark names it in messages: ``INT``, ``DECIMAL(10,0)``, ``STRUCT<`a`: INT>``."""
        if self.name == "DECIMAL":
            return f"DECIMAL({self.precision},{self.scale})"
        if self.name == "ARRAY":
            return f"ARRAY<{self.element.sql}>"
        if self.name == "MAP":
            return f"MAP<STRING, {self.element.sql}>"
        if self.name == "STRUCT":
            quoted = ("`" + name.replace("`", "``") + f"`: {t.sql}" for name, t in self.fields)
            return "STRUCT<" + ", ".join(quoted) + ">"
        return self.name

    @cached_property
    def duckdb(self) -> str:
        """The DuckDB type (sqlglot's translation of ``sql``, TIMESTAMP into TIMESTAMPTZ, ...)."""
        return exp.DataType.build(self.sql, dialect="databricks").sql(dialect="duckdb")

    @cached_property
    def arrow(self) -> pa.DataType:
        if self.name == "DECIMAL":
            return pa.decimal128(self.precision, self.scale)
        if self.name == "ARRAY":
            return pa.list_(self.element.arrow)
        if self.name == "MAP":
            return pa.map_(pa.string(), self.element.arrow)
        if self.name == "STRUCT":
            return pa.struct([pa.field(name, t.arrow) for name, t in self.fields])
        return _ARROW[self.name]


def parse_json_schema(text: str) -> JsonType:
    """The ``JsonType`` of a ``from_json`` schema string; raises what Spark raises for it."""
    try:
        data_type = parse_type(text)
    except LocalWarehouseError as error:
        try:  # Spark also reads a bare field list ("a INT, b STRING") as a STRUCT
            data_type = parse_type(f"STRUCT<{text}>")
        except LocalWarehouseError:
            raise error from None
    root = _json_type(data_type)
    if root.name not in ("STRUCT", "ARRAY", "MAP"):
        raise LocalWarehouseError(
            "DATATYPE_MISMATCH.INVALID_JSON_SCHEMA",
            f'Cannot resolve "from_json" due to data type mismatch: Input schema "{root.sql}" '
            "must be a struct, an array, a map or a variant.",
            "42K09",
        )
    return root


def _json_type(data_type: exp.DataType) -> JsonType:
    kind = data_type.this
    if kind in (T.CHAR, T.VARCHAR, T.NCHAR, T.NVARCHAR):
        raise LocalWarehouseError(
            "UNSUPPORTED_CHAR_OR_VARCHAR_AS_STRING",
            "The char/varchar type can't be used in the table schema. If you want Spark treat them "
            'as string type as same as Spark 3.0 and earlier, please set "spark.sql.legacy.'
            'charVarcharAsString" to "true".',
            "0A000",
        )
    if kind == T.DECIMAL:
        sizes = [int(e.name) for e in data_type.expressions]  # parse_type filled in (10, 0)
        precision, scale = sizes[0], sizes[1] if len(sizes) > 1 else 0
        return JsonType("DECIMAL", precision=precision, scale=scale)
    if kind == T.ARRAY:
        return JsonType("ARRAY", (("element", _json_type(data_type.expressions[0])),))
    if kind == T.MAP:
        key, value = data_type.expressions
        if key.this != T.TEXT:
            raise LocalWarehouseError(
                "DATATYPE_MISMATCH.INVALID_JSON_MAP_KEY_TYPE",
                f'Cannot resolve "from_json" due to data type mismatch: Input schema '
                f'"{data_type.sql(dialect="databricks")}" can only contain STRING as a key type for a MAP.',
                "42K09",
            )
        return JsonType("MAP", (("value", _json_type(value)),))
    if kind == T.STRUCT:
        fields = tuple((f.this.name, _json_type(f.args["kind"])) for f in data_type.expressions)
        return JsonType("STRUCT", fields)
    name = _SQLGLOT_NAMES.get(kind)
    if name is None:
        raise UnsupportedStatement(f"the type {data_type.sql(dialect='databricks')} in a from_json schema")
    return JsonType(name)
