"""API-key authentication: ``X-Api-Key: <key>`` or ``Authorization: Api-Key <key>``
(djangorestframework-api-key)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .models import ApiClient, ClientKey
from .throttles import FailedAuthenticationThrottle

KEYWORD = "Api-Key"
# The bare key in a header of its own: what an OpenAPI apiKey scheme (Swagger UI's Authorize)
# sends, with no keyword to type before the key.
KEY_HEADER = "X-Api-Key"
LOCKED_OUT_MESSAGE = "Too many failed authentications from this address."


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticates by API key (``presented_key``); ``request.user`` is the key's ``ApiClient``.

    A missing or bad key is a 401 with ``WWW-Authenticate: Api-Key``: djangorestframework-api-key
    ships only a permission class, which DRF turns into 403s. Every endpoint that uses this
    class requires a key, so a request without one is a failed authentication too; an address
    with too many of them (``API_THROTTLE_FAILED_AUTH_RATE``) is a 429 with ``Retry-After``
    before its key is looked at, whichever key it sends.
    """

    def authenticate(self, request: Request) -> tuple[ApiClient, ClientKey] | None:
        failures = FailedAuthenticationThrottle(request)
        if failures.locked_out():
            raise exceptions.Throttled(wait=failures.wait(), detail=LOCKED_OUT_MESSAGE)
        key = presented_key(request)
        if key is None:
            failures.count_failure()
            return None  # DRF answers NotAuthenticated (401)
        key = key.strip()
        api_key = None
        # Keys are printable ASCII (prefix.secret); anything else is no key, never a database
        # lookup (PostgreSQL refuses a NUL in a query parameter: a 500).
        if key.isascii() and key.isprintable():
            try:
                api_key = ClientKey.objects.get_from_key(key)
            except ClientKey.DoesNotExist:
                api_key = None
        if api_key is None or api_key.has_expired or not api_key.client.is_active:
            failures.count_failure()
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        return api_key.client, api_key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


def presented_key(request: Request) -> str | None:
    """The key a request presents: the ``X-Api-Key`` header when it is not empty, else the key
    of ``Authorization: Api-Key <key>``; ``None`` when it presents neither."""
    bare = request.META.get("HTTP_X_API_KEY", "")
    if bare.strip():
        return bare
    keyword, _, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return key if keyword == KEYWORD else None


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """``ApiKeyAuthentication`` in the OpenAPI document: the key in either of two headers, two
    alternative apiKey schemes (Swagger UI's Authorize shows a box for each)."""

    target_class = ApiKeyAuthentication
    name = ["ApiKey", "ApiKeyAuthorization"]

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        return [{name: []} for name in self.name]  # either one, not both together

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": KEY_HEADER,
                "description": (
                    f"The API key alone, as it was issued: `{KEY_HEADER}: <key>`. In Swagger UI's "
                    "Authorize, paste the key here."
                ),
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": (
                    f"The same key after its scheme: `Authorization: {KEYWORD} <key>` (in Swagger UI, "
                    f"type `{KEYWORD} ` before the key). With both headers, `{KEY_HEADER}` is used."
                ),
            },
        ]
