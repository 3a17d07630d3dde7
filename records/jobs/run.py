"""Running a claimed job on the warehouse, and the result body it ends with.

The result of a succeeded job is exactly what the original synchronous endpoint returned
(seed contract): ``{"message", "count"}`` for a write, ``{"data", "count", "total"}`` for an
update or delete. Warehouse errors are sorted by the client: transient ones propagate (the
task retries), permanent ones become ``JobFailed`` with the warehouse's message and class.
Progress goes to the ``report`` callback, so a re-run can resume where the last one stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import timezone

from warehouse.client import StatementResult, get_client
from warehouse.exceptions import PermanentWarehouseError
from warehouse.sql import Statement, TableName

from .. import sql
from ..catalog import table_columns, table_columns_forget
from ..models import Job
from ..tables import Column
from .errors import JobFailed
from .payloads import DeletePayload, KeyedPayload, UpdatePayload, WritePayload, decode_payload

# Called with the progress to merge into ``Job.progress`` (``batches_done=3``...).
ProgressReport = Callable[..., None]


def job_execute(job: Job, report: ProgressReport) -> dict[str, Any]:
    """Run ``job`` (claimed by the caller) and answer its result body."""
    table = TableName(job.catalog, job.schema, job.table)
    payload = decode_payload(job.operation, job.payload)
    try:
        if isinstance(payload, WritePayload):
            return _write(job, table, payload, report)
        if isinstance(payload, UpdatePayload):
            return _update(job, table, payload)
        return _delete(job, table, payload)
    except PermanentWarehouseError as error:
        raise JobFailed(error.message, error_class=error.error_class) from error


def _execute(statement: Statement) -> StatementResult:
    return get_client().execute(statement.sql, statement.params)


def _columns(table: TableName) -> dict[str, Column]:
    columns = table_columns(table, fresh=True)
    if columns is None:
        raise JobFailed(f"Table {table} does not exist", error_class="TABLE_OR_VIEW_NOT_FOUND")
    return {c.name.lower(): c for c in columns}


def _write(job: Job, table: TableName, payload: WritePayload, report: ProgressReport) -> dict[str, Any]:
    if payload.auto_create and payload.columns:
        _execute(sql.create_table(table, payload.columns))
        table_columns_forget(table)
    target = tuple(_columns(table).values())
    statements = sql.insert_batches(
        table, target, payload.rows, principal=job.principal, max_batch_bytes=settings.RECORDS_MAX_BATCH_BYTES
    )
    # A re-delivered job resumes after the batches it already landed (each batch also skips
    # rows whose record_uuid is present, so a batch cut off mid-way cannot land twice).
    done = int(job.progress.get("batches_done", 0))
    inserted = int(job.progress.get("rows_inserted", 0))
    report(batches_total=len(statements), batches_done=done, rows_inserted=inserted)
    for index in range(done, len(statements)):
        counts = _execute(statements[index]).dml_counts()
        inserted += counts.get("num_inserted_rows", counts.get("num_affected_rows", 0))
        report(batches_done=index + 1, rows_inserted=inserted)
    return {"message": f"Inserted {inserted} record(s) into {table}", "count": inserted}


def _keyed(payload: KeyedPayload, columns: dict[str, Column]) -> tuple[Column, list[Any]] | None:
    keys = payload.requested_keys()
    if keys is None or payload.key_column is None:
        return None
    return columns[payload.key_column.lower()], keys


def _not_found(table: TableName, key_column: Column, keys: list[Any]) -> list[Any]:
    """One keyed lookup: the requested keys that are not in the table, in request order."""
    existing = _execute(sql.find_existing_keys(table, key_column, keys))
    return sql.keys_not_found(keys, existing.rows)


def _update(job: Job, table: TableName, payload: UpdatePayload) -> dict[str, Any]:
    columns = _columns(table)
    keyed = _keyed(payload, columns)
    not_found: list[Any] = []
    if keyed is None:
        statement = sql.update_by_filters(
            table, payload.filters or [], payload.updates or {}, columns, job.principal
        )
    else:
        key_column, keys = keyed
        not_found = _not_found(table, key_column, keys)
        if payload.bulk_updates is not None:
            statement = sql.update_bulk(table, key_column, payload.bulk_updates, columns, job.principal)
        else:
            statement = sql.update_by_keys(
                table, key_column, keys, payload.updates or {}, columns, job.principal
            )
    count = _execute(statement).dml_counts().get("num_affected_rows", 0)
    entry: dict[str, Any] = {"updated_at": timezone.now().isoformat(), "updated_by": job.principal}
    if not_found:
        entry["not_found"] = not_found
    return {"data": [entry], "count": count, "total": None}


def _delete(job: Job, table: TableName, payload: DeletePayload) -> dict[str, Any]:
    columns = _columns(table)
    keyed = _keyed(payload, columns)
    not_found: list[Any] = []
    if keyed is None:
        filters = payload.filters or []
        if payload.soft:
            statement = sql.soft_delete_by_filters(table, filters, columns, job.principal)
        else:
            statement = sql.hard_delete_by_filters(table, filters, columns)
    else:
        key_column, keys = keyed
        not_found = _not_found(table, key_column, keys)
        if payload.soft:
            statement = sql.soft_delete_by_keys(table, key_column, keys, columns, job.principal)
        else:
            statement = sql.hard_delete_by_keys(table, key_column, keys)
    count = _execute(statement).dml_counts().get("num_affected_rows", 0)
    data: list[dict[str, Any]] = [{"is_deleted": True} if payload.soft else {"deleted": True}]
    if not_found:
        data.append({"not_found": not_found})
    return {"data": data, "count": count, "total": None}
