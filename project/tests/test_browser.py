"""The admin and the API docs in a real browser: Debian's chromium, headless, through selenium.

An operator logs into the admin, opens the job list and a job's page, then the Swagger UI and
Redoc; each page must answer 200 over HTTP and show the elements an operator needs. The
screenshots go to ``var/screenshots/`` (``SCREENSHOT_DIR`` elsewhere: the README's picture of
the job list is made this way, ``SCREENSHOT_DIR=docs/screenshots``).
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from records.models import Job
from records.testing import unpublished_write
from warehouse.sql import TableName

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    # No skip: `make install` installs both; a machine without them fails here, saying why.
    assert Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), (
        "Debian's chromium and chromium-driver are needed (make install installs them)"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1920,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: WebDriver, name: str) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or settings.BASE_DIR / "var" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    assert driver.save_screenshot(str(path)), f"no screenshot of {name}"
    return path


def status_of(url: str, driver: WebDriver) -> int:
    """The HTTP status of ``url`` with the browser's session cookie: a page that merely renders
    an error would otherwise look like a page."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    request = urllib.request.Request(url, headers={"Cookie": cookies})  # noqa: S310 (the live server)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (the live server)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def visit(driver: WebDriver, url: str) -> None:
    assert status_of(url, driver) == 200, url
    driver.get(url)


def wait_for(driver: WebDriver, css: str, timeout: float = 30) -> Any:
    return WebDriverWait(driver, timeout).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)),
        f"no {css!r} on {driver.current_url}",
    )


def some_jobs() -> Job:
    """Jobs an operator would see: done, failed on a permanent error, queued; the large one back."""
    table = TableName("oil_gas_catalog", "production_schema", "wells")
    now = timezone.now()
    unpublished_write(
        table,
        [{"api10": i} for i in range(3)],
        status=Job.Status.SUCCEEDED,
        started_at=now - timedelta(seconds=3),
        finished_at=now - timedelta(seconds=2.6),
        attempts=1,
    )
    unpublished_write(
        table,
        [{"api10": 9}],
        status=Job.Status.FAILED,
        started_at=now - timedelta(seconds=2),
        finished_at=now - timedelta(seconds=1.8),
        attempts=1,
        error={
            "message": "Column nope does not exist",
            "error_class": "UNRESOLVED_COLUMN",
            "type": "DatabaseError",
        },
    )
    large = unpublished_write(table, [{"api10": i, "wellname": f"WELL {i}"} for i in range(20_000)])
    Job.objects.exclude(pk=large.pk).update(submitted_at=now - timedelta(seconds=4))
    for job in Job.objects.all():
        Job.objects.filter(pk=job.pk).update(item_count=len(job.payload["rows"]))
    return large


def test_an_operator_sees_jobs_and_docs_in_a_real_browser(live_server: Any, browser: WebDriver) -> None:
    User.objects.create_superuser("operator", "operator@example.com", "a long enough password 1")
    large = some_jobs()
    base = live_server.url

    visit(browser, f"{base}/admin/login/?next=/admin/")
    browser.find_element(By.ID, "id_username").send_keys("operator")
    browser.find_element(By.ID, "id_password").send_keys("a long enough password 1")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, "#user-tools")

    visit(browser, f"{base}/admin/records/job/")
    browser.find_element(By.ID, "toggle-nav-sidebar").click()  # the list gets the width (kept)
    table = wait_for(browser, "#result_list")
    headers = [th.text.strip().lower() for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    for column in (
        "job",
        "status",
        "rows or keys",
        "attempts",
        "duration",
        "error class",
        "submitted",
        "finished",
    ):
        assert column in headers, headers
    text = table.text
    assert "UNRESOLVED_COLUMN" in text and "20000" in text and "400 ms" in text
    screenshot(browser, "admin-jobs")

    visit(browser, f"{base}/admin/records/job/{large.pk}/change/")
    summary = wait_for(browser, "pre.payload-summary")
    assert "... and 19,995 more" in summary.text
    assert len(browser.page_source) < 200_000  # not 20,000 rows of HTML
    screenshot(browser, "admin-job")

    visit(browser, f"{base}/api/docs/")
    wait_for(browser, ".swagger-ui .opblock", timeout=60)
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/api/v1/records/write", "/api/v1/jobs"} <= {p.replace("\u200b", "") for p in paths}, paths
    screenshot(browser, "swagger-ui")

    visit(browser, f"{base}/api/redoc/")
    wait_for(browser, "redoc [role=navigation], .menu-content", timeout=60)
    screenshot(browser, "redoc")
