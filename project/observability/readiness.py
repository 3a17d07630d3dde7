"""Readiness: may a load balancer send this instance requests? (``/readyz``)

Liveness is ``GET /api/v1/healthcheck``: 200 while the process answers, with every component's
state. Readiness answers 503 only for what makes this instance unable to serve: by default the
service database (every request needs it: keys, jobs) and the warehouse's configuration (a
missing token or refused credentials will not fix themselves). A warehouse or broker outage is
shared by every instance and does not stop the service taking writes (jobs are durable, retried,
and published again by the sweep), so taking every instance out of rotation for it would turn
an outage of reads into an outage of everything; ``READINESS_CHECKS`` adds them where wanted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings

from project.health import CONNECTED, broker_status, service_db_status, warehouse_status
from warehouse.client import check_configuration
from warehouse.exceptions import WarehouseError

READY = "ready"
NOT_READY = "not_ready"
CONFIGURED = "configured"


def warehouse_config_status() -> str:
    """``configured`` when the settings name a warehouse and credentials; nothing is sent to it."""
    try:
        check_configuration()
    except WarehouseError as error:
        return f"error: {error.message}"
    return CONFIGURED


# What READINESS_CHECKS may name; the probes are the healthcheck's, the same text for a failure.
CHECKS: dict[str, Callable[[], str]] = {
    "service_db": service_db_status,
    "warehouse_config": warehouse_config_status,
    "warehouse": warehouse_status,
    "queue": broker_status,
}


def readiness_report() -> dict[str, Any]:
    """``{"status": "ready"|"not_ready", "checks": {name: "connected"|"configured"|"error: ..."}}``."""
    checks = {name: CHECKS[name]() for name in settings.READINESS_CHECKS}
    ready = all(result in (CONNECTED, CONFIGURED) for result in checks.values())
    return {"status": READY if ready else NOT_READY, "checks": checks}
