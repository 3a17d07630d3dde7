"""The records API: thin views. Validate, call one service, answer."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.authentication import ApiKeyAuthentication
from access.grants import privilege_require
from access.models import ApiClient
from common.pagination import CheckedLimitOffsetPagination
from common.parsers import NestingLimitedJSONParser
from warehouse.sql import TableName

from ..jobs.selectors import jobs_of
from ..jobs.submit import records_submit
from ..models import Job
from ..reads import records_read
from .headers import idempotency_key
from .representations import JobSerializer
from .serializers import DeleteSerializer, ReadQuerySerializer, UpdateSerializer, WriteSerializer
from .waiting import wait_for, wait_seconds

WAIT_PARAMETER = OpenApiParameter(
    "wait", int, description="seconds (0-30) to wait for the job to finish before answering 202"
)
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key", str, location=OpenApiParameter.HEADER, description="same key + same body = same job"
)


# The base of every records endpoint: the caller is the API key's client; bodies are JSON
# nested at most common.parsers.MAX_JSON_NESTING levels (deeper is a 400). (A comment, not a
# docstring: drf-spectacular would show a docstring as the description of every endpoint.)
class ApiKeyView(APIView):
    authentication_classes = [ApiKeyAuthentication]
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
        wait = wait_seconds(request)
        key = idempotency_key(request)
        serializer = self.serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        job, _ = records_submit(
            operation=self.operation, data=serializer.validated_data, client=self.client, idempotency_key=key
        )
        if wait:
            job = wait_for(job, wait)
        if job.finished:
            # A failed write created nothing: 201 only when it succeeded.
            succeeded = job.status == Job.Status.SUCCEEDED
            return Response(
                JobSerializer(job).data, status=self.finished_status if succeeded else status.HTTP_200_OK
            )
        status_url = request.build_absolute_uri(reverse("job-detail", args=[job.job_id]))
        body = {
            "job_id": str(job.job_id),
            "status": job.status,
            "operation": job.operation,
            "table": job.full_table_name,
            "status_url": status_url,
        }
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": status_url})

    # One handler for the one method each subclass allows (``http_method_names``).
    def post(self, request: Request) -> Response:
        return self.submit(request)

    put = delete = post


def _submit_view(
    operation: str, method: str, serializer: type[Any], description: str, finished_status: int = 200
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
    schema = extend_schema(
        request=serializer,
        parameters=[WAIT_PARAMETER, IDEMPOTENCY_PARAMETER],
        responses={202: dict},
        description=description,
    )
    return cast(type[JobSubmitView], extend_schema_view(**{method: schema})(view))


RecordsWriteView = _submit_view(
    Job.Operation.WRITE,
    "post",
    WriteSerializer,
    "Insert rows (optionally creating the table): a job.",
    finished_status=status.HTTP_201_CREATED,
)
RecordsUpdateView = _submit_view(
    Job.Operation.UPDATE,
    "put",
    UpdateSerializer,
    "Update rows by key, keys, bulk per-key updates or filters: a job.",
)
RecordsDeleteView = _submit_view(
    Job.Operation.DELETE,
    "delete",
    DeleteSerializer,
    "Soft- or hard-delete rows by key, keys or filters: a job.",
)


class RecordsReadView(ApiKeyView):
    @extend_schema(parameters=[ReadQuerySerializer], responses={200: dict})
    def get(self, request: Request) -> Response:
        """Read rows synchronously: ``{"data", "count", "total"}``."""
        serializer = ReadQuerySerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        query = serializer.validated_data
        privilege_require(self.client, "SELECT", TableName(query["catalog"], query["schema"], query["table"]))
        return Response(records_read(**query))


class JobListView(ApiKeyView, generics.ListAPIView):
    serializer_class = JobSerializer
    # limit 1-200, offset 0-2**31-1; anything else is a 400 (DRF's own class clamps or ignores).
    pagination_class = CheckedLimitOffsetPagination

    def get_queryset(self) -> Any:
        return jobs_of(
            client=self.client,
            status=self.request.query_params.get("status"),
            operation=self.request.query_params.get("operation"),
            table=self.request.query_params.get("table"),
        )


class JobDetailView(ApiKeyView):
    @extend_schema(responses={200: JobSerializer})
    def get(self, request: Request, job_id: str) -> HttpResponseBase:
        """One of the caller's jobs; another client's job is a 404."""
        job = get_object_or_404(Job.objects.defer("payload"), job_id=job_id, client=self.client)
        return Response(JobSerializer(job).data)
