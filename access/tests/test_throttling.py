"""Throttles over HTTP: a client over its rate, an address failing authentication, open endpoints."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from pytest_django import DjangoAssertNumQueries, Settings

from access.authentication import LOCKED_OUT_MESSAGE
from access.testing import ApiCaller
from access.throttles import parse_rate
from warehouse.local.testing import LocalWarehouseProcess

pytestmark = pytest.mark.django_db

JOBS = "/api/v1/jobs"


def caller(key: str | None = None, address: str = "127.0.0.1", **environ: Any) -> Client:
    """A test client from ``address``, sending ``key`` (None: no Authorization header)."""
    headers = {"Authorization": f"Api-Key {key}"} if key is not None else {}
    return Client(REMOTE_ADDR=address, headers=headers, **environ)


def assert_throttled(response: Any, message: str, longest_wait: int) -> int:
    """A 429 in the error format whose whole-second ``Retry-After`` is ``details.wait``."""
    assert response.status_code == 429
    body = response.json()
    wait = int(response["Retry-After"])
    assert 1 <= wait <= longest_wait
    assert body == {
        "error": True,
        "message": f"{message} Expected available in {wait} second{'s' if wait > 1 else ''}.",
        "details": {"wait": wait},
    }
    return wait


def test_rates_take_a_count_of_periods() -> None:
    """``1200/min``, ``20/5m`` and ``3/2h`` are (requests, seconds); anything else is refused."""
    assert parse_rate("1200/min") == (1200, 60)
    assert parse_rate("20/5m") == (20, 300)
    assert parse_rate("3/2h") == (3, 7200)
    assert parse_rate("10/s") == (10, 1)
    with pytest.raises(ImproperlyConfigured):
        parse_rate("20 per minute")


def test_a_client_over_its_rate_gets_a_429_and_another_client_does_not(settings: Settings) -> None:
    """Past API_THROTTLE_CLIENT_RATE a client is a 429 saying when to retry; the count is its own."""
    settings.API_THROTTLE_CLIENT_RATE = "3/min"
    alice, bob = ApiCaller("alice"), ApiCaller("bob")
    assert [alice.get(JOBS).status_code for _ in range(3)] == [200, 200, 200]

    assert_throttled(alice.get(JOBS), "Request was throttled.", 60)
    assert bob.get(JOBS).status_code == 200


def test_a_client_is_counted_across_addresses(settings: Settings) -> None:
    """The client's count follows its id, not the address it calls from."""
    settings.API_THROTTLE_CLIENT_RATE = "2/min"
    alice = ApiCaller("alice")
    assert caller(alice.key, "192.0.2.1").get(JOBS).status_code == 200
    assert caller(alice.key, "192.0.2.2").get(JOBS).status_code == 200
    assert caller(alice.key, "192.0.2.3").get(JOBS).status_code == 429


def test_an_address_failing_authentication_is_locked_out_before_its_key_is_checked(
    settings: Settings, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    """Past API_THROTTLE_FAILED_AUTH_RATE an address is a 429, a good key too, without a query;
    other addresses are not affected."""
    settings.API_THROTTLE_FAILED_AUTH_RATE = "3/5m"
    alice = ApiCaller("alice")
    wrong = caller("notakey.0123456789")
    assert [wrong.get(JOBS).status_code for _ in range(3)] == [401, 401, 401]

    wait = assert_throttled(wrong.get(JOBS), LOCKED_OUT_MESSAGE, 300)
    assert wait > 290  # the oldest failure leaves the 5-minute window in about 5 minutes
    with django_assert_num_queries(0):  # the key is not even looked up (nor the refusal logged again)
        assert_throttled(caller(alice.key).get(JOBS), LOCKED_OUT_MESSAGE, 300)
    assert caller(alice.key, "192.0.2.7").get(JOBS).status_code == 200


def test_requests_without_a_key_count_as_failed_authentications(settings: Settings) -> None:
    """Every endpoint with a key requires one: asking without one is a failure like a bad key."""
    settings.API_THROTTLE_FAILED_AUTH_RATE = "2/5m"
    anonymous = caller()
    assert [anonymous.get(JOBS).status_code for _ in range(2)] == [401, 401]
    assert_throttled(anonymous.get(JOBS), LOCKED_OUT_MESSAGE, 300)


def test_a_good_key_does_not_count_as_a_failure(settings: Settings) -> None:
    """Successful requests leave the failure count alone."""
    settings.API_THROTTLE_FAILED_AUTH_RATE = "2/5m"
    alice = ApiCaller("alice")
    assert caller("bad").get(JOBS).status_code == 401
    assert [alice.get(JOBS).status_code for _ in range(5)] == [200] * 5
    assert caller("bad").get(JOBS).status_code == 401
    assert caller("bad").get(JOBS).status_code == 429


def test_x_forwarded_for_is_ignored_unless_proxies_are_declared(settings: Settings) -> None:
    """A client cannot dodge the count by writing X-Forwarded-For; with DJANGO_NUM_PROXIES=1 the
    address the proxy appended is the caller's."""
    settings.API_THROTTLE_FAILED_AUTH_RATE = "2/5m"
    statuses = [caller("bad", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").get(JOBS).status_code for n in range(3)]
    assert statuses == [401, 401, 429]

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    behind_proxy = {"address": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9, 198.51.100.1"}
    assert [caller("bad", **behind_proxy).get(JOBS).status_code for _ in range(3)] == [401, 401, 429]
    other = caller("bad", address="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert other.get(JOBS).status_code == 401


def test_open_endpoints_are_throttled_per_address_and_the_healthcheck_never(
    settings: Settings, local_warehouse: LocalWarehouseProcess
) -> None:
    """The OpenAPI document answers API_THROTTLE_ANONYMOUS_RATE per address; the healthcheck,
    which platforms probe, is never throttled."""
    settings.API_THROTTLE_ANONYMOUS_RATE = "2/min"
    settings.LOCAL_WAREHOUSE_URL = local_warehouse.url
    settings.DATABRICKS_WAREHOUSE_ID = ""
    anonymous = caller()
    assert [anonymous.get("/api/schema/").status_code for _ in range(2)] == [200, 200]
    # The document is YAML: common.middleware gives its 429 the JSON error body, Retry-After kept.
    response = anonymous.get("/api/schema/")
    assert response.status_code == 429 and response.json()["error"] is True
    assert 1 <= int(response["Retry-After"]) <= 60
    assert caller(address="192.0.2.8").get("/api/schema/").status_code == 200

    assert [anonymous.get("/api/v1/healthcheck").status_code for _ in range(4)] == [200] * 4
