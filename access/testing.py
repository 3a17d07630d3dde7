"""For tests of every app: an HTTP test client that speaks for one API client."""

from __future__ import annotations

from typing import Any

from django.test import Client

from .services import client_create


class ApiCaller:
    """A Django test client that sends a new API client's key with every request."""

    def __init__(self, name: str) -> None:
        self.client, self.key = client_create(name=name)
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
