"""``python manage.py createapiclient NAME [--grant PRIVILEGES SECURABLE]...``: a new API
client with its grants; its key is printed once."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from warehouse.sql import IDENTIFIER

from ...grants import grant_add
from ...models import ApiClient
from ...securables import InvalidGrant
from ...services import ClientExists, client_create, client_key_create
from ._grants import parsed_grant


class Command(BaseCommand):
    help = (
        "Create an API client and print its key (shown only this once). A new client holds no "
        "privileges: give them with --grant (repeatable) or `manage.py grant`."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help="client name; written to inserted_by/updated_by/deleted_by")
        parser.add_argument(
            "--grant",
            nargs=2,
            action="append",
            default=[],
            metavar=("PRIVILEGES", "SECURABLE"),
            help="grant PRIVILEGES (comma list: SELECT, MODIFY, CREATE_TABLE, ALL_PRIVILEGES) on SECURABLE "
            "(c, c.s or c.s.t); repeatable",
        )
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="if the client exists, make no key and print nothing (its missing --grant privileges are "
            "still given)",
        )
        parser.add_argument(
            "--new-key", action="store_true", help="give an existing client another key (keeps the others)"
        )
        parser.add_argument("--quiet", action="store_true", help="print only the key")
        parser.add_argument(
            "--save-key", metavar="PATH", help="also write the key to PATH (mode 0600), e.g. for `make run`"
        )

    def handle(
        self,
        *args: Any,
        name: str,
        grant: list[list[str]],
        if_missing: bool,
        new_key: bool,
        quiet: bool,
        save_key: str | None,
        **options: Any,
    ) -> None:
        if not IDENTIFIER.match(name.replace("-", "_").replace(".", "_").replace("@", "_")):
            raise CommandError(f"invalid client name {name!r}: letters, digits, _ - . @ only")
        grants = [parsed_grant(privileges, securable) for privileges, securable in grant]
        existing = ApiClient.objects.filter(name=name).first()
        try:
            if existing is not None and (new_key or if_missing):
                with transaction.atomic():
                    for privileges, securable in grants:
                        grant_add(existing, privileges, securable)
                if if_missing and not new_key:
                    return
                key, done = client_key_create(client=existing), "given a new key"
            else:
                _, key = client_create(name=name, grants=grants)
                done = "created"
        except ClientExists:
            raise CommandError(
                f"an API client named {name!r} already exists (--new-key gives it another key)"
            ) from None
        except InvalidGrant as error:
            raise CommandError(str(error)) from None
        if save_key:
            path = Path(save_key)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(key + "\n")
            path.chmod(0o600)
        if quiet:
            self.stdout.write(key)
            return
        self.stdout.write(f"API client {name!r} {done}. The key (shown only now):\n{key}")
        if existing is None:
            client = ApiClient.objects.get(name=name)
            self.stdout.write(
                f"Its webhook signing secret (shown only now; rotatewebhooksecret makes a new one):\n"
                f"{client.webhook_secret}"
            )
        for privileges, securable in grants:
            self.stdout.write(f"Granted {', '.join(privileges)} on {securable}.")
        if existing is None and not grants:
            self.stdout.write(f"It holds no privileges: python manage.py grant {name} PRIVILEGES SECURABLE")
