from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import ApiLog


@admin.register(ApiLog)
class ApiLogAdmin(admin.ModelAdmin):
    """Read-only: rows are written by the service; delete stays for clean-ups by hand."""

    list_display = (
        "timestamp",
        "level",
        "status_code",
        "method",
        "endpoint",
        "user",
        "table_name",
        "error_type",
    )
    list_filter = ("level", "status_code", "error_type", ("timestamp", admin.DateFieldListFilter))
    search_fields = ("error_message", "endpoint", "user", "table_name", "=log_id")
    date_hierarchy = "timestamp"
    fields = (
        ("log_id", "timestamp", "shipped_at"),
        ("level", "status_code", "error_type"),
        ("method", "endpoint", "execution_time_ms"),
        ("user", "catalog", "schema", "table_name"),
        "error_message",
        "stack_trace",
        "request_body",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiLog | None = None) -> bool:
        return False
