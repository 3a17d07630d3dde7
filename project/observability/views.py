"""``/metrics`` (Prometheus) and ``/readyz`` (readiness, for load balancers).

Plain Django views, outside /api/ and DRF: no throttle, no audit log row for a refused scrape
or a probe answered 503 (a load balancer probes every few seconds, for as long as an outage
lasts), and nothing in the OpenAPI document, which describes the API.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client.exposition import choose_encoder
from rest_framework import exceptions
from rest_framework.request import Request

from access.authentication import KEYWORD, ApiKeyAuthentication
from access.throttles import client_address
from common.errors import error_body
from common.handlers import json_error_response

from .metrics import scrape_registry
from .readiness import READY, readiness_report

REFUSED_MESSAGE = (
    "Metrics are readable from the addresses in METRICS_ALLOWED_ADDRESSES, or with an API key"
    " (X-Api-Key: <key>, or Authorization: Api-Key <key>)."
)


@require_safe
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus' text format (OpenMetrics when the scraper asks for it); who may read it:
    ``metrics_refusal``."""
    refusal = metrics_refusal(request)
    if refusal is not None:
        return refusal
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encode(scrape_registry()), content_type=content_type)


def metrics_refusal(request: HttpRequest) -> HttpResponse | None:
    """``None`` when the caller may read the metrics: anyone with ``METRICS_PUBLIC``, a caller
    from ``METRICS_ALLOWED_ADDRESSES`` (addresses or networks; by default this machine), or an
    active API client. Else the error answer: 401 for a refused key, 429 for an address with
    too many failed authentications, 403 without a key.

    The caller's address is the one the throttles use: ``REMOTE_ADDR``, or with
    ``DJANGO_NUM_PROXIES`` the address the proxies saw, so a proxy on this machine does not make
    every caller local.
    """
    allowed: list[str] = settings.METRICS_ALLOWED_ADDRESSES
    if settings.METRICS_PUBLIC or address_allowed(client_address(request), allowed):
        return None
    try:
        authenticated = ApiKeyAuthentication().authenticate(Request(request))
    except exceptions.AuthenticationFailed as failed:
        return json_error_response(401, error_body(str(failed.detail)), {"WWW-Authenticate": KEYWORD})
    except exceptions.Throttled as throttled:
        wait = int(getattr(throttled, "wait", None) or 1)  # Throttled.wait is not in the stubs
        body = error_body(str(throttled.detail), {"wait": wait})
        return json_error_response(429, body, {"Retry-After": str(wait)})
    if authenticated is None:
        return json_error_response(403, error_body(REFUSED_MESSAGE))
    return None


def address_allowed(address: str, allowed: Iterable[str]) -> bool:
    """Whether ``address`` is one of ``allowed`` (addresses, or networks such as 10.0.0.0/8)."""
    try:
        caller = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(caller, ipaddress.IPv6Address) and caller.ipv4_mapped is not None:
        caller = caller.ipv4_mapped  # ::ffff:127.0.0.1, from a server listening on both families
    return any(caller in ipaddress.ip_network(entry, strict=False) for entry in allowed)


@require_safe
@never_cache
def readiness_view(request: HttpRequest) -> JsonResponse:
    """200 when this instance can take requests, else 503; the body names each check's result."""
    report = readiness_report()
    return JsonResponse(report, status=200 if report["status"] == READY else 503)
