"""``python manage.py rotateapikey NAME [--grace DURATION]``: a new key; the old ones retired."""

from __future__ import annotations

import re
from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ...services import client_key_rotate
from ._grants import client_named

_DURATION = re.compile(r"^(\d+)([smhd]?)\Z")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``"90"``/``"90s"``, ``"15m"``, ``"24h"``, ``"7d"``."""
    match = _DURATION.match(text.strip().lower())
    if match is None:
        raise CommandError(f"invalid duration {text!r}: a number with s, m, h or d (e.g. 24h)")
    return timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2]])


class Command(BaseCommand):
    help = (
        "Give an API client a new key (printed once) and retire its other keys: revoked now, or "
        "expiring after --grace (e.g. 24h) so that callers can switch."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help="the API client")
        parser.add_argument("--grace", default="0", help="how long old keys keep working (0: revoked now)")
        parser.add_argument("--quiet", action="store_true", help="print only the new key")

    def handle(self, *args: Any, name: str, grace: str, quiet: bool, **options: Any) -> None:
        period = parse_duration(grace)
        key, retired = client_key_rotate(client=client_named(name), grace=period)
        if quiet:
            self.stdout.write(key)
            return
        when = "revoked now" if not period else f"expiring in {grace}"
        self.stdout.write(f"New key for {name!r} (shown only now):\n{key}\n{retired} old key(s) {when}.")
