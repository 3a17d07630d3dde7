"""Grants modelled on Unity Catalog privileges: given, taken back, and checked.

A grant on a catalog covers its schemas and their tables, a grant on a schema its tables;
``ALL_PRIVILEGES`` covers the other three. ``CREATE_TABLE`` is checked on the schema that
receives the new table. Two exceptions protect the service's audit log (``api_log``): nobody
may modify it, and reading it needs ``SELECT`` granted on that table itself (a catalog- or
schema-wide grant does not reach it). An inactive client holds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from rest_framework import status

from common.errors import ApiError
from warehouse.sql import TableName

from .models import ApiClient, Grant
from .securables import audit_log_securable, check_grantable, securable_type

ALL = "ALL_PRIVILEGES"


class PermissionDenied(ApiError):
    """The client lacks a privilege on a securable (403, naming both)."""

    status_code = status.HTTP_403_FORBIDDEN


@dataclass(frozen=True)
class Denial:
    """Why a privilege is refused: ``message`` for people, ``details`` for programs."""

    privilege: str
    securable: str
    message: str

    @property
    def details(self) -> dict[str, str]:
        return {
            "error_class": "PERMISSION_DENIED",
            "privilege": self.privilege,
            "securable_type": securable_type(self.securable),
            "securable": self.securable,
        }

    def error(self) -> PermissionDenied:
        return PermissionDenied(self.message, details=self.details)


@dataclass(frozen=True)
class Privileges:
    """What one client holds, read once: ``(privilege, securable)`` pairs."""

    client_name: str
    active: bool
    held: frozenset[tuple[str, str]]

    def denial(self, privilege: str, table: TableName) -> Denial | None:
        """``None`` when ``privilege`` on ``table`` is held (for ``CREATE_TABLE``: on the
        table's schema), else the reason it is not."""
        full = f"{table.catalog}.{table.schema}.{table.table}".lower()
        schema, catalog = full.rsplit(".", 1)[0], table.catalog.lower()
        target = schema if privilege == "CREATE_TABLE" else full
        if full == audit_log_securable():
            if privilege != "SELECT":
                return Denial(
                    privilege,
                    full,
                    f"Permission denied: table {full} is the service's audit log; no client may modify it",
                )
            covering: tuple[str, ...] = (full,)  # only an explicit grant on the table itself
            grantable: tuple[str, ...] = ("SELECT",)
        else:
            covering = (catalog, schema) if privilege == "CREATE_TABLE" else (catalog, schema, full)
            grantable = (privilege, ALL)
        if self.active and any((p, s) in self.held for p in grantable for s in covering):
            return None
        kind = securable_type(target).lower()
        message = f"Permission denied: client {self.client_name!r} lacks {privilege} on {kind} {target}"
        return Denial(privilege, target, message)

    def require(self, privilege: str, table: TableName) -> None:
        """``PermissionDenied`` (403) unless ``privilege`` on ``table`` is held."""
        denial = self.denial(privilege, table)
        if denial is not None:
            raise denial.error()


def privileges_of(client: ApiClient) -> Privileges:
    """``client``'s grants as they are now in the service database (one query)."""
    held = frozenset(Grant.objects.filter(client_id=client.pk).values_list("privilege", "securable"))
    return Privileges(client.name, client.is_active, held)


def privilege_require(client: ApiClient, privilege: str, table: TableName) -> None:
    """``PermissionDenied`` (403) unless ``client`` holds ``privilege`` on ``table``."""
    privileges_of(client).require(privilege, table)


def grant_add(client: ApiClient, privileges: list[str], securable: str) -> list[str]:
    """Grant ``privileges`` (parsed names) on ``securable`` (parsed); the ones newly granted.
    ``InvalidGrant`` (nothing granted) if any of them cannot be granted there."""
    for privilege in privileges:
        check_grantable(privilege, securable)
    added: list[str] = []
    with transaction.atomic():
        for privilege in privileges:
            _, created = Grant.objects.get_or_create(client=client, privilege=privilege, securable=securable)
            if created:
                added.append(privilege)
    return added


def grant_remove(client: ApiClient, privileges: list[str], securable: str) -> list[str]:
    """Revoke ``privileges`` on ``securable``; the ones that were held and are gone.

    As in Unity Catalog, revoking ``ALL_PRIVILEGES`` takes every privilege on the securable,
    and a grant on a parent securable is not touched (it still covers this one)."""
    grants = Grant.objects.filter(client=client, securable=securable)
    if ALL not in privileges:
        grants = grants.filter(privilege__in=privileges)
    with transaction.atomic():
        removed = sorted(grants.values_list("privilege", flat=True))
        grants.delete()
    return removed


def grants_covering(client: ApiClient, privilege: str, securable: str) -> list[str]:
    """The grants of ``client`` that still give ``privilege`` on ``securable`` (its own
    ``ALL_PRIVILEGES``, or grants on a parent), as ``"PRIVILEGE ON securable"``: what a revoke
    leaves in place."""
    parts = securable.split(".")
    parents = {".".join(parts[:n]) for n in range(1, len(parts))}
    if securable == audit_log_securable():
        parents = set()  # nothing above reaches the audit log
    covering = Q(securable__in=parents)
    if privilege != ALL:  # after revoking ALL_PRIVILEGES, any grant on a parent covers something
        own_all = Q(securable=securable, privilege=ALL)
        covering = Q(securable__in=parents, privilege__in=(privilege, ALL)) | own_all
    grants = Grant.objects.filter(covering, client=client)
    return [f"{grant.privilege} ON {grant.securable}" for grant in grants]
