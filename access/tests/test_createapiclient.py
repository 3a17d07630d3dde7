"""``manage.py createapiclient``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from access.models import ApiClient, ClientKey

pytestmark = pytest.mark.django_db


def create(*args: str) -> str:
    out = io.StringIO()
    call_command("createapiclient", *args, stdout=out)
    return out.getvalue()


def test_createapiclient_prints_a_working_key_once(tmp_path: Path) -> None:
    """The command creates a client, prints its key, saves it on request, and refuses a duplicate."""
    key = create("etl-nightly", "--quiet", "--save-key", str(tmp_path / "key")).strip()
    assert ClientKey.objects.get_from_key(key).client.name == "etl-nightly"
    assert (tmp_path / "key").read_text().strip() == key
    assert Client(headers={"Authorization": f"Api-Key {key}"}).get("/api/v1/jobs").status_code == 200
    assert create("etl-nightly", "--if-missing") == ""
    with pytest.raises(CommandError, match="already exists"):
        create("etl-nightly")


def test_new_key_gives_an_existing_client_a_second_key() -> None:
    """--new-key adds a key to the same client; both keys work and name one client."""
    first = create("etl", "--quiet").strip()
    second = create("etl", "--new-key", "--quiet").strip()
    assert first != second
    assert ApiClient.objects.filter(name="etl").count() == 1
    assert {ClientKey.objects.get_from_key(k).client.name for k in (first, second)} == {"etl"}


def test_names_outside_the_allowed_characters_are_refused() -> None:
    """A name is written to *_by columns: letters, digits and _ - . @ only."""
    with pytest.raises(CommandError, match="invalid client name"):
        create("robert'); DROP")
    assert not ApiClient.objects.exists()
