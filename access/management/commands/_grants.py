"""What the grant commands share: finding the client, parsing PRIVILEGES and SECURABLE."""

from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

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


class GrantCommand(BaseCommand):
    """``grant`` and ``revoke``: ``NAME PRIVILEGES SECURABLE``."""

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help="the API client")
        parser.add_argument("privileges", help="e.g. SELECT,MODIFY or ALL_PRIVILEGES (case-insensitive)")
        parser.add_argument("securable", help="c, c.s or c.s.t")
