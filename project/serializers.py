"""Response shapes shared by every endpoint, declared for the OpenAPI document."""

from __future__ import annotations

from rest_framework import serializers

# The body of every error response: one serializer (one ``Error`` component) for every app.
from common.openapi import ErrorSerializer as ErrorSerializer


class HealthComponentsSerializer(serializers.Serializer[dict[str, str]]):
    api = serializers.CharField(help_text='Always "up" when the service answers.')
    database = serializers.CharField(help_text='The SQL warehouse: "connected" or "error: <reason>".')
    queue = serializers.CharField(help_text='The Celery broker: "connected" or "error: <reason>".')
    service_db = serializers.CharField(help_text='The service database: "connected" or "error: <reason>".')


class HealthSerializer(serializers.Serializer[dict[str, object]]):
    status = serializers.ChoiceField(choices=["healthy", "degraded"])
    components = HealthComponentsSerializer()
    timestamp = serializers.DateTimeField(help_text="When the probes ran (UTC, ISO 8601).")
