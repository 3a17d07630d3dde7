"""``python manage.py revoke NAME PRIVILEGES SECURABLE``."""

from __future__ import annotations

from typing import Any

from ...grants import grant_remove, grants_covering
from ._grants import GrantCommand, client_named, parsed_grant


class Command(GrantCommand):
    help = (
        "Revoke privileges on a securable from an API client (ALL_PRIVILEGES revokes every privilege "
        "on it). Takes effect at once, also for the client's jobs not yet run."
    )

    def handle(self, *args: Any, name: str, privileges: str, securable: str, **options: Any) -> None:
        client = client_named(name)
        names, target = parsed_grant(privileges, securable)
        removed = grant_remove(client, names, target)
        if removed:
            self.stdout.write(f"Revoked {', '.join(removed)} on {target} from {name!r}.")
        else:
            self.stdout.write(f"{name!r} held none of {', '.join(names)} on {target}: nothing revoked.")
        # As in Unity Catalog, a grant on a parent still covers the securable: say so.
        remaining = sorted({g for privilege in names for g in grants_covering(client, privilege, target)})
        if remaining:
            self.stdout.write(
                self.style.WARNING(f"{name!r} still holds {'; '.join(remaining)}, which cover {target}.")
            )
