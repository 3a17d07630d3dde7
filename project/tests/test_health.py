"""GET /api/v1/healthcheck against the real local warehouse, broker and service database."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from pytest_django import Settings

from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess

pytestmark = pytest.mark.django_db

HEALTHCHECK = "/api/v1/healthcheck"


def closed_port() -> int:
    """A port nothing listens on: bound once to get a free number, then closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def use_warehouse(settings: Settings, url: str) -> None:
    settings.DATABRICKS_WAREHOUSE_ID = ""
    settings.LOCAL_WAREHOUSE_URL = url
    get_client().reset()  # no connection to the previous URL may be reused


@pytest.fixture
def warehouse(settings: Settings, local_warehouse: LocalWarehouseProcess) -> Iterator[LocalWarehouseProcess]:
    """The session's local warehouse, configured as the service's warehouse."""
    use_warehouse(settings, local_warehouse.url)
    yield local_warehouse
    get_client().reset()


def get_health(client: Client) -> tuple[dict[str, Any], dict[str, str]]:
    """Call the healthcheck, check the parts every answer shares, return body and components."""
    response = client.get(HEALTHCHECK)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"status", "components", "timestamp"}
    assert set(body["components"]) == {"api", "database", "queue", "service_db"}
    assert body["components"]["api"] == "up"
    assert body["timestamp"].endswith("+00:00")
    assert datetime.fromisoformat(body["timestamp"]).utcoffset() == timedelta(0)
    return body, body["components"]


def test_it_reports_healthy_when_every_component_answers(
    client: Client, warehouse: LocalWarehouseProcess
) -> None:
    """With the warehouse, the broker and the database up, every component is connected."""
    body, components = get_health(client)

    assert body["status"] == "healthy"
    assert components == {
        "api": "up",
        "database": "connected",
        "queue": "connected",
        "service_db": "connected",
    }


def test_it_needs_no_api_key(client: Client, warehouse: LocalWarehouseProcess) -> None:
    """Monitors call the healthcheck without credentials and are not turned away."""
    response = client.get(HEALTHCHECK, HTTP_AUTHORIZATION="Api-Key not-a-real-key")

    assert response.status_code == 200


def test_it_names_the_warehouse_error_when_nothing_listens_on_the_warehouse_port(
    client: Client, settings: Settings
) -> None:
    """A warehouse URL on a closed port makes the status degraded and says why."""
    use_warehouse(settings, f"http://127.0.0.1:{closed_port()}/sql/1.0/warehouses/local")

    body, components = get_health(client)

    assert body["status"] == "degraded"
    assert components["database"].startswith("error: ")
    assert "Connection refused" in components["database"]
    assert components["queue"] == "connected"
    assert components["service_db"] == "connected"


def test_it_names_the_warehouse_error_while_the_warehouse_process_is_stopped(
    client: Client, settings: Settings, warehouse: LocalWarehouseProcess
) -> None:
    """Stopping the warehouse degrades the status; starting it again makes it healthy again."""
    assert get_health(client)[0]["status"] == "healthy"  # holds a connection that will go stale

    warehouse.stop()
    try:
        body, components = get_health(client)
    finally:
        warehouse.start()
        use_warehouse(settings, warehouse.url)

    assert body["status"] == "degraded"
    assert components["database"].startswith("error: ")
    assert len(components["database"]) > len("error: ")
    assert components["queue"] == "connected"
    assert get_health(client)[0]["status"] == "healthy"


def test_it_names_the_queue_error_when_the_redis_broker_does_not_answer(
    client: Client, settings: Settings, warehouse: LocalWarehouseProcess
) -> None:
    """A Redis broker URL on a closed port degrades the queue component with the reason."""
    port = closed_port()
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    body, components = get_health(client)

    assert body["status"] == "degraded"
    assert components["queue"].startswith("error: ")
    assert f"127.0.0.1:{port}" in components["queue"]
    assert components["database"] == "connected"
    assert components["service_db"] == "connected"


def test_it_names_the_queue_error_when_the_broker_folder_is_missing(
    client: Client, settings: Settings, tmp_path: Path, warehouse: LocalWarehouseProcess
) -> None:
    """The filesystem broker is down when its queue folder does not exist."""
    missing = tmp_path / "broker" / "queue"
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(missing),
        "data_folder_out": str(missing),
    }

    body, components = get_health(client)

    assert body["status"] == "degraded"
    assert components["queue"] == f"error: broker folder {missing} does not exist"
    assert components["database"] == "connected"


def test_it_reports_the_filesystem_broker_connected_when_its_folders_exist(
    client: Client, settings: Settings, tmp_path: Path, warehouse: LocalWarehouseProcess
) -> None:
    """The filesystem broker is up when its queue folder exists and takes files."""
    folder = tmp_path / "queue"
    folder.mkdir()
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(folder), "data_folder_out": str(folder)}

    body, components = get_health(client)

    assert body["status"] == "healthy"
    assert components["queue"] == "connected"
    assert list(folder.iterdir()) == []  # the write probe leaves nothing behind
