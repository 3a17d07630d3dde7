"""``python manage.py grant NAME PRIVILEGES SECURABLE``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from ...grants import grant_add
from ...securables import InvalidGrant
from ._grants import GrantCommand, client_named, parsed_grant


class Command(GrantCommand):
    help = (
        "Grant privileges (SELECT, MODIFY, CREATE_TABLE, ALL_PRIVILEGES; a comma list) on a catalog, "
        "catalog.schema or catalog.schema.table to an API client. Takes effect at once."
    )

    def handle(self, *args: Any, name: str, privileges: str, securable: str, **options: Any) -> None:
        client = client_named(name)
        names, target = parsed_grant(privileges, securable)
        try:
            added = grant_add(client, names, target)
        except InvalidGrant as error:
            raise CommandError(str(error)) from None
        held = [p for p in names if p not in added]
        if added:
            self.stdout.write(f"Granted {', '.join(added)} on {target} to {name!r}.")
        if held:
            self.stdout.write(f"{name!r} already held {', '.join(held)} on {target}.")
