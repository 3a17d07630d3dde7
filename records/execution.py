"""Running a claimed job on the warehouse: the statements of ``records.sql``, and the result body.

The result of a succeeded job is exactly what the original synchronous endpoint returned
(seed contract): ``{"message", "count"}`` for a write, ``{"data", "count", "total"}`` for an
update or delete. Warehouse errors are sorted by the client: transient ones propagate (the
task retries), permanent ones become ``JobFailed`` with the warehouse's message and class.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from warehouse.client import StatementResult, get_client
from warehouse.exceptions import PermanentWarehouseError

from . import services, sql
from .models import Job
from .selectors import table_columns, table_columns_forget
from .tables import Column, TableName


class JobFailed(Exception):
    """The job cannot succeed (a SQL error, a vanished table): fail it without retrying."""

    def __init__(
        self, message: str, *, error_class: str | None = None, error_type: str = "DatabaseError"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_class = error_class
        self.error_type = error_type


def job_execute(job: Job) -> dict[str, Any]:
    table = TableName(job.catalog, job.schema, job.table)
    run = {
        Job.Operation.WRITE: _write,
        Job.Operation.UPDATE: _update,
        Job.Operation.DELETE: _delete,
    }[Job.Operation(job.operation)]
    try:
        return run(job, table)
    except PermanentWarehouseError as error:
        raise JobFailed(error.message, error_class=error.error_class) from error


def _execute(statement: sql.Statement) -> StatementResult:
    return get_client().execute(statement.sql, statement.params)


def _columns(table: TableName) -> dict[str, Column]:
    columns = table_columns(table, fresh=True)
    if columns is None:
        raise JobFailed(f"Table {table} does not exist", error_class="TABLE_OR_VIEW_NOT_FOUND")
    return {c.name.lower(): c for c in columns}


def _write(job: Job, table: TableName) -> dict[str, Any]:
    payload = job.payload
    if payload.get("auto_create") and payload.get("columns"):
        definition = tuple(
            Column(name, data_type, nullable) for name, data_type, nullable in payload["columns"]
        )
        _execute(sql.create_table(table, definition))
        table_columns_forget(table)
    columns = _columns(table)
    target = tuple(columns.values())
    statements = sql.insert_batches(
        table,
        target,
        payload["rows"],
        principal=job.principal,
        max_batch_bytes=settings.RECORDS_MAX_BATCH_BYTES,
    )
    # A re-delivered job resumes after the batches it already landed (each batch also skips
    # rows whose record_uuid is present, so a batch cut off mid-way cannot land twice).
    done = int(job.progress.get("batches_done", 0))
    inserted = int(job.progress.get("rows_inserted", 0))
    services.job_save_progress(job, batches_total=len(statements), batches_done=done, rows_inserted=inserted)
    for index in range(done, len(statements)):
        counts = _execute(statements[index]).dml_counts()
        inserted += counts.get("num_inserted_rows", counts.get("num_affected_rows", 0))
        services.job_save_progress(job, batches_done=index + 1, rows_inserted=inserted)
    return {"message": f"Inserted {inserted} record(s) into {table}", "count": inserted}


def _requested_keys(payload: dict[str, Any]) -> list[Any] | None:
    if payload.get("key_value") is not None:
        return [payload["key_value"]]
    if payload.get("key_values"):
        return list(payload["key_values"])
    if payload.get("bulk_updates"):
        return [item["key_value"] for item in payload["bulk_updates"]]
    return None


def _keyed(payload: dict[str, Any], columns: dict[str, Column]) -> tuple[Column, list[Any]] | None:
    keys = _requested_keys(payload)
    if keys is None:
        return None
    return columns[payload["key_column"].lower()], keys


def _not_found(table: TableName, key_column: Column, keys: list[Any]) -> list[Any]:
    """One keyed lookup: the requested keys that are not in the table, in request order."""
    existing = _execute(sql.find_existing_keys(table, key_column, keys))
    return sql.keys_not_found(keys, existing.rows)


def _update(job: Job, table: TableName) -> dict[str, Any]:
    payload = job.payload
    columns = _columns(table)
    keyed = _keyed(payload, columns)
    not_found: list[Any] = []
    if keyed is not None:
        key_column, keys = keyed
        not_found = _not_found(table, key_column, keys)
        if payload.get("bulk_updates"):
            statement = sql.update_bulk(table, key_column, payload["bulk_updates"], columns, job.principal)
        else:
            statement = sql.update_by_keys(
                table, key_column, keys, payload["updates"], columns, job.principal
            )
    else:
        statement = sql.update_by_filters(
            table, payload["filters"], payload["updates"], columns, job.principal
        )
    count = _execute(statement).dml_counts().get("num_affected_rows", 0)
    entry: dict[str, Any] = {"updated_at": timezone.now().isoformat(), "updated_by": job.principal}
    if not_found:
        entry["not_found"] = not_found
    return {"data": [entry], "count": count, "total": None}


def _delete(job: Job, table: TableName) -> dict[str, Any]:
    payload = job.payload
    columns = _columns(table)
    soft = bool(payload.get("soft", True))
    keyed = _keyed(payload, columns)
    not_found: list[Any] = []
    if keyed is not None:
        key_column, keys = keyed
        not_found = _not_found(table, key_column, keys)
        if soft:
            statement = sql.soft_delete_by_keys(table, key_column, keys, job.principal, columns=columns)
        else:
            statement = sql.hard_delete_by_keys(table, key_column, keys)
    elif soft:
        statement = sql.soft_delete_by_filters(table, payload["filters"], columns, job.principal)
    else:
        statement = sql.hard_delete_by_filters(table, payload["filters"], columns)
    count = _execute(statement).dml_counts().get("num_affected_rows", 0)
    data: list[dict[str, Any]] = [{"is_deleted": True} if soft else {"deleted": True}]
    if not_found:
        data.append({"not_found": not_found})
    return {"data": data, "count": count, "total": None}
