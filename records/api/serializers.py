"""Request bodies and query parameters of the records API: every check that needs no warehouse.

Field names are the seed's. Failures take three shapes: a bad identifier is the seed's
``Invalid identifier: <value>`` and a row that does not fit ``schema_definition`` the seed's
``Schema validation failed: ...`` with ``details.expected_schema`` (both ``ApiError``); a bad
shape, range or combination is DRF's ``Validation error`` with ``details.errors``. Too many
rows is a 413. Rows are never checked field by field here: the compiled validator does it.

Every list is measured before any of its items is looked at, so an oversized one costs its
parsing and nothing more: rows, keys and bulk updates (``RECORDS_MAX_ROWS_PER_REQUEST``, 413),
the values of one ``in`` filter (``RECORDS_MAX_IN_VALUES``, 413), filters and updated columns
(``MAX_FILTERS_AND_UPDATES``, 400), schema_definition columns (``MAX_SCHEMA_COLUMNS``, 400).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from common.errors import ApiError
from common.parsers import load_json
from warehouse.sql import IDENTIFIER_PATTERN

from ..tables import FILTER_OPS, LIST_OPS, NULL_OPS, Column
from ..validation.callbacks import callback_url_problem
from ..validation.filters import MAX_FILTERS_AND_UPDATES, check_parameter_budget
from ..validation.identifiers import MAX_IDENTIFIER_LENGTH, validate_identifier
from ..validation.rows import check_rows_shape, check_update_names, compile_row_validator
from ..validation.schema import parse_schema_definition

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DEFAULT_MAX_ROWS_PER_REQUEST = 100_000
# LIMIT/OFFSET take a 32-bit INT on Databricks (INVALID_LIMIT_LIKE_EXPRESSION beyond), and the
# connector sends a larger Python int as a BIGINT parameter.
MAX_READ_OFFSET = 2**31 - 1
# Columns of one schema_definition: its rows' checker is generated per column (a definition of
# 50,000 columns took 17 s to check).
MAX_SCHEMA_COLUMNS = 1000


def check_row_count(count: int, what: str) -> None:
    """A 413 when a request carries more rows (or keys) than ``RECORDS_MAX_ROWS_PER_REQUEST``."""
    limit = int(getattr(settings, "RECORDS_MAX_ROWS_PER_REQUEST", DEFAULT_MAX_ROWS_PER_REQUEST))
    if count > limit:
        raise ApiError(
            f"Too many rows: {what} has {count}; at most {limit} are accepted per request",
            details={"count": count, "max_rows": limit},
            status_code=413,
        )


def check_filter_sizes(filters: Any) -> None:
    """Before any filter is looked at: at most ``MAX_FILTERS_AND_UPDATES`` filters (400), and no
    list value longer than ``RECORDS_MAX_IN_VALUES`` (413, naming the filter)."""
    if not isinstance(filters, list):
        return
    check_parameter_budget(filters)
    limit = int(settings.RECORDS_MAX_IN_VALUES)
    for index, item in enumerate(filters):
        value = item.get("value") if isinstance(item, dict) else None
        if isinstance(value, list) and len(value) > limit:
            raise ApiError(
                f"Too many values: filter {index} lists {len(value)}; at most {limit} are accepted in "
                "one filter (RECORDS_MAX_IN_VALUES)",
                details={"filter": index, "count": len(value), "max_values": limit},
                status_code=413,
            )


# What the OpenAPI document (3.1: JSON Schema types) says of the fields below whose type
# drf-spectacular cannot see; a field's ``allow_null`` adds "null" to its types.
SCALAR_SCHEMA: dict[str, Any] = {"type": ["string", "number", "boolean"]}
ROWS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "items": {"type": "object", "additionalProperties": True},
    "description": (
        "The rows: objects keyed by column name, at most `RECORDS_MAX_ROWS_PER_REQUEST` (100,000) of them. "
        "Each gets its `record_uuid` and audit columns; values follow the columns' types (DATE as "
        "`YYYY-MM-DD`, TIMESTAMP as ISO 8601, BINARY as base64, ARRAY/MAP/STRUCT as JSON)."
    ),
}
FILTER_VALUE_SCHEMA: dict[str, Any] = {
    "type": ["string", "number", "boolean", "array"],
    "minItems": 1,
    "items": SCALAR_SCHEMA,
    "description": (
        "One value; a non-empty list for `in` / `not in`; none (or null) for `is null` / `is not null`."
    ),
}


def _json_kind(value: Any) -> str:
    return {dict: "object", list: "array", type(None): "null"}.get(type(value), type(value).__name__)


@extend_schema_field(
    {"type": "string", "pattern": f"^{IDENTIFIER_PATTERN}$", "maxLength": MAX_IDENTIFIER_LENGTH}
)
class IdentifierField(serializers.CharField):
    """A catalog, schema, table or column name; anything else is ``InvalidIdentifier`` (400)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)  # " wells" is not the table wells
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        return validate_identifier(super().to_internal_value(data), self.field_name or "identifier")


@extend_schema_field(SCALAR_SCHEMA)
class ScalarField(serializers.Field[Any, Any, Any, Any]):
    """One JSON string, number or boolean: a key or a filter value."""

    default_error_messages: ClassVar[dict[str, StrOrPromise]] = {
        "scalar": "Expected a single value (string, number or boolean), got {kind}."
    }

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str | int | float):
            self.fail("scalar", kind=_json_kind(data))
        return data

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field(ROWS_SCHEMA)
class RowsField(serializers.Field[list[Any], Any, Any, Any]):
    """``data``: a non-empty list. Its rows are checked all at once by the compiled row
    validator (or, without a schema_definition, against the table's columns by the service)."""

    default_error_messages: ClassVar[dict[str, StrOrPromise]] = {
        "not_a_list": 'Expected a list of objects but got type "{input_type}".',
        "empty": "data must contain at least one row.",
    }

    def to_internal_value(self, data: Any) -> list[Any]:
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=_json_kind(data))
        if not data:
            self.fail("empty")
        check_row_count(len(data), "data")
        return data

    def to_representation(self, value: list[Any]) -> Any:
        return value


class RowCountedListSerializer(serializers.ListSerializer[Any]):
    """A list of items (``bulk_updates``) counted against ``RECORDS_MAX_ROWS_PER_REQUEST`` before
    any item is checked."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, list):
            check_row_count(len(data), self.field_name or "list")
        return super().to_internal_value(data)


class KeyListField(serializers.ListField):
    """``key_values``: counted against ``RECORDS_MAX_ROWS_PER_REQUEST`` before any key is checked."""

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, list):
            check_row_count(len(data), self.field_name or "key_values")
        return super().to_internal_value(data)


class UpdatesField(serializers.DictField):
    """``updates``: a non-empty object keyed by column names, none of them an audit column.
    Its values are checked against the table's columns by the service. With ``max_columns``
    (the request's own ``updates``, each one a statement parameter), more columns than that
    is refused before any name is checked."""

    def __init__(self, *, max_columns: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("allow_empty", False)
        self.max_columns = max_columns
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if self.max_columns is not None and isinstance(data, dict) and len(data) > self.max_columns:
            check_parameter_budget([], data)
        return dict(check_update_names(super().to_internal_value(data)))


class FilterListSerializer(serializers.ListSerializer[Any]):
    """Filters, measured (``check_filter_sizes``) before any of them is checked."""

    def to_internal_value(self, data: Any) -> Any:
        check_filter_sizes(data)
        return super().to_internal_value(data)


@extend_schema_field(FILTER_VALUE_SCHEMA)
class FilterValueField(serializers.JSONField):
    """A filter's ``value``: any JSON here, checked against its op by ``FilterSerializer``."""


@extend_schema_serializer(description="A condition on one column; several filters are combined with AND.")
class FilterSerializer(serializers.Serializer[dict[str, Any]]):
    """``{"column", "op", "value"}``; ops are case-insensitive and come back lower case."""

    column = IdentifierField()
    op = serializers.CharField(help_text=f"One of {', '.join(FILTER_OPS)} (case-insensitive).")
    value = FilterValueField(required=False, allow_null=True)

    def validate_op(self, value: str) -> str:
        op = " ".join(value.split()).lower()
        if op not in FILTER_OPS:
            raise serializers.ValidationError(
                f"Unknown filter op '{value}'; allowed ops: {', '.join(FILTER_OPS)}"
            )
        return op

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        op, value = attrs["op"], attrs.get("value")
        problem = _filter_value_problem(op, value)
        if problem:
            raise serializers.ValidationError({"value": [problem]})
        return {"column": attrs["column"], "op": op, "value": value}


def _filter_value_problem(op: str, value: Any) -> str | None:
    if op in NULL_OPS:
        return None if value is None else f"'{op}' takes no value"
    if op in LIST_OPS:
        if not isinstance(value, list) or not value:
            return f"'{op}' needs a non-empty list of values"
        if not all(isinstance(item, str | int | float) for item in value):
            return f"'{op}' values must be strings, numbers or booleans"
        return None
    if value is None:
        return f"'{op}' needs a value (use 'is null' to match nulls)"
    if not isinstance(value, str | int | float):
        return f"'{op}' needs a single value, got {_json_kind(value)}"
    if op == "like" and not isinstance(value, str):
        return "'like' needs a string pattern"
    return None


@extend_schema_serializer(description="One column of the table: its name, Databricks type and nullability.")
class ColumnDefinitionSerializer(serializers.Serializer[dict[str, Any]]):
    """One ``schema_definition`` item; names and types are checked by ``parse_schema_definition``."""

    name = serializers.CharField(trim_whitespace=False)
    data_type = serializers.CharField(
        help_text=(
            "BIGINT, INT, INTEGER, SMALLINT, TINYINT, DOUBLE, FLOAT, DECIMAL(p,s), STRING, VARCHAR(n), "
            "CHAR(n), BOOLEAN, DATE, TIMESTAMP, TIMESTAMP_NTZ, BINARY, ARRAY<...>, MAP<...>, STRUCT<...>."
        )
    )
    nullable = serializers.BooleanField(
        default=True, help_text="Whether the column takes nulls (and may be left out)."
    )


class CallbackUrlField(serializers.URLField):
    """Where the job's completion webhook goes (``validation.callbacks`` says which may)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("max_length", 2000)
        kwargs.setdefault(
            "help_text",
            "When the job is final, a signed `job.succeeded`/`job.failed`/`job.canceled` message is POSTed "
            "here (Standard Webhooks; https, a host the service allows).",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        url = super().to_internal_value(data)
        problem = callback_url_problem(url)
        if problem:
            raise serializers.ValidationError(problem, code="invalid")
        return url


@extend_schema_serializer(
    description=(
        "Rows to insert into `catalog.schema.table`, checked against the table's real columns (and "
        "`schema_definition`, when given) before the job is stored."
    )
)
class WriteSerializer(serializers.Serializer[dict[str, Any]]):
    """``POST /records/write``. ``validated_data``: catalog, schema, table, auto_create,
    ``columns`` (Column tuple, or None without schema_definition), ``schema_definition``
    (normalized, JSON-ready, or None) and ``rows`` (normalized when columns are known)."""

    catalog = IdentifierField()
    schema = IdentifierField()
    table = IdentifierField()
    # DRF moves declared fields off the class, so this does not hide Serializer.data.
    data = RowsField()  # type: ignore[assignment]
    auto_create = serializers.BooleanField(
        default=False,
        help_text=(
            "Create the table from `schema_definition` (plus the 8 audit columns) when it does not exist; "
            "the catalog and schema must exist."
        ),
    )
    schema_definition: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=ColumnDefinitionSerializer(),
        required=False,
        allow_null=True,
        allow_empty=False,
        max_length=MAX_SCHEMA_COLUMNS,
        help_text="The table's columns: required with `auto_create`; rows are validated against it.",
    )
    callback_url = CallbackUrlField()

    def validate_schema_definition(self, value: list[dict[str, Any]] | None) -> tuple[Column, ...] | None:
        return None if value is None else parse_schema_definition(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        columns: tuple[Column, ...] | None = attrs.pop("schema_definition", None)
        if attrs["auto_create"] and columns is None:
            message = "schema_definition is required when auto_create is true"
            raise serializers.ValidationError({"schema_definition": [message]}, code="required")
        rows = attrs.pop("data")
        if columns is None:
            check_rows_shape(rows)
            definition = None
        else:
            rows = compile_row_validator(columns)(rows)
            definition = [{"name": c.name, "data_type": c.data_type, "nullable": c.nullable} for c in columns]
        return {**attrs, "columns": columns, "schema_definition": definition, "rows": rows}


@extend_schema_serializer(
    description=(
        "Rows to merge into `catalog.schema.table` by `key_columns`: a row whose key matches a live row "
        "updates the columns it carries (and `updated_at`/`updated_by`); any other row is inserted. "
        "Checked like a write's rows before the job is stored."
    )
)
class UpsertSerializer(WriteSerializer):
    """``POST /records/upsert``: a write's body plus ``key_columns`` (distinct names, any
    spelling) and ``match_deleted``."""

    key_columns = serializers.ListField(
        child=IdentifierField(),
        min_length=1,
        max_length=MAX_FILTERS_AND_UPDATES,
        help_text=(
            "The columns whose values identify a row (NOT NULL columns of the table); each row of `data` "
            "has a key of its own."
        ),
    )
    match_deleted = serializers.BooleanField(
        default=False,
        help_text=(
            "Also match soft-deleted rows, reviving them (`is_deleted` false, `deleted_*` cleared); "
            "otherwise they count as absent and the row is inserted anew."
        ),
    )

    def validate_key_columns(self, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for name in value:
            if name.lower() in seen:
                raise serializers.ValidationError(f"Column '{name}' is named twice")
            seen.add(name.lower())
        return value


class _KeyedSerializer(serializers.Serializer[dict[str, Any]]):
    """Update and delete: the table, and exactly one way (``methods``) of choosing its rows.

    ``validated_data`` holds catalog, schema, table, ``method`` (the chosen field's name),
    that field, and ``key_column`` unless the method is filters."""

    methods: tuple[str, ...] = ()

    catalog = IdentifierField()
    schema = IdentifierField()
    table = IdentifierField()
    key_column = IdentifierField(
        required=False, allow_null=True, help_text="The column the keys are values of (with a key method)."
    )
    callback_url = CallbackUrlField()
    key_value = ScalarField(required=False, allow_null=True, help_text="One key.")
    key_values = KeyListField(
        child=ScalarField(),
        required=False,
        allow_null=True,
        allow_empty=False,
        help_text="Several keys, at most `RECORDS_MAX_ROWS_PER_REQUEST`.",
    )
    filters = FilterListSerializer(
        child=FilterSerializer(),
        required=False,
        allow_null=True,
        allow_empty=False,
        max_length=MAX_FILTERS_AND_UPDATES,
        help_text="Conditions combined with AND: the rows they match.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        chosen = [name for name in self.methods if attrs.get(name) is not None]
        if len(chosen) != 1:
            raise serializers.ValidationError(f"Specify exactly one of {', '.join(self.methods)}")
        method = chosen[0]
        selected = {"catalog": attrs["catalog"], "schema": attrs["schema"], "table": attrs["table"]}
        selected.update({"method": method, method: attrs[method]})
        if method != "filters":
            if attrs.get("key_column") is None:
                message = f"key_column is required with {method}"
                raise serializers.ValidationError({"key_column": [message]}, code="required")
            selected["key_column"] = attrs["key_column"]
        if attrs.get("callback_url"):
            selected["callback_url"] = attrs["callback_url"]
        return selected


@extend_schema_serializer(description="One key and the changes of its row.")
class BulkUpdateSerializer(serializers.Serializer[dict[str, Any]]):
    """One ``bulk_updates`` item: a key and its own updates."""

    key_value = ScalarField()
    updates = UpdatesField(help_text="New values by column name.")


@extend_schema_serializer(
    description=(
        "Changes to rows of `catalog.schema.table`, chosen by exactly one of `key_value`, `key_values`, "
        "`bulk_updates` (each item its own changes) or `filters`; `updated_at` and `updated_by` are set."
    )
)
class UpdateSerializer(_KeyedSerializer):
    """``PUT /records/update``: the seed's four scenarios; ``updates`` is in ``validated_data``
    except with bulk_updates, whose items carry their own."""

    methods = ("key_value", "key_values", "bulk_updates", "filters")

    bulk_updates = RowCountedListSerializer(
        child=BulkUpdateSerializer(),
        required=False,
        allow_null=True,
        allow_empty=False,
        help_text="Per-key changes (with `key_column`); no `updates` beside them.",
    )
    updates = UpdatesField(
        required=False,
        allow_null=True,
        max_columns=MAX_FILTERS_AND_UPDATES,
        help_text="New values by column name (not with `bulk_updates`).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        selected = super().validate(attrs)
        updates = attrs.get("updates")
        if selected["method"] == "bulk_updates":
            if updates is not None:
                message = "updates cannot be combined with bulk_updates; each item carries its own updates"
                raise serializers.ValidationError({"updates": [message]})
            selected["bulk_updates"] = [dict(item) for item in selected["bulk_updates"]]
        elif updates is None:
            message = f"updates is required with {selected['method']}"
            raise serializers.ValidationError({"updates": [message]}, code="required")
        else:
            selected["updates"] = updates
        return selected


@extend_schema_serializer(
    description=(
        "Rows of `catalog.schema.table` to delete, chosen by exactly one of `key_value`, `key_values` "
        "or `filters`; soft (`is_deleted`, `deleted_at/by` set: the table needs `is_deleted`) unless "
        "`soft` is false."
    )
)
class DeleteSerializer(_KeyedSerializer):
    """``DELETE /records/delete``: the seed's three scenarios. ``soft`` defaults to true, so
    a delete that does not say otherwise can be undone."""

    methods = ("key_value", "key_values", "filters")

    soft = serializers.BooleanField(default=True, help_text="False: the rows are removed.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {**super().validate(attrs), "soft": attrs["soft"]}


class ReadQuerySerializer(serializers.Serializer[dict[str, Any]]):
    """``GET /records/read`` query parameters; ``validated_data`` matches ``records_read``:
    ``columns`` is a list of names or None for ``*``, ``filters`` a list of filter dicts."""

    catalog = IdentifierField()
    schema = IdentifierField()
    table = IdentifierField()
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100, help_text="Rows per page.")
    offset = serializers.IntegerField(
        min_value=0, max_value=MAX_READ_OFFSET, default=0, help_text="Matching rows to skip."
    )
    columns = serializers.CharField(default="*", allow_blank=True, help_text="Comma-separated names, or *.")
    filters = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text='A JSON list of filters, e.g. [{"column":"status","op":"=","value":"x"}].',
    )
    include_deleted = serializers.BooleanField(default=False, help_text="Also soft-deleted rows.")

    def validate_columns(self, value: str) -> list[str] | None:
        names = [name.strip() for name in value.split(",") if name.strip()]  # "a,b," is a, b
        if names in ([], ["*"]):
            return None
        return list(dict.fromkeys(validate_identifier(name, "column") for name in names))

    def validate_filters(self, value: str) -> list[dict[str, Any]]:
        if not value.strip():
            return []
        try:
            parsed = load_json(value, parse_constant=_reject_constant)  # nested 64 levels at most
        except ValueError as error:
            raise serializers.ValidationError(f"filters is not valid JSON: {error}") from None
        if not isinstance(parsed, list):
            raise serializers.ValidationError(
                'filters must be a JSON list of {"column", "op", "value"} objects'
            )
        filters = FilterListSerializer(
            child=FilterSerializer(), data=parsed, max_length=MAX_FILTERS_AND_UPDATES
        )
        if not filters.is_valid():
            raise serializers.ValidationError(filters.errors)
        return [dict(item) for item in filters.validated_data]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {"filters": [], **attrs}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")
