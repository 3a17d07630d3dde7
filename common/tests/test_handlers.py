"""Every error, of every status, has the body ``{"error": true, "message": str, "details": {}}``.

Tests marked ``urls`` use the URLconf at the bottom of this module: small views that raise
each kind of error, so production URLs carry nothing test-only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from django.http import Http404, HttpRequest, HttpResponse
from django.test import Client
from django.urls import path
from pytest_django import Settings
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import ApiError
from common.handlers import not_found, server_error
from warehouse.exceptions import PermanentWarehouseError, TransientWarehouseError, WarehouseNotConfigured

THIS_URLCONF = "common.tests.test_handlers"
JSON = "application/json"


def assert_error(response: Any, status: int, message: str, details: dict[str, Any] | None = None) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == JSON
    assert response.json() == {"error": True, "message": message, "details": details or {}}


def test_an_unknown_url_is_a_json_404(client: Client) -> None:
    """A path no view serves answers 404 in the error format, not Django's HTML page."""
    assert_error(client.get("/api/v1/no-such-endpoint"), 404, "Not found.")


def test_a_wrong_method_on_the_healthcheck_is_a_405(client: Client) -> None:
    """POST on the GET-only healthcheck answers 405 and names the allowed methods."""
    response = client.post("/api/v1/healthcheck", data={}, content_type=JSON)

    assert_error(response, 405, 'Method "POST" not allowed.')
    assert "GET" in response["Allow"]


@pytest.mark.urls(THIS_URLCONF)
def test_a_body_that_is_not_json_is_a_415(client: Client) -> None:
    """Only JSON bodies are parsed; anything else answers 415."""
    response = client.post("/orders", data="name=x", content_type="text/plain")

    assert_error(response, 415, 'Unsupported media type "text/plain" in request.')


@pytest.mark.urls(THIS_URLCONF)
def test_a_malformed_json_body_is_a_400(client: Client) -> None:
    """A body that does not parse answers 400 with the parser's reason."""
    response = client.post("/orders", data="{not json", content_type=JSON)

    assert_error(
        response,
        400,
        "JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    )


@pytest.mark.urls(THIS_URLCONF)
def test_missing_fields_are_listed_as_validation_errors(client: Client) -> None:
    """Each missing field is one entry, typed ``missing`` like the original service's."""
    response = client.post("/orders", data={}, content_type=JSON)

    assert_error(
        response,
        400,
        "Validation error",
        {
            "errors": [
                {"type": "missing", "loc": ["body", "customer"], "msg": "This field is required."},
                {"type": "missing", "loc": ["body", "items"], "msg": "This field is required."},
            ]
        },
    )


@pytest.mark.urls(THIS_URLCONF)
def test_nested_validation_errors_carry_the_path_to_the_value(client: Client) -> None:
    """Errors inside lists and nested objects name the index and field in ``loc``."""
    body = {
        "customer": "toolong",
        "items": [{"sku": "a", "quantity": 1}, {"sku": "b", "quantity": -1}],
        "tags": ["ok", "far-too-long"],
    }
    response = client.post("/orders", data=body, content_type=JSON)

    assert_error(
        response,
        400,
        "Validation error",
        {
            "errors": [
                {
                    "type": "max_length",
                    "loc": ["body", "customer"],
                    "msg": "Ensure this field has no more than 5 characters.",
                },
                {
                    "type": "min_value",
                    "loc": ["body", "items", 1, "quantity"],
                    "msg": "Ensure this value is greater than or equal to 0.",
                },
                {
                    "type": "max_length",
                    "loc": ["body", "tags", 1],
                    "msg": "Ensure this field has no more than 3 characters.",
                },
            ]
        },
    )


@pytest.mark.urls(THIS_URLCONF)
def test_errors_across_fields_point_at_the_whole_body(client: Client) -> None:
    """A check in ``validate()`` has no field, so its ``loc`` is the body itself."""
    body = {"customer": "bob", "items": [{"sku": "a", "quantity": 0}]}
    response = client.post("/orders", data=body, content_type=JSON)

    assert_error(
        response,
        400,
        "Validation error",
        {"errors": [{"type": "invalid", "loc": ["body"], "msg": "An order needs a positive quantity."}]},
    )


@pytest.mark.urls(THIS_URLCONF)
def test_query_parameter_errors_are_located_in_the_query(client: Client) -> None:
    """A GET validates its query string, so ``loc`` starts with ``query``."""
    response = client.get("/orders", {"limit": "many"})

    assert_error(
        response,
        400,
        "Validation error",
        {"errors": [{"type": "invalid", "loc": ["query", "limit"], "msg": "A valid integer is required."}]},
    )


@pytest.mark.urls(THIS_URLCONF)
def test_a_missing_credential_is_a_401_naming_the_api_key_scheme(client: Client) -> None:
    """NotAuthenticated answers 401 (not DRF's 403 fallback) with a WWW-Authenticate header."""
    response = client.get("/raise/not-authenticated")

    assert_error(response, 401, "Authentication credentials were not provided.")
    assert response["WWW-Authenticate"] == "Api-Key"


@pytest.mark.urls(THIS_URLCONF)
def test_a_throttled_request_is_a_429_saying_when_to_retry(client: Client) -> None:
    """Throttled answers 429 with the wait in ``details`` and in Retry-After."""
    response = client.get("/raise/throttled")

    assert_error(response, 429, "Request was throttled. Expected available in 7 seconds.", {"wait": 7})
    assert response["Retry-After"] == "7"


@pytest.mark.urls(THIS_URLCONF)
def test_http404_raised_in_an_api_view_is_a_json_404(client: Client) -> None:
    """Django's Http404 raised inside a DRF view keeps its message."""
    assert_error(client.get("/raise/http404"), 404, "No job 42")


@pytest.mark.urls(THIS_URLCONF)
def test_an_api_error_carries_its_message_and_details(client: Client) -> None:
    """ApiError is how services report a client error with structured details."""
    response = client.get("/raise/api-error")

    assert_error(
        response,
        400,
        "Schema validation failed: Record 0: Column 'order_id' expects integer, got str",
        {"expected_schema": [{"name": "order_id", "type": "BIGINT", "nullable": False}]},
    )


@pytest.mark.urls(THIS_URLCONF)
def test_a_transient_warehouse_error_is_a_503(client: Client) -> None:
    """An unreachable or busy warehouse answers 503 with Retry-After: the same request may succeed later."""
    response = client.get("/raise/warehouse-transient")

    assert_error(
        response,
        503,
        "Database operation failed",
        {"type": "DatabaseError", "info": "Connection timeout", "error_class": "TEMPORARILY_UNAVAILABLE"},
    )
    assert response.headers["Retry-After"] == "5"


@pytest.mark.urls(THIS_URLCONF)
def test_a_permanent_warehouse_error_is_a_500_with_the_warehouse_message(client: Client) -> None:
    """A statement the warehouse rejects answers 500 with its message and error class."""
    response = client.get("/raise/warehouse-permanent")

    assert_error(
        response,
        500,
        "Database operation failed",
        {
            "type": "DatabaseError",
            "info": "[TABLE_OR_VIEW_NOT_FOUND] The table `a`.`b`.`c` cannot be found.",
            "error_class": "TABLE_OR_VIEW_NOT_FOUND",
        },
    )


@pytest.mark.urls(THIS_URLCONF)
def test_a_missing_warehouse_configuration_is_a_500_with_its_message(client: Client) -> None:
    """WarehouseNotConfigured answers like the original service's configuration error."""
    assert_error(client.get("/raise/warehouse-not-configured"), 500, "SQL warehouse ID not configured")


@pytest.mark.urls(THIS_URLCONF)
def test_an_unexpected_error_is_a_500_without_a_traceback(client: Client) -> None:
    """With DEBUG off, a crash answers a bare 500 that reveals nothing of the code."""
    response = client.get("/raise/crash")

    assert_error(response, 500, "Internal server error")
    assert b"secret-internal-detail" not in response.content
    assert b"Traceback" not in response.content


@pytest.mark.urls(THIS_URLCONF)
def test_an_unexpected_error_shows_its_traceback_when_debug_is_on(client: Client, settings: Settings) -> None:
    """With DEBUG on, the 500 body carries the exception type, message and traceback."""
    settings.DEBUG = True

    response = client.get("/raise/crash")

    assert response.status_code == 500
    body = response.json()
    assert body["error"] is True
    assert body["message"] == "Internal server error"
    assert set(body["details"]) == {"type", "info", "traceback"}
    assert body["details"]["type"] == "RuntimeError"
    assert body["details"]["info"] == "secret-internal-detail"
    assert body["details"]["traceback"][0].startswith("Traceback")


@pytest.mark.urls(THIS_URLCONF)
def test_a_crash_outside_drf_is_a_json_500() -> None:
    """A plain Django view that raises reaches handler500, which answers in the error format."""
    response = Client(raise_request_exception=False).get("/plain-crash")

    assert_error(response, 500, "Internal server error")
    assert b"secret-internal-detail" not in response.content


# --- the URLconf of this module ----------------------------------------------------------------


class ItemSerializer(serializers.Serializer[dict[str, Any]]):
    sku = serializers.CharField()
    quantity = serializers.IntegerField(min_value=0)


class OrderSerializer(serializers.Serializer[dict[str, Any]]):
    customer = serializers.CharField(max_length=5)
    items = ItemSerializer(many=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not any(item["quantity"] for item in attrs["items"]):
            raise serializers.ValidationError("An order needs a positive quantity.")
        return attrs


class ListQuerySerializer(serializers.Serializer[dict[str, Any]]):
    limit = serializers.IntegerField(required=False)


class OrdersView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get(self, request: Request) -> Response:
        ListQuerySerializer(data=request.query_params).is_valid(raise_exception=True)
        return Response([])

    def post(self, request: Request) -> Response:
        serializer = OrderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data, status=201)


class RaisingView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    # Factories, not instances: DRF mutates some exceptions while handling them.
    errors: ClassVar[dict[str, Callable[[], Exception]]] = {
        "not-authenticated": exceptions.NotAuthenticated,
        "throttled": lambda: exceptions.Throttled(wait=7),
        "http404": lambda: Http404("No job 42"),
        "api-error": lambda: ApiError(
            "Schema validation failed: Record 0: Column 'order_id' expects integer, got str",
            details={"expected_schema": [{"name": "order_id", "type": "BIGINT", "nullable": False}]},
        ),
        "warehouse-transient": lambda: TransientWarehouseError(
            "Connection timeout", error_class="TEMPORARILY_UNAVAILABLE"
        ),
        "warehouse-permanent": lambda: PermanentWarehouseError(
            "[TABLE_OR_VIEW_NOT_FOUND] The table `a`.`b`.`c` cannot be found."
        ),
        "warehouse-not-configured": lambda: WarehouseNotConfigured("SQL warehouse ID not configured"),
        "crash": lambda: RuntimeError("secret-internal-detail"),
    }

    def get(self, request: Request, name: str) -> Response:
        raise self.errors[name]()


def plain_crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret-internal-detail")


urlpatterns = [
    path("orders", OrdersView.as_view()),
    path("raise/<str:name>", RaisingView.as_view()),
    path("plain-crash", plain_crash),
]
handler404 = not_found
handler500 = server_error
