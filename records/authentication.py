"""API-key authentication: ``Authorization: Api-Key <key>`` (djangorestframework-api-key)."""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework_api_key.models import AbstractAPIKey, APIKey

KEYWORD = "Api-Key"


@dataclass(frozen=True)
class ApiClient:
    """The authenticated caller: an API key's name is the principal written to ``*_by`` columns."""

    name: str
    key_prefix: str
    is_authenticated: bool = True
    is_anonymous: bool = False


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticates by API key; a missing or bad key is a 401 with ``WWW-Authenticate: Api-Key``.

    djangorestframework-api-key ships only a permission class, which DRF turns into 403s; an
    authentication class gives clients the 401 they expect and ``request.user`` a name.
    """

    def authenticate(self, request: Request) -> tuple[ApiClient, AbstractAPIKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        keyword, _, key = header.partition(" ")
        if keyword != KEYWORD:
            return None
        key = key.strip()
        try:
            api_key = APIKey.objects.get_from_key(key)
        except APIKey.DoesNotExist:
            api_key = None
        if api_key is None or not api_key.is_valid(key):
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        return ApiClient(name=api_key.name, key_prefix=api_key.prefix), api_key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD
