"""The records API: thin views. Validate, call one service, answer."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.forwarded import API_AUTHENTICATION_CLASSES
from access.grants import privilege_require
from access.models import ApiClient
from common.errors import ApiError
from common.pagination import CheckedLimitOffsetPagination
from common.parsers import NestingLimitedJSONParser
from warehouse.sql import TableName

from ..jobs.lifecycle import job_cancel
from ..jobs.selectors import job_retry_after, jobs_of
from ..jobs.submit import records_submit
from ..models import Job
from ..reads import records_read
from . import schema as doc
from .headers import idempotency_key, preferred_wait
from .representations import JobAcceptedSerializer, JobFilterSerializer, JobSerializer, ReadPageSerializer
from .serializers import (
    DeleteSerializer,
    ReadQuerySerializer,
    UpdateSerializer,
    UpsertSerializer,
    WriteSerializer,
)
from .waiting import wait_for, wait_seconds


class ApiKeyView(APIView):
    """The base of every records endpoint: the caller is the API key's client; bodies are JSON
    nested at most ``common.parsers.MAX_JSON_NESTING`` levels (deeper is a 400)."""

    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [IsAuthenticated]
    parser_classes = [NestingLimitedJSONParser]

    @property
    def client(self) -> ApiClient:
        return cast(ApiClient, self.request.user)


class JobSubmitView(ApiKeyView):
    """Validate the body, store a job, answer 202 (or the finished job when ``?wait=N`` sufficed)."""

    operation: str
    serializer_class: type[Any]
    finished_status: int = status.HTTP_200_OK

    def submit(self, request: Request) -> Response:
        wait, preferred = submit_wait(request)
        key = idempotency_key(request)
        serializer = self.serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        job, _ = records_submit(
            operation=self.operation, data=serializer.validated_data, client=self.client, idempotency_key=key
        )
        return self.answer(request, job, wait, preferred)

    def answer(self, request: Request, job: Job, wait: float, preferred: float | None) -> Response:
        """The stored job's answer: 202 with its URL, or the finished job (within ``wait``)."""
        if wait:
            job = wait_for(job, wait)
        # RFC 7240: say that the preference was honoured.
        applied = {} if preferred is None else {"Preference-Applied": f"wait={preferred}"}
        if job.finished:
            # A failed write created nothing: 201 only when it succeeded.
            succeeded = job.status == Job.Status.SUCCEEDED
            return Response(
                JobSerializer(job).data,
                status=self.finished_status if succeeded else status.HTTP_200_OK,
                headers=applied,
            )
        status_url = request.build_absolute_uri(reverse("job-detail", args=[job.job_id]))
        body = {
            "job_id": str(job.job_id),
            "status": job.status,
            "operation": job.operation,
            "table": job.full_table_name,
            "status_url": status_url,
        }
        headers = {"Location": status_url, "Retry-After": str(job_retry_after(job)), **applied}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)

    # One handler for the one method each subclass allows (``http_method_names``).
    def post(self, request: Request) -> Response:
        return self.submit(request)

    put = delete = post


def submit_wait(request: Request) -> tuple[float, float | None]:
    """The seconds a submit may wait, and the ``Prefer: wait=N`` that asked for them (if any):
    it stands for ``?wait=N``; the query wins when both are given."""
    wait = wait_seconds(request)
    preferred = None if "wait" in request.query_params else preferred_wait(request)
    return (wait if preferred is None else preferred), preferred


SUBMIT_DESCRIPTION = (
    "\n\nA durable job: `202 Accepted` with the job's URL once it is stored; a worker then runs it on "
    "the warehouse, and jobs on one table take effect in submission order. With `?wait=N` the answer "
    "is the finished job when it finishes within N seconds. Needs `MODIFY` on the table."
)


def _submit_view(
    operation: str,
    method: str,
    serializer: type[Any],
    summary: str,
    description: str,
    examples: list[OpenApiExample],
    finished_status: int = 200,
) -> type[JobSubmitView]:
    """The submit endpoint of ``operation``: one HTTP ``method``, documented for OpenAPI."""
    view = type(
        f"Records{operation.title()}View",
        (JobSubmitView,),
        {
            "__module__": __name__,
            "http_method_names": [method, "options"],
            "operation": operation,
            "serializer_class": serializer,
            "finished_status": finished_status,
        },
    )
    finished: dict[int, OpenApiResponse] = {
        status.HTTP_200_OK: OpenApiResponse(
            JobSerializer,
            description="Finished within `wait`"
            + (": failed." if finished_status != 200 else " (or failed)."),
        )
    }
    if finished_status != status.HTTP_200_OK:
        finished[finished_status] = OpenApiResponse(
            JobSerializer, description="Finished within `wait`: succeeded."
        )
    schema = extend_schema(
        operation_id=f"records_{operation}",
        summary=summary,
        description=description + SUBMIT_DESCRIPTION,
        tags=["records"],
        request=serializer,
        parameters=doc.SUBMIT_PARAMETERS,
        responses={
            status.HTTP_202_ACCEPTED: OpenApiResponse(
                JobAcceptedSerializer, description="Stored; a worker runs it (`Location`: the job)."
            ),
            **finished,
            **doc.SUBMIT_ERRORS,
        },
        examples=examples,
    )
    return cast(type[JobSubmitView], extend_schema_view(**{method: schema})(view))


RecordsWriteView = _submit_view(
    Job.Operation.WRITE,
    "post",
    WriteSerializer,
    "Insert rows",
    "Insert rows, creating the table first with `auto_create` (needs `CREATE_TABLE` on the schema "
    "when the table does not exist). Rows are checked against the table's columns (or "
    "`schema_definition`) before the job is stored: a row that does not fit is a 400 naming it.",
    [*doc.WRITE_EXAMPLES, *doc.WRITE_RESPONSE_EXAMPLES],
    finished_status=status.HTTP_201_CREATED,
)
RecordsUpsertView = _submit_view(
    Job.Operation.UPSERT,
    "post",
    UpsertSerializer,
    "Insert or update rows by key",
    "Merge rows by `key_columns` (NOT NULL columns of the table): a row whose key matches a live row "
    "updates the columns it carries and sets `updated_at`/`updated_by` (its `record_uuid` and "
    "`inserted_*` stay); a row with no match is inserted with every audit column. Soft-deleted rows "
    "count as absent unless `match_deleted`, which revives them. Two rows with one key are a 400. "
    "The result counts the rows `inserted` and `updated`. With `auto_create`, as for a write.",
    [*doc.UPSERT_EXAMPLES, *doc.UPSERT_RESPONSE_EXAMPLES],
)
RecordsUpdateView = _submit_view(
    Job.Operation.UPDATE,
    "put",
    UpdateSerializer,
    "Update rows",
    "Update rows by one key, several keys with the same changes, per-key changes (`bulk_updates`) "
    "or filters. The job's result names the keys not found.",
    [*doc.UPDATE_EXAMPLES, *doc.UPDATE_RESPONSE_EXAMPLES],
)
RecordsDeleteView = _submit_view(
    Job.Operation.DELETE,
    "delete",
    DeleteSerializer,
    "Delete rows",
    "Soft-delete (the default) or hard-delete (`soft: false`) rows by one key, several keys or "
    "filters. The body is JSON, as for the other submits. The job's result names the keys not found.",
    [*doc.DELETE_EXAMPLES, *doc.DELETE_RESPONSE_EXAMPLES],
)


class RecordsReadView(ApiKeyView):
    @extend_schema(
        operation_id="records_read",
        summary="Read rows",
        description=(
            "Rows of a table, synchronously, in `inserted_at, record_uuid` order (pages do not overlap); "
            "soft-deleted rows are left out unless `include_deleted`. `total` counts every matching row. A "
            "page that would exceed `RECORDS_MAX_READ_BYTES` ends early with `truncated` and `next_offset`. "
            "Needs `SELECT` on the table."
        ),
        tags=["records"],
        parameters=[ReadQuerySerializer, *doc.READ_PARAMETERS],
        responses={
            200: OpenApiResponse(ReadPageSerializer, description="A page of rows."),
            **doc.READ_ERRORS,
        },
        examples=doc.READ_RESPONSE_EXAMPLES,
    )
    def get(self, request: Request) -> Response:
        serializer = ReadQuerySerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        query = serializer.validated_data
        privilege_require(self.client, "SELECT", TableName(query["catalog"], query["schema"], query["table"]))
        return Response(records_read(**query))


@extend_schema_view(
    get=extend_schema(
        operation_id="jobs_list",
        summary="List your jobs",
        description="The caller's jobs, newest first, a page at a time, optionally filtered.",
        tags=["jobs"],
        parameters=doc.JOB_LIST_PARAMETERS,
        responses={200: OpenApiResponse(JobSerializer, description="A page of jobs."), **doc.JOB_LIST_ERRORS},
        examples=doc.JOB_EXAMPLES,
    )
)
class JobListView(ApiKeyView, generics.ListAPIView):
    serializer_class = JobSerializer
    # limit 1-200, offset 0-2**31-1; anything else is a 400 (DRF's own class clamps or ignores).
    pagination_class = CheckedLimitOffsetPagination

    def get_queryset(self) -> Any:
        filters = JobFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        query = filters.validated_data
        return jobs_of(
            client=self.client,
            status=query.get("status") or None,
            operation=query.get("operation") or None,
            table=query.get("table") or None,
        )


def job_response(job: Job, status_code: int = status.HTTP_200_OK) -> Response:
    """The job's body; ``Retry-After`` (seconds) while it is not final."""
    headers = {} if job.finished else {"Retry-After": str(job_retry_after(job))}
    return Response(JobSerializer(job).data, status=status_code, headers=headers)


class JobDetailView(ApiKeyView):
    @extend_schema(
        operation_id="jobs_retrieve",
        summary="Get a job",
        description=(
            "One of the caller's jobs: its status, progress, and once finished its result or error. With "
            "`?wait=N` the answer comes as soon as the job is final, or after N seconds with the job as it "
            "is then (long polling). While the job is not final, `Retry-After` says when to ask again."
        ),
        tags=["jobs"],
        parameters=[doc.JOB_WAIT_PARAMETER, doc.JOB_RETRY_AFTER_HEADER],
        responses={200: OpenApiResponse(JobSerializer, description="The job."), **doc.JOB_DETAIL_ERRORS},
        examples=doc.JOB_EXAMPLES,
    )
    def get(self, request: Request, job_id: str) -> HttpResponseBase:
        """One of the caller's jobs; another client's job is a 404."""
        wait = wait_seconds(request)
        job = get_object_or_404(Job.objects.defer("payload"), job_id=job_id, client=self.client)
        if wait and not job.finished:
            job = wait_for(job, wait)
            if not job.finished:
                job.refresh_from_db()  # its progress as it is now
        return job_response(job)


class JobCancelView(ApiKeyView):
    @extend_schema(
        operation_id="jobs_cancel",
        summary="Cancel a job",
        description=(
            "Cancel one of the caller's jobs. A queued job becomes `canceled` at once and never runs "
            "(`200`; the later jobs of its table run as usual). A running job gets `cancel_requested` "
            "(`202`): it stops before its next statement and ends `canceled`, what it already landed "
            "staying (its `progress` says how much), or `succeeded` if it was past its last statement "
            "(writes grouped into one statement with others are). A finished job is a `409`."
        ),
        tags=["jobs"],
        request=None,
        responses={
            200: OpenApiResponse(JobSerializer, description="Canceled: the job was queued and never runs."),
            202: OpenApiResponse(
                JobSerializer,
                description="Running: it stops before its next statement (`Location`: the job).",
            ),
            **doc.JOB_CANCEL_ERRORS,
        },
        examples=doc.JOB_CANCEL_EXAMPLES,
    )
    def post(self, request: Request, job_id: str) -> HttpResponseBase:
        job = get_object_or_404(Job.objects.defer("payload"), job_id=job_id, client=self.client)
        cancel = job_cancel(job)
        if cancel.outcome == "finished":
            raise ApiError(
                f"Job {job.job_id} is {cancel.job.status} already: there is nothing to cancel",
                details={"job_id": str(job.job_id), "status": cancel.job.status},
                status_code=status.HTTP_409_CONFLICT,
            )
        if cancel.outcome == "canceled":
            return job_response(cancel.job)
        response = job_response(cancel.job, status.HTTP_202_ACCEPTED)
        response["Location"] = request.build_absolute_uri(reverse("job-detail", args=[job.job_id]))
        return response
