"""Rows, update values and keys checked against a table's columns, and normalized for the warehouse.

Only the first problem is reported, in the original service's words: ``Schema validation
failed: Record 0: Column 'order_id' expects integer, got str``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from common.errors import ApiError

from ..tables import AUDIT_COLUMN_NAMES, Column, is_audit_column
from .generator import generate
from .identifiers import validate_identifier
from .runtime import InvalidValue, got_type
from .schema import expected_schema

# Bad rows listed in an error's details; the count covers them all.
MAX_REPORTED_ROWS = 100


class SchemaValidationError(ApiError):
    """A row, update or key value that does not fit the table's columns."""


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
        self.writable = tuple(c for c in columns if audit_writable or not is_audit_column(c.name))
        self.source, self._check = generate(self.writable, partial=partial)

    def __call__(self, rows: Sequence[Any], *, record: str | None = "Record {index}") -> list[dict[str, Any]]:
        """The normalized rows, or ``SchemaValidationError`` naming the first bad value.

        ``record`` labels the row in the message (``Record 3: ...``); ``None`` leaves it out.
        ``details`` lists the first bad value of each bad row (``invalid_records``, at most
        ``MAX_REPORTED_ROWS``) and how many rows are bad (``invalid_record_count``)."""
        try:
            return self._check(rows, 0)
        except InvalidValue as error:
            problems, count = self._problems(rows, error)
        raise SchemaValidationError(
            f"Schema validation failed: {problems[0].describe(record)}",
            details={
                "expected_schema": expected_schema(self.writable),
                "invalid_records": [{"record": p.index, "message": p.describe(record)} for p in problems],
                "invalid_record_count": count,
            },
        )

    def check_from(self, rows: Sequence[Any], start: int) -> list[dict[str, Any]]:
        """The normalized rows from ``start`` on; ``InvalidValue`` (its ``index`` into ``rows``)
        at the first bad one. For callers that label rows themselves (an upload's lines)."""
        return self._check(rows, start)

    def _problems(self, rows: Sequence[Any], first: InvalidValue) -> tuple[list[InvalidValue], int]:
        """The first problem of each bad row from ``first`` on (the first few), and their count."""
        problems, count, start = [first], 1, first.index + 1
        while start < len(rows):
            try:
                self._check(rows, start)
            except InvalidValue as problem:
                count += 1
                if len(problems) < MAX_REPORTED_ROWS:
                    problems.append(problem)
                start = problem.index + 1
            else:
                break
        return problems, count


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


def validate_update_values(columns: Iterable[Column], updates: Mapping[str, Any]) -> dict[str, Any]:
    """One ``updates`` object checked against the table's columns and normalized.

    Required columns may be left out but not set to null."""
    return compile_row_validator(columns, partial=True)([updates], record=None)[0]


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
                f"Schema validation failed: Record {index}: {got_type('an object', row)}"
            )
        if not AUDIT_COLUMN_NAMES.isdisjoint(row):
            name = sorted(AUDIT_COLUMN_NAMES.intersection(row))[0]
            problem = f"Column '{name}' is set by the service and cannot be written"
            raise SchemaValidationError(f"Schema validation failed: Record {index}: {problem}")


def check_update_names(updates: Mapping[str, Any]) -> Mapping[str, Any]:
    """Update keys are identifiers and not audit columns (values are checked against the table later)."""
    for name in updates:
        validate_identifier(name, "column")
        if is_audit_column(name):
            message = f"Schema validation failed: Column '{name}' is set by the service and cannot be written"
            raise SchemaValidationError(message)
    return updates
