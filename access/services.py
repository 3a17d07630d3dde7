"""Creating clients, their keys and their grants."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .grants import grant_add
from .models import ApiClient, ClientKey, webhook_secret_new


class ClientExists(Exception):
    """A client with this name exists already (names are unique)."""


def client_create(*, name: str, grants: Sequence[tuple[list[str], str]] = ()) -> tuple[ApiClient, str]:
    """A new client with ``grants`` (``(privileges, securable)`` pairs, parsed) and its first
    key; ``ClientExists`` if the name is taken, ``InvalidGrant`` (nothing created) if a grant
    cannot be given."""
    with transaction.atomic():
        if ApiClient.objects.filter(name=name).exists():
            raise ClientExists(name)
        client = ApiClient.objects.create(name=name)
        for privileges, securable in grants:
            grant_add(client, privileges, securable)
        return client, client_key_create(client=client)


def client_key_create(*, client: ApiClient) -> str:
    """A new key for ``client``; the key itself is returned once and stored only hashed."""
    _, key = ClientKey.objects.create_key(client=client, name=client.name[:50])
    return key


def client_key_rotate(*, client: ApiClient, grace: timedelta = timedelta(0)) -> tuple[str, int]:
    """A new key for ``client``; its other usable keys are revoked now (``grace`` 0) or expire
    ``grace`` from now (sooner if they expire sooner). ``(new key, old keys retired)``."""
    now = timezone.now()
    with transaction.atomic():
        old = ClientKey.objects.filter(client=client, revoked=False).filter(
            Q(expiry_date__isnull=True) | Q(expiry_date__gt=now)
        )
        retired = old.count()
        if grace <= timedelta(0):
            old.update(revoked=True)
        else:
            until = now + grace
            old.filter(Q(expiry_date__isnull=True) | Q(expiry_date__gt=until)).update(expiry_date=until)
        return client_key_create(client=client), retired


def client_webhook_secret_rotate(*, client: ApiClient) -> str:
    """A new webhook signing secret for ``client``, returned once."""
    client.webhook_secret = webhook_secret_new()
    client.save(update_fields=["webhook_secret"])
    return client.webhook_secret
