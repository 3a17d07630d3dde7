"""Secrets never reach the log: API keys, tokens, bearer credentials, secret-looking fields."""

from __future__ import annotations

import json
from typing import Any

import pytest

from access.testing import ApiCaller
from audit.models import ApiLog
from audit.redaction import REDACTED, redact_body, redact_json_text, redact_text, redact_value, redacted_json
from audit.shipping import apilog_ship
from warehouse.client import get_client

from .conftest import LOG_CATALOG

pytestmark = pytest.mark.django_db

TEXT_COLUMNS = (
    "level",
    "endpoint",
    "method",
    "error_type",
    "error_message",
    "stack_trace",
    "request_body",
    "user",
    "catalog",
    "schema",
    "table_name",
)


def test_secret_looking_fields_are_redacted_recursively() -> None:
    """Any key containing key/token/secret/password/credential... is replaced, at any depth."""
    body = {"api_key": "k1", "nested": [{"Access_Token": "t1", "ok": 1}], "PASSWORD": "p", "key_value": 7}
    assert json.loads(redact_body(body)) == {
        "api_key": REDACTED,
        "nested": [{"Access_Token": REDACTED, "ok": 1}],
        "PASSWORD": REDACTED,
        "key_value": 7,
    }


def test_credential_patterns_and_literal_secrets_are_redacted_in_text() -> None:
    """``Bearer x``, ``Api-Key x`` and the request's own key disappear from free text."""
    text = redact_text("auth Bearer abc.def and Api-Key xyz and raw s3cr3tvalue", ["s3cr3tvalue"])
    assert text == f"auth Bearer {REDACTED} and Api-Key {REDACTED} and raw {REDACTED}"


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("key AbCd1234.0123456789abcdefABCDEF0123456789 here", f"key {REDACTED} here"),
        ("pat dapi0123456789abcdef0123456789abcdef-2, then", f"pat {REDACTED}, then"),
        ("as dapi0123456789abcdef0123456789abcdef.", f"as {REDACTED}."),
        ("broker redis://:s3cr3t@redis:6379/0 down", f"broker redis://:{REDACTED}@redis:6379/0 down"),
        ("db postgres://app:p%40ss@db/x", f"db postgres://app:{REDACTED}@db/x"),
        # Look-alikes stay: data, not secrets.
        (
            "wells.a1 and https://example.com/a:b and user@host",
            "wells.a1 and https://example.com/a:b and user@host",
        ),
        (
            "AbCd1234.0123456789abcdefABCDEF01234567890 (33)",
            "AbCd1234.0123456789abcdefABCDEF01234567890 (33)",
        ),
    ],
)
def test_key_shapes_are_redacted_wherever_they_appear(text: str, redacted: str) -> None:
    """Any key this service issues, a Databricks token, a URL's password: gone from free text."""
    assert redact_text(text) == redacted


def test_request_bodies_are_truncated_at_5000_characters() -> None:
    """A long body is cut to the seed's 5,000 characters."""
    assert len(redact_body({"data": "x" * 10_000})) == 5000


def test_keys_and_tokens_in_a_request_never_reach_any_column_or_the_warehouse(
    alice: ApiCaller, log_schema: str
) -> None:
    """The Authorization key, another client's key, a Databricks token, a URL's password,
    "token"/"api_key" fields and a Bearer value are absent from every column."""
    bob = ApiCaller("bob")
    token = "dapi" + "0123456789abcdef" * 2
    body = {
        "catalog": "c",
        "schema": "s",
        "table": "t",
        "token": "tok-SECRET-1",
        "api_key": "key-SECRET-2",
        "data": [
            {"note": "Bearer SECRET-3-bearer", "echo": alice.key, "other": bob.key},
            {"note": token, "url": "redis://:SECRET-4-url@cache:6379/1"},
        ],
    }
    response = alice.post("/api/v1/records/write", body)
    assert response.status_code == 404  # the table does not exist: a 4xx, logged with the body
    log = ApiLog.objects.get()
    secrets = ["tok-SECRET-1", "key-SECRET-2", "SECRET-3-bearer", "SECRET-4-url", token]
    secrets += [alice.key, alice.key.split(".")[-1], bob.key, bob.key.split(".")[-1]]
    for column in TEXT_COLUMNS:
        for secret in secrets:
            assert secret not in getattr(log, column), (column, secret)
    stored = json.loads(log.request_body)
    assert stored["token"] == REDACTED and stored["api_key"] == REDACTED
    assert apilog_ship() == 1
    row: dict[str, Any] = (
        get_client().execute(f"SELECT * FROM {LOG_CATALOG}.{log_schema}.api_log").as_dicts()[0]
    )
    for value in row.values():
        for secret in secrets:
            assert secret not in str(value)


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ('{"user": "bob", "password": "hunter2", "n": 1', '{"user": "bob", "password": "[REDACTED]", "n": 1'),
        ('{"api_token": 12345}', '{"api_token": "[REDACTED]"}'),
        ('{"credentials": {"user": "bob", "pw": "x"}, "n": 1', '{"credentials": "[REDACTED]", "n": 1'),
        ('{"n": 1, "secret": "cut sho', '{"n": 1, "secret": "[REDACTED]"'),
        ('{"session": [1, {"a": 2', '{"session": "[REDACTED]"'),
        ('{"key_column": "id", "key_values": [1, 2', '{"key_column": "id", "key_values": [1, 2'),
    ],
)
def test_json_cut_short_has_its_secret_fields_redacted_as_text(text: str, redacted: str) -> None:
    """A body cut before its end no longer parses: secret-looking names lose their values, up
    to the value's end or the cut (the records API's key_* fields are data, kept)."""
    assert redact_json_text(text) == redacted


def test_a_parsed_body_is_written_as_json_dumps_would_with_secrets_redacted() -> None:
    """Below the limit, the bounded writer gives exactly json.dumps of the redacted value."""
    body = {"catalog": "c", "data": [{"a": 1, "b": None, "c": 1.5, "d": "é"}], "api_token": "x", "n": [True]}
    expected = json.dumps(redact_value(body), ensure_ascii=False, default=str)
    assert redacted_json(body, 10_000) == expected == redact_body(body)
    assert '"api_token": "[REDACTED]"' in expected


class Counted:
    """A value that counts how often it is written (``default=str``)."""

    written = 0

    def __str__(self) -> str:
        Counted.written += 1
        return "v"


def test_a_huge_parsed_body_costs_only_what_the_log_keeps() -> None:
    """A 1,000,000-value body (refused with a 413 after parsing, say) is written only up to the
    limit: a few hundred values, not a walk and a copy of them all."""
    Counted.written = 0
    text = redact_body({"filters": [{"value": [Counted() for _ in range(1_000_000)]}]}, limit=5000)
    assert len(text) == 5000 and text.startswith('{"filters": [{"value": ["v", "v"')
    assert Counted.written < 2000
    huge_string = redact_body({"note": "x" * 50_000_000}, limit=5000)
    assert len(huge_string) == 5000
