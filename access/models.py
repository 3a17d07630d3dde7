"""API clients and their keys."""

from __future__ import annotations

from typing import ClassVar, cast

from django.db import models
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager


class ApiClient(models.Model):
    """A caller of the API. Jobs and log rows refer to it by id; its name is the principal
    written to ``inserted_by``/``updated_by``/``deleted_by`` and is unique, so two clients never
    share one."""

    name = models.CharField(max_length=255, unique=True, help_text="The principal written to *_by columns.")
    is_active = models.BooleanField(default=True, help_text="An inactive client's keys are refused.")
    created_at = models.DateTimeField(auto_now_add=True)

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
