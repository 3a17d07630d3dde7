"""Creating clients and their keys."""

from __future__ import annotations

from django.db import transaction

from .models import ApiClient, ClientKey


class ClientExists(Exception):
    """A client with this name exists already (names are unique)."""


def client_create(*, name: str) -> tuple[ApiClient, str]:
    """A new client and its first key; ``ClientExists`` if the name is taken."""
    with transaction.atomic():
        if ApiClient.objects.filter(name=name).exists():
            raise ClientExists(name)
        client = ApiClient.objects.create(name=name)
        return client, client_key_create(client=client)


def client_key_create(*, client: ApiClient) -> str:
    """A new key for ``client``; the key itself is returned once and stored only hashed."""
    _, key = ClientKey.objects.create_key(client=client, name=client.name[:50])
    return key
