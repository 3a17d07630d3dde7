"""How a job looks to clients (``GET /api/v1/jobs/{job_id}``)."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Job


class JobSerializer(serializers.ModelSerializer):
    table = serializers.CharField(source="full_table_name", read_only=True)
    status_url = serializers.SerializerMethodField()

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
            "progress",
            "result",
            "error",
            "status_url",
        ]
        read_only_fields = fields

    def get_status_url(self, job: Job) -> str:
        return f"/api/v1/jobs/{job.job_id}"
