"""``python manage.py createapiclient <name>``: a new API client; its key is printed once."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rest_framework_api_key.models import APIKey

from warehouse.sql import IDENTIFIER


class Command(BaseCommand):
    help = "Create an API client and print its key (shown only this once)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help="client name; written to inserted_by/updated_by/deleted_by")
        parser.add_argument(
            "--if-missing", action="store_true", help="do nothing (and print nothing) if the client exists"
        )
        parser.add_argument("--quiet", action="store_true", help="print only the key")
        parser.add_argument(
            "--save-key", metavar="PATH", help="also write the key to PATH (mode 0600), e.g. for `make run`"
        )

    def handle(
        self, *args: Any, name: str, if_missing: bool, quiet: bool, save_key: str | None, **options: Any
    ) -> None:
        if not IDENTIFIER.match(name.replace("-", "_").replace(".", "_").replace("@", "_")):
            raise CommandError(f"invalid client name {name!r}: letters, digits, _ - . @ only")
        if APIKey.objects.filter(name=name, revoked=False).exists():
            if if_missing:
                return
            raise CommandError(f"an API client named {name!r} already exists")
        _, key = APIKey.objects.create_key(name=name)
        if save_key:
            path = Path(save_key)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(key + "\n")
            path.chmod(0o600)
        if quiet:
            self.stdout.write(key)
        else:
            self.stdout.write(f"API client {name!r} created. Its key (shown only now):\n{key}")
