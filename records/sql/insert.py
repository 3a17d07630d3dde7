"""Inserts: batches of rows, each ONE JSON parameter, idempotent by ``record_uuid``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from warehouse.sql import Statement, TableName, json_rows, merge_new_rows, quote_identifier, to_json

from ..tables import AUDIT_COLUMNS, Column, is_audit_column
from .values import by_name, checked_type, from_json_field, json_type

# The SQL value of each audit column of an inserted row; the others are NULL.
_AUDIT_VALUES = {"is_deleted": "false", "inserted_at": "current_timestamp()", "inserted_by": ":principal"}


def insert_batches(
    table: TableName,
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Any]],
    *,
    principal: str,
    max_batch_bytes: int,
) -> list[Statement]:
    """One idempotent statement per batch of ``rows``, each batch ONE JSON parameter ``:rows``.

    ``columns`` are the table's real columns (audit columns included, as ``DESCRIBE`` shows
    them). ``rows`` are validated, JSON-ready values keyed by column name, each carrying its
    ``record_uuid`` when the table has that column. Batches are cut by the JSON size in
    UTF-8 bytes (``max_batch_bytes``), never inside a row; a row larger than the limit goes
    alone.

    With ``record_uuid`` in the table the statement is a ``MERGE ... WHEN NOT MATCHED THEN
    INSERT``: a row whose uuid is already there is skipped, so running a batch twice lands
    it once (the second run reports ``num_inserted_rows`` 0). Without ``record_uuid`` it is
    a plain ``INSERT INTO ... SELECT``. Audit values come from SQL, only for the audit
    columns the table has: ``is_deleted`` false, ``inserted_at`` ``current_timestamp()``,
    ``inserted_by`` ``:principal``, ``updated_*``/``deleted_*`` NULL. The count inserted is the
    warehouse's ``num_inserted_rows``.
    """
    if max_batch_bytes <= 0:
        raise ValueError("max_batch_bytes must be positive")
    named = by_name(columns)
    data = [c for c in columns if not is_audit_column(c.name)]
    dedupe = "record_uuid" in named
    source = [*data, named["record_uuid"]] if dedupe else data
    if not source:
        raise ValueError(f"Table {table} has no columns to insert into")
    sql = _insert_sql(table, source, named, dedupe)
    audit_params = {"principal": principal} if "inserted_by" in named else {}
    return [
        Statement(sql, {"rows": batch, **audit_params})
        for batch in _json_batches(source, rows, max_batch_bytes, require_uuid=dedupe)
    ]


def _insert_sql(table: TableName, source: Sequence[Column], named: Mapping[str, Column], dedupe: bool) -> str:
    fields = [(c.name, json_type(c)) for c in source]
    select = ", ".join(
        f"{from_json_field(quote_identifier(c.name), c)} AS {quote_identifier(c.name)}" for c in source
    )
    targets = [quote_identifier(c.name) for c in source]
    values = [f"s.{quote_identifier(c.name)}" for c in source]
    for audit in AUDIT_COLUMNS:
        column = named.get(audit.name)
        if column is None or audit.name == "record_uuid":
            continue
        targets.append(quote_identifier(column.name))
        values.append(_AUDIT_VALUES.get(audit.name, f"CAST(NULL AS {checked_type(column.data_type)})"))
    from_rows = f"SELECT {select} FROM {json_rows('rows', fields)}"
    if dedupe:
        return merge_new_rows(table, source=from_rows, key="record_uuid", columns=targets, values=values)
    return (
        f"INSERT INTO {table.quoted} ({', '.join(targets)}) "
        f"SELECT {', '.join(values)} FROM ({from_rows}) AS s"
    )


def _folded(row: Mapping[str, Any], name: str) -> Any:
    """``row``'s value for column ``name`` spelled in another case, or None (a missing value)."""
    lowered = name.lower()
    return next((value for key, value in row.items() if str(key).lower() == lowered), None)


def _json_batches(
    source: Sequence[Column], rows: Iterable[Mapping[str, Any]], max_batch_bytes: int, *, require_uuid: bool
) -> Iterable[str]:
    """JSON arrays of the rows' ``source`` fields, each at most ``max_batch_bytes`` (UTF-8)
    unless a single row is larger."""
    names = [c.name for c in source]
    batch: list[str] = []
    size = 2  # the brackets
    for index, row in enumerate(rows):
        values = {name: row[name] if name in row else _folded(row, name) for name in names}
        if require_uuid and not values[names[-1]]:
            raise ValueError(f"Row {index} has no record_uuid (assigned when the job is submitted)")
        text = to_json(values)
        length = len(text.encode("utf-8"))
        added = length + (1 if batch else 0)
        if batch and size + added > max_batch_bytes:
            yield "[" + ",".join(batch) + "]"
            batch, size, added = [], 2, length
        batch.append(text)
        size += added
    if batch:
        yield "[" + ",".join(batch) + "]"
