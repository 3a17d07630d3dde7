"""Request validation of write, update, delete and read: every bad input is a clear 4xx.

The serializers need no database or warehouse. Each failure is rendered through the
project's exception handler, so the tests check the body clients get. Here: the seed's
update and delete examples, and the helpers that run a request through a serializer.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.http import QueryDict
from rest_framework.exceptions import APIException

from common.handlers import api_exception_handler

TABLE = {"catalog": "oil_gas_catalog", "schema": "production_schema", "table": "wells"}


SEED_UPDATES: dict[str, dict[str, Any]] = {
    "key_value": {
        **TABLE,
        "key_column": "api10",
        "key_value": 4201234567,
        "updates": {"oileur": 130000.00, "gaseur": 475000.00},
    },
    "key_values": {
        **TABLE,
        "key_column": "api10",
        "key_values": [4201234567, 4201234568, 4201234569],
        "updates": {"wellspacing": 640.0},
    },
    "bulk_updates": {
        **TABLE,
        "key_column": "api10",
        "bulk_updates": [
            {"key_value": 4201234567, "updates": {"oileur": 130000.00, "gaseur": 475000.00}},
            {"key_value": 4201234568, "updates": {"wellspacing": 320.0}},
            {"key_value": 4201234569, "updates": {"compldate": "05/15/2024"}},
        ],
    },
    "filters": {
        **TABLE,
        "filters": [{"column": "oileur", "op": "<", "value": 100000}],
        "updates": {"wellspacing": 640.0},
    },
}


SEED_DELETES: dict[str, dict[str, Any]] = {
    "key_value": {**TABLE, "key_column": "api10", "key_value": 4201234567, "soft": True},
    "key_values": {
        **TABLE,
        "key_column": "api10",
        "key_values": [4201234567, 4201234568, 4201234569],
        "soft": True,
    },
    "filters": {**TABLE, "filters": [{"column": "oileur", "op": "=", "value": 0}], "soft": True},
}


def valid(serializer_class: type[Any], data: Any) -> dict[str, Any]:
    """validated_data of a request that must pass."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def refused(serializer_class: type[Any], data: Any) -> tuple[int, dict[str, Any]]:
    """Status and error body a client gets for a request that must fail."""
    serializer = serializer_class(data=data)
    with pytest.raises(APIException) as caught:
        serializer.is_valid(raise_exception=True)
    method = "GET" if isinstance(data, QueryDict) else "POST"
    response = api_exception_handler(caught.value, {"request": SimpleNamespace(method=method)})
    return response.status_code, dict(response.data)


def validation_errors(serializer_class: type[Any], data: Any) -> list[dict[str, Any]]:
    """``details.errors`` of a request refused with the generic "Validation error"."""
    status, body = refused(serializer_class, data)
    assert status == 400
    assert body["error"] is True
    assert body["message"] == "Validation error"
    return list(body["details"]["errors"])


def refused_with(serializer_class: type[Any], data: Any) -> tuple[int, str, dict[str, Any]]:
    """Status, message and details of a request refused with its own message."""
    status, body = refused(serializer_class, data)
    assert body["error"] is True
    return status, body["message"], body["details"]
