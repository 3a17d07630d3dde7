"""The admin of clients: grants edited inline with the commands' rules, keys rotated."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from access.models import ApiClient, ClientKey, Grant
from access.services import client_create

pytestmark = pytest.mark.django_db


def change_form(client: ApiClient, *grants: tuple[str, str]) -> dict[str, Any]:
    """The change form of ``client`` posting ``grants`` as new inline rows."""
    form: dict[str, Any] = {
        "name": client.name,
        "is_active": "on",
        "grants-TOTAL_FORMS": str(len(grants)),
        "grants-INITIAL_FORMS": "0",
        "keys-TOTAL_FORMS": "0",
        "keys-INITIAL_FORMS": "0",
    }
    for index, (privilege, securable) in enumerate(grants):
        form[f"grants-{index}-privilege"] = privilege
        form[f"grants-{index}-securable"] = securable
    return form


def test_grants_are_given_in_the_admin_with_the_same_rules(admin_client: Client) -> None:
    client, _ = client_create(name="etl")
    url = f"/admin/access/apiclient/{client.pk}/change/"
    refused = admin_client.post(url, change_form(client, ("CREATE_TABLE", "main.s.t")))
    assert refused.status_code == 200 and "CREATE_TABLE applies to a catalog or a schema" in refused.text
    assert not Grant.objects.exists()
    saved = admin_client.post(url, change_form(client, ("SELECT", "Main.Sales")))
    assert saved.status_code == 302
    assert list(Grant.objects.values_list("privilege", "securable")) == [("SELECT", "main.sales")]
    listing = admin_client.get("/admin/access/apiclient/")
    assert "SELECT ON main.sales" in listing.text


def test_rotating_a_key_in_the_admin_shows_the_new_key_once(admin_client: Client) -> None:
    client, old = client_create(name="etl")
    response = admin_client.post(
        "/admin/access/apiclient/",
        {"action": "rotate_key_now", "_selected_action": [str(client.pk)]},
        follow=True,
    )
    message = next(str(m) for m in response.context["messages"])
    new = message.split("The new API key of etl is: ")[1].split(".", 2)
    key = f"{new[0]}.{new[1]}"
    assert ClientKey.objects.get_from_key(key).client == client
    assert ClientKey.objects.get(prefix=old.split(".")[0]).revoked
    assert "1 old key(s) revoked" in message


def test_the_webhook_secret_is_never_on_the_page_and_its_rotation_shows_it_once(admin_client: Client) -> None:
    client, _ = client_create(name="etl")
    page = admin_client.get(f"/admin/access/apiclient/{client.pk}/change/").text
    assert client.webhook_secret not in page
    response = admin_client.post(
        "/admin/access/apiclient/",
        {"action": "rotate_webhook_secret", "_selected_action": [str(client.pk)]},
        follow=True,
    )
    message = next(str(m) for m in response.context["messages"])
    client.refresh_from_db()
    assert f"The new webhook secret of etl is: {client.webhook_secret}." in message
    assert client.webhook_secret.startswith("whsec_")
