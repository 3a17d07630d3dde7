"""Django admin for jobs: list, filter, search, and re-queue failed jobs."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .jobs.lifecycle import jobs_requeue
from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "job_id",
        "status",
        "operation",
        "table_key",
        "principal",
        "submitted_at",
        "started_at",
        "finished_at",
        "attempts",
    ]
    list_filter = ["status", "operation", "principal", "submitted_at"]
    search_fields = ["job_id", "table_key", "principal", "idempotency_key"]
    readonly_fields = [f.name for f in Job._meta.fields if f.name != "id"]
    date_hierarchy = "submitted_at"
    actions = ["requeue_failed", "requeue_failed_as_new"]

    @admin.action(description="Re-queue the selected failed jobs")
    def requeue_failed(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        outcome = jobs_requeue(job_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Re-queued {len(outcome.requeued)} failed job(s).", messages.SUCCESS)
        if outcome.refused:
            names = ", ".join(str(job.job_id) for job in outcome.refused)
            self.message_user(
                request,
                f"Not re-queued: {names}. Newer jobs of their table already ran, so running them now "
                "would apply them out of order. To run them anyway, use "
                '"Re-queue as new jobs at the end of their table\'s queue".',
                messages.WARNING,
            )

    @admin.action(
        description="Re-queue the selected failed jobs as new jobs at the end of their table's queue"
    )
    def requeue_failed_as_new(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        outcome = jobs_requeue(job_ids=list(queryset.values_list("pk", flat=True)), as_new=True)
        copies = ", ".join(str(job.job_id) for job in outcome.copies) or "none"
        self.message_user(
            request,
            f"Re-queued {len(outcome.requeued)} failed job(s) in place; created new jobs: {copies}.",
            messages.SUCCESS,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
