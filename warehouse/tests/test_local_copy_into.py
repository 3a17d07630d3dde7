"""COPY INTO and read_files over files staged into a volume, through the real connector."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from databricks.sql.exc import ServerOperationError

from warehouse.local.testing import LocalWarehouseProcess

from .conftest import connect

COLUMNS = "id BIGINT NOT NULL, qty INT, price DECIMAL(10,2), name VARCHAR(8), active BOOLEAN, day DATE, at TIMESTAMP"
EXPECTED = [
    (
        1,
        10,
        Decimal("1.50"),
        "alpha",
        True,
        dt.date(2024, 1, 2),
        dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    ),
    (2, None, Decimal("20.00"), None, False, None, None),
]


@pytest.fixture
def stage(tmp_path: Path, local_warehouse: LocalWarehouseProcess, cursor: Any, schema: str) -> Iterator[Any]:
    """put(name, bytes) uploads into a fresh volume with the connector's PUT; .volume is its path."""
    cursor.execute(f"CREATE VOLUME {schema}.landing")
    conn = connect(local_warehouse.url, staging_allowed_local_path=str(tmp_path))

    class Stage:
        volume = "/Volumes/" + schema.replace(".", "/") + "/landing"

        def put(self, name: str, data: bytes) -> None:
            with conn.cursor() as cur:
                cur.execute(
                    f"PUT '__input_stream__' INTO '{self.volume}/{name}' OVERWRITE",
                    input_stream=io.BytesIO(data),
                )

    yield Stage()
    conn.close()


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _rows(cursor: Any, table: str) -> list[tuple[Any, ...]]:
    cursor.execute(f"SELECT id, qty, price, name, active, day, at FROM {table} ORDER BY id")
    return [tuple(row) for row in cursor.fetchall()]


def test_copy_into_from_parquet_lands_every_value_with_its_type(cursor: Any, schema: str, stage: Any) -> None:
    """Columns are matched by name (any case, any order); answered with Databricks' three counts."""
    cursor.execute(f"CREATE TABLE {schema}.t ({COLUMNS})")
    data = pa.table(
        {
            "AT": pa.array(
                [dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC), None], pa.timestamp("us", tz="UTC")
            ),
            "Id": pa.array([1, 2], pa.int64()),
            "qty": pa.array([10, None], pa.int32()),
            "price": pa.array([Decimal("1.5"), Decimal("20")], pa.decimal128(10, 2)),
            "name": ["alpha", None],
            "active": [True, False],
            "day": pa.array([dt.date(2024, 1, 2), None], pa.date32()),
        }
    )
    stage.put("batch/part-0.parquet", _parquet(data))
    cursor.execute(f"COPY INTO {schema}.t FROM '{stage.volume}/batch' FILEFORMAT = PARQUET")
    assert [d[0] for d in cursor.description] == [
        "num_affected_rows",
        "num_inserted_rows",
        "num_skipped_corrupt_files",
    ]
    assert tuple(cursor.fetchone()) == (2, 2, 0)
    assert cursor.rowcount == 2
    assert _rows(cursor, f"{schema}.t") == EXPECTED
    cursor.execute(f"DESCRIBE TABLE {schema}.t")  # the declared types are kept
    assert [r.data_type for r in cursor.fetchall()] == [
        "bigint",
        "int",
        "decimal(10,2)",
        "varchar(8)",
        "boolean",
        "date",
        "timestamp",
    ]


def test_copy_into_from_csv_with_header_separator_and_null_value(
    cursor: Any, schema: str, stage: Any
) -> None:
    cursor.execute(f"CREATE TABLE {schema}.t ({COLUMNS})")
    text = "id;QTY;price;name;active;day;at\n1;10;1.50;alpha;true;2024-01-02;2024-01-02T03:04:05Z\n2;NA;20;NA;false;NA;NA\n"
    stage.put("one.csv", text.encode())
    cursor.execute(
        f"COPY INTO {schema}.t FROM '{stage.volume}/one.csv' FILEFORMAT = CSV "
        "FORMAT_OPTIONS ('header' = 'true', 'sep' = ';', 'nullValue' = 'NA')"
    )
    assert cursor.fetchone().num_inserted_rows == 2
    assert _rows(cursor, f"{schema}.t") == EXPECTED


def test_copy_into_from_json_lines(cursor: Any, schema: str, stage: Any) -> None:
    """NDJSON; a column missing from the files (``extra``) is NULL."""
    cursor.execute(f"CREATE TABLE {schema}.t ({COLUMNS}, extra STRING)")
    lines = [
        {
            "id": 1,
            "qty": 10,
            "price": 1.5,
            "name": "alpha",
            "active": True,
            "day": "2024-01-02",
            "at": "2024-01-02T03:04:05Z",
        },
        {"id": 2, "price": 20, "active": False},
    ]
    stage.put("rows.json", "\n".join(json.dumps(line) for line in lines).encode())
    cursor.execute(f"COPY INTO {schema}.t FROM '{stage.volume}' FILEFORMAT = JSON")
    assert cursor.fetchone().num_affected_rows == 2
    assert _rows(cursor, f"{schema}.t") == EXPECTED
    cursor.execute(f"SELECT COUNT(*) AS n FROM {schema}.t WHERE extra IS NULL")
    assert cursor.fetchone().n == 2


def test_copy_into_loads_each_file_once_unless_forced(
    cursor: Any, schema: str, stage: Any, local_warehouse: LocalWarehouseProcess
) -> None:
    """Run twice, it loads once (even after the file changed); a new file loads alone; force loads all again."""
    cursor.execute(f"CREATE TABLE {schema}.t (id BIGINT)")
    stage.put("a.csv", b"id\n1\n2\n")
    copy = f"COPY INTO {schema}.t FROM '{stage.volume}' FILEFORMAT = CSV FORMAT_OPTIONS ('header' = 'true')"
    local_warehouse.reset_stats()
    cursor.execute(copy)
    assert tuple(cursor.fetchone()) == (2, 2, 0)
    stage.put("a.csv", b"id\n1\n2\n3\n")
    cursor.execute(copy)
    assert tuple(cursor.fetchone()) == (0, 0, 0)
    assert cursor.rowcount == 0
    stage.put("b.csv", b"id\n10\n")
    cursor.execute(copy)
    assert cursor.fetchone().num_inserted_rows == 1
    cursor.execute(copy + " COPY_OPTIONS ('force' = 'true')")
    assert cursor.fetchone().num_inserted_rows == 4
    cursor.execute(f"SELECT COUNT(*) AS n FROM {schema}.t")
    assert cursor.fetchone().n == 7
    assert local_warehouse.stats()["by_kind"]["COPY"] == 4
    cursor.execute(f"DROP TABLE {schema}.t")  # a new table of that name has loaded nothing
    cursor.execute(f"CREATE TABLE {schema}.t (id BIGINT)")
    cursor.execute(copy)
    assert cursor.fetchone().num_inserted_rows == 4


def test_files_and_pattern_choose_the_files(cursor: Any, schema: str, stage: Any) -> None:
    cursor.execute(f"CREATE TABLE {schema}.t (id BIGINT)")
    for name, value in [("a.csv", 1), ("b.csv", 2), ("sub/c.csv", 3), ("d.txt", 4)]:
        stage.put(name, f"id\n{value}\n".encode())
    base = f"COPY INTO {schema}.t FROM '{stage.volume}' FILEFORMAT = CSV"
    cursor.execute(f"{base} FILES = ('b.csv', 'sub/c.csv') FORMAT_OPTIONS ('header' = 'true')")
    assert cursor.fetchone().num_inserted_rows == 2
    cursor.execute(f"{base} PATTERN = '*.csv' FORMAT_OPTIONS ('header' = 'true')")  # a.csv only: b is loaded
    assert cursor.fetchone().num_inserted_rows == 1
    cursor.execute(f"SELECT id FROM {schema}.t ORDER BY id")
    assert [r.id for r in cursor.fetchall()] == [1, 2, 3]


def test_a_value_that_cannot_be_cast_fails_and_changes_nothing(cursor: Any, schema: str, stage: Any) -> None:
    """The whole COPY INTO is one transaction: no row of the good file lands, and nothing is
    logged as loaded (the good file loads on the next run)."""
    cursor.execute(f"CREATE TABLE {schema}.t (id BIGINT, qty INT)")
    cursor.execute(f"INSERT INTO {schema}.t VALUES (0, 0)")
    stage.put("1-good.csv", b"id,qty\n1,1\n")
    stage.put("2-bad.csv", b"id,qty\n2,lots\n")
    copy = f"COPY INTO {schema}.t FROM '{stage.volume}' FILEFORMAT = CSV FORMAT_OPTIONS ('header' = 'true')"
    with pytest.raises(ServerOperationError, match=r"^\[CAST_INVALID_INPUT\] The value 'lots'"):
        cursor.execute(copy)
    cursor.execute(f"SELECT id FROM {schema}.t")
    assert [r.id for r in cursor.fetchall()] == [0]
    stage.put("2-bad.csv", b"id,qty\n2,2\n")  # not yet loaded, so its new content counts
    cursor.execute(copy)
    assert cursor.fetchone().num_inserted_rows == 2


def test_a_missing_not_null_column_fails(cursor: Any, schema: str, stage: Any) -> None:
    cursor.execute(f"CREATE TABLE {schema}.t (id BIGINT, code STRING NOT NULL)")
    stage.put("a.csv", b"id\n1\n")
    copy = f"COPY INTO {schema}.t FROM '{stage.volume}' FILEFORMAT = CSV FORMAT_OPTIONS ('header' = 'true')"
    with pytest.raises(ServerOperationError, match=r"^\[DELTA_MISSING_NOT_NULL_COLUMN_VALUE\] Column code"):
        cursor.execute(copy)
    stage.put("a.csv", b"id,code\n1,\n")  # present but NULL
    with pytest.raises(ServerOperationError, match=r"^\[DELTA_NOT_NULL_CONSTRAINT_VIOLATED\]"):
        cursor.execute(copy)
    stage.put("a.csv", b"id,code,other\n1,x,y\n")  # a column the table lacks
    with pytest.raises(ServerOperationError, match=r"^\[DELTA_METADATA_MISMATCH\]"):
        cursor.execute(copy)
    cursor.execute(f"SELECT COUNT(*) AS n FROM {schema}.t")
    assert cursor.fetchone().n == 0


@pytest.mark.parametrize(
    ("statement", "error"),
    [
        ("COPY INTO {schema}.missing FROM '{volume}' FILEFORMAT = CSV", r"^\[TABLE_OR_VIEW_NOT_FOUND\]"),
        ("COPY INTO {schema}.t FROM '{volume}x' FILEFORMAT = CSV", r"^\[UC_VOLUME_NOT_FOUND\]"),
        (
            "COPY INTO {schema}.t FROM '{volume}/nothing' FILEFORMAT = CSV",
            r"^\[PATH_NOT_FOUND\] Path does not",
        ),
        (
            "COPY INTO {schema}.t FROM '{volume}' FILEFORMAT = AVRO",
            r"^\[UNSUPPORTED_FEATURE\.LOCAL_WAREHOUSE\]",
        ),
        (
            "COPY INTO {schema}.t FROM '{volume}' FILEFORMAT = CSV FORMAT_OPTIONS ('skipRows' = '1')",
            r"^\[UNSUPPORTED_FEATURE\.LOCAL_WAREHOUSE\].*skipRows",
        ),
    ],
)
def test_copy_into_checks_its_table_source_and_options(
    cursor: Any, schema: str, stage: Any, statement: str, error: str
) -> None:
    cursor.execute(f"CREATE TABLE {schema}.t (id BIGINT)")
    stage.put("a.csv", b"1\n")
    with pytest.raises(ServerOperationError, match=error):
        cursor.execute(statement.format(schema=schema, volume=stage.volume))


def test_read_files_in_select_insert_and_merge(cursor: Any, schema: str, stage: Any) -> None:
    """read_files infers the types (and adds _rescued_data last); it feeds INSERT and MERGE."""
    stage.put("in/a.csv", b"id,name,score\n1,one,1.5\n2,two,2.5\n")
    stage.put("in/_SUCCESS", b"")  # hidden: never read
    source = f"read_files('{stage.volume}/in', format => 'csv', header => true)"
    cursor.execute(f"SELECT * FROM {source} ORDER BY id")
    assert [d[0] for d in cursor.description] == ["id", "name", "score", "_rescued_data"]
    assert [tuple(r) for r in cursor.fetchall()] == [(1, "one", 1.5, None), (2, "two", 2.5, None)]
    cursor.execute(f"CREATE TABLE {schema}.t (id BIGINT, name STRING, score DOUBLE)")
    cursor.execute(f"INSERT INTO {schema}.t SELECT id, name, score FROM {source} WHERE id = 1")
    assert cursor.fetchone().num_inserted_rows == 1
    cursor.execute(
        f"MERGE INTO {schema}.t AS t USING (SELECT id, upper(name) AS name, score FROM {source}) AS s "
        "ON t.id = s.id WHEN MATCHED THEN UPDATE SET name = s.name "
        "WHEN NOT MATCHED THEN INSERT (id, name, score) VALUES (s.id, s.name, s.score)"
    )
    assert cursor.fetchone().asDict() == {
        "num_affected_rows": 2,
        "num_updated_rows": 1,
        "num_deleted_rows": 0,
        "num_inserted_rows": 1,
    }
    cursor.execute(f"SELECT id, name FROM {schema}.t ORDER BY id")
    assert [tuple(r) for r in cursor.fetchall()] == [(1, "ONE"), (2, "TWO")]


def test_read_files_of_parquet_and_json(cursor: Any, schema: str, stage: Any) -> None:
    stage.put("p.parquet", _parquet(pa.table({"id": pa.array([7], pa.int32()), "label": ["seven"]})))
    stage.put("j/rows.json", b'{"id": 1, "tags": ["a", "b"]}\n{"id": 2, "tags": []}\n')
    cursor.execute(f"SELECT id, label FROM read_files('{stage.volume}/p.parquet', format => 'parquet')")
    assert [tuple(r) for r in cursor.fetchall()] == [(7, "seven")]
    cursor.execute(
        f"SELECT id, size(tags) AS n FROM read_files('{stage.volume}/j', format => 'json') ORDER BY id"
    )
    assert [tuple(r) for r in cursor.fetchall()] == [(1, 2), (2, 0)]


def test_read_files_needs_an_existing_volume_and_path(cursor: Any, schema: str, stage: Any) -> None:
    with pytest.raises(ServerOperationError, match=r"^\[UC_VOLUME_NOT_FOUND\]"):
        cursor.execute(f"SELECT * FROM read_files('{stage.volume}_no/x.csv', format => 'csv')")
    with pytest.raises(ServerOperationError, match=r"^\[PATH_NOT_FOUND\]"):
        cursor.execute(f"SELECT * FROM read_files('{stage.volume}/none.csv', format => 'csv')")
