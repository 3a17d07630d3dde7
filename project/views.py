"""Service-level endpoints (the healthcheck); error views live in ``project.exceptions``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.openapi import error_responses
from project.health import health_report
from project.serializers import HealthSerializer


class HealthcheckView(APIView):
    """Public: load balancers and monitors call it without an API key."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    # Never throttled: a platform's probe answered 429 would take the service for dead.
    throttle_classes = ()

    @extend_schema(
        operation_id="healthcheck",
        summary="Probe the warehouse, the broker and the service database",
        description=(
            "Always 200 while the web process answers; `status` is `degraded` and the failing "
            'component says `"error: <reason>"` when a dependency is down.'
        ),
        tags=["health"],
        auth=[],
        responses={
            200: OpenApiResponse(
                HealthSerializer, description="The web process answers; `status` says the rest."
            ),
            **error_responses(405),
        },
        examples=[
            OpenApiExample(
                "healthy",
                value={
                    "status": "healthy",
                    "components": {
                        "api": "up",
                        "database": "connected",
                        "queue": "connected",
                        "service_db": "connected",
                    },
                    "timestamp": "2025-12-06T10:30:00.000000+00:00",
                },
                response_only=True,
            ),
            OpenApiExample(
                "degraded",
                value={
                    "status": "degraded",
                    "components": {
                        "api": "up",
                        "database": "error: Connection timeout",
                        "queue": "connected",
                        "service_db": "connected",
                    },
                    "timestamp": "2025-12-06T10:30:00.000000+00:00",
                },
                response_only=True,
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        return Response(health_report())
