"""What a process logs and prepares at start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from pytest_django import Settings

from project import startup


def test_the_start_up_line_names_warehouse_broker_and_database(settings: Settings) -> None:
    """One line says which warehouse, broker and service database this process uses."""
    settings.DATABRICKS_WAREHOUSE_ID = ""
    settings.LOCAL_WAREHOUSE_URL = "http://127.0.0.1:9999/sql/1.0/warehouses/local"

    line = startup.configuration_line()

    assert "\n" not in line
    assert "local warehouse at http://127.0.0.1:9999/sql/1.0/warehouses/local" in line
    assert f"service database: {connection.vendor} " in line


def test_the_start_up_line_masks_the_broker_password(settings: Settings) -> None:
    """A password in CELERY_BROKER_URL never reaches the logs."""
    settings.CELERY_BROKER_URL = "redis://:s3cret-pass@redis.internal:6379/0"

    line = startup.configuration_line()

    assert "s3cret-pass" not in line
    assert "broker: redis://:**@redis.internal:6379/0" in line


def test_start_up_creates_the_filesystem_broker_folders(settings: Settings, tmp_path: Path) -> None:
    """The embedded broker's folders exist before the first task is published."""
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "processed_folder": str(tmp_path / "processed"),
        "control_folder": str(tmp_path / "control"),
    }

    startup.prepare_local_folders()

    assert sorted(path.name for path in tmp_path.iterdir()) == ["control", "processed", "queue"]


def _setup_without_debug(secret_key: str | None) -> subprocess.CompletedProcess[str]:
    """``django.setup()`` in a fresh process with DEBUG off and ``secret_key`` (None: unset)."""
    env = {"DJANGO_DEBUG": "false", "DJANGO_SETTINGS_MODULE": "project.settings", "PATH": "/usr/bin:/bin"}
    if secret_key is not None:
        env["DJANGO_SECRET_KEY"] = secret_key
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=Path(django_settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(
    "secret_key",
    [
        None,
        "",
        "short-key",
        "a" * 60,  # long but one character
        "django-insecure-" + "0123456789abcdef" * 4,  # Django's marker of a development key
    ],
)
def test_settings_refuse_to_load_without_a_strong_secret_key_when_debug_is_off(
    secret_key: str | None,
) -> None:
    """Outside DEBUG there is no default SECRET_KEY and a weak one is refused: start-up stops
    and names the variable."""
    result = _setup_without_debug(secret_key)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_settings_load_with_a_strong_secret_key_when_debug_is_off() -> None:
    result = _setup_without_debug("k" + "0123456789abcdef" * 4)
    assert result.returncode == 0, result.stderr
