"""``POST /api/v1/records/ingest``: a file of rows (CSV, NDJSON, Parquet) loaded as one job.

Two ways to send it:
- the raw body, ``Content-Type: text/csv`` (or ``application/x-ndjson``,
  ``application/vnd.apache.parquet``), the options in the query string: the table and the
  client's privileges are checked before the body is read, so a refused file is never read;
- ``multipart/form-data`` with the file in the ``file`` part and the options as form fields
  (the format from ``file_format``, else the part's type or the file name's extension).

Either way the file goes to disk as it arrives (``RECORDS_INGEST_DIR``: Django writes parts of
more than 2 MB there, the raw body is copied there 1 MiB at a time), never whole in memory,
and a file over ``RECORDS_INGEST_MAX_BYTES`` is a 413. Then every row is checked
(``jobs.ingest_submit``) and the job stored; the answer is a submit's (202, ``?wait``...).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import ApiError, error_body
from common.openapi import error_responses

from ..jobs.ingest import ingest_dir
from ..jobs.ingest_submit import ingest_submit, ingest_target
from ..models import Job
from ..validation.files import FORMATS, MEDIA_TYPES
from ..validation.schema import parse_schema_definition
from . import schema as doc
from .headers import idempotency_key
from .representations import JobAcceptedSerializer, JobSerializer
from .serializers import CallbackUrlField, ColumnDefinitionSerializer, IdentifierField
from .views import SUBMIT_DESCRIPTION, JobSubmitView, submit_wait

_CHUNK = 1024 * 1024
_EXTENSIONS = {".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson", ".parquet": "parquet"}


class UploadTooLarge(ApiError):
    status_code = 413


class SchemaDefinitionField(serializers.Field[Any, Any, Any, Any]):
    """``schema_definition`` as JSON text (a form field or a query parameter), or as a list."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError as error:
                raise serializers.ValidationError(f"Not JSON: {error}") from None
        items: serializers.ListSerializer[Any] = serializers.ListSerializer(
            child=ColumnDefinitionSerializer(), allow_empty=False
        )
        return parse_schema_definition(items.run_validation(data))

    def to_representation(self, value: Any) -> Any:
        return value


class IngestOptionsSerializer(serializers.Serializer[dict[str, Any]]):
    """The options of an ingest (query parameters of a raw body, or multipart form fields)."""

    catalog = IdentifierField()
    schema = IdentifierField()
    table = IdentifierField()
    # Not ``format``: DRF reads that query parameter as the answer's renderer.
    file_format = serializers.ChoiceField(
        choices=FORMATS,
        required=False,
        help_text="csv, ndjson or parquet; by default from the upload's type.",
    )
    auto_create = serializers.BooleanField(
        default=False, help_text="Create the table from `schema_definition` when it does not exist."
    )
    schema_definition = SchemaDefinitionField(
        required=False,
        help_text="The table's columns, as JSON (as for a write): required with `auto_create`.",
    )
    header = serializers.BooleanField(default=True, help_text="CSV: the first line names the columns.")
    delimiter = serializers.CharField(
        default=",", min_length=1, max_length=1, trim_whitespace=False, help_text="CSV: the field separator."
    )
    null_value = serializers.CharField(
        default="",
        allow_blank=True,
        trim_whitespace=False,
        max_length=100,
        help_text="CSV: the text of a null.",
    )
    callback_url = CallbackUrlField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["columns"] = attrs.pop("schema_definition", None)
        if attrs["auto_create"] and attrs["columns"] is None:
            message = "schema_definition is required when auto_create is true"
            raise serializers.ValidationError({"schema_definition": [message]}, code="required")
        return attrs


def _media_type(request: Request) -> str:
    return (request.content_type or "").partition(";")[0].strip().lower()


class LengthRequired(ApiError):
    status_code = 411


def _declared_length(request: Request, *, required: bool) -> int:
    """The body's Content-Length: 411 without one where the body is the file (a chunked body
    reaches Django as no body at all), 400 when it is not a number, 413 past the limit."""
    raw = request.META.get("CONTENT_LENGTH") or ""
    if not raw:
        if required:
            raise LengthRequired("Send the file with a Content-Length (a chunked body cannot be read)")
        return 0
    if not raw.isdigit():
        raise ApiError(f"Content-Length is not a number: {raw[:40]!r}")
    if int(raw) > settings.RECORDS_INGEST_MAX_BYTES:
        raise _too_large(settings.RECORDS_INGEST_MAX_BYTES)
    return int(raw)


class UploadLimit(FileUploadHandler):
    """First of the multipart upload handlers: counts each file's bytes as they arrive and
    stops the upload past RECORDS_INGEST_MAX_BYTES (413), whatever the Content-Length said;
    the handlers after it write the file."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > settings.RECORDS_INGEST_MAX_BYTES:
            raise _too_large(settings.RECORDS_INGEST_MAX_BYTES)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _spool_body(request: Request) -> Path:
    """The raw body copied to a file in RECORDS_INGEST_DIR a chunk at a time; 413 past the limit."""
    limit = settings.RECORDS_INGEST_MAX_BYTES
    with tempfile.NamedTemporaryFile(dir=ingest_dir(), prefix="upload-", delete=False) as spool:
        path = Path(spool.name)
        try:
            _copy_within(request.stream, spool, limit)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return path


def _copy_within(stream: Any, spool: Any, limit: int) -> None:
    size = 0
    while stream is not None and (chunk := stream.read(_CHUNK)):
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        spool.write(chunk)


def _too_large(limit: int) -> UploadTooLarge:
    return UploadTooLarge(
        f"The file is larger than {limit} bytes (RECORDS_INGEST_MAX_BYTES)", details={"max_bytes": limit}
    )


def _spool_part(upload: UploadedFile) -> tuple[Path, bool]:
    """The multipart file on disk: Django's own temporary file (it deletes it after the request
    unless the job took it), or a copy of a small in-memory part (``True``: ours to delete)."""
    if upload.size is not None and upload.size > settings.RECORDS_INGEST_MAX_BYTES:
        raise _too_large(settings.RECORDS_INGEST_MAX_BYTES)
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        return Path(temporary()), False
    with tempfile.NamedTemporaryFile(dir=ingest_dir(), prefix="upload-", delete=False) as spool:
        for chunk in upload.chunks(_CHUNK):
            spool.write(chunk)
    return Path(spool.name), True


def _part_format(upload: UploadedFile) -> str | None:
    by_type = MEDIA_TYPES.get((upload.content_type or "").partition(";")[0].strip().lower())
    return by_type or _EXTENSIONS.get(Path(upload.name or "").suffix.lower())


INGEST_PARAMETERS = [
    OpenApiParameter(name, str, description=f"Raw body: `{name}` (multipart: a form field).")
    for name in ("catalog", "schema", "table")
] + [
    OpenApiParameter(
        name,
        str,
        required=False,
        description=f"Raw body: `{name}`, as the multipart form field of the same name.",
    )
    for name in (
        "file_format",
        "auto_create",
        "schema_definition",
        "header",
        "delimiter",
        "null_value",
        "callback_url",
    )
]


INGEST_SCHEMA = extend_schema(
    operation_id="records_ingest",
    summary="Load a file of rows",
    description=(
        "Insert every row of a CSV, NDJSON or Parquet file: the raw body (`Content-Type: text/csv`, "
        "`application/x-ndjson` or `application/vnd.apache.parquet`, options in the query string) or "
        "`multipart/form-data` (the file in `file`, options as form fields). Every row is checked "
        "against the table (or `schema_definition` with `auto_create`) before the job is stored; the "
        "first bad lines are a 400 naming each line and column. The job stages the rows as Parquet in a "
        "Unity Catalog volume and loads them with one `COPY INTO`; its result counts the rows and the "
        "staged `files`." + SUBMIT_DESCRIPTION
    ),
    tags=["records"],
    request={
        "multipart/form-data": {
            "type": "object",
            "properties": {
                "file": {"type": "string", "format": "binary"},
                "catalog": {"type": "string"},
                "schema": {"type": "string"},
                "table": {"type": "string"},
                "file_format": {"type": "string", "enum": list(FORMATS)},
                "auto_create": {"type": "boolean"},
                "schema_definition": {"type": "string", "description": "JSON, as for a write."},
                "header": {"type": "boolean"},
                "delimiter": {"type": "string"},
                "null_value": {"type": "string"},
                "callback_url": {"type": "string", "format": "uri"},
            },
            "required": ["file", "catalog", "schema", "table"],
        },
        "text/csv": {"type": "string"},
        "application/x-ndjson": {"type": "string"},
        "application/vnd.apache.parquet": {"type": "string", "format": "binary"},
    },
    parameters=[*doc.SUBMIT_PARAMETERS, *INGEST_PARAMETERS],
    responses={
        status.HTTP_202_ACCEPTED: OpenApiResponse(
            JobAcceptedSerializer, description="Stored; a worker runs it (`Location`: the job)."
        ),
        status.HTTP_201_CREATED: OpenApiResponse(
            JobSerializer, description="Finished within `wait`: succeeded."
        ),
        status.HTTP_200_OK: OpenApiResponse(JobSerializer, description="Finished within `wait`: failed."),
        **doc.SUBMIT_ERRORS,
        **error_responses(
            411,
            descriptions={411: "A raw body without a `Content-Length` (a chunked body cannot be read)."},
            examples={
                411: (
                    "no Content-Length",
                    error_body("Send the file with a Content-Length (a chunked body cannot be read)"),
                )
            },
        ),
    },
    examples=[
        OpenApiExample(
            "wells as CSV",
            value="api10,api14,wellname,oileur\n4201234567,42012345671234,SMITH 1-15H,125000.5\n",
            media_type="text/csv",
            request_only=True,
        )
    ],
)


class RecordsIngestView(JobSubmitView):
    http_method_names = ["post", "options"]
    operation = Job.Operation.INGEST
    finished_status = status.HTTP_201_CREATED
    parser_classes = [MultiPartParser]

    @INGEST_SCHEMA
    def post(self, request: Request) -> Response:
        wait, preferred = submit_wait(request)
        key = idempotency_key(request)
        raw_format = MEDIA_TYPES.get(_media_type(request))
        ingest_dir()  # Django writes large multipart parts there
        if raw_format is not None:
            options = self._options(request.query_params)
            target = ingest_target(self.client, options)  # before a byte of the body is read
            _declared_length(request, required=True)
            path, ours, file_format = _spool_body(request), True, options.get("file_format") or raw_format
        elif _media_type(request) == "multipart/form-data":
            _declared_length(request, required=False)
            django_request = request._request
            django_request.upload_handlers = [UploadLimit(django_request), *django_request.upload_handlers]
            upload = request.data.get("file")
            if not isinstance(upload, UploadedFile):
                raise ApiError("The multipart body has no file part named 'file'")
            options = self._options(request.data)
            target = ingest_target(self.client, options)
            file_format = options.get("file_format") or _part_format(upload)
            if file_format is None:
                raise ApiError("Say the file's format with file_format=csv, ndjson or parquet")
            path, ours = _spool_part(upload)
        else:
            raise UnsupportedMediaType(
                request.content_type,
                detail="Send the file as text/csv, application/x-ndjson, application/vnd.apache.parquet "
                "or in multipart/form-data",
            )
        try:
            job, _ = ingest_submit(
                target=target,
                data=options,
                upload=path,
                file_format=file_format,
                client=self.client,
                idempotency_key=key,
            )
        finally:
            if ours:
                path.unlink(missing_ok=True)  # gone already when the job took it
        return self.answer(request, job, wait, preferred)

    @staticmethod
    def _options(raw: Any) -> dict[str, Any]:
        fields = {
            name: raw.get(name) for name in IngestOptionsSerializer().fields if raw.get(name) is not None
        }
        serializer = IngestOptionsSerializer(data=fields)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
