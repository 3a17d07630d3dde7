"""From a validated request to a stored, published job.

Everything that can be known before the job runs is checked here, so a bad request is a 4xx
and never a failed job: the table exists (or may be created), the columns named exist,
values fit the columns' types. Then (DESIGN section 5) the job is committed before the
client hears 202, and its id is published once the transaction commits.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from typing import Any

from django.db import IntegrityError, transaction

from access.grants import Privileges, privileges_of
from access.models import ApiClient
from common.errors import ApiError
from warehouse.sql import TableName, to_json

from ..catalog import TableNotFound, require_schema, require_table, table_columns
from ..models import Job
from ..sql import with_audit_columns
from ..sql.insert import insert_source
from ..sql.upsert import UPSERT_AUDIT_COLUMNS, UPSERT_STAMP_BYTES
from ..tables import Column, is_audit_column, user_columns
from ..validation.filters import check_parameter_budget, known_column, validate_filters
from ..validation.rows import validate_key_values, validate_rows, validate_update_values
from ..validation.schema import expected_schema
from ..validation.table import check_definition_matches, check_known_columns
from .budget import check_change_fits, check_rows_fit
from .payloads import DeletePayload, Payload, UpdatePayload, UpsertPayload, WritePayload, decode_payload
from .queue import job_publish

logger = logging.getLogger(__name__)


class IdempotencyConflict(ApiError):
    """The Idempotency-Key was already used with a different request body."""

    status_code = 409


def records_submit(
    *, operation: str, data: dict[str, Any], client: ApiClient, idempotency_key: str | None
) -> tuple[Job, bool]:
    """Check ``data`` (a serializer's ``validated_data``) against its table and store the job."""
    table = TableName(data["catalog"], data["schema"], data["table"])
    # Before the table is looked at: a client without the privilege learns nothing of it.
    privileges = privileges_of(client)
    privileges.require("MODIFY", table)
    # Hashing a large body costs ~0.5 s per 50,000 rows: only needed to compare retries.
    fingerprint = request_fingerprint(operation, data) if idempotency_key else ""
    data = dict(data)
    callback_url: str = data.pop("callback_url", None) or ""
    payload: Payload
    if operation == Job.Operation.WRITE:
        payload = _write_payload(table, data, client.name, privileges)
    elif operation == Job.Operation.UPSERT:
        payload = _upsert_payload(table, data, client.name, privileges)
    else:
        keyed = decode_payload(operation, data)
        assert isinstance(keyed, UpdatePayload | DeletePayload)  # noqa: S101 (not a write)
        payload = _keyed_payload(table, keyed, client.name)
    return job_submit(
        operation=operation,
        table=table,
        payload=payload,
        client=client,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        callback_url=callback_url,
    )


def _write_payload(
    table: TableName, data: dict[str, Any], principal: str, privileges: Privileges
) -> WritePayload:
    """Rows checked against the table that will receive them, each given its record_uuid."""
    rows, target = _checked_rows(table, data, privileges)
    check_rows_fit(insert_source(target), rows, principal)
    return WritePayload(rows=rows, auto_create=bool(data.get("auto_create")), columns=data.get("columns"))


def _upsert_payload(
    table: TableName, data: dict[str, Any], principal: str, privileges: Privileges
) -> UpsertPayload:
    """A write's checks, then the key columns' (real, NOT NULL, comparable columns, with the
    audit columns an upsert needs beside them) and one row per key."""
    rows, target = _checked_rows(table, data, privileges)
    keys = _key_columns(table, data["key_columns"], target)
    _refuse_duplicate_keys(rows, keys)
    check_rows_fit(insert_source(target), rows, principal, reserved_bytes=UPSERT_STAMP_BYTES)
    return UpsertPayload(
        rows=rows,
        key_columns=[key.name for key in keys],
        match_deleted=bool(data.get("match_deleted")),
        auto_create=bool(data.get("auto_create")),
        columns=data.get("columns"),
    )


# Types a MERGE cannot compare as keys.
_UNCOMPARABLE_KEY_TYPES = frozenset({"ARRAY", "MAP", "STRUCT"})


def _key_columns(table: TableName, names: list[str], target: tuple[Column, ...]) -> list[Column]:
    columns = {c.name.lower(): c for c in target}
    missing = [name for name in UPSERT_AUDIT_COLUMNS if name not in columns]
    if missing:
        raise ApiError(
            f"Table {table} has no {', '.join(missing)} column: upsert needs the audit columns "
            "record_uuid, updated_at and updated_by",
            details={"table": str(table), "missing_columns": missing},
        )
    keys = []
    for name in names:
        column = columns.get(name.lower())
        if column is None or is_audit_column(column.name):
            raise ApiError(
                f"Key column '{name}' is not a column of table {table}",
                details={"key_column": name, "expected_schema": expected_schema(user_columns(target))},
            )
        if column.nullable:
            raise ApiError(
                f"Key column '{column.name}' of table {table} is nullable: key columns must be NOT NULL",
                details={"key_column": column.name},
            )
        if column.base_type in _UNCOMPARABLE_KEY_TYPES:
            raise ApiError(
                f"Key column '{column.name}' of table {table} is {column.data_type}: a key must be "
                "a value that compares (not an ARRAY, MAP or STRUCT)",
                details={"key_column": column.name},
            )
        keys.append(column)
    return keys


def _refuse_duplicate_keys(rows: list[dict[str, Any]], keys: list[Column]) -> None:
    """One row per key: a MERGE cannot match one target row with two source rows."""
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        values = [_comparable(key, row.get(key.name)) for key in keys]
        text = to_json(values)
        first = seen.setdefault(text, index)
        if first != index:
            key = {column.name: row.get(column.name) for column in keys}
            shown = ", ".join(f"{name}={value!r}" for name, value in key.items())
            raise ApiError(
                f"Records {first} and {index} have the same key ({shown}): each key may appear "
                "once in an upsert",
                details={"key": key, "records": [first, index]},
            )


def _comparable(column: Column, value: Any) -> Any:
    """``value`` as the warehouse compares it: 1 and 1.0 are one DOUBLE key."""
    if (
        column.base_type in ("DOUBLE", "FLOAT")
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        return float(value)
    return value


def _checked_rows(
    table: TableName, data: dict[str, Any], privileges: Privileges
) -> tuple[list[dict[str, Any]], tuple[Column, ...]]:
    """Rows checked against the table that will receive them: the existing table's real columns
    (a definition must agree with it), or the definition of the table this job creates; each
    row given its record_uuid. The rows, and the columns of that table."""
    target, exists = write_target(table, data, privileges)
    rows = data["rows"]
    if exists:
        writable = user_columns(target)
        check_known_columns(table, rows, writable)
        rows = validate_rows(writable, rows)
    # Else the rows were checked against the definition by the serializer.
    for row, record_uuid in zip(rows, new_record_uuids(len(rows)), strict=True):
        row["record_uuid"] = record_uuid
    return rows, target


def write_target(
    table: TableName, data: dict[str, Any], privileges: Privileges
) -> tuple[tuple[Column, ...], bool]:
    """The columns (audit columns included) of the table rows go to, and whether it exists:
    the existing table's (``data["columns"]``, a definition, must agree with it), or, with
    ``auto_create``, those of the table the job will create (``CREATE_TABLE`` needed, the
    schema must exist); ``TableNotFound`` otherwise. For writes, upserts and ingests."""
    definition: tuple[Column, ...] | None = data.get("columns")
    existing = table_columns(table)
    if existing is not None:
        if definition is not None:
            check_definition_matches(table, definition, user_columns(existing))
        return existing, True
    if not data.get("auto_create") or definition is None:
        raise TableNotFound(
            f"Table {table} does not exist; send auto_create with a schema_definition to create it",
            details={"table": str(table)},
        )
    privileges.require("CREATE_TABLE", table)
    require_schema(table)
    return with_audit_columns(definition), False


def _keyed_payload(
    table: TableName, payload: UpdatePayload | DeletePayload, principal: str
) -> UpdatePayload | DeletePayload:
    """Update and delete: every column, key and value checked against the table's columns, and
    the statements they need within the parameter budget."""
    if isinstance(payload, UpdatePayload):
        check_parameter_budget(payload.filters or [], payload.updates)
    columns = {c.name.lower(): c for c in require_table(table)}
    if payload.filters:
        payload.filters = validate_filters(columns, payload.filters)
    if payload.key_column:
        key = known_column(columns, payload.key_column)
        if payload.keys:
            payload.keys = validate_key_values(key, payload.keys)
        if isinstance(payload, UpdatePayload) and payload.bulk_updates:
            keys = validate_key_values(key, [item["key_value"] for item in payload.bulk_updates])
            for item, key_value in zip(payload.bulk_updates, keys, strict=True):
                item["key_value"] = key_value
    if isinstance(payload, UpdatePayload):
        if payload.updates:
            payload.updates = _checked_updates(columns, payload.updates)
        for item in payload.bulk_updates or []:
            item["updates"] = _checked_updates(columns, item["updates"])
    if isinstance(payload, DeletePayload) and payload.soft and "is_deleted" not in columns:
        raise ApiError(
            f"Table {table} has no is_deleted column: soft delete is not possible (use soft: false)",
            details={"table": str(table)},
        )
    check_change_fits(table, payload, columns, principal)
    return payload


def _checked_updates(columns: dict[str, Column], updates: dict[str, Any]) -> dict[str, Any]:
    targets = tuple(known_column(columns, name) for name in updates)
    return validate_update_values(targets, updates)


def request_fingerprint(operation: str, payload: Any) -> str:
    body = json.dumps([operation, payload], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def job_submit(
    *,
    operation: str,
    table: TableName,
    payload: Payload,
    client: ApiClient,
    idempotency_key: str | None = None,
    fingerprint: str = "",
    callback_url: str = "",
) -> tuple[Job, bool]:
    """Store a queued job and publish it once the transaction commits; ``(job, created)``.

    The job's ``principal`` (written to ``*_by``) is the client's name at submit time. The
    same ``idempotency_key`` with the same request returns the client's existing job; with a
    different request it is a 409.
    """
    stored = payload.to_json()
    if idempotency_key and not fingerprint:
        fingerprint = request_fingerprint(operation, stored)
    if idempotency_key:
        existing = Job.objects.filter(client=client, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_request(existing, fingerprint), False
    try:
        with transaction.atomic():
            job = Job.objects.create(
                operation=operation,
                catalog=table.catalog,
                schema=table.schema,
                table=table.table,
                payload=stored,
                item_count=payload.item_count,
                client=client,
                principal=client.name,
                idempotency_key=idempotency_key or None,
                request_hash=fingerprint,
                callback_url=callback_url,
            )
            transaction.on_commit(lambda: job_publish(job.pk))
    except IntegrityError:
        # Two requests raced with one Idempotency-Key: the other one stored its job first.
        existing = Job.objects.get(client=client, idempotency_key=idempotency_key)
        return _same_request(existing, fingerprint), False
    logger.info("job %s queued: %s %s by %s", job.job_id, operation, table, client.name)
    return job, True


def _same_request(job: Job, fingerprint: str) -> Job:
    if job.request_hash != fingerprint:
        raise IdempotencyConflict(
            "Idempotency-Key was already used with a different request",
            details={"job_id": str(job.job_id)},
        )
    return job


# A random UUID's fixed bits (RFC 4122): version 4 in the high half of byte 6, variant 0b10 in
# the top bits of byte 8.
_VERSION_4 = bytes(byte & 0x0F | 0x40 for byte in range(256))
_VARIANT = bytes(byte & 0x3F | 0x80 for byte in range(256))


def new_record_uuids(count: int) -> list[str]:
    """``count`` random (version 4) UUIDs as ``str(uuid.uuid4())`` writes them, from one urandom
    call (uuid.UUID per row costs ~0.1 s per 50,000 rows)."""
    data = bytearray(os.urandom(16 * count))
    data[6::16] = data[6::16].translate(_VERSION_4)
    data[8::16] = data[8::16].translate(_VARIANT)
    digits = data.hex()
    return [
        f"{digits[i : i + 8]}-{digits[i + 8 : i + 12]}-{digits[i + 12 : i + 16]}-"
        f"{digits[i + 16 : i + 20]}-{digits[i + 20 : i + 32]}"
        for i in range(0, 32 * count, 32)
    ]
