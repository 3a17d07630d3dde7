"""What the grant commands share: finding the client, parsing PRIVILEGES and SECURABLE."""

from __future__ import annotations

from django.core.management.base import CommandError

from ...models import ApiClient
from ...securables import InvalidGrant, parse_privileges, parse_securable


def client_named(name: str) -> ApiClient:
    client = ApiClient.objects.filter(name=name).first()
    if client is None:
        raise CommandError(f"no API client named {name!r}")
    return client


def parsed_grant(privileges: str, securable: str) -> tuple[list[str], str]:
    """``("select,MODIFY", "Main.S")`` -> ``(["SELECT", "MODIFY"], "main.s")``."""
    try:
        return parse_privileges(privileges), parse_securable(securable)
    except InvalidGrant as error:
        raise CommandError(str(error)) from None
