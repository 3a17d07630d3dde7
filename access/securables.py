"""What a grant may name: privileges and securables, parsed and checked (no models here, so
the model's ``clean`` and the grant functions share one set of rules)."""

from __future__ import annotations

from django.conf import settings

from warehouse.sql import IDENTIFIER

PRIVILEGES = ("SELECT", "MODIFY", "CREATE_TABLE", "ALL_PRIVILEGES")
SECURABLE_TYPES = ("CATALOG", "SCHEMA", "TABLE")


class InvalidGrant(ValueError):
    """A privilege or securable that cannot be granted (the message says why)."""


def parse_privileges(text: str) -> list[str]:
    """``"select, modify"`` -> ``["SELECT", "MODIFY"]``: a comma list, case-insensitive,
    ``ALL PRIVILEGES`` (Unity Catalog's spelling) accepted for ``ALL_PRIVILEGES``."""
    names: list[str] = []
    for part in text.split(","):
        name = "_".join(part.strip().upper().split())
        if name not in PRIVILEGES:
            raise InvalidGrant(f"unknown privilege {part.strip()!r}: one of {', '.join(PRIVILEGES)}")
        if name not in names:
            names.append(name)
    return names


def parse_securable(text: str) -> str:
    """``"Main.Sales"`` -> ``"main.sales"``: a catalog, ``catalog.schema`` or
    ``catalog.schema.table`` of plain identifiers, lower case (Unity Catalog names are
    case-insensitive)."""
    parts = text.strip().split(".")
    if not 1 <= len(parts) <= 3 or not all(IDENTIFIER.match(part) for part in parts):
        raise InvalidGrant(
            f"invalid securable {text!r}: a catalog, catalog.schema or catalog.schema.table of "
            "letters, digits and underscores"
        )
    return ".".join(parts).lower()


def securable_type(securable: str) -> str:
    return SECURABLE_TYPES[securable.count(".")]


def audit_log_securable() -> str:
    """The service's own ``api_log`` table, wherever ``DATABRICKS_LOG_*`` put it."""
    return ".".join(
        (settings.DATABRICKS_LOG_CATALOG, settings.DATABRICKS_LOG_SCHEMA, settings.DATABRICKS_LOG_TABLE)
    ).lower()


def check_grantable(privilege: str, securable: str) -> None:
    """``InvalidGrant`` for a grant Unity Catalog (or this service) does not allow."""
    if privilege == "CREATE_TABLE" and securable_type(securable) == "TABLE":
        raise InvalidGrant(f"CREATE_TABLE applies to a catalog or a schema, not to table {securable}")
    if securable == audit_log_securable() and privilege != "SELECT":
        raise InvalidGrant(
            f"{securable} is the service's audit log: only the service writes it, so only SELECT "
            "can be granted on it"
        )
