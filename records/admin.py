"""Django admin for jobs: what an operator needs at a glance, and re-queueing with its
consequences said first."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from .jobs.lifecycle import jobs_requeue
from .jobs.requeue import requeue_plans
from .models import Job, WebhookAttempt, WebhookDelivery
from .webhooks.delivery import webhook_send_again

# The first rows (or keys) a job's page shows of its payload.
PAYLOAD_PREVIEW_ITEMS = 5


def seconds(moment: datetime | None) -> str:
    """A time to the second, in the admin's time zone (Django's lists round to the minute)."""
    return "-" if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def duration(delta: timedelta | None) -> str:
    if delta is None:
        return "-"
    total = delta.total_seconds()
    if total < 1:
        return f"{total * 1000:.0f} ms"
    return f"{total:.1f} s" if total < 120 else f"{total / 60:.1f} min"


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "short_id",
        "status",
        "operation",
        "table_key",
        "principal",
        "item_count",
        "attempts",
        "run_time",
        "error_class",
        "submitted",
        "finished",
    ]
    list_filter = ["status", "operation", "principal", "submitted_at"]
    search_fields = ["job_id", "table_key", "principal", "idempotency_key"]
    list_display_links = ["short_id"]
    date_hierarchy = "submitted_at"
    actions = ["requeue_failed", "requeue_failed_as_new"]
    fields = [
        ("job_id", "status", "operation"),
        ("table_key", "client", "principal"),
        ("submitted", "started", "finished", "run_time"),
        ("attempts", "lease_owner", "lease_expiry", "available"),
        ("idempotency_key", "request_hash"),
        "payload_summary",
        "progress",
        "result",
        "error",
    ]
    readonly_fields = [
        *(f.name for f in Job._meta.fields if f.name not in ("id", "payload")),
        "submitted",
        "started",
        "finished",
        "run_time",
        "lease_expiry",
        "available",
        "payload_summary",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Job]:
        # A list never loads payloads (a 20,000-row job's is megabytes); the change page does.
        queryset = super().get_queryset(request).select_related("client")
        if request.resolver_match is not None and (request.resolver_match.url_name or "").endswith(
            "_changelist"
        ):
            queryset = queryset.defer("payload")
        return queryset

    @admin.display(description="job", ordering="job_id")
    def short_id(self, job: Job) -> str:
        """The job id's first group (the page and the search take the whole id)."""
        return str(job.job_id).split("-")[0]

    @admin.display(description="submitted", ordering="submitted_at")
    def submitted(self, job: Job) -> str:
        return format_html('<span class="nowrap">{}</span>', seconds(job.submitted_at))

    @admin.display(description="started", ordering="started_at")
    def started(self, job: Job) -> str:
        return seconds(job.started_at)

    @admin.display(description="finished", ordering="finished_at")
    def finished(self, job: Job) -> str:
        return format_html('<span class="nowrap">{}</span>', seconds(job.finished_at))

    @admin.display(description="lease expires")
    def lease_expiry(self, job: Job) -> str:
        return seconds(job.lease_expires_at)

    @admin.display(description="not before")
    def available(self, job: Job) -> str:
        return seconds(job.available_at)

    @admin.display(description="duration")
    def run_time(self, job: Job) -> str:
        """Start to finish (to now, while it runs)."""
        if job.started_at is None:
            return "-"
        return duration((job.finished_at or timezone.now()) - job.started_at)

    @admin.display(description="error class")
    def error_class(self, job: Job) -> str:
        error = job.error or {}
        return str(error.get("error_class") or error.get("type") or "-")

    @admin.display(description="payload")
    def payload_summary(self, job: Job) -> str:
        """How large the payload is and its first rows (or keys), never all of it."""
        payload = job.payload or {}
        size = len(orjson.dumps(payload))
        items = payload.get("rows") if job.operation == Job.Operation.WRITE else None
        if items is None:
            items = payload.get("bulk_updates") or payload.get("key_values")
        head = {k: v for k, v in payload.items() if k not in ("rows", "bulk_updates", "key_values")}
        lines = [f"{job.item_count if job.item_count is not None else 'no'} row(s) or key(s), {size:,} bytes"]
        text = json.dumps(head, indent=2, ensure_ascii=False, default=str)
        if items:
            shown = json.dumps(items[:PAYLOAD_PREVIEW_ITEMS], indent=2, ensure_ascii=False, default=str)
            more = len(items) - PAYLOAD_PREVIEW_ITEMS
            text += f"\n\nfirst {min(len(items), PAYLOAD_PREVIEW_ITEMS)}:\n{shown}"
            if more > 0:
                text += f"\n... and {more:,} more"
        return format_html('{}<pre class="payload-summary">{}</pre>', lines[0], text)

    @admin.action(description="Re-queue the selected failed jobs")
    def requeue_failed(self, request: HttpRequest, queryset: QuerySet[Job]) -> TemplateResponse | None:
        if request.POST.get("confirm") != "yes":
            return self._confirmation(request, queryset, "requeue_failed", "Yes, re-queue them in place")
        outcome = jobs_requeue(job_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Re-queued {len(outcome.requeued)} failed job(s).", messages.SUCCESS)
        self._uploads_gone(request, outcome.uploads_gone)
        if outcome.refused:
            names = ", ".join(str(job.job_id) for job in outcome.refused)
            self.message_user(
                request,
                f"Not re-queued: {names}. Newer jobs of their table already ran, so running them now "
                "would apply them out of order. To run them anyway, use "
                '"Re-queue as new jobs at the end of their table\'s queue".',
                messages.WARNING,
            )
        return None

    def _uploads_gone(self, request: HttpRequest, jobs: list[Job]) -> None:
        if jobs:
            names = ", ".join(str(job.job_id) for job in jobs)
            self.message_user(
                request,
                f"Not re-queued: {names}. An ingest job's uploaded file is deleted when the job ends; "
                "its client sends the file again.",
                messages.WARNING,
            )

    @admin.action(
        description="Re-queue the selected failed jobs as new jobs at the end of their table's queue"
    )
    def requeue_failed_as_new(self, request: HttpRequest, queryset: QuerySet[Job]) -> TemplateResponse | None:
        if request.POST.get("confirm") != "yes":
            label = "Yes, re-queue them (as new jobs where newer jobs ran)"
            return self._confirmation(request, queryset, "requeue_failed_as_new", label)
        outcome = jobs_requeue(job_ids=list(queryset.values_list("pk", flat=True)), as_new=True)
        self._uploads_gone(request, outcome.uploads_gone)
        copies = ", ".join(str(job.job_id) for job in outcome.copies) or "none"
        self.message_user(
            request,
            f"Re-queued {len(outcome.requeued)} failed job(s) in place; created new jobs: {copies}.",
            messages.SUCCESS,
        )
        return None

    def _confirmation(
        self, request: HttpRequest, queryset: QuerySet[Job], action: str, confirm_label: str
    ) -> TemplateResponse:
        """The page that says what re-queueing each selected job will do, before it is done."""
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": "Re-queue jobs?",
            "intro": "Re-queueing runs each failed job again from its start. Please confirm:",
            "opts": self.model._meta,
            "plans": requeue_plans(list(queryset.defer("payload").order_by("pk"))),
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "confirm_label": confirm_label,
        }
        return TemplateResponse(request, "admin/records/job/requeue_confirmation.html", context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["attempted", "status_code", "duration_ms", "error"]
    readonly_fields = ["attempted", "status_code", "duration_ms", "error"]
    extra = 0
    can_delete = False

    @admin.display(description="attempted")
    def attempted(self, attempt: WebhookAttempt) -> str:
        return seconds(attempt.attempted_at)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Completion webhooks: each job's one message, its attempts, and "send again"."""

    list_display = [
        "webhook_id",
        "event_type",
        "status",
        "attempts",
        "url",
        "job_link",
        "created",
        "next_attempt",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["webhook_id", "url", "job__job_id"]
    readonly_fields = [
        "webhook_id",
        "event_type",
        "url",
        "job_link",
        "status",
        "attempts",
        "created",
        "next_attempt",
        "delivered",
        "body",
    ]
    exclude = ["job", "created_at", "next_attempt_at", "delivered_at"]
    inlines = [WebhookAttemptInline]
    actions = ["send_again"]
    list_select_related = ["job"]

    @admin.display(description="job")
    def job_link(self, delivery: WebhookDelivery) -> str:
        return format_html('<a href="../../job/{}/change/">{}</a>', delivery.job_id, delivery.job.job_id)

    @admin.display(description="created", ordering="created_at")
    def created(self, delivery: WebhookDelivery) -> str:
        return seconds(delivery.created_at)

    @admin.display(description="next attempt", ordering="next_attempt_at")
    def next_attempt(self, delivery: WebhookDelivery) -> str:
        return seconds(delivery.next_attempt_at)

    @admin.display(description="delivered")
    def delivered(self, delivery: WebhookDelivery) -> str:
        return seconds(delivery.delivered_at)

    @admin.action(description="Send the selected webhooks again (same webhook-id and body)")
    def send_again(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        for delivery in queryset:
            webhook_send_again(delivery)
        self.message_user(request, f"Sending {queryset.count()} webhook(s) again.", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
