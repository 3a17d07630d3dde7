from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

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
        "duration",
    )
    list_filter = ("level", "status_code", "error_type", ("timestamp", admin.DateFieldListFilter))
    search_fields = ("error_message", "endpoint", "user", "table_name", "=log_id")
    date_hierarchy = "timestamp"
    fields = (
        ("log_id", "timestamp", "shipped_at"),
        ("level", "status_code", "error_type"),
        ("method", "endpoint", "duration"),
        ("user", "client", "catalog", "schema", "table_name"),
        "message",
        "trace",
        "body",
    )
    readonly_fields = ("duration", "message", "trace", "body")

    @admin.display(description="duration", ordering="execution_time_ms")
    def duration(self, log: ApiLog) -> str:
        if log.execution_time_ms is None:
            return "-"
        ms = log.execution_time_ms
        return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"

    @admin.display(description="error message")
    def message(self, log: ApiLog) -> str:
        return format_html('<pre class="apilog-text">{}</pre>', log.error_message)

    @admin.display(description="stack trace")
    def trace(self, log: ApiLog) -> str:
        return format_html('<pre class="apilog-text">{}</pre>', log.stack_trace or "-")

    @admin.display(description="request body")
    def body(self, log: ApiLog) -> str:
        return format_html('<pre class="apilog-text">{}</pre>', log.request_body or "-")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiLog | None = None) -> bool:
        return False
