"""API keys: which requests get in, and who they are."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from access.models import ClientKey
from access.services import ClientExists, client_create, client_key_create

pytestmark = pytest.mark.django_db


def jobs_status(key: str) -> int:
    return Client(headers={"Authorization": f"Api-Key {key}"}).get("/api/v1/jobs").status_code


def test_a_clients_key_gets_in() -> None:
    """A fresh client's key authenticates."""
    _, key = client_create(name="alice")
    assert jobs_status(key) == 200


def test_missing_wrong_and_revoked_keys_are_401() -> None:
    """No key, a made-up key and a revoked key each get a 401 naming the Api-Key scheme."""
    client, key = client_create(name="alice")
    assert Client().get("/api/v1/jobs").status_code == 401
    assert jobs_status("nope.nope") == 401
    ClientKey.objects.filter(client=client).update(revoked=True)
    response = Client(headers={"Authorization": f"Api-Key {key}"}).get("/api/v1/jobs")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Api-Key"


@pytest.mark.parametrize("key", ["abc\x00def.x", "ключ.ключ", "abcdefgh.\x7f"])
def test_a_key_that_is_not_printable_ascii_is_a_401(key: str) -> None:
    """Such a key is never looked up (a NUL in a PostgreSQL query parameter was a 500)."""
    client_create(name="alice")
    response = Client(headers={"Authorization": f"Api-Key {key}"}).get("/api/v1/jobs")
    assert response.status_code == 401 and response.json()["message"] == "Invalid or revoked API key."


def test_an_inactive_clients_keys_are_refused() -> None:
    """Deactivating a client shuts out all its keys at once."""
    client, key = client_create(name="alice")
    second = client_key_create(client=client)
    client.is_active = False
    client.save()
    assert (jobs_status(key), jobs_status(second)) == (401, 401)


def test_an_expired_key_is_refused() -> None:
    """A key past its expiry date no longer authenticates."""
    client, key = client_create(name="alice")
    ClientKey.objects.filter(client=client).update(expiry_date=timezone.now() - datetime.timedelta(seconds=1))
    assert jobs_status(key) == 401


def test_client_names_are_unique() -> None:
    """A second client cannot take a name that exists (revoked keys or not): the principal is one."""
    client, _ = client_create(name="alice")
    ClientKey.objects.filter(client=client).update(revoked=True)
    with pytest.raises(ClientExists):
        client_create(name="alice")
