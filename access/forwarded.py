"""The caller's identity from the Databricks Apps proxy (``RECORDS_TRUST_APPS_PROXY``).

In Databricks Apps every request reaches the service through the platform's proxy, which
authenticates the caller (a workspace user's browser session or token, a service principal's
OAuth token) and forwards who it is in ``X-Forwarded-Email`` and ``X-Forwarded-User``. With the
setting on, such a request is the API client whose name is that email (else that user id),
lower case: created on first sight with no privileges, so it is refused (403) until an admin
grants it some, exactly like a client with an API key. Off (the default), the headers are
never looked at: anywhere but behind that proxy anyone could write them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .authentication import KEYWORD, ApiKeyAuthentication
from .models import ApiClient

# The headers the proxy sets, in the order they name the caller (a service principal may
# come without an email).
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_EMAIL", "HTTP_X_FORWARDED_USER")
_NAME_LENGTH = ApiClient._meta.get_field("name").max_length or 255


def forwarded_name(request: Request) -> str | None:
    """The caller's name as the proxy forwards it (lower case), or ``None`` if it names none."""
    for header in FORWARDED_HEADERS:
        name = request.META.get(header, "").strip()
        if name:
            return name.lower()
    return None


class ForwardedIdentityAuthentication(authentication.BaseAuthentication):
    """``request.user`` is the client the Apps proxy names; nothing at all when
    ``RECORDS_TRUST_APPS_PROXY`` is off or the request names nobody (the API key is looked at
    next). A forwarded identity wins over any key the request also carries: behind the proxy
    the caller is who the proxy says. Never counted as a failed authentication: every caller
    shares the proxy's address, so one caller's failures would lock everyone out."""

    def authenticate(self, request: Request) -> tuple[ApiClient, None] | None:
        if not settings.RECORDS_TRUST_APPS_PROXY:
            return None
        name = forwarded_name(request)
        if name is None:
            return None
        if len(name) > _NAME_LENGTH or not name.isprintable():
            raise exceptions.AuthenticationFailed("The forwarded identity is not a usable client name.")
        client, _ = ApiClient.objects.get_or_create(name=name)
        if not client.is_active:
            raise exceptions.AuthenticationFailed(f"Client {name!r} is deactivated.")
        return client, None

    def authenticate_header(self, request: Request) -> str:
        # DRF takes the WWW-Authenticate of a 401 from the first class; without one a 401 would
        # become a 403.
        return KEYWORD


# The authentication of every records and jobs endpoint, in order.
API_AUTHENTICATION_CLASSES: list[type[authentication.BaseAuthentication]] = [
    ForwardedIdentityAuthentication,
    ApiKeyAuthentication,
]


class ForwardedIdentityScheme(OpenApiAuthenticationExtension):
    """Nothing in the OpenAPI document: the proxy, not the caller, sets the headers."""

    target_class = ForwardedIdentityAuthentication
    name: list[str] = []

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        return []

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return []
