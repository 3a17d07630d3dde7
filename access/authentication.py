"""API-key authentication: ``Authorization: Api-Key <key>`` (djangorestframework-api-key)."""

from __future__ import annotations

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .models import ApiClient, ClientKey
from .throttles import FailedAuthenticationThrottle

KEYWORD = "Api-Key"
LOCKED_OUT_MESSAGE = "Too many failed authentications from this address."


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticates by API key; ``request.user`` is the key's ``ApiClient``.

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
        header = request.META.get("HTTP_AUTHORIZATION", "")
        keyword, _, key = header.partition(" ")
        if keyword != KEYWORD:
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
