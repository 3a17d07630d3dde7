"""From a validated request to a stored job: checks against the table's real schema, then submit.

Everything that can be known before the job runs is checked here, so a bad request is a 4xx
and never a failed job: the table exists (or may be created), the columns named exist,
values fit the columns' types.
"""

from __future__ import annotations

from typing import Any

from project.exceptions import ApiError
from warehouse.client import get_client
from warehouse.exceptions import PermanentWarehouseError

from . import services, sql
from .models import Job
from .selectors import CATALOG_NOT_FOUND_CLASSES, TableNotFound, require_table, table_columns
from .table_checks import check_parameter_budget, known_column, validate_filters
from .tables import AUDIT_COLUMN_NAMES, Column, TableName
from .validation import validate_key_values, validate_rows, validate_update_values


def submit(
    *, operation: str, data: dict[str, Any], principal: str, idempotency_key: str | None
) -> tuple[Job, bool]:
    table = TableName(data["catalog"], data["schema"], data["table"])
    # Hashing a large body costs ~0.5 s per 50,000 rows: only needed to compare retries.
    fingerprint = services.request_fingerprint(operation, data) if idempotency_key else ""
    build = {
        Job.Operation.WRITE: _write_payload,
        Job.Operation.UPDATE: _update_payload,
        Job.Operation.DELETE: _delete_payload,
    }[Job.Operation(operation)]
    payload = build(table, data)
    return services.job_submit(
        operation=operation,
        table=table,
        payload=payload,
        principal=principal,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
    )


def _require_schema(table: TableName) -> None:
    """With auto_create the catalog and schema must exist: Databricks does not create them."""
    statement = sql.show_schemas(table.catalog)
    try:
        schemas = {row[0].lower() for row in get_client().execute(statement.sql, statement.params).rows}
    except PermanentWarehouseError as error:
        if error.error_class in CATALOG_NOT_FOUND_CLASSES:
            raise ApiError(
                f"Catalog {table.catalog} does not exist; auto_create does not create catalogs"
            ) from error
        raise
    if table.schema.lower() not in schemas:
        raise ApiError(
            f"Schema {table.catalog}.{table.schema} does not exist; auto_create does not create schemas"
        )


def _write_payload(table: TableName, data: dict[str, Any]) -> dict[str, Any]:
    definition: tuple[Column, ...] | None = data.get("columns")
    existing = table_columns(table)
    if existing is None and not data.get("auto_create"):
        raise TableNotFound(
            f"Table {table} does not exist; send auto_create with a schema_definition to create it",
            details={"table": str(table)},
        )
    if existing is None:
        _require_schema(table)
    if definition is not None:
        rows = data["rows"]
    else:
        assert existing is not None  # noqa: S101 (checked above: no definition means the table exists)
        user_columns = tuple(c for c in existing if c.name.lower() not in AUDIT_COLUMN_NAMES)
        rows = validate_rows(user_columns, data["rows"])
    for row, record_uuid in zip(rows, services.new_record_uuids(len(rows)), strict=True):
        row["record_uuid"] = record_uuid
    return {
        "auto_create": bool(data.get("auto_create")),
        "columns": [[c.name, c.data_type, c.nullable] for c in definition] if definition else None,
        "rows": rows,
    }


def _keyed_payload(table: TableName, data: dict[str, Any]) -> tuple[dict[str, Column], dict[str, Any]]:
    columns = {c.name.lower(): c for c in require_table(table)}
    payload = {k: v for k, v in data.items() if k not in ("catalog", "schema", "table")}
    if payload.get("filters"):
        payload["filters"] = validate_filters(columns, payload["filters"])
    if payload.get("key_column"):
        key = known_column(columns, payload["key_column"])
        if "key_value" in payload and payload["key_value"] is not None:
            payload["key_value"] = validate_key_values(key, [payload["key_value"]])[0]
        if payload.get("key_values"):
            payload["key_values"] = validate_key_values(key, payload["key_values"])
        if payload.get("bulk_updates"):
            keys = validate_key_values(key, [item["key_value"] for item in payload["bulk_updates"]])
            for item, key_value in zip(payload["bulk_updates"], keys, strict=True):
                item["key_value"] = key_value
    return columns, payload


def _updates_for(columns: dict[str, Column], updates: dict[str, Any]) -> dict[str, Any]:
    targets = tuple(known_column(columns, name) for name in updates)
    return validate_update_values(targets, updates)


def _update_payload(table: TableName, data: dict[str, Any]) -> dict[str, Any]:
    check_parameter_budget(data.get("filters") or [], data.get("updates"))
    columns, payload = _keyed_payload(table, data)
    if payload.get("updates"):
        payload["updates"] = _updates_for(columns, payload["updates"])
    for item in payload.get("bulk_updates") or []:
        item["updates"] = _updates_for(columns, item["updates"])
    return payload


def _delete_payload(table: TableName, data: dict[str, Any]) -> dict[str, Any]:
    columns, payload = _keyed_payload(table, data)
    if payload.get("soft") and "is_deleted" not in columns:
        raise ApiError(
            f"Table {table} has no is_deleted column: soft delete is not possible (use soft: false)",
            details={"table": str(table)},
        )
    return payload
