"""Upserts: rows merged into a table by key columns, a batch per statement, each batch ONE JSON
parameter ``:rows``; a statement run twice by the same job changes nothing the second time."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from warehouse.sql import (
    Statement,
    TableName,
    json_array_chunks,
    json_rows,
    parameter_bytes,
    quote_identifier,
    to_json,
)

from ..tables import AUDIT_COLUMNS, Column, is_audit_column
from .insert import batch_row, insert_source
from .values import by_name, checked_type, column_named, from_json_field, json_type, not_deleted

# The audit columns an upsert needs: the row's identity (exactly-once inserts) and the job's
# mark on the rows it updated (exactly-once updates).
UPSERT_AUDIT_COLUMNS = ("record_uuid", "updated_at", "updated_by")
# ``upsert_stamp``'s text is always this long: what the budget keeps for it at submit.
UPSERT_STAMP_BYTES = len("2025-01-01T00:00:00.000000+00:00")

_STAMP = "CAST(:upserted_at AS TIMESTAMP)"
_INSERTED = {"is_deleted": "false", "inserted_at": "current_timestamp()", "inserted_by": ":principal"}


def upsert_stamp(now: datetime.datetime) -> str:
    """The ``updated_at`` of every row a job updates, chosen once per job (in UTC, to the
    microsecond, always ``UPSERT_STAMP_BYTES`` long)."""
    return now.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def upsert_order(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """``rows`` in the order their statements carry them: grouped by the columns each carries
    (groups in order of first appearance, rows in request order within a group), since a
    statement updates the same columns of every row it matches."""
    groups: dict[frozenset[str], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(_carried(row), []).append(row)
    return [row for group in groups.values() for row in group]


def upsert_batches(
    table: TableName,
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Any]],
    *,
    key_columns: Sequence[str],
    principal: str,
    upserted_at: str,
    match_deleted: bool,
    max_parameter_bytes: int,
) -> list[tuple[Statement, int]]:
    """One ``MERGE`` per batch of ``rows`` (in ``upsert_order``), with the rows it carries.

    ``columns`` are the table's (with ``UPSERT_AUDIT_COLUMNS``); rows are validated, keyed by
    column name, each with its ``record_uuid``. A row whose key columns all equal a live row's
    (or any row's, with ``match_deleted``, which revives it: ``is_deleted`` false,
    ``deleted_*`` NULL) updates the columns it carries, ``updated_at`` = ``upserted_at`` and
    ``updated_by`` = ``principal``; a row with no match is inserted as a write inserts it.

    Exactly once: a matched row that carries the source row's ``record_uuid`` (this job
    inserted it) or already has this job's ``updated_at``/``updated_by`` (this job updated it)
    is left alone, so running a statement again inserts and updates nothing. Batches stay
    within ``max_parameter_bytes`` of parameter values, never cut inside a row.
    """
    named = by_name(columns)
    missing = [name for name in UPSERT_AUDIT_COLUMNS if name not in named]
    if missing:
        raise ValueError(f"Table {table} has no {', '.join(missing)} column: it cannot be upserted into")
    keys = [column_named(named, name) for name in key_columns]
    if not keys:
        raise ValueError("An upsert needs at least one key column")
    source = insert_source(columns)
    params = {"principal": principal, "upserted_at": upserted_at}
    capacity = max_parameter_bytes - parameter_bytes(params)
    statements: list[tuple[Statement, int]] = []
    groups: dict[frozenset[str], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(_carried(row), []).append(row)
    for carried, group in groups.items():
        sql = _upsert_sql(table, named, source, keys, carried, match_deleted=match_deleted)
        encoded = (to_json(batch_row(source, row)) for row in group)
        for batch, count in json_array_chunks(encoded, capacity):
            statements.append((Statement(sql, {"rows": batch, **params}), count))
    return statements


def count_updated_by(table: TableName, principal: str, upserted_at: str) -> Statement:
    """How many rows carry a job's update mark (the rows that job's upsert updated)."""
    return Statement(
        f"SELECT count(*) FROM {table.quoted} WHERE `updated_at` = {_STAMP} AND `updated_by` = :principal",
        {"principal": principal, "upserted_at": upserted_at},
    )


def _carried(row: Mapping[str, Any]) -> frozenset[str]:
    """The data columns ``row`` carries, lower case."""
    return frozenset(str(name).lower() for name in row if not is_audit_column(name))


def _upsert_sql(
    table: TableName,
    named: Mapping[str, Column],
    source: Sequence[Column],
    keys: Sequence[Column],
    carried: frozenset[str],
    *,
    match_deleted: bool,
) -> str:
    fields = [(c.name, json_type(c)) for c in source]
    select = ", ".join(
        f"{from_json_field(quote_identifier(c.name), c)} AS {quote_identifier(c.name)}" for c in source
    )
    on = [f"t.{quote_identifier(k.name)} = s.{quote_identifier(k.name)}" for k in keys]
    if not match_deleted and "is_deleted" in named:
        on.append(not_deleted("t"))  # a soft-deleted row is absent: the key is inserted anew
    key_names = {k.name.lower() for k in keys}
    assignments = [
        f"{quote_identifier(c.name)} = s.{quote_identifier(c.name)}"
        for c in source
        if c.name.lower() in carried and c.name.lower() not in key_names
    ]
    assignments += ["`updated_at` = " + _STAMP, "`updated_by` = :principal"]
    if match_deleted:
        revived = {"is_deleted": "false", "deleted_at": "NULL", "deleted_by": "NULL"}
        assignments += [
            f"{quote_identifier(named[name].name)} = {value}"
            for name, value in revived.items()
            if name in named
        ]
    not_yet = (
        "t.`record_uuid` IS DISTINCT FROM s.`record_uuid` "
        f"AND (t.`updated_at` IS DISTINCT FROM {_STAMP} OR t.`updated_by` IS DISTINCT FROM :principal)"
    )
    targets = [quote_identifier(c.name) for c in source]
    values = [f"s.{quote_identifier(c.name)}" for c in source]
    for audit in AUDIT_COLUMNS:
        column = named.get(audit.name)
        if column is None or audit.name == "record_uuid":
            continue
        targets.append(quote_identifier(column.name))
        values.append(_INSERTED.get(audit.name, f"CAST(NULL AS {checked_type(column.data_type)})"))
    return (
        f"MERGE INTO {table.quoted} AS t USING (SELECT {select} FROM {json_rows('rows', fields)}) AS s "
        f"ON {' AND '.join(on)} "
        f"WHEN MATCHED AND {not_yet} THEN UPDATE SET {', '.join(assignments)} "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(targets)}) VALUES ({', '.join(values)})"
    )
