"""The records API's OpenAPI description beyond its serializers: the parameters of submits,
reads and the jobs list, examples (the original service's request bodies, and answers as this
service gives them) and each operation's error responses. (The API key schemes are described
by ``access.authentication.ApiKeyScheme``.)"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter

from common.errors import error_body
from common.openapi import error_responses

from ..examples import WELLS_DEFINITION, WELLS_ROW
from ..models import Job
from .headers import MAX_IDEMPOTENCY_KEY_LENGTH

# --- parameters ------------------------------------------------------------------------------

WAIT_PARAMETER = OpenApiParameter(
    "wait",
    {"type": "number", "minimum": 0, "maximum": settings.RECORDS_MAX_WAIT_SECONDS},
    description=(
        "Seconds (0 to `RECORDS_MAX_WAIT_SECONDS`) to wait for the job to finish: the finished job "
        "(200/201) if it finishes in time, else the 202 as without `wait`."
    ),
)
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH,
        "pattern": "^[\\x20-\\x7e]+$",
    },
    OpenApiParameter.HEADER,
    description=(
        "Makes a retry safe: the same key with the same body answers the same job; with another body, "
        "a 409. 1 to 255 printable ASCII characters."
    ),
)
PREFER_PARAMETER = OpenApiParameter(
    "Prefer",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "RFC 7240 preferences: `wait=N` stands for `?wait=N` (capped at `RECORDS_MAX_WAIT_SECONDS`; "
        "`?wait` wins when both are given), answered with `Preference-Applied: wait=N`. Others are ignored."
    ),
)
PREFERENCE_APPLIED_HEADER = OpenApiParameter(
    "Preference-Applied",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201, 202],
    description="`wait=N` when the request's `Prefer: wait=N` was honoured.",
)
# No examples for these: Swagger UI would fill them in for every try, and one key reused
# with another body is a 409.
SUBMIT_PARAMETERS = [WAIT_PARAMETER, IDEMPOTENCY_PARAMETER, PREFER_PARAMETER, PREFERENCE_APPLIED_HEADER]
JOB_WAIT_PARAMETER = OpenApiParameter(
    "wait",
    {"type": "number", "minimum": 0, "maximum": settings.RECORDS_MAX_WAIT_SECONDS},
    description=(
        "Seconds (0 to `RECORDS_MAX_WAIT_SECONDS`) to wait for the job to be final (long polling): the "
        "answer comes as soon as it is, or after `wait` seconds with the job as it is then. Anything "
        "else is a 400."
    ),
)
JOB_RETRY_AFTER_HEADER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[200],
    description=(
        "While the job is not final: seconds (1 to 30) after which asking again is worthwhile, from the "
        "jobs before it on its table and the durations of the table's recent jobs."
    ),
)

SEED_TABLE = {"catalog": "oil_gas_catalog", "schema": "production_schema", "table": "wells"}
SEED_READ_FILTERS = (
    '[{"column":"oileur","op":">","value":100000},{"column":"spuddate","op":"like","value":"%2024"}]'
)


def _read_parameter(name: str, description: str, value: str, *, required: bool = False) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        OpenApiTypes.STR,
        required=required,
        description=description,
        examples=[OpenApiExample("the original service's read", value=value)],
    )


# The read's parameters as ReadQuerySerializer documents them, these with the seed's values.
READ_PARAMETERS = [
    _read_parameter("catalog", "The table's catalog.", SEED_TABLE["catalog"], required=True),
    _read_parameter("schema", "The table's schema.", SEED_TABLE["schema"], required=True),
    _read_parameter("table", "The table.", SEED_TABLE["table"], required=True),
    _read_parameter(
        "columns",
        "Comma-separated column names; `*` (the default) for all.",
        "api10,api14,wellname,oileur,gaseur",
    ),
    _read_parameter(
        "filters",
        (
            'A JSON list of `{"column", "op", "value"}` filters combined with AND (the `Filter` schema); ops '
            "`=, !=, >, <, >=, <=, like, in, not in, is null, is not null`."
        ),
        SEED_READ_FILTERS,
    ),
]

JOB_STATUSES = [str(value) for value in Job.Status.values]
JOB_OPERATIONS = [str(value) for value in Job.Operation.values]
JOB_LIST_PARAMETERS = [
    OpenApiParameter(
        "status", OpenApiTypes.STR, enum=JOB_STATUSES, description="Only jobs in this status (else a 400)."
    ),
    OpenApiParameter(
        "operation",
        OpenApiTypes.STR,
        enum=JOB_OPERATIONS,
        description="Only jobs of this operation (else a 400).",
    ),
    OpenApiParameter(
        "table",
        OpenApiTypes.STR,
        description="Only jobs on this table: `catalog.schema.table` (case-insensitive).",
    ),
]

# --- request examples: the original service's bodies -------------------------------------------

WELL = WELLS_ROW
KEYS = [4201234567, 4201234568, 4201234569]


def _request(name: str, summary: str, value: dict[str, Any]) -> OpenApiExample:
    return OpenApiExample(name, summary=summary, value={**SEED_TABLE, **value}, request_only=True)


WRITE_EXAMPLES = [
    _request(
        "wells with auto_create",
        "Create the wells table if needed and insert a row",
        {"auto_create": True, "schema_definition": WELLS_DEFINITION, "data": [WELL]},
    ),
    _request(
        "wells with a completion webhook",
        "Insert a row; once the job is final, a signed job.succeeded (or .failed) is POSTed to callback_url",
        {"data": [WELL], "callback_url": "https://hooks.example.com/records"},
    ),
]
UPSERT_EXAMPLES = [
    _request(
        "wells by api10",
        "Update the well with this api10 if it is there, else insert it",
        {"key_columns": ["api10"], "data": [WELL]},
    ),
    _request(
        "revive soft-deleted",
        "Create the table if needed; a soft-deleted well with this api10 is revived",
        {
            "auto_create": True,
            "schema_definition": WELLS_DEFINITION,
            "key_columns": ["api10"],
            "match_deleted": True,
            "data": [WELL],
        },
    ),
]
UPDATE_EXAMPLES = [
    _request(
        "one key",
        "Scenario 1: one row by its key",
        {"key_column": "api10", "key_value": KEYS[0], "updates": {"oileur": 130000.00, "gaseur": 475000.00}},
    ),
    _request(
        "several keys",
        "Scenario 2: several rows, the same changes",
        {"key_column": "api10", "key_values": KEYS, "updates": {"wellspacing": 640.0}},
    ),
    _request(
        "bulk updates",
        "Scenario 3: several rows, each its own changes",
        {
            "key_column": "api10",
            "bulk_updates": [
                {"key_value": KEYS[0], "updates": {"oileur": 130000.00, "gaseur": 475000.00}},
                {"key_value": KEYS[1], "updates": {"wellspacing": 320.0}},
                {"key_value": KEYS[2], "updates": {"compldate": "05/15/2024"}},
            ],
        },
    ),
    _request(
        "filters",
        "Scenario 4: the rows the filters match",
        {"filters": [{"column": "oileur", "op": "<", "value": 100000}], "updates": {"wellspacing": 640.0}},
    ),
]
DELETE_EXAMPLES = [
    _request(
        "one key",
        "Scenario 1: one row by its key",
        {"key_column": "api10", "key_value": KEYS[0], "soft": True},
    ),
    _request(
        "several keys",
        "Scenario 2: several rows by their keys",
        {"key_column": "api10", "key_values": KEYS, "soft": True},
    ),
    _request(
        "filters",
        "Scenario 3: the rows the filters match",
        {"filters": [{"column": "oileur", "op": "=", "value": 0}], "soft": True},
    ),
]

# --- response examples ----------------------------------------------------------------------

JOB_ID = "6f1c2b9e-5d3a-4c1b-9a7e-2f4d8c6b1a03"
WELLS = "oil_gas_catalog.production_schema.wells"
_TIMES = {
    "submitted_at": "2025-12-06T10:30:00.000000Z",
    "started_at": "2025-12-06T10:30:00.041000Z",
    "finished_at": "2025-12-06T10:30:00.162000Z",
}


def _job(operation: str, status: str, **fields: Any) -> dict[str, Any]:
    return {
        "job_id": JOB_ID,
        "operation": operation,
        "status": status,
        "table": WELLS,
        **_TIMES,
        "attempts": 1,
        "cancel_requested": False,
        "callback_url": None,
        "progress": {},
        "result": None,
        "error": None,
        "status_url": f"/api/v1/jobs/{JOB_ID}",
        **fields,
    }


def _accepted(operation: str) -> OpenApiExample:
    return OpenApiExample(
        "queued",
        value={
            "job_id": JOB_ID,
            "status": "queued",
            "operation": operation,
            "table": WELLS,
            "status_url": f"http://127.0.0.1:8000/api/v1/jobs/{JOB_ID}",
        },
        response_only=True,
        status_codes=[202],
    )


WRITE_SUCCEEDED = _job(
    "write",
    "succeeded",
    progress={"batches_total": 1, "batches_done": 1, "rows_inserted": 1},
    result={"message": f"Inserted 1 record(s) into {WELLS}", "count": 1},
)
FAILED = {
    "finished_at": _TIMES["finished_at"],
    "result": None,
    "error": {
        "message": f"[TABLE_OR_VIEW_NOT_FOUND] The table or view `{WELLS}` cannot be found.",
        "error_class": "TABLE_OR_VIEW_NOT_FOUND",
        "type": "DatabaseError",
    },
}
UPSERT_SUCCEEDED = _job(
    "upsert",
    "succeeded",
    progress={
        "upserted_at": "2025-12-06T10:30:00.060000+00:00",
        "batches_total": 1,
        "batches_done": 1,
        "rows_done": 3,
        "rows_inserted": 1,
        "rows_updated": 2,
    },
    result={"message": f"Upserted 3 record(s) into {WELLS}", "count": 3, "inserted": 1, "updated": 2},
)
UPDATE_SUCCEEDED = _job(
    "update",
    "succeeded",
    progress={"statements_total": 1, "statements_done": 1, "rows_affected": 2, "not_found": [4201234569]},
    result={
        "data": [
            {
                "updated_at": "2025-12-06T10:30:00.150000+00:00",
                "updated_by": "etl-nightly",
                "not_found": [4201234569],
            }
        ],
        "count": 2,
        "total": None,
    },
)
DELETE_SUCCEEDED = _job(
    "delete",
    "succeeded",
    progress={"statements_total": 1, "statements_done": 1, "rows_affected": 2, "not_found": [4201234569]},
    result={"data": [{"is_deleted": True}, {"not_found": [4201234569]}], "count": 2, "total": None},
)


def _finished(status: int, name: str, job: dict[str, Any]) -> OpenApiExample:
    return OpenApiExample(name, value=job, response_only=True, status_codes=[status])


WRITE_RESPONSE_EXAMPLES = [
    _accepted("write"),
    _finished(201, "succeeded", WRITE_SUCCEEDED),
    _finished(200, "failed", _job("write", "failed", **FAILED)),
]
UPSERT_RESPONSE_EXAMPLES = [
    _accepted("upsert"),
    _finished(200, "succeeded", UPSERT_SUCCEEDED),
    _finished(200, "failed", _job("upsert", "failed", **FAILED)),
]
UPDATE_RESPONSE_EXAMPLES = [_accepted("update"), _finished(200, "succeeded", UPDATE_SUCCEEDED)]
DELETE_RESPONSE_EXAMPLES = [_accepted("delete"), _finished(200, "succeeded", DELETE_SUCCEEDED)]
READ_RESPONSE_EXAMPLES = [
    OpenApiExample(
        "the original service's read",
        value={
            "data": [
                {
                    "api10": 4201234567,
                    "api14": 42012345671234,
                    "wellname": "SMITH 1-15H",
                    "oileur": 125000.50,
                    "gaseur": 450000.75,
                }
            ],
            "count": 1,
            "total": 150,
        },
        response_only=True,
    ),
    OpenApiExample(
        "a page cut at RECORDS_MAX_READ_BYTES",
        value={
            "data": [{"id": 0, "notes": "..."}, {"id": 1, "notes": "..."}],
            "count": 2,
            "total": 40,
            "truncated": True,
            "next_offset": 2,
        },
        response_only=True,
    ),
]
JOB_EXAMPLES = [OpenApiExample("a write that succeeded", value=WRITE_SUCCEEDED, response_only=True)]
JOB_CANCEL_EXAMPLES = [
    OpenApiExample(
        "canceled while queued",
        value=_job("write", "canceled", started_at=None, attempts=0, cancel_requested=True),
        response_only=True,
        status_codes=[200],
    ),
    OpenApiExample(
        "cancel requested while it runs",
        value=_job(
            "write",
            "running",
            finished_at=None,
            cancel_requested=True,
            progress={"batches_total": 4, "batches_done": 1, "rows_inserted": 2500},
        ),
        response_only=True,
        status_codes=[202],
    ),
]

# --- error responses of each operation --------------------------------------------------------

SUBMIT_ERRORS = error_responses(400, 401, 403, 404, 409, 413, 415, 429, 500, 503)


def _query_error(loc: str, msg: str) -> tuple[str, dict[str, Any]]:
    errors = [{"type": "max_value", "loc": ["query", loc], "msg": msg}]
    return "validation error", error_body("Validation error", {"errors": errors})


READ_ERRORS = error_responses(
    400,
    401,
    403,
    404,
    413,
    414,
    429,
    500,
    503,
    descriptions={
        400: (
            "A query parameter is invalid (`Validation error` with `details.errors`, `loc` starting with "
            "`query`), `filters` is not a JSON list of filters, or a name is not an identifier."
        ),
        413: (
            "A row alone is larger than `RECORDS_MAX_READ_BYTES` (read fewer `columns`), or an `in` filter "
            "lists more than `RECORDS_MAX_IN_VALUES` values."
        ),
    },
    examples={400: _query_error("limit", "Ensure this value is less than or equal to 1000.")},
)
JOB_LIST_ERRORS = error_responses(
    400,
    401,
    429,
    500,
    descriptions={
        400: (
            "`limit` or `offset` is out of range, or `status` or `operation` is not one a job can have "
            "(`Validation error`)."
        )
    },
    examples={400: _query_error("limit", "Ensure this value is less than or equal to 200.")},
)
_NO_SUCH_JOB = "The caller has no job with this id (another client's job is not found either)."
_BAD_WAIT = (
    "bad wait",
    error_body(f"wait must be a number of seconds from 0 to {settings.RECORDS_MAX_WAIT_SECONDS}"),
)
JOB_DETAIL_ERRORS = error_responses(
    400,
    401,
    404,
    429,
    500,
    descriptions={400: "`wait` is not a number of seconds from 0 to 30.", 404: _NO_SUCH_JOB},
    examples={400: _BAD_WAIT, 404: ("no such job", error_body("No Job matches the given query."))},
)
JOB_CANCEL_ERRORS = error_responses(
    401,
    404,
    409,
    429,
    500,
    descriptions={404: _NO_SUCH_JOB, 409: "The job is final already (`details.status`): nothing to cancel."},
    examples={
        404: ("no such job", error_body("No Job matches the given query.")),
        409: (
            "finished already",
            error_body(
                f"Job {JOB_ID} is succeeded already: there is nothing to cancel",
                {"job_id": JOB_ID, "status": "succeeded"},
            ),
        ),
    },
)
