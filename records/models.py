"""The durable job: a write, upsert, update or delete stored before the client is answered."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models

from access.models import ApiClient
from common.encoders import FastJSONEncoder


class Job(models.Model):
    """One write, upsert, update or delete request and its execution state.

    The primary key is a sequence, so it orders jobs by submission: jobs on one table run in
    that order. Clients see ``job_id``, a UUID.
    """

    class Operation(models.TextChoices):
        WRITE = "write", "write"
        UPSERT = "upsert", "upsert"
        UPDATE = "update", "update"
        DELETE = "delete", "delete"
        INGEST = "ingest", "ingest"

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"
        CANCELED = "canceled", "canceled"

    job_id = models.UUIDField("job id", default=uuid.uuid4, unique=True, editable=False)
    operation = models.CharField(max_length=10, choices=Operation.choices)
    catalog = models.CharField(max_length=255)
    schema = models.CharField(max_length=255)
    table = models.CharField(max_length=255)
    # Lower-case catalog.schema.table: Unity Catalog names are case-insensitive.
    table_key = models.CharField(max_length=800, db_index=True, editable=False)
    # Encoded by orjson: json.dumps was a fifth of a 50,000-row write's submit time.
    payload = models.JSONField(
        encoder=FastJSONEncoder, help_text="The validated request, rows carrying their record_uuid."
    )
    client = models.ForeignKey(
        ApiClient,
        on_delete=models.PROTECT,
        related_name="jobs",
        help_text="The API client that submitted it.",
    )
    principal = models.CharField(
        max_length=255, db_index=True, help_text="The client's name when it submitted: written to *_by."
    )
    # NULL, not "", when absent: the unique constraint below only applies to given keys.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    callback_url = models.URLField(
        max_length=2000, blank=True, default="", help_text="Where its completion webhook goes, if anywhere."
    )
    request_hash = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    submitted_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The worker holding a running job, and until when: renewed by its heartbeat.
    lease_owner = models.CharField(max_length=255, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # A job retried after a transient error is not claimed before this time (its backoff).
    available_at = models.DateTimeField(null=True, blank=True)
    # When its current run of transient errors began: it is retried for RECORDS_RETRY_FOR_SECONDS.
    retrying_since = models.DateTimeField(null=True, blank=True)
    # Rows of a write, keys (or bulk items) of an update or delete; none for filters. Kept
    # beside the payload so that lists of jobs show a job's size without loading it.
    item_count = models.PositiveIntegerField("rows or keys", null=True, blank=True)
    # Set by a cancel of a running job: its run stops before its next statement.
    cancel_requested = models.BooleanField(default=False)
    progress = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "records_job"
        verbose_name = "job"
        verbose_name_plural = "jobs"
        ordering = ("-id",)
        indexes = (models.Index(fields=["table_key", "status", "id"], name="records_job_table_queue"),)
        constraints = (
            models.UniqueConstraint(
                fields=["client", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="records_job_idempotency_key",
            ),
        )

    def __str__(self) -> str:
        return f"{self.operation} {self.catalog}.{self.schema}.{self.table} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.table_key = self.full_table_name.lower()
        super().save(*args, **kwargs)

    @property
    def full_table_name(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.table}"

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES


# A job in one of these states never changes again (a re-queue of a failed one by an operator
# aside); the others are unfinished.
FINAL_STATUSES = frozenset({Job.Status.SUCCEEDED, Job.Status.FAILED, Job.Status.CANCELED})


class WebhookDelivery(models.Model):
    """The completion webhook of one final job: one message (``webhook_id``, ``body``, both
    fixed at the first attempt so that retries send the same thing), attempted until the
    receiver answers 2xx, answers 410, or the retry schedule runs out."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        DELIVERED = "delivered", "delivered"
        GONE = "gone", "gone (410: the receiver asked for no more)"
        FAILED = "failed", "failed (retries exhausted)"

    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="webhook")
    webhook_id = models.CharField("webhook-id", max_length=64, unique=True)
    event_type = models.CharField(max_length=32)
    url = models.URLField(max_length=2000)
    body = models.TextField(help_text="The signed JSON body, as sent.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    # When the next attempt is due (a worker taking it moves it past its own timeout first).
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "records_webhook_delivery"
        verbose_name_plural = "webhook deliveries"
        ordering = ("-id",)

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One POST of a delivery and what came of it."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_set")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="None: no answer.")
    error = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "records_webhook_attempt"
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S} {self.status_code or 'no answer'}"
