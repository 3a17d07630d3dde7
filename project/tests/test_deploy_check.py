"""Production settings pass Django's deploy check; HTTPS is enforced except for the healthcheck."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from pytest_django import Settings

from warehouse.local.testing import LocalWarehouseProcess


def deploy_check(tmp_path: Path, **environment: str) -> tuple[set[str], str]:
    """``manage.py check --deploy`` in a fresh process with the README's production settings
    (DEBUG off, behind a TLS proxy) and ``environment`` over them: the security check ids it
    reports, and its whole output."""
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "records.example.com",
        "DJANGO_BEHIND_TLS_PROXY": "true",
        "CELERY_BROKER_DIR": str(tmp_path / "broker"),
        "CACHE_DIR": str(tmp_path / "cache"),
        **environment,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=Path(django_settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return set(re.findall(r"\((security\.[EW]\d+)\)", output)), output


def test_the_deploy_check_is_clean_for_the_production_settings(tmp_path: Path) -> None:
    """With DEBUG off the defaults are HSTS, the HTTPS redirect and Secure cookies: no
    ``security.*`` warning (drf_spectacular's are about the OpenAPI document)."""
    ids, output = deploy_check(tmp_path)
    assert ids == set(), output


def test_the_deploy_check_names_what_a_deployment_turns_off(tmp_path: Path) -> None:
    """The switches are real: turning the redirect and HSTS off is what the check reports."""
    ids, _ = deploy_check(tmp_path, DJANGO_SECURE_SSL_REDIRECT="false", DJANGO_SECURE_HSTS_SECONDS="0")
    assert ids == {"security.W004", "security.W008"}


@pytest.fixture
def https_enforced(settings: Settings, local_warehouse: LocalWarehouseProcess) -> None:
    """The production values of the security settings (the suite runs with DEBUG on)."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.LOCAL_WAREHOUSE_URL = local_warehouse.url
    settings.DATABRICKS_WAREHOUSE_ID = ""


@pytest.mark.django_db
@pytest.mark.usefixtures("https_enforced")
def test_plain_http_is_redirected_except_the_healthcheck() -> None:
    """A plain-HTTP request is a 301 to HTTPS; the healthcheck answers the platform's plain probe."""
    client = Client()
    response = client.get("/api/v1/jobs")
    assert response.status_code == 301 and response["Location"] == "https://testserver/api/v1/jobs"
    assert client.get("/api/v1/healthcheck").status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("https_enforced")
def test_https_through_the_proxy_is_served_with_hsts() -> None:
    """A request the proxy says came over HTTPS is served, with Strict-Transport-Security."""
    response = Client(headers={"X-Forwarded-Proto": "https"}).get("/api/v1/jobs")
    assert response.status_code == 401
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
