"""How jobs and reads look to clients: the job (``GET /api/v1/jobs/{job_id}``, a finished
``?wait``), the 202 of a submit, and a read's page. The serializers of shapes held in JSON
columns (progress, result, error) only describe them for the OpenAPI document: the columns are
answered as they are stored."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from ..models import Job


@extend_schema_serializer(
    description=(
        "How far the job got: writes count batches and rows inserted, updates and deletes statements "
        "and rows affected, upserts batches and rows merged, inserted and updated; keyed updates and "
        "deletes also keep the keys not found. `{}` until it starts."
    )
)
class JobProgressSerializer(serializers.Serializer[dict[str, Any]]):
    batches_total = serializers.IntegerField(required=False, help_text="Write: INSERT batches to run.")
    batches_done = serializers.IntegerField(required=False, help_text="Write: batches landed.")
    rows_inserted = serializers.IntegerField(required=False, help_text="Write: rows landed so far.")
    rows_landed_before = serializers.IntegerField(
        required=False, help_text="Write resumed after a lost worker: rows its earlier attempts landed."
    )
    statements_total = serializers.IntegerField(
        required=False, help_text="Update, delete: statements to run."
    )
    statements_done = serializers.IntegerField(required=False, help_text="Update, delete: statements run.")
    rows_affected = serializers.IntegerField(required=False, help_text="Update, delete: rows changed so far.")
    not_found = serializers.ListField(
        child=serializers.JSONField(),
        required=False,
        help_text="Keyed update, delete: the requested keys that are not in the table.",
    )
    upserted_at = serializers.CharField(
        required=False, help_text="Upsert: the `updated_at` of every row it updates (chosen once)."
    )
    rows_done = serializers.IntegerField(required=False, help_text="Upsert: rows of the request merged.")
    rows_updated = serializers.IntegerField(required=False, help_text="Upsert: rows updated so far.")


@extend_schema_serializer(
    description=(
        'What a succeeded job did, as the original service answered it: `{"message", "count"}` for a '
        'write; `{"data", "count", "total": null}` for an update (`data`: `[{"updated_at", '
        '"updated_by", "not_found"?}]`) and a delete (`data`: `[{"is_deleted": true} or '
        '{"deleted": true}, {"not_found"}?]`); `{"message", "count", "inserted", "updated"}` for an upsert.'
    )
)
class JobResultSerializer(serializers.Serializer[dict[str, Any]]):
    message = serializers.CharField(required=False, help_text="Write: `Inserted N record(s) into c.s.t`.")
    count = serializers.IntegerField(help_text="Rows inserted, updated or deleted.")
    # DRF moves declared fields off the class, so this does not hide Serializer.data.
    data = serializers.ListField(  # type: ignore[assignment]
        child=serializers.DictField(), required=False, help_text="Update, delete: what was done."
    )
    total = serializers.IntegerField(
        required=False, allow_null=True, help_text="Update, delete: always null."
    )
    inserted = serializers.IntegerField(required=False, help_text="Upsert: rows inserted.")
    updated = serializers.IntegerField(required=False, help_text="Upsert: rows updated (or revived).")


@extend_schema_serializer(
    description=(
        "Why the job failed, or (with `retrying`) why its last attempt did and it will be tried again: "
        "the warehouse's message and error class, or `INTERNAL_ERROR`."
    )
)
class JobErrorSerializer(serializers.Serializer[dict[str, Any]]):
    message = serializers.CharField(help_text="The warehouse's (or the service's) message.")
    error_class = serializers.CharField(
        allow_null=True, help_text="`TABLE_OR_VIEW_NOT_FOUND`, `PERMISSION_DENIED`, `INTERNAL_ERROR`, ..."
    )
    type = serializers.CharField(
        help_text="`DatabaseError`, `TransientWarehouseError`, or an exception's class."
    )
    retrying = serializers.BooleanField(required=False, help_text="Present (true) while the job is retried.")


@extend_schema_field(JobProgressSerializer)
class JobProgressField(serializers.JSONField):
    pass


@extend_schema_field(JobResultSerializer)
class JobResultField(serializers.JSONField):
    pass


@extend_schema_field(JobErrorSerializer)
class JobErrorField(serializers.JSONField):
    pass


class CallbackUrlOutField(serializers.URLField):
    """The job's ``callback_url``, null when it has none (the model stores "")."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value: str) -> str | None:  # type: ignore[override]
        return value or None


@extend_schema_serializer(
    description=(
        "A job: what it does, where it stands, and once finished its result or its error. `succeeded`, "
        "`failed` and `canceled` are final; a canceled job's `progress` says what it landed before it "
        "stopped (a queued job canceled never ran: `{}`)."
    )
)
class JobSerializer(serializers.ModelSerializer):
    table = serializers.CharField(
        source="full_table_name", read_only=True, help_text="`catalog.schema.table`, as submitted."
    )
    progress = JobProgressField(read_only=True)
    result = JobResultField(read_only=True, allow_null=True, help_text="Set when the job succeeded.")
    error = JobErrorField(read_only=True, allow_null=True, help_text="Set when the job failed or is retried.")
    status_url = serializers.SerializerMethodField(help_text="This job's path.")
    callback_url = CallbackUrlOutField(
        help_text="Where its completion webhook goes (a signed job.succeeded/failed/canceled), or null."
    )
    cancel_requested = serializers.BooleanField(
        read_only=True,
        help_text=(
            "True once its client asked to cancel it (`POST .../cancel`): a running job stops before its "
            "next statement and ends `canceled`, or `succeeded` if it was past its last one."
        ),
    )

    class Meta:
        model = Job
        fields = [
            "job_id",
            "operation",
            "status",
            "table",
            "submitted_at",
            "started_at",
            "finished_at",
            "attempts",
            "cancel_requested",
            "callback_url",
            "progress",
            "result",
            "error",
            "status_url",
        ]
        read_only_fields = fields

    def get_status_url(self, job: Job) -> str:
        return f"/api/v1/jobs/{job.job_id}"


@extend_schema_serializer(
    description="A job that is stored and not finished yet: follow `status_url` (also the `Location` header)."
)
class JobAcceptedSerializer(serializers.Serializer[dict[str, Any]]):
    job_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=Job.Status.choices)
    operation = serializers.ChoiceField(choices=Job.Operation.choices)
    table = serializers.CharField(help_text="`catalog.schema.table`, as submitted.")
    status_url = serializers.URLField(help_text="The job's URL.")


@extend_schema_serializer(
    description=(
        "One page of rows. When the next row would take the answer past `RECORDS_MAX_READ_BYTES`, the page "
        "ends before it: `truncated` is true and `next_offset` is the `offset` that reads on."
    )
)
class ReadPageSerializer(serializers.Serializer[dict[str, Any]]):
    data = serializers.ListField(  # type: ignore[assignment]
        child=serializers.DictField(), help_text="The rows, in `inserted_at, record_uuid` order."
    )
    count = serializers.IntegerField(help_text="Rows in `data`.")
    total = serializers.IntegerField(help_text="Rows matching the filters, on every page.")
    truncated = serializers.BooleanField(
        required=False, help_text="Present (true) when the page was cut short."
    )
    next_offset = serializers.IntegerField(
        required=False, help_text="With `truncated`: the offset to read on."
    )


class JobFilterSerializer(serializers.Serializer[dict[str, Any]]):
    """The jobs list's filters, checked: a status or operation that no job can have is a 400
    (not an empty page, which would hide a typo)."""

    status = serializers.ChoiceField(choices=Job.Status.choices, required=False, allow_blank=True)
    operation = serializers.ChoiceField(choices=Job.Operation.choices, required=False, allow_blank=True)
    table = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
