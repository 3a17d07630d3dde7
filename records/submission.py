"""From a validated request to a stored job: checks against the table's real schema, then submit.

Everything that can be known before the job runs is checked here, so a bad request is a 4xx
and never a failed job: the table exists (or may be created), the columns named exist,
values fit the columns' types.
"""

from __future__ import annotations

from typing import Any

from project.exceptions import ApiError
from warehouse.client import get_client

from . import services, sql
from .models import Job
from .selectors import table_columns
from .tables import AUDIT_COLUMN_NAMES, Column, TableName
from .validation import validate_key_values, validate_rows, validate_update_values


class TableNotFound(ApiError):
    """The target table does not exist (and the request does not create it)."""

    status_code = 404


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


def require_table(table: TableName) -> tuple[Column, ...]:
    columns = table_columns(table)
    if columns is None:
        raise TableNotFound(f"Table {table} does not exist", details={"table": str(table)})
    return columns


def _require_schema(table: TableName) -> None:
    """With auto_create the catalog and schema must exist: Databricks does not create them."""
    statement = sql.show_schemas(table.catalog)
    try:
        schemas = {row[0].lower() for row in get_client().execute(statement.sql, statement.params).rows}
    except Exception as error:
        if getattr(error, "error_class", None) in ("CATALOG_NOT_FOUND", "NO_SUCH_CATALOG_EXCEPTION"):
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


def known_column(columns: dict[str, Column], name: str) -> Column:
    column = columns.get(name.lower())
    if column is None:
        raise ApiError(f"Unknown column '{name}'", details={"columns": sorted(columns)})
    return column


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


# Each filter and each updated column is one statement parameter; Databricks allows 256 in all
# (the principal, limit and offset take a few more).
MAX_FILTERS_AND_UPDATES = 200


def check_parameter_budget(filters: list[Any], updates: dict[str, Any] | None = None) -> None:
    if len(filters) + len(updates or {}) > MAX_FILTERS_AND_UPDATES:
        raise ApiError(
            f"At most {MAX_FILTERS_AND_UPDATES} filters and updated columns per request "
            "(a statement carries at most 256 parameters)"
        )


def validate_filters(columns: dict[str, Column], filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Filter columns exist and values fit their types, so a bad filter is a 400, not a SQL error."""
    check_parameter_budget(filters)
    checked = []
    for index, item in enumerate(filters):
        column = known_column(columns, item["column"])
        op = item["op"]
        if op in ("is null", "is not null", "like"):
            checked.append(item)
            continue
        many = op in ("in", "not in")
        try:
            values = validate_key_values(column, item["value"] if many else [item["value"]])
        except ApiError as error:
            raise ApiError(f"Filter {index} on column '{column.name}': {error.detail}") from error
        checked.append({**item, "value": values if many else values[0]})
    return checked


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
