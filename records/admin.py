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
    actions = ["requeue_failed"]

    @admin.action(description="Re-queue the selected failed jobs")
    def requeue_failed(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        count = jobs_requeue(job_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Re-queued {count} failed job(s).", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
