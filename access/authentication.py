"""API-key authentication: ``Authorization: Api-Key <key>`` (djangorestframework-api-key)."""

from __future__ import annotations

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .models import ApiClient, ClientKey

KEYWORD = "Api-Key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticates by API key; ``request.user`` is the key's ``ApiClient``.

    A missing or bad key is a 401 with ``WWW-Authenticate: Api-Key``: djangorestframework-api-key
    ships only a permission class, which DRF turns into 403s.
    """

    def authenticate(self, request: Request) -> tuple[ApiClient, ClientKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        keyword, _, key = header.partition(" ")
        if keyword != KEYWORD:
            return None
        key = key.strip()
        try:
            api_key = ClientKey.objects.get_from_key(key)
        except ClientKey.DoesNotExist:
            api_key = None
        if api_key is None or api_key.has_expired or not api_key.client.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        return api_key.client, api_key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD
