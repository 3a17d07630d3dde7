"""Uploaded files read a batch at a time and checked as writes are, with line numbers."""

from __future__ import annotations

import datetime
import decimal
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from records.tables import Column
from records.validation import files
from records.validation.files import CsvOptions, FileProblem, TooManyRows, check_file, file_batches
from records.validation.rows import SchemaValidationError

COLUMNS = (
    Column("id", "BIGINT", nullable=False),
    Column("score", "DOUBLE"),
    Column("ok", "BOOLEAN"),
    Column("price", "DECIMAL(10,2)"),
    Column("day", "DATE"),
    Column("tags", "ARRAY<STRING>"),
    Column("note", "STRING"),
)

DEFAULTS = CsvOptions()


def rows_of(path: Path, file_format: str, options: CsvOptions = DEFAULTS) -> list[tuple[int, dict[str, Any]]]:
    return [
        (line, row)
        for batch in file_batches(path, file_format, options, COLUMNS)
        for line, row in zip(batch.lines, batch.rows, strict=True)
    ]


def test_csv_text_becomes_the_values_a_json_write_carries(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "\ufeffID,score,ok,price,day,tags,note\n"  # a byte order mark and a header in another case
        '1,2.5,true,10.25,2024-01-15,"[""a"",""b""]",hello\n'
        "\n"  # a blank line is no row
        '2,,FALSE,,,,"two\nlines"\n'
        "3,x,maybe,1.5,2024-02-30,[,NA\n",
        encoding="utf-8",
    )
    rows = rows_of(path, "csv", CsvOptions(null_value="NA"))
    assert rows == [
        (
            2,
            {
                "id": 1,
                "score": 2.5,
                "ok": True,
                "price": "10.25",
                "day": "2024-01-15",
                "tags": ["a", "b"],
                "note": "hello",
            },
        ),
        (
            4,
            {
                "id": 2,
                "score": None,
                "ok": False,
                "price": None,
                "day": None,
                "tags": None,
                "note": "two\nlines",
            },
        ),
        # What is not the column's type stays text, for validation to refuse; NA is null.
        (
            6,
            {
                "id": 3,
                "score": "x",
                "ok": "maybe",
                "price": "1.5",
                "day": "2024-02-30",
                "tags": "[",
                "note": None,
            },
        ),
    ]


def test_check_file_names_the_line_and_column_of_each_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    lines = ["id,score,note"] + [f"{i},{i / 2},n{i}" for i in range(1, 30_000)]
    lines[12_344] = "12344,not a number,x"  # line 12,345 of the file
    lines[20_000] = ",1.0,no id"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SchemaValidationError) as caught:
        check_file(path, "csv", CsvOptions(), COLUMNS, max_rows=10**6)
    error = caught.value
    assert error.message == "Schema validation failed: Line 12345: Column 'score' expects number, got str"
    assert error.details["invalid_line_count"] == 2
    assert [p["line"] for p in error.details["invalid_lines"]] == [12_345, 20_001]
    assert "Line 20001: Column 'id'" in error.details["invalid_lines"][1]["message"]


def test_a_header_naming_an_unknown_or_audit_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,colour\n1,red\n")
    with pytest.raises(SchemaValidationError, match="Line 1: the header names column\\(s\\) 'colour'"):
        check_file(path, "csv", CsvOptions(), COLUMNS, max_rows=10)
    path.write_text("id,record_uuid\n1,x\n")
    with pytest.raises(SchemaValidationError, match="'record_uuid' is set by the service"):
        check_file(path, "csv", CsvOptions(), COLUMNS, max_rows=10)


def test_csv_without_header_takes_the_columns_in_order_and_counts_fields(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("1;0.5;true;1;2024-01-01;[];x\n2;1\n")
    options = CsvOptions(header=False, delimiter=";")
    with pytest.raises(FileProblem, match="Line 2: 2 field\\(s\\), but the table has 7 column\\(s\\)"):
        rows_of(path, "csv", options)


def test_ndjson_lines_are_rows_and_a_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    path.write_text(json.dumps({"id": 1, "tags": ["x"]}) + "\n\n" + json.dumps({"ID": 2}) + "\n")
    assert rows_of(path, "ndjson") == [(1, {"id": 1, "tags": ["x"]}), (3, {"ID": 2})]
    assert check_file(path, "ndjson", CsvOptions(), COLUMNS, max_rows=10) == 2
    path.write_text('{"id": 1}\n{"id": 2,\n')
    with pytest.raises(FileProblem, match="Line 2: not JSON"):
        rows_of(path, "ndjson")
    path.write_text('{"id": 1}\n[1]\n')
    with pytest.raises(FileProblem, match="Line 2: a line must be one JSON object"):
        rows_of(path, "ndjson")
    path.write_text('{"id": 1}\n{"id": "7"}\n')
    with pytest.raises(SchemaValidationError, match="Line 2: Column 'id' expects integer, got str"):
        check_file(path, "ndjson", CsvOptions(), COLUMNS, max_rows=10)


def test_parquet_values_become_json_shaped_and_rows_are_numbered_from_one(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    table = pa.table(
        {
            "id": pa.array([1, 2], pa.int64()),
            "price": pa.array([decimal.Decimal("1.50"), None], pa.decimal128(10, 2)),
            "day": pa.array([datetime.date(2024, 1, 15), None], pa.date32()),
            "tags": pa.array([["a"], []], pa.list_(pa.string())),
        }
    )
    pq.write_table(table, path, row_group_size=1)
    assert rows_of(path, "parquet") == [
        (1, {"id": 1, "price": "1.50", "day": "2024-01-15", "tags": ["a"]}),
        (2, {"id": 2, "price": None, "day": None, "tags": []}),
    ]
    assert check_file(path, "parquet", CsvOptions(), COLUMNS, max_rows=10) == 2
    (tmp_path / "b.parquet").write_bytes(b"not parquet")
    with pytest.raises(FileProblem, match="Not a Parquet file"):
        rows_of(tmp_path / "b.parquet", "parquet")


def test_too_many_rows_is_a_413_and_an_empty_file_a_400(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "BATCH_ROWS", 10)
    path = tmp_path / "a.csv"
    path.write_text("id\n" + "".join(f"{i}\n" for i in range(25)))
    with pytest.raises(TooManyRows) as caught:
        check_file(path, "csv", CsvOptions(), COLUMNS, max_rows=20)
    assert caught.value.status_code == 413
    assert check_file(path, "csv", CsvOptions(), COLUMNS, max_rows=25) == 25
    path.write_text("id\n")
    with pytest.raises(FileProblem, match="no rows"):
        check_file(path, "csv", CsvOptions(), COLUMNS, max_rows=20)


def test_what_is_not_plain_ascii_digits_stays_text_and_bad_bytes_are_named(tmp_path: Path) -> None:
    """``float()`` would take "1_000" and other scripts' digits, ``int()`` raises past 4,300
    digits: such text stays text (validation refuses it); a byte that is not UTF-8 is a 400."""
    path = tmp_path / "a.csv"
    path.write_text("id,score\n1,1_000\n2,\u0661\u0662\n" + "9" * 5000 + ",1e5\n")
    rows = [row for _, row in rows_of(path, "csv")]
    assert rows == [
        {"id": 1, "score": "1_000"},
        {"id": 2, "score": "\u0661\u0662"},
        {"id": "9" * 5000, "score": 1e5},
    ]
    with pytest.raises(SchemaValidationError, match="Line 2: Column 'score' expects number, got str"):
        check_file(path, "csv", CsvOptions(), COLUMNS, max_rows=10)
    path.write_bytes(b"id,note\n1,ok\n2,\xff\xfe\n")
    with pytest.raises(FileProblem, match="not UTF-8"):
        rows_of(path, "csv")


def test_long_values_are_read_up_to_the_line_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.csv"
    path.write_text(f"id,note\n1,{'x' * 200_000}\n")  # past the csv module's own 128 KiB
    assert rows_of(path, "csv")[0][1]["note"] == "x" * 200_000
    monkeypatch.setattr(files, "MAX_LINE_BYTES", 1000)
    ndjson = tmp_path / "a.ndjson"
    ndjson.write_text('{"id": 1}\n{"note": "' + "x" * 2000 + '"}\n')
    with pytest.raises(FileProblem, match="Line 2 is longer than 1000 bytes"):
        rows_of(ndjson, "ndjson")


def test_parquet_maps_and_unsupported_types(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    maps = pa.array([[("a", 1)], []], pa.map_(pa.string(), pa.int64()))
    pq.write_table(pa.table({"id": pa.array([1, 2]), "m": maps}), path)
    assert [row["m"] for _, row in rows_of(path, "parquet")] == [{"a": 1}, {}]
    pq.write_table(pa.table({"id": pa.array([1]), "t": pa.array([datetime.time(1, 2)])}), path)
    with pytest.raises(FileProblem, match="Parquet column 't' is time64"):
        rows_of(path, "parquet")
    pq.write_table(pa.table([pa.array([1]), pa.array([2])], names=["id", "ID"]), path)
    with pytest.raises(FileProblem, match="two columns named 'ID'"):
        rows_of(path, "parquet")
