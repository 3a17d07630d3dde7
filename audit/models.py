from __future__ import annotations

import uuid

from django.db import models

from access.models import ApiClient


class ApiLog(models.Model):
    """One failed API request or job: the seed's 15 ``api_log`` columns plus the shipping state."""

    class Level(models.TextChoices):
        ERROR = "ERROR"
        WARNING = "WARNING"
        INFO = "INFO"

    log_id = models.UUIDField("log id", default=uuid.uuid4, unique=True, editable=False)
    timestamp = models.DateTimeField(db_index=True)
    level = models.CharField(max_length=10, choices=Level.choices, db_index=True)
    endpoint = models.CharField(max_length=500, blank=True, default="")
    method = models.CharField(max_length=10, blank=True, default="")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    error_type = models.CharField(max_length=255, blank=True, default="", db_index=True)
    error_message = models.TextField(blank=True, default="")
    stack_trace = models.TextField(blank=True, default="")
    request_body = models.TextField(blank=True, default="", help_text="Redacted, at most 5,000 characters.")
    user = models.CharField("principal", max_length=255, blank=True, default="")
    # Who it was, by stable id (the name in ``user`` is what the seed's table holds); NULL for
    # a request without a valid key. Kept when the client is deleted: the log outlives it.
    client = models.ForeignKey(
        ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="client"
    )
    catalog = models.CharField(max_length=255, blank=True, default="")
    schema = models.CharField(max_length=255, blank=True, default="")
    table_name = models.CharField(max_length=255, blank=True, default="")
    execution_time_ms = models.FloatField(null=True, blank=True)
    # Null until the row is in the warehouse's api_log table.
    shipped_at = models.DateTimeField(null=True, blank=True)
    # The shipping run that holds the row (its token) and until when: another run takes an
    # unshipped row only when it has no claim or the claim expired (its run died).
    ship_claimed_by = models.CharField("claimed by shipping run", max_length=32, blank=True, default="")
    ship_claim_expires_at = models.DateTimeField("shipping claim expires at", null=True, blank=True)

    class Meta:
        db_table = "audit_api_log"
        verbose_name = "API log entry"
        verbose_name_plural = "API log"
        ordering = ("-timestamp", "-id")
        indexes = (
            # The shipping task scans unshipped rows by id; retention scans shipped rows by age.
            models.Index(fields=["shipped_at", "id"], name="audit_api_log_shipping"),
        )

    def __str__(self) -> str:
        return f"{self.level} {self.status_code or ''} {self.method} {self.endpoint}".strip()
