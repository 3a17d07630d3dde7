"""The Parquet files an ingest job stages: the table's own types, every value as validated."""

from __future__ import annotations

import datetime
import decimal
import uuid
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from records.jobs.parquet import (
    PartWriter,
    UnsupportedColumnType,
    arrow_schema,
    audit_values,
    record_uuid,
    record_uuids,
)
from records.tables import AUDIT_COLUMNS, Column
from records.validation.rows import validate_rows

COLUMNS = (
    Column("id", "BIGINT", nullable=False),
    Column("small", "TINYINT"),
    Column("ratio", "FLOAT"),
    Column("price", "DECIMAL(10,2)"),
    Column("day", "DATE"),
    Column("at", "TIMESTAMP"),
    Column("local", "TIMESTAMP_NTZ"),
    Column("blob", "BINARY"),
    Column("tags", "ARRAY<DATE>"),
    Column("attrs", "MAP<STRING,DECIMAL(4,1)>"),
    Column("point", "STRUCT<x:INT,seen:TIMESTAMP>"),
    Column("name", "VARCHAR(10)"),
)


def test_each_column_gets_the_arrow_type_of_its_databricks_type() -> None:
    schema = arrow_schema(COLUMNS)
    assert [str(field.type) for field in schema] == [
        "int64",
        "int8",
        "float",
        "decimal128(10, 2)",
        "date32[day]",
        "timestamp[us, tz=UTC]",
        "timestamp[us]",
        "binary",
        "list<item: date32[day]>",
        "map<string, decimal128(4, 1)>",
        "struct<x: int32, seen: timestamp[us, tz=UTC]>",
        "string",
    ]
    assert schema.field("id").nullable is False
    with pytest.raises(UnsupportedColumnType):
        arrow_schema([Column("span", "INTERVAL DAY")])


def test_validated_rows_are_written_with_their_values(tmp_path: Path) -> None:
    rows = validate_rows(
        COLUMNS,
        [
            {
                "id": 1,
                "small": -3,
                "ratio": 0.5,
                "price": "12.5",
                "day": "2024-02-29",
                "at": "2024-01-15T10:30:00+02:00",
                "local": "2024-01-15T10:30:00",
                "blob": "aGk=",
                "tags": ["2024-01-01", None],
                "attrs": {"a": 1.5},
                "point": {"x": 7, "seen": "2024-01-01T00:00:00Z"},
                "name": "well",
            },
            {"id": 2},
        ],
    )
    writer = PartWriter(tmp_path / "part.parquet", COLUMNS)
    writer.write(rows[:1])
    writer.write(rows[1:])
    writer.close()
    assert writer.rows == 2
    read = pq.read_table(tmp_path / "part.parquet")
    assert read.schema == arrow_schema(COLUMNS)
    first, second = read.to_pylist()
    utc = datetime.UTC
    assert first == {
        "id": 1,
        "small": -3,
        "ratio": 0.5,
        "price": decimal.Decimal("12.50"),
        "day": datetime.date(2024, 2, 29),
        "at": datetime.datetime(2024, 1, 15, 8, 30, tzinfo=utc),
        "local": datetime.datetime(2024, 1, 15, 10, 30),  # noqa: DTZ001 (TIMESTAMP_NTZ has no zone)
        "blob": b"hi",
        "tags": [datetime.date(2024, 1, 1), None],
        "attrs": [("a", decimal.Decimal("1.5"))],
        "point": {"x": 7, "seen": datetime.datetime(2024, 1, 1, tzinfo=utc)},
        "name": "well",
    }
    assert second == dict.fromkeys(first) | {"id": 2}


def test_audit_values_and_record_uuids_are_the_same_on_every_attempt(tmp_path: Path) -> None:
    job_id = uuid.uuid4()
    assert record_uuid(job_id, 1) == record_uuid(job_id, 1) != record_uuid(job_id, 2)
    assert record_uuid(job_id, 1) != record_uuid(uuid.uuid4(), 1)
    assert uuid.UUID(record_uuid(job_id, 1)).version == 5
    assert record_uuids(job_id, 7, 3) == [str(uuid.uuid5(job_id, str(n))) for n in (7, 8, 9)]
    stamp = "2026-12-03T10:00:00+00:00"
    assert audit_values(AUDIT_COLUMNS, principal="alice", inserted_at=stamp) == {
        "is_deleted": False,
        "inserted_at": stamp,
        "inserted_by": "alice",
    }
    # Only the audit columns the table has.
    assert audit_values(
        (Column("id", "BIGINT"), Column("inserted_by", "STRING")), principal="a", inserted_at=stamp
    ) == {"inserted_by": "a"}
    columns = (Column("id", "BIGINT"), *AUDIT_COLUMNS)
    paths = []
    for attempt in (1, 2):
        path = tmp_path / f"attempt{attempt}.parquet"
        writer = PartWriter(path, columns)
        audit = audit_values(columns, principal="alice", inserted_at=stamp)
        writer.write([{"id": n, "record_uuid": record_uuid(job_id, n), **audit} for n in (1, 2)])
        writer.close()
        paths.append(path)
    assert pq.read_table(paths[0]).equals(pq.read_table(paths[1]))
    assert pc.count_distinct(pq.read_table(paths[0])["record_uuid"]).as_py() == 2


def test_map_keys_are_written_as_their_key_type(tmp_path: Path) -> None:
    columns = (Column("counts", "MAP<INT,STRING>"), Column("flags", "MAP<BOOLEAN,DOUBLE>"))
    rows = validate_rows(columns, [{"counts": {"1": "one", "2": None}, "flags": {"true": 1.5}}])
    writer = PartWriter(tmp_path / "part.parquet", columns)
    writer.write(rows)
    writer.close()
    assert pq.read_table(tmp_path / "part.parquet").to_pylist() == [
        {"counts": [(1, "one"), (2, None)], "flags": [(True, 1.5)]}
    ]
