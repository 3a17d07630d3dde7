"""What every process does once at start-up: create local folders, log what it talks to."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.db import connection
from kombu.utils.url import maybe_sanitize_url

from warehouse.client import describe_target

logger = logging.getLogger(__name__)

# Transport options naming folders the filesystem broker needs before the first message.
_BROKER_FOLDER_OPTIONS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


def prepare_local_folders() -> None:
    """Create the SQLite file's folder, the filesystem broker's folders and STATIC_ROOT."""
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3" and str(database["NAME"]) != ":memory:":
        Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        for key in _BROKER_FOLDER_OPTIONS:
            if key in options:
                Path(options[key]).mkdir(parents=True, exist_ok=True)


def describe_broker() -> str:
    """The broker URL with any password masked, or the folder of the filesystem broker."""
    url: str = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in", "data_in")
        return f"filesystem broker in {folder}"
    return str(maybe_sanitize_url(url))


def describe_database() -> str:
    """The service database's engine and name (and host, for a server)."""
    database = settings.DATABASES["default"]
    where = f"{database.get('HOST')}:{database.get('PORT')}/" if database.get("HOST") else ""
    return f"{connection.vendor} {where}{database['NAME']}"


def configuration_line() -> str:
    return (
        f"Using warehouse: {describe_target()}; broker: {describe_broker()}; "
        f"service database: {describe_database()}"
    )


def log_configuration() -> None:
    logger.info("%s", configuration_line())
