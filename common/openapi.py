"""What every endpoint's OpenAPI description shares: the error body and its responses, the
response headers of some statuses, and the ``AutoSchema`` that documents DELETE bodies.

drf-spectacular documents a request body for PUT, PATCH and POST only and drops any other
(tfranzel/drf-spectacular#809), while ``DELETE /api/v1/records/delete`` takes a JSON body, as
the original service's did: ``ServiceAutoSchema`` documents a DELETE's body as a POST's. The
document is OpenAPI 3.1 (``SPECTACULAR_SETTINGS["OAS_VERSION"]``), which allows a DELETE body
(3.0 told consumers to ignore one); Swagger UI and schemathesis send it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema_serializer
from rest_framework import serializers

from .errors import error_body


@extend_schema_serializer(
    description='The body of every error, whatever its status: `{"error": true, "message", "details"}`.'
)
class ErrorSerializer(serializers.Serializer[dict[str, Any]]):
    error = serializers.BooleanField(help_text="Always `true`.")
    message = serializers.CharField(help_text="What went wrong, for people.")
    details = serializers.DictField(
        help_text="Structured context (see each status); `{}` when there is none."
    )


ERROR_DESCRIPTIONS = {
    400: (
        "The request is invalid: `Validation error` with `details.errors` (`[{type, loc, msg}]`, `loc` "
        "starting with `body` or `query`), a JSON parse error, `Invalid identifier: ...`, rows that do "
        "not fit the table or `schema_definition` (`Schema validation failed: ...` with "
        "`details.expected_schema`), or a change too large for one statement's parameters."
    ),
    401: "No API key, or a bad, revoked or expired one (`WWW-Authenticate: Api-Key`).",
    403: (
        "The client lacks a privilege on the table or its schema (`details.error_class` "
        '`"PERMISSION_DENIED"`, `privilege`, `securable_type`, `securable`), or the table is the audit log.'
    ),
    404: "Not found: the table (`details.table`), or the job (another client's job is not found either).",
    405: "The method is not one this path takes (`Allow` lists those it does).",
    409: "The `Idempotency-Key` was used before with a different body (`details.job_id`: that job).",
    413: (
        "Too large: more rows, keys, bulk items or `in` values than the limits "
        "(`details.count` and `max_rows` or `max_values`), a body over `RECORDS_MAX_BODY_BYTES`, or a "
        "read row larger than `RECORDS_MAX_READ_BYTES`."
    ),
    414: "The query string is longer than 32,768 bytes.",
    415: "The body is not `application/json`.",
    429: (
        "Over the client's rate, or too many failed authentications from this address "
        "(`Retry-After`, `details.wait` in seconds)."
    ),
    500: (
        "The warehouse rejected a statement (`Database operation failed`, `details.error_class`), the "
        "warehouse is not configured, or an internal error."
    ),
    503: "The warehouse is unreachable or busy: retry after `Retry-After` seconds.",
}

ERROR_EXAMPLES = {
    400: (
        "validation error",
        error_body(
            "Validation error",
            {"errors": [{"type": "missing", "loc": ["body", "catalog"], "msg": "This field is required."}]},
        ),
    ),
    401: ("no key", error_body("Authentication credentials were not provided.")),
    403: (
        "no privilege",
        error_body(
            "Permission denied: client 'etl-nightly' lacks MODIFY on table main.sales.orders",
            {
                "error_class": "PERMISSION_DENIED",
                "privilege": "MODIFY",
                "securable_type": "TABLE",
                "securable": "main.sales.orders",
            },
        ),
    ),
    404: (
        "no such table",
        error_body(
            "Table oil_gas_catalog.production_schema.wells does not exist",
            {"table": "oil_gas_catalog.production_schema.wells"},
        ),
    ),
    405: ("wrong method", error_body('Method "POST" not allowed.')),
    409: (
        "key reused",
        error_body(
            "Idempotency-Key was already used with a different request",
            {"job_id": "6f1c2b9e-5d3a-4c1b-9a7e-2f4d8c6b1a03"},
        ),
    ),
    413: (
        "too many rows",
        error_body(
            "Too many rows: data has 100001; at most 100000 are accepted per request",
            {"count": 100001, "max_rows": 100000},
        ),
    ),
    414: (
        "query too long",
        error_body("Query string is longer than 32768 bytes", {"length": 40000, "max_bytes": 32768}),
    ),
    415: ("not JSON", error_body('Unsupported media type "text/plain" in request.')),
    429: ("throttled", error_body("Request was throttled. Expected available in 12 seconds.", {"wait": 12})),
    500: (
        "statement refused",
        error_body(
            "Database operation failed",
            {
                "type": "DatabaseError",
                "info": "[TABLE_OR_VIEW_NOT_FOUND] ...",
                "error_class": "TABLE_OR_VIEW_NOT_FOUND",
            },
        ),
    ),
    503: (
        "warehouse unreachable",
        error_body(
            "Database operation failed",
            {"type": "DatabaseError", "info": "Connection timeout", "error_class": "ConnectionError"},
        ),
    ),
}


def error_responses(
    *statuses: int,
    descriptions: dict[int, str] | None = None,
    examples: dict[int, tuple[str, dict[str, Any]]] | None = None,
) -> dict[int, OpenApiResponse]:
    """The ``Error`` response of each status, with its description and a named example
    (``ERROR_DESCRIPTIONS`` and ``ERROR_EXAMPLES``, unless ``descriptions`` or ``examples``
    say otherwise for that status)."""
    descriptions = {**ERROR_DESCRIPTIONS, **(descriptions or {})}
    examples = {**ERROR_EXAMPLES, **(examples or {})}
    return {
        status: OpenApiResponse(
            ErrorSerializer,
            description=descriptions[status],
            examples=[OpenApiExample(examples[status][0], value=examples[status][1])],
        )
        for status in statuses
    }


# Response headers, documented on each response of their status wherever it is declared.
RESPONSE_HEADERS = (
    OpenApiParameter(
        "Location",
        OpenApiTypes.URI,
        OpenApiParameter.HEADER,
        response=[202],
        required=True,
        description="The job's URL (`GET` it for the job's status and result).",
    ),
    OpenApiParameter(
        "WWW-Authenticate",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[401],
        required=True,
        description="`Api-Key`: the scheme the API expects.",
    ),
    OpenApiParameter(
        "Retry-After",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=[202, 429, 503],
        description="Seconds to wait before retrying (on a 202: before asking for the job's status).",
    ),
)


class ServiceAutoSchema(AutoSchema):
    """drf-spectacular's ``AutoSchema`` with DELETE bodies and the shared response headers."""

    def _get_request_body(self, direction: str = "request") -> Any:
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        # The base method's only objection to a DELETE is its first line, a test of self.method;
        # the body is built as for a POST (only PATCH bodies are built differently).
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"

    def get_override_parameters(self) -> list[Any]:
        return [*super().get_override_parameters(), *RESPONSE_HEADERS]

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)
        # Sizes DRF keeps as field attributes, not validators, which the base method reads.
        allow_empty = getattr(field, "allow_empty", True)
        if schema.get("type") == "array":
            if not allow_empty:
                schema["minItems"] = max(schema.get("minItems", 0), 1)
            max_length = getattr(field, "max_length", None)
            if isinstance(field, serializers.ListSerializer) and max_length is not None:
                schema["maxItems"] = max_length
        elif schema.get("type") == "object" and isinstance(field, serializers.DictField) and not allow_empty:
            schema["minProperties"] = 1
