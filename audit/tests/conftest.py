"""Fixtures for the audit tests: an API client with a key, a log schema of its own per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from access.testing import ApiCaller
from records.testing import warehouse_schema
from warehouse.local.testing import LocalWarehouseProcess

LOG_CATALOG = "audit_tests"


@pytest.fixture
def alice(db: None) -> ApiCaller:
    return ApiCaller("alice")


@pytest.fixture
def log_schema(local_warehouse: LocalWarehouseProcess, settings: Any) -> Iterator[str]:
    """A fresh ``audit_tests.<schema>`` that the shipping task writes ``api_log`` into."""
    with warehouse_schema(LOG_CATALOG, prefix="log_") as schema:
        settings.DATABRICKS_LOGGING_ENABLED = True
        settings.DATABRICKS_LOG_CATALOG = LOG_CATALOG
        settings.DATABRICKS_LOG_SCHEMA = schema
        yield schema
