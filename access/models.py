"""API clients and their keys."""

from __future__ import annotations

import base64
import secrets
from typing import ClassVar, cast

from django.core.exceptions import ValidationError
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager

from .securables import InvalidGrant, check_grantable, parse_securable, securable_type


def webhook_secret_new() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class ApiClient(models.Model):
    """A caller of the API. Jobs and log rows refer to it by id; its name is the principal
    written to ``inserted_by``/``updated_by``/``deleted_by`` and is unique, so two clients never
    share one."""

    name = models.CharField(max_length=255, unique=True, help_text="The principal written to *_by columns.")
    is_active = models.BooleanField(default=True, help_text="An inactive client's keys are refused.")
    created_at = models.DateTimeField(auto_now_add=True)
    webhook_secret = models.CharField(
        max_length=64,
        default=webhook_secret_new,
        help_text="Signs this client's completion webhooks (Standard Webhooks, whsec_ + base64).",
    )

    class Meta:
        db_table = "access_api_client"
        verbose_name = "API client"
        verbose_name_plural = "API clients"
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    # DRF and Django treat ``request.user`` as a user: an authenticated client is one.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False


class ClientKeyManager(APIKeyManager):
    def get_usable_keys(self) -> models.QuerySet[ClientKey]:
        # The client comes with the key: authentication reads it on every request.
        return super().get_usable_keys().select_related("client")

    def get_from_key(self, key: str) -> ClientKey:
        return cast(ClientKey, super().get_from_key(key))


class ClientKey(AbstractAPIKey):
    """One API key of a client (hashed; the key itself is shown once, when it is made)."""

    objects: ClassVar[ClientKeyManager] = ClientKeyManager()

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="keys")

    class Meta(AbstractAPIKey.Meta):
        db_table = "access_client_key"
        verbose_name = "API key"
        verbose_name_plural = "API keys"


class Privilege(models.TextChoices):
    """Unity Catalog's privileges, as far as this service acts on them."""

    SELECT = "SELECT", "SELECT (read)"
    MODIFY = "MODIFY", "MODIFY (write, update, delete)"
    CREATE_TABLE = "CREATE_TABLE", "CREATE_TABLE (auto_create a new table)"
    ALL_PRIVILEGES = "ALL_PRIVILEGES", "ALL_PRIVILEGES"


class Grant(models.Model):
    """One privilege of a client on a securable: a catalog ``c``, a schema ``c.s`` or a table
    ``c.s.t`` (lower case: Unity Catalog names are case-insensitive). A grant covers everything
    below its securable, as in Unity Catalog."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="grants")
    privilege = models.CharField(max_length=20, choices=Privilege.choices)
    securable = models.CharField(
        max_length=767, help_text="catalog, catalog.schema or catalog.schema.table (lower case)"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "access_grant"
        ordering = ("securable", "privilege")
        constraints = [
            models.UniqueConstraint(fields=["client", "privilege", "securable"], name="access_grant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.privilege} ON {self.securable_type} {self.securable}"

    @property
    def securable_type(self) -> str:
        return securable_type(self.securable)

    def clean(self) -> None:
        # The admin's forms: the same rules as `manage.py grant`.
        try:
            self.securable = parse_securable(self.securable)
            check_grantable(self.privilege, self.securable)
        except InvalidGrant as error:
            raise ValidationError({"securable": str(error)}) from None
