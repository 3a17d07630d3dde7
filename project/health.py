"""Probes behind ``GET /api/v1/healthcheck``: the warehouse, the broker and the service database.

Each probe returns ``"connected"`` or ``"error: <reason>"`` and never raises: a healthcheck that
fails with a 500 says less than one that names the broken part.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.utils import timezone

from project.broker import FILESYSTEM_TRANSPORT
from project.celery import app as celery_app
from warehouse.client import get_client
from warehouse.exceptions import WarehouseError

CONNECTED = "connected"


def health_report() -> dict[str, Any]:
    """The healthcheck body; ``status`` is ``degraded`` as soon as one component is not up."""
    components = {
        "api": "up",
        "database": warehouse_status(),
        "queue": broker_status(),
        "service_db": service_db_status(),
    }
    healthy = all(value in ("up", CONNECTED) for value in components.values())
    return {
        "status": "healthy" if healthy else "degraded",
        "components": components,
        "timestamp": timezone.now().isoformat(),
    }


def warehouse_status() -> str:
    """Run ``SELECT 1`` on the configured SQL warehouse."""
    try:
        get_client().ping()
    except WarehouseError as error:
        return _failure(error.message)
    except Exception as error:  # a probe reports every failure; nothing above would catch it
        return _failure(_describe(error))
    return CONNECTED


def broker_status() -> str:
    """Open a connection to the Celery broker (and, for the filesystem broker, check its folders).

    The URL and transport options are read from settings at call time rather than from the
    Celery app's cached configuration, so the probe always tests what the settings say.
    """
    url: str = settings.CELERY_BROKER_URL
    options: dict[str, Any] = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    timeout: float = settings.HEALTHCHECK_BROKER_TIMEOUT
    # One quick retry, then give up; kombu's stubs say int, kombu itself takes float seconds.
    retry: dict[str, Any] = {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
        "timeout": timeout,
    }
    try:
        # The transport as the URL names it (the app's broker_transport holds the settings' one).
        transport = urlsplit(url).scheme
        if transport == "filesystem":
            check_broker_folders(options)
            transport = FILESYSTEM_TRANSPORT
        with celery_app.connection_for_write(
            url, transport=transport, transport_options=options, connect_timeout=timeout
        ) as conn:
            conn.ensure_connection(**retry)
    except Exception as error:  # a probe reports every failure; nothing above would catch it
        return _failure(_describe(error))
    return CONNECTED


def check_broker_folders(options: Mapping[str, Any]) -> None:
    """Raise ``OSError`` unless every folder the filesystem transport uses exists and is writable.

    kombu connects to a filesystem "broker" without touching the disk, so a missing or
    read-only folder would otherwise only show when the first task is published.
    """
    # control_folder is left out: kombu creates it on first use.
    keys = ["data_folder_in", "data_folder_out"]
    if options.get("store_processed"):
        keys.append("processed_folder")
    for folder in dict.fromkeys(str(options[key]) for key in keys if key in options):
        if not Path(folder).is_dir():
            raise FileNotFoundError(f"broker folder {folder} does not exist")
        # os.access() says yes to root on a read-only mount; writing a file does not lie.
        with tempfile.TemporaryFile(dir=folder):
            pass


def service_db_status() -> str:
    """Run ``SELECT 1`` on the service database (jobs, api_log)."""
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # a probe reports every failure; nothing above would catch it
        return _failure(_describe(error))
    return CONNECTED


def _failure(reason: str) -> str:
    return f"error: {reason}"


def _describe(error: BaseException) -> str:
    return str(error).strip() or type(error).__name__
