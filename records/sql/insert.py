"""Inserts: batches of rows, each ONE JSON parameter, idempotent by ``record_uuid``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from warehouse.sql import (
    Statement,
    TableName,
    json_array_chunks,
    json_rows,
    merge_new_rows,
    parameter_bytes,
    quote_identifier,
    to_json,
)

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
    max_parameter_bytes: int,
) -> list[Statement]:
    """One idempotent statement per batch of ``rows``, each batch ONE JSON parameter ``:rows``.

    ``columns`` are the table's real columns (audit columns included, as ``DESCRIBE`` shows
    them). ``rows`` are validated, JSON-ready values keyed by column name, each carrying its
    ``record_uuid`` when the table has that column. Batches are cut so that each statement's
    parameter values stay within ``max_parameter_bytes``, never inside a row; a row that cannot
    fit alone is ``ParameterTooLarge`` (submit refuses such rows first).

    With ``record_uuid`` in the table the statement is a ``MERGE ... WHEN NOT MATCHED THEN
    INSERT``: a row whose uuid is already there is skipped, so running a batch twice lands
    it once (the second run reports ``num_inserted_rows`` 0). Without ``record_uuid`` it is
    a plain ``INSERT INTO ... SELECT``. Audit values come from SQL, only for the audit
    columns the table has: ``is_deleted`` false, ``inserted_at`` ``current_timestamp()``,
    ``inserted_by`` ``:principal``, ``updated_*``/``deleted_*`` NULL. The count inserted is the
    warehouse's ``num_inserted_rows``.
    """
    named = by_name(columns)
    dedupe = "record_uuid" in named
    source = insert_source(columns)
    if not source:
        raise ValueError(f"Table {table} has no columns to insert into")
    sql = _insert_sql(table, source, named, dedupe)
    audit_params = {"principal": principal} if "inserted_by" in named else {}
    capacity = max_parameter_bytes - parameter_bytes(audit_params)
    encoded = _encoded_rows(source, rows, require_uuid=dedupe)
    return [
        Statement(sql, {"rows": batch, **audit_params}) for batch, _ in json_array_chunks(encoded, capacity)
    ]


def grouped_insert(table: TableName, columns: Sequence[Column], encoded: Sequence[str]) -> Statement:
    """ONE statement landing the rows of several jobs (group commit), each row already encoded
    by ``encode_grouped_row`` with its own job's principal; idempotent by ``record_uuid``
    like ``insert_batches`` (which the table must have). The caller keeps ``encoded`` within
    the parameter budget (``grouped_parameter_bytes``); ``Statement`` refuses more than 1 MiB."""
    named = by_name(columns)
    if "record_uuid" not in named:
        raise ValueError(f"Table {table} has no record_uuid column: its writes are not grouped")
    sql = _insert_sql(
        table, insert_source(columns), named, dedupe=True, principal_in_rows="inserted_by" in named
    )
    return Statement(sql, {"rows": "[" + ",".join(encoded) + "]"})


def encode_grouped_rows(
    columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], principal: str
) -> list[str]:
    """One job's ``rows`` as ``grouped_insert`` carries them: batch rows (each with its
    ``record_uuid``) plus the job's ``inserted_by``."""
    carries_principal = any(c.name.lower() == "inserted_by" for c in columns)
    return list(
        _encoded_rows(
            insert_source(columns),
            rows,
            require_uuid=True,
            principal=principal if carries_principal else None,
        )
    )


def grouped_parameter_bytes(encoded_bytes: int, rows: int) -> int:
    """The ``:rows`` parameter's bytes for ``rows`` encoded rows of ``encoded_bytes`` in all."""
    return encoded_bytes + max(rows - 1, 0) + 2  # commas and brackets


# The field of a grouped row that carries its job's principal (an audit column's name, so no
# data column can have it).
_ROW_PRINCIPAL = "inserted_by"


def _insert_sql(
    table: TableName,
    source: Sequence[Column],
    named: Mapping[str, Column],
    dedupe: bool,
    *,
    principal_in_rows: bool = False,
) -> str:
    fields = [(c.name, json_type(c)) for c in source]
    select = ", ".join(
        f"{from_json_field(quote_identifier(c.name), c)} AS {quote_identifier(c.name)}" for c in source
    )
    if principal_in_rows:
        fields.append((_ROW_PRINCIPAL, "STRING"))
        select += f", {quote_identifier(_ROW_PRINCIPAL)} AS {quote_identifier(_ROW_PRINCIPAL)}"
    targets = [quote_identifier(c.name) for c in source]
    values = [f"s.{quote_identifier(c.name)}" for c in source]
    for audit in AUDIT_COLUMNS:
        column = named.get(audit.name)
        if column is None or audit.name == "record_uuid":
            continue
        targets.append(quote_identifier(column.name))
        if principal_in_rows and audit.name == "inserted_by":
            values.append(f"s.{quote_identifier(_ROW_PRINCIPAL)}")
            continue
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


def insert_source(columns: Sequence[Column]) -> list[Column]:
    """The columns a batch row carries: the table's data columns, then ``record_uuid`` if it
    has one (the audit values come from SQL)."""
    data = [c for c in columns if not is_audit_column(c.name)]
    uuid = [c for c in columns if c.name.lower() == "record_uuid"]
    return [*data, *uuid[:1]]


def batch_row(source: Sequence[Column], row: Mapping[str, Any]) -> dict[str, Any]:
    """``row`` as a batch carries it: every ``source`` column, NULL where the row has none."""
    return {c.name: row[c.name] if c.name in row else _folded(row, c.name) for c in source}


def _encoded_rows(
    source: Sequence[Column],
    rows: Iterable[Mapping[str, Any]],
    *,
    require_uuid: bool,
    principal: str | None = None,
) -> Iterator[str]:
    """Each row's batch row as JSON; with ``principal``, carrying it as its ``inserted_by``."""
    for index, row in enumerate(rows):
        values = batch_row(source, row)
        if require_uuid and not values[source[-1].name]:
            raise ValueError(f"Row {index} has no record_uuid (assigned when the job is submitted)")
        if principal is not None:
            values[_ROW_PRINCIPAL] = principal
        yield to_json(values)
