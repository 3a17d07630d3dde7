"""Rows of an uploaded file (CSV, NDJSON, Parquet), read a batch at a time and checked as writes are.

A file is never held whole: ``file_batches`` yields ``RowBatch``es of at most ``BATCH_ROWS``
rows, each row with its line number (CSV and NDJSON: the line it starts on in the file, the
header being line 1; Parquet: the row's position, from 1). Values come out in the shape the
row validator checks for a JSON write, so a file and a JSON body meet the same types and
messages: CSV text becomes a number, a boolean or (for ARRAY, MAP and STRUCT) JSON where the
column's type says so and the text is one; Parquet values become JSON-like ones (DECIMAL and
DATE as text, TIMESTAMP as ISO 8601, BINARY as base64).

``FileChecker`` checks each batch against the table's columns and keeps the first bad rows
(``MAX_REPORTED_ROWS``) with their line numbers; ``check_file`` reads a whole file with it and
answers how many rows it has, or raises ``SchemaValidationError`` naming the first bad line.
"""

from __future__ import annotations

import base64
import codecs
import csv
import datetime
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.errors import ApiError

from ..tables import Column, is_audit_column
from .rows import MAX_REPORTED_ROWS, RowValidator, SchemaValidationError, compile_row_validator
from .runtime import InvalidValue
from .schema import expected_schema

# Rows read, converted and checked at a time: a few MB of Python objects at most.
BATCH_ROWS = 10_000
FORMATS = ("csv", "ndjson", "parquet")
# The media types of a raw upload body, and of a multipart file part, by format.
MEDIA_TYPES = {
    "text/csv": "csv",
    "application/x-ndjson": "ndjson",
    "application/vnd.apache.parquet": "parquet",
}
# Digits only, ASCII only (``int()`` and ``float()`` also take "1_000", other scripts' digits
# and, past 4,300 digits, raise): what is not one of these stays text, for validation to refuse.
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]{1,40}").fullmatch
_NUMBER_TEXT = re.compile(
    r"[+-]?(?:[0-9]{1,400}(?:\.[0-9]{0,400})?|\.[0-9]{1,400})(?:[eE][+-]?[0-9]{1,4})?"
).fullmatch
# The longest line (NDJSON) or field (CSV) read: a JSON write's body is at most 64 MiB too.
MAX_LINE_BYTES = 64 * 1024 * 1024
_INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INT", "BIGINT"})
_COMPLEX_TYPES = frozenset({"ARRAY", "MAP", "STRUCT"})


class FileProblem(ApiError):
    """An upload that cannot be read as its format says (not CSV, a line that is not JSON...)."""


class TooManyRows(ApiError):
    status_code = 413


@dataclass(frozen=True)
class CsvOptions:
    """Databricks' CSV options of the same names: ``header`` (the first line names the
    columns; without it the columns are the table's, in order), ``delimiter`` (one character)
    and ``null_value`` (the text that means null; an empty field is null too)."""

    header: bool = True
    delimiter: str = ","
    null_value: str = ""


@dataclass
class RowBatch:
    lines: list[int]
    rows: list[dict[str, Any]]


@dataclass
class FileChecker:
    """Checks batches of one file's rows against ``columns`` (the table's writable columns)."""

    columns: tuple[Column, ...]
    rows: int = 0
    bad_rows: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    _validator: RowValidator = field(init=False)

    def __post_init__(self) -> None:
        self._validator = compile_row_validator(self.columns)

    def check(self, batch: RowBatch) -> list[dict[str, Any]] | None:
        """The batch's rows normalized for the warehouse, or ``None`` when a row is bad (its
        problems are kept: at most ``MAX_REPORTED_ROWS`` of them, all counted)."""
        self.rows += len(batch.rows)
        start, normalized = 0, []
        while start < len(batch.rows):
            try:
                normalized += self._validator.check_from(batch.rows, start)
                break
            except InvalidValue as problem:
                self.bad_rows += 1
                if len(self.problems) < MAX_REPORTED_ROWS:
                    line = batch.lines[problem.index]
                    self.problems.append({"line": line, "message": problem.describe(f"Line {line}")})
                start = problem.index + 1
        return None if self.bad_rows else normalized

    def raise_problems(self) -> None:
        if self.problems:
            raise SchemaValidationError(
                f"Schema validation failed: {self.problems[0]['message']}",
                details={
                    "expected_schema": expected_schema(self.columns),
                    "invalid_lines": self.problems,
                    "invalid_line_count": self.bad_rows,
                },
            )


def check_file(
    path: Path, file_format: str, options: CsvOptions, columns: tuple[Column, ...], *, max_rows: int
) -> int:
    """The number of rows in the file, every one of them checked against ``columns``;
    ``SchemaValidationError`` listing the first bad lines, ``TooManyRows`` beyond ``max_rows``."""
    checker = FileChecker(columns)
    for batch in file_batches(path, file_format, options, columns):
        checker.check(batch)
        if checker.rows > max_rows:
            raise TooManyRows(
                f"The file has more than {max_rows} rows (RECORDS_INGEST_MAX_ROWS)",
                details={"max_rows": max_rows},
            )
    checker.raise_problems()
    if not checker.rows:
        raise FileProblem("The file has no rows")
    return checker.rows


def file_batches(
    path: Path, file_format: str, options: CsvOptions, columns: tuple[Column, ...]
) -> Iterator[RowBatch]:
    """The file's rows, ``BATCH_ROWS`` at a time, converted for ``columns`` (see the module)."""
    if file_format == "csv":
        return _csv_batches(path, options, columns)
    if file_format == "ndjson":
        return _ndjson_batches(path)
    return _parquet_batches(path)


# --- CSV --------------------------------------------------------------------------------------


def _csv_batches(path: Path, options: CsvOptions, columns: tuple[Column, ...]) -> Iterator[RowBatch]:
    by_lower = {c.name.lower(): c for c in columns}
    csv.field_size_limit(MAX_LINE_BYTES)  # the module's default, 128 KiB, is shorter than a write's strings
    with _text(path) as text:
        reader = csv.reader(text, delimiter=options.delimiter, strict=True)
        try:
            if options.header:
                names = next(reader, None)
                if names is None:
                    return
                columns_in_order = _csv_header(names, by_lower)
            else:
                columns_in_order = list(columns)
            targets = [(column.name, _from_text(column)) for column in columns_in_order]
            batch = RowBatch([], [])
            line = reader.line_num + 1
            for fields in reader:
                if fields:  # a blank line is no row
                    batch.lines.append(line)
                    batch.rows.append(_csv_row(fields, targets, options, line))
                    if len(batch.rows) >= BATCH_ROWS:
                        yield batch
                        batch = RowBatch([], [])
                line = reader.line_num + 1
        except csv.Error as error:
            raise FileProblem(f"Line {reader.line_num + 1}: not valid CSV: {error}") from None
        except UnicodeDecodeError:
            raise FileProblem(f"Line {reader.line_num + 1}: not UTF-8 text") from None
        if batch.rows:
            yield batch


def _text(path: Path) -> io.TextIOWrapper:
    # utf-8-sig: a byte order mark (Excel writes one) is not part of the first column's name.
    return open(path, encoding="utf-8-sig", errors="strict", newline="")


def _csv_header(names: list[str], by_lower: dict[str, Column]) -> list[Column]:
    targets: list[Column] = []
    unknown = []
    for name in names:
        column = by_lower.get(name.strip().lower())
        if column is None:
            unknown.append(name)
        else:
            targets.append(column)
    if unknown:
        audit = [name for name in unknown if is_audit_column(name.strip())]
        if audit:
            message = f"Column '{audit[0].strip()}' is set by the service and cannot be written"
        else:
            message = "the header names column(s) " + ", ".join(f"'{n}'" for n in unknown)
            message += " that the table does not have"
        raise SchemaValidationError(
            f"Schema validation failed: Line 1: {message}",
            details={"unknown_columns": unknown, "expected_schema": expected_schema(by_lower.values())},
        )
    seen: set[str] = set()
    for column in targets:
        if column.name in seen:
            raise SchemaValidationError(
                f"Schema validation failed: Line 1: Column '{column.name}' is given twice"
            )
        seen.add(column.name)
    return targets


def _csv_row(
    fields: list[str], targets: list[tuple[str, Callable[[str], Any]]], options: CsvOptions, line: int
) -> dict[str, Any]:
    if len(fields) != len(targets):
        raise FileProblem(
            f"Line {line}: {len(fields)} field(s), but the "
            + ("header names" if options.header else "table has")
            + f" {len(targets)} column(s)",
            details={"line": line},
        )
    null = options.null_value
    return {
        name: None if text == "" or text == null else convert(text)
        for (name, convert), text in zip(targets, fields, strict=True)
    }


def _from_text(column: Column) -> Callable[[str], Any]:
    """How CSV text becomes the JSON value a write would carry, where the column's type says
    what it is and the text is one; otherwise the text itself, which validation then refuses."""
    base = column.base_type
    if base in _INTEGER_TYPES:
        return _integer
    if base in ("DOUBLE", "FLOAT"):
        return _number
    if base == "BOOLEAN":
        return _boolean
    if base in _COMPLEX_TYPES:
        return _json
    return _text_value


def _integer(text: str) -> Any:
    return int(text) if _INTEGER_TEXT(text) else text


def _number(text: str) -> Any:
    return float(text) if _NUMBER_TEXT(text) else text


def _boolean(text: str) -> Any:
    lowered = text.lower()
    return True if lowered == "true" else False if lowered == "false" else text


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _text_value(text: str) -> str:
    return text


# --- NDJSON -----------------------------------------------------------------------------------


def _ndjson_batches(path: Path) -> Iterator[RowBatch]:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    batch = RowBatch([], [])
    with open(path, "rb") as raw:
        for line, data in enumerate(iter(lambda: raw.readline(MAX_LINE_BYTES + 1), b""), start=1):
            if len(data) > MAX_LINE_BYTES:
                raise FileProblem(
                    f"Line {line} is longer than {MAX_LINE_BYTES} bytes", details={"line": line}
                )
            try:
                text = decoder.decode(data)
            except UnicodeDecodeError:
                raise FileProblem(f"Line {line}: not UTF-8 text", details={"line": line}) from None
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except ValueError as error:
                raise FileProblem(f"Line {line}: not JSON: {error}", details={"line": line}) from None
            if type(row) is not dict:
                raise FileProblem(f"Line {line}: a line must be one JSON object", details={"line": line})
            batch.lines.append(line)
            batch.rows.append(row)
            if len(batch.rows) >= BATCH_ROWS:
                yield batch
                batch = RowBatch([], [])
    if batch.rows:
        yield batch


# --- Parquet ----------------------------------------------------------------------------------


def _parquet_batches(path: Path) -> Iterator[RowBatch]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        raise FileProblem(f"Not a Parquet file: {error}") from None
    schema = parquet.schema_arrow
    seen: set[str] = set()
    for name in schema.names:
        if name.lower() in seen:
            raise FileProblem(f"The Parquet file has two columns named '{name}' (names are case-insensitive)")
        seen.add(name.lower())
    converters = [(field.name, _arrow_converter(field.name, field.type)) for field in schema]
    position = 0
    with parquet:
        try:
            for record_batch in parquet.iter_batches(batch_size=BATCH_ROWS):
                columns = [record_batch.column(index).to_pylist() for index in range(len(converters))]
                for index, (_, convert) in enumerate(converters):
                    if convert is not None:
                        columns[index] = [None if v is None else convert(v) for v in columns[index]]
                names = [name for name, _ in converters]
                rows = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
                yield RowBatch(list(range(position + 1, position + 1 + len(rows))), rows)
                position += len(rows)
        except (pa.ArrowException, ValueError, OverflowError) as error:
            # A value Python cannot hold (a year past 9999, nanoseconds): named, never a 500.
            raise FileProblem(f"Row {position + 1}: the Parquet file cannot be read: {error}") from None


def _arrow_converter(column: str, arrow_type: Any) -> Callable[[Any], Any] | None:
    """How a value of ``arrow_type`` (as pyarrow gives it) becomes the shape a JSON write
    carries (``None``: it already is); ``FileProblem`` for a type no Databricks column reads."""
    import pyarrow as pa

    types = pa.types
    if (
        types.is_boolean(arrow_type)
        or types.is_integer(arrow_type)
        or types.is_floating(arrow_type)
        or types.is_string(arrow_type)
        or types.is_large_string(arrow_type)
        or types.is_null(arrow_type)
    ):
        return None
    if types.is_decimal(arrow_type):
        return str
    if types.is_date(arrow_type) or types.is_timestamp(arrow_type):
        return _isoformat
    if (
        types.is_binary(arrow_type)
        or types.is_large_binary(arrow_type)
        or types.is_fixed_size_binary(arrow_type)
    ):
        return _base64
    if types.is_list(arrow_type) or types.is_large_list(arrow_type):
        element = _arrow_converter(column, arrow_type.value_type)
        if element is None:
            return None
        return lambda items: [None if item is None else element(item) for item in items]
    if types.is_map(arrow_type):
        key = _arrow_converter(column, arrow_type.key_type) or _same
        value = _arrow_converter(column, arrow_type.item_type) or _same
        return lambda pairs: {key(k): None if v is None else value(v) for k, v in pairs}
    if types.is_struct(arrow_type):
        fields = [(field.name, _arrow_converter(column, field.type)) for field in arrow_type]
        if all(convert is None for _, convert in fields):
            return None
        return lambda obj: {
            name: obj[name] if convert is None or obj[name] is None else convert(obj[name])
            for name, convert in fields
        }
    raise FileProblem(
        f"Parquet column '{column}' is {arrow_type}, which no Databricks column type takes",
        details={"column": column, "type": str(arrow_type)},
    )


def _isoformat(value: datetime.date) -> str:
    return value.isoformat()


def _base64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _same(value: Any) -> Any:
    return value
