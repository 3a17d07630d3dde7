"""GET /readyz: 200 while this instance can take requests, 503 otherwise; the healthcheck is liveness."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.test import Client
from pytest_django import Settings

from audit.models import ApiLog
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess

pytestmark = pytest.mark.django_db

READYZ = "/readyz"


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def use_warehouse(settings: Settings, url: str) -> None:
    settings.DATABRICKS_WAREHOUSE_ID = ""
    settings.LOCAL_WAREHOUSE_URL = url
    get_client().reset()


def readiness(client: Client | None = None) -> tuple[int, dict[str, Any]]:
    response = (client or Client()).get(READYZ)
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


@pytest.fixture
def warehouse(settings: Settings, local_warehouse: LocalWarehouseProcess) -> LocalWarehouseProcess:
    use_warehouse(settings, local_warehouse.url)
    return local_warehouse


def test_it_is_ready_when_the_service_database_answers_and_a_warehouse_is_configured(
    warehouse: LocalWarehouseProcess,
) -> None:
    assert readiness() == (
        200,
        {"status": "ready", "checks": {"service_db": "connected", "warehouse_config": "configured"}},
    )


def test_it_is_not_ready_when_the_warehouse_is_not_configured(settings: Settings) -> None:
    """A warehouse URL that is no URL will not fix itself: 503, naming the setting."""
    use_warehouse(settings, "not a url")

    status, body = readiness()

    assert status == 503
    assert body["status"] == "not_ready"
    assert body["checks"]["service_db"] == "connected"
    assert body["checks"]["warehouse_config"].startswith("error: LOCAL_WAREHOUSE_URL is not a URL")


def test_it_is_not_ready_without_the_local_warehouses_token(
    settings: Settings, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOCAL_WAREHOUSE_TOKEN")
    settings.LOCAL_WAREHOUSE_TOKEN_FILE = tmp_path / "missing-token"

    status, body = readiness()

    assert status == 503
    assert "no local warehouse token" in body["checks"]["warehouse_config"]


def test_a_warehouse_or_broker_outage_leaves_it_ready_by_default(settings: Settings) -> None:
    """Shared by every instance and ridden out (writes are queued): not a reason to take this
    instance out of rotation, and neither is probed (the probe stays cheap)."""
    use_warehouse(settings, f"http://127.0.0.1:{closed_port()}/sql/1.0/warehouses/local")
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    status, body = readiness()

    assert status == 200
    assert set(body["checks"]) == {"service_db", "warehouse_config"}


def test_the_checks_are_a_setting_that_can_require_the_warehouse(settings: Settings) -> None:
    """With warehouse in READINESS_CHECKS, a warehouse nobody listens for makes it not ready."""
    settings.READINESS_CHECKS = ["service_db", "warehouse"]
    use_warehouse(settings, f"http://127.0.0.1:{closed_port()}/sql/1.0/warehouses/local")

    status, body = readiness()

    assert status == 503
    assert body["checks"]["warehouse"].startswith("error: ")
    assert body["checks"]["service_db"] == "connected"


def test_the_checks_can_require_the_broker(settings: Settings, warehouse: LocalWarehouseProcess) -> None:
    settings.READINESS_CHECKS = ["service_db", "queue"]
    assert readiness()[0] == 200

    port = closed_port()
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    status, body = readiness()

    assert status == 503
    assert f"127.0.0.1:{port}" in body["checks"]["queue"]


def test_it_needs_no_key_is_never_throttled_and_a_503_is_no_audit_log_row(settings: Settings) -> None:
    """Load balancers probe it every few seconds from one address, for as long as an outage lasts."""
    settings.API_THROTTLE_ANONYMOUS_RATE = "2/min"
    settings.API_THROTTLE_FAILED_AUTH_RATE = "2/min"
    use_warehouse(settings, "not a url")
    logged = ApiLog.objects.count()

    statuses = [readiness(Client(headers={"Authorization": "Api-Key wrong"}))[0] for _ in range(5)]

    assert statuses == [503] * 5
    assert ApiLog.objects.count() == logged


def test_the_healthcheck_stays_200_when_readiness_is_503(settings: Settings) -> None:
    """Liveness and readiness differ: the healthcheck answers 200 with degraded components."""
    use_warehouse(settings, "not a url")

    assert readiness()[0] == 503
    response = Client().get("/api/v1/healthcheck")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"


def test_only_get_and_head_are_answered(warehouse: LocalWarehouseProcess) -> None:
    assert Client().post(READYZ).status_code == 405
    assert Client().head(READYZ).status_code == 200
