"""Validated rows as typed Parquet files: what an ingest job stages in the volume.

Each column is written with the Arrow type of the table's column (``arrow_type``), so COPY
INTO meets the table's own types and casts nothing: DECIMAL text becomes a decimal, DATE
text a date, TIMESTAMP text an instant in UTC, TIMESTAMP_NTZ a local date-time, BINARY's
base64 its bytes, MAP objects key/value pairs. The audit columns the table has are written
too (``audit_values``): a re-run writes the very same files.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..tables import Column
from ..validation.types import DataType, table_type

_SCALARS: dict[str, pa.DataType] = {
    "TINYINT": pa.int8(),
    "SMALLINT": pa.int16(),
    "INT": pa.int32(),
    "BIGINT": pa.int64(),
    "FLOAT": pa.float32(),
    "DOUBLE": pa.float64(),
    "STRING": pa.string(),
    "VARCHAR": pa.string(),
    "CHAR": pa.string(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),
    "TIMESTAMP_NTZ": pa.timestamp("us"),
    "BINARY": pa.binary(),
}


class UnsupportedColumnType(ValueError):
    """A column type with no Parquet equivalent here (an INTERVAL, a VARIANT...)."""


def arrow_type(data_type: DataType) -> pa.DataType:
    if data_type.opaque:
        raise UnsupportedColumnType(str(data_type))
    if data_type.name in _SCALARS:
        return _SCALARS[data_type.name]
    if data_type.name == "DECIMAL":
        precision, scale = data_type.args
        return pa.decimal128(precision, scale)
    if data_type.name == "ARRAY":
        return pa.list_(arrow_type(data_type.fields[0][1]))
    if data_type.name == "MAP":
        return pa.map_(arrow_type(data_type.fields[0][1]), arrow_type(data_type.fields[1][1]))
    if data_type.name == "STRUCT":
        return pa.struct([pa.field(name, arrow_type(field)) for name, field in data_type.fields])
    raise UnsupportedColumnType(str(data_type))


def arrow_schema(columns: Sequence[Column]) -> pa.Schema:
    return pa.schema([pa.field(c.name, arrow_type(table_type(c.data_type)), c.nullable) for c in columns])


def _converter(data_type: DataType) -> Callable[[Any], Any] | None:
    """How a normalized (JSON-shaped) value becomes the Python value pyarrow takes for the
    type; ``None`` when it already is one."""
    name = data_type.name
    if name == "DECIMAL":
        return decimal.Decimal
    if name == "DATE":
        return datetime.date.fromisoformat
    if name in ("TIMESTAMP", "TIMESTAMP_NTZ"):
        return datetime.datetime.fromisoformat
    if name == "BINARY":
        return base64.b64decode
    if name == "ARRAY":
        element = _converter(data_type.fields[0][1])
        if element is None:
            return None
        return lambda items: [None if item is None else element(item) for item in items]
    if name == "MAP":
        key = _key_converter(data_type.fields[0][1])
        value = _converter(data_type.fields[1][1]) or _same
        return lambda pairs: [(key(k), None if v is None else value(v)) for k, v in pairs.items()]
    if name == "STRUCT":
        fields = [(field, _converter(field_type)) for field, field_type in data_type.fields]
        if all(convert is None for _, convert in fields):
            return None

        def struct(obj: dict[str, Any]) -> dict[str, Any]:
            return {
                field: obj.get(field) if convert is None or obj.get(field) is None else convert(obj[field])
                for field, convert in fields
            }

        return struct
    return None


def _same(value: Any) -> Any:
    return value


def _key_converter(data_type: DataType) -> Callable[[str], Any]:
    """A validated MAP's keys are JSON object keys, text: each becomes its key type's value."""
    if data_type.name in ("TINYINT", "SMALLINT", "INT", "BIGINT"):
        return int
    if data_type.name in ("FLOAT", "DOUBLE"):
        return float
    if data_type.name == "BOOLEAN":
        return _boolean_key
    return _converter(data_type) or _same


def _boolean_key(text: str) -> bool:
    return text == "true"


def audit_values(columns: Sequence[Column], *, principal: str, inserted_at: str) -> dict[str, Any]:
    """The audit values every staged row carries, for the audit columns the table has
    (``record_uuid`` is per row); the others are null, as for a write."""
    values = {"is_deleted": False, "inserted_at": inserted_at, "inserted_by": principal}
    names = {c.name.lower() for c in columns}
    return {name: value for name, value in values.items() if name in names}


def record_uuid(job_id: uuid.UUID, row_number: int) -> str:
    """The ``record_uuid`` of a job's ``row_number``-th row: the same on every attempt, so a
    re-run's files are the files it staged before, and its rows are found by it."""
    return record_uuids(job_id, row_number, 1)[0]


def record_uuids(job_id: uuid.UUID, first: int, count: int) -> list[str]:
    """``record_uuid`` of rows ``first`` to ``first + count - 1``: ``uuid.uuid5(job_id,
    str(n))`` each, computed without a UUID object per row (a third of the time)."""
    namespace = uuid.UUID(str(job_id)).bytes
    uuids = []
    for number in range(first, first + count):
        digest = bytearray(
            hashlib.sha1(namespace + str(number).encode(), usedforsecurity=False).digest()[:16]
        )
        digest[6] = digest[6] & 0x0F | 0x50  # version 5
        digest[8] = digest[8] & 0x3F | 0x80  # RFC 4122 variant
        text = digest.hex()
        uuids.append(f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}")
    return uuids


class PartWriter:
    """Writes rows of ``columns`` to one Parquet file a batch at a time."""

    def __init__(self, path: Path, columns: Sequence[Column]) -> None:
        self.path = path
        self.schema = arrow_schema(columns)
        self.columns = tuple(columns)
        self._converters = [_converter(table_type(c.data_type)) for c in columns]
        self._writer = pq.ParquetWriter(path, self.schema, compression="zstd")
        self.rows = 0

    def write(
        self,
        rows: Sequence[dict[str, Any]],
        *,
        same: Mapping[str, Any] | None = None,
        given: Mapping[str, Sequence[Any]] | None = None,
    ) -> None:
        """Append ``rows``; a column named in ``same`` takes that one value in every row, one
        in ``given`` its list of values (audit columns: no per-row dict to update)."""
        same, given = same or {}, given or {}
        arrays = []
        for column, convert, field in zip(self.columns, self._converters, self.schema, strict=True):
            if column.name in given:
                values = list(given[column.name])
            elif column.name in same:
                values = [same[column.name]] * len(rows)
            else:
                values = [row.get(column.name) for row in rows]
            if convert is not None:
                values = [None if value is None else convert(value) for value in values]
            arrays.append(pa.array(values, type=field.type))
        self._writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=self.schema))
        self.rows += len(rows)

    def close(self) -> None:
        self._writer.close()
