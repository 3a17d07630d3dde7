"""URL configuration: the API under /api/, its OpenAPI document and viewers, the admin, and the
readiness and metrics endpoints."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from project.observability.views import metrics_view, readiness_view
from project.views import HealthcheckView

urlpatterns = [
    path("api/v1/healthcheck", HealthcheckView.as_view(), name="healthcheck"),
    path("api/v1/", include("records.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
    # For load balancers and Prometheus, outside the API (no key, no audit log rows).
    path("readyz", readiness_view, name="readiness"),
    path("metrics", metrics_view, name="metrics"),
]

# Errors outside DRF views (unknown URLs, middleware) get the same JSON body as API errors.
handler400 = "common.handlers.bad_request"
handler403 = "common.handlers.permission_denied"
handler404 = "common.handlers.not_found"
handler500 = "common.handlers.server_error"
