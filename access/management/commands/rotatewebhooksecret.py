"""``python manage.py rotatewebhooksecret NAME``: a new secret for the client's webhooks."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from ...services import client_webhook_secret_rotate
from ._grants import client_named


class Command(BaseCommand):
    help = (
        "Give an API client a new webhook signing secret (printed once); deliveries from now on, "
        "retries included, are signed with it."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help="the API client")
        parser.add_argument("--quiet", action="store_true", help="print only the new secret")

    def handle(self, *args: Any, name: str, quiet: bool, **options: Any) -> None:
        secret = client_webhook_secret_rotate(client=client_named(name))
        self.stdout.write(secret if quiet else f"New webhook secret for {name!r} (shown only now):\n{secret}")
