"""For tests of every app: an HTTP test client that speaks for one API client."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.test import Client

from .securables import parse_privileges, parse_securable
from .services import client_create

# The catalogs the test suite works in. ``ApiCaller``'s client holds ALL_PRIVILEGES on each
# unless the test says which grants it wants.
TEST_CATALOGS = (
    "main",
    "oil_gas_catalog",
    "api_tests",
    "audit_cat",
    "audit_tests",
    "bounds_tests",
    "c",
    "c1",
    "fault_tests",
    "fuzz_tests",
    "injection_tests",
    "job_tests",
    "malformed_cat",
    "matrix_tests",
    "openapi_tests",
    "records_sql_tests",
    "run_tests",
    "schemathesis_tests",
    "submit_tests",
    "throttle_tests",
    "wait_tests",
    "wh_tests",
)
ALL_TEST_CATALOGS = tuple(("ALL_PRIVILEGES", catalog) for catalog in TEST_CATALOGS)


class ApiCaller:
    """A Django test client that sends a new API client's key with every request.

    ``grants`` are ``(PRIVILEGES, SECURABLE)`` pairs as ``manage.py grant`` takes them
    (``("SELECT,MODIFY", "c.s")``); by default ALL_PRIVILEGES on ``TEST_CATALOGS``.
    """

    def __init__(self, name: str, grants: Sequence[tuple[str, str]] = ALL_TEST_CATALOGS) -> None:
        parsed = [(parse_privileges(p), parse_securable(s)) for p, s in grants]
        self.client, self.key = client_create(name=name, grants=parsed)
        self.name = name
        self.http = Client(headers={"Authorization": f"Api-Key {self.key}"})

    def post(self, path: str, body: Any, **extra: Any) -> Any:
        return self.http.post(path, body, content_type="application/json", **extra)

    def put(self, path: str, body: Any, **extra: Any) -> Any:
        return self.http.put(path, body, content_type="application/json", **extra)

    def delete(self, path: str, body: Any, **extra: Any) -> Any:
        return self.http.delete(path, body, content_type="application/json", **extra)

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.http.get(path, params or {})
