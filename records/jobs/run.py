"""Running a claimed job on the warehouse, and the result body it ends with.

The result of a succeeded job is exactly what the original synchronous endpoint returned
(seed contract): ``{"message", "count"}`` for a write, ``{"data", "count", "total"}`` for an
update or delete; an upsert's is ``{"message", "count", "inserted", "updated"}``. Warehouse
errors are sorted by the client: transient ones propagate (the task retries), permanent ones
become ``JobFailed`` with the warehouse's message and class.
Progress goes to the ``report`` callback, so a re-run can resume where the last one stopped.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.utils import timezone

from warehouse.client import StatementResult, get_client
from warehouse.exceptions import PermanentWarehouseError
from warehouse.sql import ParameterTooLarge, Statement, TableName

from .. import sql
from ..catalog import table_columns, table_columns_forget
from ..models import Job
from ..tables import Column
from ..validation.rows import SchemaValidationError
from ..validation.table import check_known_columns
from .errors import JobFailed
from .ingest import ingest_run
from .lifecycle import job_stop_if_canceled
from .payloads import (
    DeletePayload,
    IngestPayload,
    KeyedPayload,
    Payload,
    UpdatePayload,
    UpsertPayload,
    WritePayload,
    decode_payload,
)
from .privileges import job_require_privileges

logger = logging.getLogger(__name__)

# Called with the progress to merge into ``Job.progress`` (``batches_done=3``...).
ProgressReport = Callable[..., None]


def job_execute(job: Job, report: ProgressReport) -> dict[str, Any]:
    """Run ``job`` (claimed by the caller) and answer its result body.

    The table's columns come from the shared cache (submit filled it): no lookup per job. When
    the warehouse refuses a statement for a schema reason the cache entry is dropped and the
    job runs once more against the table's columns as they are now (rows naming a column that
    is gone fail it, nothing written).
    """
    table = TableName(job.catalog, job.schema, job.table)
    payload = decode_payload(job.operation, job.payload)
    job_require_privileges(job, table, payload)
    try:
        try:
            return _run(job, table, payload, report, fresh=False)
        except PermanentWarehouseError as error:
            if not is_schema_error(error):
                raise
            logger.info("job %s: %s; looking at %s's columns again", job.job_id, error.error_class, table)
            table_columns_forget(table)
            return _run(job, table, payload, report, fresh=True)
    except PermanentWarehouseError as error:
        raise JobFailed(error.message, error_class=error.error_class) from error
    except ParameterTooLarge as error:
        # Submit refuses what cannot fit; a job stored before the budget shrank fails here, named.
        raise JobFailed(
            str(error), error_class="PARAMETER_BUDGET_EXCEEDED", error_type="ParameterTooLarge"
        ) from error


def is_schema_error(error: PermanentWarehouseError) -> bool:
    """True when the warehouse refused a statement because the table is not as cached."""
    return (error.error_class or "").split(".")[0] in SCHEMA_ERROR_CLASSES


# Error classes that mean "the table's columns changed": the cached columns are stale.
SCHEMA_ERROR_CLASSES = frozenset(
    {
        "UNRESOLVED_COLUMN",
        "FIELD_NOT_FOUND",
        "TABLE_OR_VIEW_NOT_FOUND",
        "DELTA_SCHEMA_CHANGED",
        "DELTA_MERGE_UNRESOLVED_EXPRESSION",
        "DELTA_METADATA_CHANGED",
        "DELTA_COLUMN_NOT_FOUND",
        "COLUMN_NOT_FOUND",
        "DATATYPE_MISMATCH",
        "INSERT_COLUMN_ARITY_MISMATCH",
        # COPY INTO of files staged for other columns than the table's (ingest).
        "DELTA_METADATA_MISMATCH",
        "DELTA_MISSING_NOT_NULL_COLUMN_VALUE",
    }
)


def _run(
    job: Job, table: TableName, payload: Payload, report: ProgressReport, *, fresh: bool
) -> dict[str, Any]:
    if isinstance(payload, WritePayload):
        return _write(job, table, payload, report, fresh=fresh)
    if isinstance(payload, UpsertPayload):
        return _upsert(job, table, payload, report, fresh=fresh)
    if isinstance(payload, IngestPayload):
        return ingest_run(job, table, payload, _target(table, payload, fresh=fresh), report)
    columns = _columns(table, fresh=fresh)
    if isinstance(payload, UpdatePayload):
        return _update(job, table, payload, columns, report)
    return _delete(job, table, payload, columns, report)


def _execute(statement: Statement) -> StatementResult:
    return get_client().execute(statement.sql, statement.params)


def run_statement(statement: Statement) -> dict[str, int]:
    """Run one DML statement; the counts the warehouse reported for it."""
    return _execute(statement).dml_counts()


def _columns(table: TableName, *, fresh: bool = False) -> dict[str, Column]:
    columns = table_columns(table, fresh=fresh, max_age=math.inf)
    if columns is None:
        raise JobFailed(f"Table {table} does not exist", error_class="TABLE_OR_VIEW_NOT_FOUND")
    return {c.name.lower(): c for c in columns}


def _budget() -> int:
    return int(settings.RECORDS_MAX_PARAMETER_BYTES)


def _target(
    table: TableName, payload: WritePayload | UpsertPayload | IngestPayload, *, fresh: bool
) -> tuple[Column, ...]:
    """The columns of the table the rows go to, created first with ``auto_create``."""
    if payload.auto_create and payload.columns:
        _execute(sql.create_table(table, payload.columns))
        table_columns_forget(table)
        fresh = True
    return tuple(_columns(table, fresh=fresh).values())


def _write(
    job: Job, table: TableName, payload: WritePayload, report: ProgressReport, *, fresh: bool
) -> dict[str, Any]:
    target = _target(table, payload, fresh=fresh)
    _refuse_unknown_columns(table, payload.rows, target)
    dedupe = any(c.name.lower() == "record_uuid" for c in target)
    rows, landed_before = payload.rows, 0
    if dedupe and (job.attempts > 1 or fresh):
        # An earlier attempt (or this one, before the schema changed) may have landed some rows:
        # their record_uuids say which, whatever batches that attempt cut.
        landed = existing_record_uuids(table, [row["record_uuid"] for row in rows])
        rows = [row for row in rows if row["record_uuid"] not in landed]
        landed_before = len(landed)
    statements = sql.insert_batches(
        table, target, rows, principal=job.principal, max_parameter_bytes=_budget()
    )

    def inserted(statement: Statement, counts: dict[str, int]) -> int:
        count = counts.get("num_inserted_rows", counts.get("num_affected_rows", 0))
        return _landed_in_batch(table, statement, count) if dedupe else count

    report(rows_landed_before=landed_before)
    count = landed_before + _run_all(job, statements, report, inserted, progress=WRITE_PROGRESS, resume=False)
    return {"message": f"Inserted {count} record(s) into {table}", "count": count}


# The progress keys of an upsert (``upserted_at`` is its update mark, chosen once).
UPSERT_PROGRESS = ("batches_total", "batches_done", "rows_done", "rows_inserted", "rows_updated")


def _upsert(
    job: Job, table: TableName, payload: UpsertPayload, report: ProgressReport, *, fresh: bool
) -> dict[str, Any]:
    """Merge the rows by key, a batch per statement, and count what was inserted and updated.

    Exactly once: the job's ``upserted_at`` (every updated row's ``updated_at``) is stored in
    its progress before the first statement. A job that ran before (it has one) runs again
    from the first row not known done; its statements leave alone the rows carrying one of
    its record_uuids or its mark, so nothing is applied twice and no ``updated_at`` moves.
    Its counts then come from the table, not from the statements (which saw earlier work as
    done): rows inserted = its record_uuids present, rows updated = rows with its mark. A
    first run trusts the warehouse's ``num_inserted_rows``/``num_updated_rows``.
    """
    target = _target(table, payload, fresh=fresh)
    _refuse_unknown_columns(table, payload.rows, target)
    _refuse_unusable_keys(table, payload, target)
    ran_before = "upserted_at" in job.progress
    upserted_at = str(job.progress.get("upserted_at") or sql.upsert_stamp(timezone.now()))
    progress = {key: int(job.progress.get(key, 0)) if ran_before else 0 for key in UPSERT_PROGRESS}
    rows = sql.upsert_order(payload.rows)
    statements = sql.upsert_batches(
        table,
        target,
        rows[progress["rows_done"] :],
        key_columns=payload.key_columns,
        principal=job.principal,
        upserted_at=upserted_at,
        match_deleted=payload.match_deleted,
        max_parameter_bytes=_budget(),
    )
    progress["batches_total"] = progress["batches_done"] + len(statements)
    report(upserted_at=upserted_at, **progress)
    for statement, count in statements:
        job_stop_if_canceled(job)  # between statements, as for the other operations
        counts = _execute(statement).dml_counts()
        progress["batches_done"] += 1
        progress["rows_done"] += count
        progress["rows_inserted"] += counts.get("num_inserted_rows", 0)
        progress["rows_updated"] += counts.get("num_updated_rows", 0)
        report(**progress)
    if ran_before:
        progress["rows_inserted"] = len(existing_record_uuids(table, [row["record_uuid"] for row in rows]))
        (marked,) = _execute(sql.count_updated_by(table, job.principal, upserted_at)).rows
        progress["rows_updated"] = int(marked[0])
        report(**progress)
    inserted, updated = progress["rows_inserted"], progress["rows_updated"]
    count = inserted + updated
    return {
        "message": f"Upserted {count} record(s) into {table}",
        "count": count,
        "inserted": inserted,
        "updated": updated,
    }


def _refuse_unusable_keys(table: TableName, payload: UpsertPayload, target: tuple[Column, ...]) -> None:
    """Submit's key checks, against the table as it is now (another job may have created it
    with other columns): nothing is written."""
    columns = {c.name.lower(): c for c in target}
    for name in payload.key_columns:
        column = columns.get(name.lower())
        if column is None or column.nullable:
            problem = "is not a column" if column is None else "is nullable"
            raise JobFailed(
                f"Key column '{name}' {problem} of table {table}: nothing was written",
                error_class="UNRESOLVED_COLUMN" if column is None else "INVALID_KEY_COLUMN",
                error_type="SchemaValidationError",
            )
    missing = [name for name in sql.UPSERT_AUDIT_COLUMNS if name not in columns]
    if missing:
        raise JobFailed(
            f"Table {table} has no {', '.join(missing)} column: nothing was written",
            error_class="UNRESOLVED_COLUMN",
            error_type="SchemaValidationError",
        )


def existing_record_uuids(table: TableName, uuids: Sequence[str]) -> set[str]:
    """The ``uuids`` that are in the table already (each names one row of one job)."""
    if not uuids:
        return set()
    uuid_column = Column("record_uuid", "STRING")
    lookups = sql.keyed_statements(partial(sql.find_existing_keys, table, uuid_column), uuids, _budget())
    return {str(row[0]) for lookup in lookups for row in _execute(lookup).rows}


def _landed_in_batch(table: TableName, statement: Statement, inserted: int) -> int:
    """How many rows of a batch are in the table: the warehouse's count, or, when that is short
    (another attempt landed some meanwhile), a lookup of the batch's record_uuids, which only
    this job's rows carry."""
    uuids = [row["record_uuid"] for row in json.loads(statement.params["rows"])]
    if inserted >= len(uuids):
        return inserted
    return len(existing_record_uuids(table, uuids))


def _refuse_unknown_columns(table: TableName, rows: list[dict[str, Any]], target: tuple[Column, ...]) -> None:
    """Rows set only columns the table has (submit's check, again against the table as it is
    now): a table created meanwhile by another job with other columns fails the job, nothing
    written, rather than losing values."""
    try:
        check_known_columns(table, rows, target)
    except SchemaValidationError as error:
        raise JobFailed(
            f"{error.message}: nothing was written",
            error_class="UNRESOLVED_COLUMN",
            error_type="SchemaValidationError",
        ) from error


# The progress keys of a write (as before) and of an update or delete: total, done, rows.
WRITE_PROGRESS = ("batches_total", "batches_done", "rows_inserted")
CHANGE_PROGRESS = ("statements_total", "statements_done", "rows_affected")


def _affected(statement: Statement, counts: dict[str, int]) -> int:
    return counts.get("num_affected_rows", 0)


def _run_all(
    job: Job,
    statements: list[Statement],
    report: ProgressReport,
    count: Callable[[Statement, dict[str, int]], int] = _affected,
    *,
    progress: tuple[str, str, str] = CHANGE_PROGRESS,
    resume: bool = True,
) -> int:
    """Run ``statements`` in order, resuming (with ``resume``) after those a re-delivered job
    already ran (its progress says how many), and report progress after each; the sum of
    their ``count``. (A write does not resume by index: it leaves out the rows that landed.)"""
    total_key, done_key, rows_key = progress
    done = int(job.progress.get(done_key, 0)) if resume else 0
    rows = int(job.progress.get(rows_key, 0)) if resume else 0
    report(**{total_key: len(statements), done_key: done, rows_key: rows})
    for index in range(done, len(statements)):
        # A cancel stops the job here, between statements (past the last one, it succeeds).
        job_stop_if_canceled(job)
        rows += count(statements[index], _execute(statements[index]).dml_counts())
        report(**{done_key: index + 1, rows_key: rows})
    return rows


def _keyed(payload: KeyedPayload, columns: dict[str, Column]) -> tuple[Column, list[Any]] | None:
    keys = payload.requested_keys()
    if keys is None or payload.key_column is None:
        return None
    return columns[payload.key_column.lower()], keys


def change_statements(
    table: TableName, payload: UpdatePayload | DeletePayload, columns: dict[str, Column], principal: str
) -> list[Statement]:
    """The statements of an update or delete, each within the parameter budget.

    ``ParameterTooLarge`` when the change cannot be cut to fit: a filter's ``in`` list, a key
    or an item larger than the budget. Submit calls this too, so such a request is a 400.
    """
    budget, keyed = _budget(), _keyed(payload, columns)
    if keyed is None:
        filters = payload.filters or []
        if isinstance(payload, UpdatePayload):
            statement = sql.update_by_filters(table, filters, payload.updates or {}, columns, principal)
        elif payload.soft:
            statement = sql.soft_delete_by_filters(table, filters, columns, principal)
        else:
            statement = sql.hard_delete_by_filters(table, filters, columns)
        if statement.parameter_bytes > budget:
            raise ParameterTooLarge(None, statement.parameter_bytes, budget)
        return [statement]
    key, keys = keyed
    build: Callable[[Sequence[Any]], Statement]
    if isinstance(payload, UpdatePayload):
        if payload.bulk_updates is not None:
            return sql.update_bulk_statements(table, key, payload.bulk_updates, columns, principal, budget)
        updates = payload.updates or {}
        build = partial(sql.update_by_keys, table, key, updates=updates, columns=columns, principal=principal)
    elif payload.soft:
        build = partial(sql.soft_delete_by_keys, table, key, columns=columns, principal=principal)
    else:
        build = partial(sql.hard_delete_by_keys, table, key)
    return sql.keyed_statements(build, keys, budget)


def _not_found(
    job: Job, table: TableName, payload: KeyedPayload, columns: dict[str, Column], report: ProgressReport
) -> list[Any]:
    """The requested keys that are not in the table, in request order, from keyed lookups run
    before the change; kept in the progress, so a resumed job answers what the first run saw."""
    keyed = _keyed(payload, columns)
    if keyed is None:
        return []
    if "not_found" in job.progress:
        return list(job.progress["not_found"])
    key, keys = keyed
    rows: list[tuple[Any, ...]] = []
    for statement in sql.keyed_statements(partial(sql.find_existing_keys, table, key), keys, _budget()):
        rows += _execute(statement).rows
    not_found = sql.keys_not_found(keys, rows)
    report(not_found=not_found)
    return not_found


def _update(
    job: Job, table: TableName, payload: UpdatePayload, columns: dict[str, Column], report: ProgressReport
) -> dict[str, Any]:
    not_found = _not_found(job, table, payload, columns, report)
    count = _run_all(job, change_statements(table, payload, columns, job.principal), report)
    entry: dict[str, Any] = {"updated_at": timezone.now().isoformat(), "updated_by": job.principal}
    if not_found:
        entry["not_found"] = not_found
    return {"data": [entry], "count": count, "total": None}


def _delete(
    job: Job, table: TableName, payload: DeletePayload, columns: dict[str, Column], report: ProgressReport
) -> dict[str, Any]:
    not_found = _not_found(job, table, payload, columns, report)
    count = _run_all(job, change_statements(table, payload, columns, job.principal), report)
    data: list[dict[str, Any]] = [{"is_deleted": True} if payload.soft else {"deleted": True}]
    if not_found:
        data.append({"not_found": not_found})
    return {"data": data, "count": count, "total": None}
