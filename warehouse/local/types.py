"""Type mapping between Databricks SQL, DuckDB, Arrow and the Thrift wire format.

Databricks TIMESTAMP is an instant (DuckDB TIMESTAMPTZ, session time zone UTC) and
TIMESTAMP_NTZ a wall-clock time (DuckDB TIMESTAMP). Names are kept as Databricks spells
them in ``DESCRIBE``: lower case, ``int`` for INT/INTEGER, ``string`` for STRING.
"""

from __future__ import annotations

import re

import pyarrow as pa
import sqlglot
from databricks.sql.thrift_api.TCLIService import ttypes
from sqlglot import exp

from .errors import LocalWarehouseError

_SIMPLE = {
    "BIGINT": "BIGINT",
    "LONG": "BIGINT",
    "INT": "INTEGER",
    "INTEGER": "INTEGER",
    "SMALLINT": "SMALLINT",
    "SHORT": "SMALLINT",
    "TINYINT": "TINYINT",
    "BYTE": "TINYINT",
    "DOUBLE": "DOUBLE",
    "FLOAT": "FLOAT",
    "REAL": "FLOAT",
    "STRING": "VARCHAR",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMPTZ",
    "TIMESTAMP_LTZ": "TIMESTAMPTZ",
    "TIMESTAMP_NTZ": "TIMESTAMP",
    "BINARY": "BLOB",
    "VOID": "VARCHAR",
}

_DATABRICKS_NAME = {
    "BIGINT": "bigint",
    "INTEGER": "int",
    "SMALLINT": "smallint",
    "TINYINT": "tinyint",
    "DOUBLE": "double",
    "FLOAT": "float",
    "VARCHAR": "string",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
    "TIMESTAMPTZ": "timestamp",
    "TIMESTAMP": "timestamp_ntz",
    "BLOB": "binary",
    "HUGEINT": "bigint",
    "UBIGINT": "bigint",
    "UINTEGER": "bigint",
    "USMALLINT": "int",
    "UTINYINT": "smallint",
    "NULL": "void",
    '"NULL"': "void",
}


def parse_type(type_text: str) -> exp.DataType:
    """Parse a Databricks type string (``ARRAY<STRUCT<a: INT>>``) into a sqlglot type."""
    try:
        data_type = exp.DataType.build(type_text, dialect="databricks")
    except (sqlglot.errors.ParseError, ValueError) as error:
        raise LocalWarehouseError(
            "PARSE_SYNTAX_ERROR", f"Syntax error: cannot parse the data type {type_text!r}."
        ) from error
    with_spark_defaults(data_type)
    return data_type


def with_spark_defaults(tree: exp.Expr) -> None:
    """Fill in Spark's defaults DuckDB does not share: a bare DECIMAL is DECIMAL(10,0) (DuckDB's
    would be DECIMAL(18,3))."""
    for node in tree.find_all(exp.DataType):
        if node.this == exp.DataType.Type.DECIMAL and not node.expressions:
            node.set("expressions", [exp.DataTypeParam(this=exp.Literal.number(n)) for n in (10, 0)])


def duckdb_type(type_text: str) -> str:
    """The DuckDB type for a Databricks type string, e.g. ``DECIMAL(10,2)`` or ``MAP<STRING,INT>``."""
    simple = _SIMPLE.get(type_text.strip().upper())
    if simple:
        return simple
    return parse_type(type_text).sql(dialect="duckdb")


def databricks_type_name(duck_type: str) -> str:
    """Databricks' spelling (as in ``DESCRIBE``) of a DuckDB column type."""
    text = duck_type.strip()
    upper = text.upper()
    if upper in _DATABRICKS_NAME:
        return _DATABRICKS_NAME[upper]
    if upper.startswith("DECIMAL"):
        return upper.lower().replace(" ", "")
    if upper.endswith("[]"):
        return f"array<{databricks_type_name(text[:-2])}>"
    if upper.startswith("MAP("):
        key, value = _split_top_level(text[4:-1])
        return f"map<{databricks_type_name(key)},{databricks_type_name(value)}>"
    if upper.startswith("STRUCT("):
        fields = []
        for part in _split_top_level(text[7:-1]):
            name, _, field_type = part.strip().partition(" ")
            fields.append(f"{name.strip(chr(34))}:{databricks_type_name(field_type)}")
        return f"struct<{','.join(fields)}>"
    return text.lower()


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        depth += char in "(<[" or 0
        depth -= char in ")>]" or 0
        current.append(char)
    parts.append("".join(current).strip())
    return parts


_VARCHAR_LENGTH = re.compile(r"^\s*(VARCHAR|CHAR)\s*\(\s*(\d+)\s*\)\s*$", re.IGNORECASE)


def declared_length(type_text: str) -> tuple[str, int] | None:
    """``("varchar", 10)`` for ``VARCHAR(10)``: Databricks keeps and enforces the length."""
    match = _VARCHAR_LENGTH.match(type_text)
    return (match.group(1).lower(), int(match.group(2))) if match else None


# --- results: Arrow types and their Thrift descriptions -------------------------------------

_T = ttypes.TTypeId


def wire_arrow_type(arrow_type: pa.DataType, *, decimals: bool, complex_types: bool) -> pa.DataType:
    """The Arrow type Databricks sends for a column, given what the client can read natively."""
    if pa.types.is_decimal(arrow_type):
        return arrow_type if decimals else pa.string()
    if pa.types.is_nested(arrow_type):
        return _native_nested(arrow_type) if complex_types else pa.string()
    if pa.types.is_unsigned_integer(arrow_type):
        return pa.int64()
    if pa.types.is_large_string(arrow_type) or pa.types.is_string_view(arrow_type):
        return pa.string()
    if pa.types.is_large_binary(arrow_type) or pa.types.is_binary_view(arrow_type):
        return pa.binary()
    if pa.types.is_timestamp(arrow_type):
        return pa.timestamp("us", tz="Etc/UTC" if arrow_type.tz else None)
    return arrow_type


def _native_nested(arrow_type: pa.DataType) -> pa.DataType:
    def child(t: pa.DataType) -> pa.DataType:
        return wire_arrow_type(t, decimals=True, complex_types=True)

    if pa.types.is_map(arrow_type):
        return pa.map_(child(arrow_type.key_type), child(arrow_type.item_type))
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return pa.list_(child(arrow_type.value_type))
    if pa.types.is_struct(arrow_type):
        return pa.struct([pa.field(f.name, child(f.type)) for f in arrow_type])
    return arrow_type


def thrift_type_id(arrow_type: pa.DataType) -> int:
    """The Thrift type of a result column, from its Arrow type before wire conversion."""
    checks = [
        (pa.types.is_boolean, _T.BOOLEAN_TYPE),
        (pa.types.is_int8, _T.TINYINT_TYPE),
        (pa.types.is_int16, _T.SMALLINT_TYPE),
        (pa.types.is_int32, _T.INT_TYPE),
        (pa.types.is_integer, _T.BIGINT_TYPE),
        (pa.types.is_float32, _T.FLOAT_TYPE),
        (pa.types.is_floating, _T.DOUBLE_TYPE),
        (pa.types.is_decimal, _T.DECIMAL_TYPE),
        (pa.types.is_date, _T.DATE_TYPE),
        (pa.types.is_timestamp, _T.TIMESTAMP_TYPE),
        (pa.types.is_binary, _T.BINARY_TYPE),
        (pa.types.is_large_binary, _T.BINARY_TYPE),
        (pa.types.is_map, _T.MAP_TYPE),
        (pa.types.is_list, _T.ARRAY_TYPE),
        (pa.types.is_large_list, _T.ARRAY_TYPE),
        (pa.types.is_struct, _T.STRUCT_TYPE),
        (pa.types.is_null, _T.NULL_TYPE),
    ]
    for check, type_id in checks:
        if check(arrow_type):
            return type_id
    return _T.STRING_TYPE


def thrift_column(name: str, position: int, arrow_type: pa.DataType, duck_type: str) -> ttypes.TColumnDesc:
    type_id = thrift_type_id(arrow_type)
    qualifiers = None
    if type_id == _T.DECIMAL_TYPE:
        qualifiers = ttypes.TTypeQualifiers(
            qualifiers={
                "precision": ttypes.TTypeQualifierValue(i32Value=arrow_type.precision),
                "scale": ttypes.TTypeQualifierValue(i32Value=arrow_type.scale),
            }
        )
    entry = ttypes.TTypeEntry(
        primitiveEntry=ttypes.TPrimitiveTypeEntry(type=type_id, typeQualifiers=qualifiers)
    )
    return ttypes.TColumnDesc(
        columnName=name,
        typeDesc=ttypes.TTypeDesc(types=[entry]),
        position=position,
        comment=databricks_type_name(duck_type),
    )
