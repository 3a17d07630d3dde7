"""Results as Databricks sends them: an Arrow IPC schema, IPC record batches, Thrift columns."""

from __future__ import annotations

import datetime
import decimal
import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from databricks.sql.thrift_api.TCLIService import ttypes

from .types import thrift_column, wire_arrow_type


@dataclass(frozen=True)
class ArrowPayload:
    columns: list[ttypes.TColumnDesc]
    schema_bytes: bytes
    batches: list[tuple[bytes, int]]


def arrow_payload(
    table: pa.Table, duck_types: list[str], *, decimals: bool, complex_types: bool
) -> ArrowPayload:
    """Serialize ``table`` with the types a client that reads these native types expects."""
    columns, arrays, fields = [], [], []
    for index, field in enumerate(table.schema):
        target = wire_arrow_type(field.type, decimals=decimals, complex_types=complex_types)
        arrays.append(_convert(table.column(index), field.type, target))
        fields.append(pa.field(field.name, target))
        columns.append(
            thrift_column(
                field.name, index + 1, field.type, duck_types[index] if index < len(duck_types) else ""
            )
        )
    wire = pa.Table.from_arrays(arrays, schema=pa.schema(fields)) if fields else pa.table({})
    batches = [
        (batch.serialize().to_pybytes(), batch.num_rows) for batch in wire.to_batches() if batch.num_rows
    ]
    return ArrowPayload(columns=columns, schema_bytes=wire.schema.serialize().to_pybytes(), batches=batches)


def _convert(column: pa.ChunkedArray, source: pa.DataType, target: pa.DataType) -> pa.ChunkedArray:
    if source == target:
        return column
    if pa.types.is_nested(source) and pa.types.is_string(target):
        # Without native complex types Databricks sends JSON text.
        return pa.chunked_array([pa.array([_json(v) for v in column.to_pylist()], pa.string())], pa.string())
    return column.cast(target)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(_plain(value), separators=(",", ":"))


def _plain(value: Any) -> Any:
    if isinstance(value, list) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        return {str(k): _plain(v) for k, v in value}  # a MAP comes back as (key, value) pairs
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, datetime.datetime | datetime.date | decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value
