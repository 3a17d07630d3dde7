"""The OpenAPI document, Swagger UI and Redoc: public, and served without any CDN."""

from __future__ import annotations

import pytest
from django.test import Client

CDN_HOSTS = (b"cdn.jsdelivr.net", b"unpkg.com", b"cdnjs.cloudflare.com")


def test_the_openapi_document_describes_the_healthcheck_as_public(client: Client) -> None:
    """The schema lists the healthcheck, needing no API key, with its 200 body."""
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    operation = response.json()["paths"]["/api/v1/healthcheck"]["get"]
    assert operation["operationId"] == "healthcheck"
    assert operation.get("security", []) in ([], [{}])
    assert set(operation["responses"]) == {"200", "405"}


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_api_viewers_load_their_assets_from_this_server(client: Client, url: str) -> None:
    """Swagger UI and Redoc pages reference only local static files."""
    response = client.get(url)

    assert response.status_code == 200
    assert b"/static/drf_spectacular_sidecar/" in response.content
    assert not any(host in response.content for host in CDN_HOSTS)
