"""``python manage.py showgrants NAME``."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from ._grants import client_named


class Command(BaseCommand):
    help = "List an API client's grants, one per line: PRIVILEGE ON TYPE securable."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help="the API client")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        client = client_named(name)
        if not client.is_active:
            self.stdout.write(self.style.WARNING(f"{name!r} is inactive: its grants take no effect."))
        grants = list(client.grants.all())
        for grant in grants:
            self.stdout.write(str(grant))
        if not grants:
            self.stdout.write(f"{name!r} holds no privileges.")
