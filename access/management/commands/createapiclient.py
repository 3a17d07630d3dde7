"""``python manage.py createapiclient <name>``: a new API client; its key is printed once."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from warehouse.sql import IDENTIFIER

from ...models import ApiClient
from ...services import ClientExists, client_create, client_key_create


class Command(BaseCommand):
    help = "Create an API client and print its key (shown only this once)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help="client name; written to inserted_by/updated_by/deleted_by")
        parser.add_argument(
            "--if-missing", action="store_true", help="do nothing (and print nothing) if the client exists"
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
        if_missing: bool,
        new_key: bool,
        quiet: bool,
        save_key: str | None,
        **options: Any,
    ) -> None:
        if not IDENTIFIER.match(name.replace("-", "_").replace(".", "_").replace("@", "_")):
            raise CommandError(f"invalid client name {name!r}: letters, digits, _ - . @ only")
        existing = ApiClient.objects.filter(name=name).first()
        done = "created"
        if existing is not None and new_key:
            key, done = client_key_create(client=existing), "given a new key"
        else:
            try:
                _, key = client_create(name=name)
            except ClientExists:
                if if_missing:
                    return
                raise CommandError(
                    f"an API client named {name!r} already exists (--new-key gives it another key)"
                ) from None
        if save_key:
            path = Path(save_key)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(key + "\n")
            path.chmod(0o600)
        if quiet:
            self.stdout.write(key)
        else:
            self.stdout.write(f"API client {name!r} {done}. The key (shown only now):\n{key}")
