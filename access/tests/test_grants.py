"""Grants: the commands that give, take back and show them, and the rules they follow."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from access.grants import privileges_of
from access.models import ApiClient, ClientKey, Grant
from access.securables import InvalidGrant, parse_privileges, parse_securable
from warehouse.sql import TableName

pytestmark = pytest.mark.django_db


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def held(name: str) -> set[tuple[str, str]]:
    return set(Grant.objects.filter(client__name=name).values_list("privilege", "securable"))


def allows(name: str, privilege: str, table: str) -> bool:
    client = ApiClient.objects.get(name=name)
    return privileges_of(client).denial(privilege, TableName(*table.split("."))) is None


def test_createapiclient_grants_repeatably_and_a_new_client_holds_nothing() -> None:
    """--grant takes a case-insensitive comma list and a securable, repeatably; without it a
    client holds no privileges and the command says how to grant some."""
    run(
        "createapiclient",
        "etl",
        "--grant",
        "select, Modify",
        "Sales",
        "--grant",
        "all_privileges",
        "hr.people.t",
    )
    assert held("etl") == {("SELECT", "sales"), ("MODIFY", "sales"), ("ALL_PRIVILEGES", "hr.people.t")}
    out = run("createapiclient", "nobody")
    assert held("nobody") == set() and "holds no privileges" in out
    assert not allows("nobody", "SELECT", "sales.s.t")


def test_createapiclient_refuses_a_bad_grant_and_creates_nothing() -> None:
    """An unknown privilege or a malformed securable is an error, and no client is left behind."""
    with pytest.raises(CommandError, match="unknown privilege 'DROP'"):
        run("createapiclient", "etl", "--grant", "SELECT,DROP", "sales")
    with pytest.raises(CommandError, match="invalid securable"):
        run("createapiclient", "etl", "--grant", "SELECT", "a.b.c.d")
    with pytest.raises(CommandError, match="CREATE_TABLE applies to a catalog or a schema"):
        run("createapiclient", "etl", "--grant", "CREATE_TABLE", "a.b.c")
    assert not ApiClient.objects.filter(name="etl").exists()


def test_if_missing_gives_an_existing_client_its_missing_grants() -> None:
    """`make run` runs createapiclient --if-missing on every start: an existing client gets no
    new key but does get the grants it lacks."""
    run("createapiclient", "demo")
    keys = ClientKey.objects.count()
    assert run("createapiclient", "demo", "--if-missing", "--grant", "ALL_PRIVILEGES", "c.s") == ""
    assert held("demo") == {("ALL_PRIVILEGES", "c.s")} and ClientKey.objects.count() == keys


def test_grant_and_revoke_take_effect_and_say_what_they_did() -> None:
    run("createapiclient", "etl")
    assert "Granted SELECT, MODIFY on main.s to 'etl'" in run("grant", "etl", "SELECT,MODIFY", "MAIN.S")
    assert "already held SELECT" in run("grant", "etl", "select", "main.s")
    assert allows("etl", "MODIFY", "main.s.t") and not allows("etl", "MODIFY", "main.other.t")
    assert "Revoked MODIFY on main.s" in run("revoke", "etl", "MODIFY", "main.s")
    assert held("etl") == {("SELECT", "main.s")}
    assert "nothing revoked" in run("revoke", "etl", "MODIFY", "main.s")


def test_revoking_all_privileges_takes_everything_on_that_securable_only() -> None:
    """As in Unity Catalog: REVOKE ALL PRIVILEGES empties the securable; a grant on its parent
    stays, and the command warns that it still covers the securable."""
    run("createapiclient", "etl", "--grant", "SELECT,MODIFY", "main.s", "--grant", "SELECT", "main")
    out = run("revoke", "etl", "all privileges", "main.s")
    assert "Revoked MODIFY, SELECT on main.s" in out
    assert "still holds SELECT ON main" in out
    assert held("etl") == {("SELECT", "main")}


def test_showgrants_lists_every_grant() -> None:
    run("createapiclient", "etl", "--grant", "SELECT", "main", "--grant", "CREATE_TABLE", "main.s")
    assert run("showgrants", "etl").splitlines() == [
        "SELECT ON CATALOG main",
        "CREATE_TABLE ON SCHEMA main.s",
    ]
    run("createapiclient", "empty")
    assert "holds no privileges" in run("showgrants", "empty")
    with pytest.raises(CommandError, match="no API client named 'ghost'"):
        run("showgrants", "ghost")


def test_grants_inherit_downwards_and_all_privileges_covers_the_rest() -> None:
    run("createapiclient", "a", "--grant", "SELECT", "cat")
    run("createapiclient", "b", "--grant", "ALL_PRIVILEGES", "cat.s")
    run("createapiclient", "c", "--grant", "MODIFY", "cat.s.t")
    assert allows("a", "SELECT", "cat.any.table") and not allows("a", "MODIFY", "cat.s.t")
    assert all(allows("b", p, "cat.s.t") for p in ("SELECT", "MODIFY", "CREATE_TABLE"))
    assert not allows("b", "SELECT", "cat.other.t")
    assert allows("c", "MODIFY", "cat.s.t") and not allows("c", "MODIFY", "cat.s.u")
    assert allows("a", "SELECT", "CAT.S.T")  # names are case-insensitive


def test_an_inactive_client_holds_nothing() -> None:
    run("createapiclient", "etl", "--grant", "ALL_PRIVILEGES", "main")
    ApiClient.objects.filter(name="etl").update(is_active=False)
    assert not allows("etl", "SELECT", "main.s.t")
    assert "inactive" in run("showgrants", "etl")


def test_the_audit_log_needs_its_own_select_and_takes_no_other_grant(settings: Any) -> None:
    """api_log is the service's: a catalog- or schema-wide grant does not reach it, only SELECT
    granted on the table itself does, and nothing else can be granted on it."""
    settings.DATABRICKS_LOG_CATALOG, settings.DATABRICKS_LOG_SCHEMA = "Ops", "Logs"
    run("createapiclient", "auditor", "--grant", "ALL_PRIVILEGES", "ops")
    assert allows("auditor", "SELECT", "ops.logs.other") and not allows(
        "auditor", "SELECT", "ops.logs.api_log"
    )
    for privileges in ("MODIFY", "ALL_PRIVILEGES", "SELECT,MODIFY"):
        with pytest.raises(CommandError, match="service's audit log"):
            run("grant", "auditor", privileges, "OPS.LOGS.API_LOG")
    run("grant", "auditor", "SELECT", "ops.logs.api_log")
    assert allows("auditor", "SELECT", "ops.logs.api_log")
    assert not allows("auditor", "MODIFY", "ops.logs.api_log")


def test_parsing_privileges_and_securables() -> None:
    assert parse_privileges(" select ,ALL PRIVILEGES,select") == ["SELECT", "ALL_PRIVILEGES"]
    assert parse_securable("Main.Sales.Orders") == "main.sales.orders"
    for bad in ("", "a..b", "a.b-c", "`a`", "a.b.c.d", "a b"):
        with pytest.raises(InvalidGrant):
            parse_securable(bad)


def status_with(key: str) -> int:
    return Client(headers={"Authorization": f"Api-Key {key}"}).get("/api/v1/jobs").status_code


def test_rotating_a_key_revokes_the_old_one_at_once() -> None:
    old = run("createapiclient", "etl", "--quiet").strip()
    new = run("rotateapikey", "etl", "--quiet").strip()
    assert (status_with(old), status_with(new)) == (401, 200)


def test_rotating_with_a_grace_period_keeps_the_old_key_until_it_ends() -> None:
    old = run("createapiclient", "etl", "--quiet").strip()
    out = run("rotateapikey", "etl", "--grace", "2h")
    new = out.splitlines()[1]
    assert "1 old key(s) expiring in 2h" in out
    assert (status_with(old), status_with(new)) == (200, 200)
    expiry = ClientKey.objects.get(prefix=old.split(".")[0]).expiry_date
    assert expiry is not None and abs(expiry - (timezone.now() + timedelta(hours=2))) < timedelta(minutes=1)
    ClientKey.objects.filter(prefix=old.split(".")[0]).update(expiry_date=timezone.now())
    assert (status_with(old), status_with(new)) == (401, 200)
    with pytest.raises(CommandError, match="invalid duration"):
        run("rotateapikey", "etl", "--grace", "soon")
