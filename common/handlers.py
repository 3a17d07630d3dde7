"""The one place that shapes error responses: ``{"error": true, "message": str, "details": {}}``.

DRF views reach ``api_exception_handler`` (``REST_FRAMEWORK["EXCEPTION_HANDLER"]``); an
exception escaping any other view under /api/ reaches ``exception_response`` (through
``common.middleware.ApiErrorMiddleware``, in DEBUG too); everything else (unknown URLs, errors
outside views) reaches the ``handler4xx``/``handler500`` views below, which ``project.urls``
installs, or, under /api/, the middleware's ``json_error_response``. All build the body with
``error_body``. Each error shaped from an exception is announced with
``common.signals.api_error_shaped`` (the audit app records it).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from warehouse.exceptions import WarehouseError, WarehouseNotConfigured

from .errors import ApiError, error_body
from .signals import api_error_shaped

# The logger Django itself uses for failed requests, so 500s land where operators look.
request_logger = logging.getLogger("django.request")

# DRF error codes renamed to the names the original service (pydantic) reported.
_ERROR_TYPES = {"required": "missing"}
# Seconds a client is told to wait (Retry-After) when the warehouse is unreachable or busy.
WAREHOUSE_RETRY_AFTER = 5
_QUERY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class _Shaped:
    """An error response before it is one: status, body and extra headers."""

    status_code: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def api_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response:
    """Turn any exception raised in a DRF view into the error format (never ``None``), and log it."""
    shaped = _announced(exc, context)
    return Response(shaped.body, status=shaped.status_code, headers=shaped.headers)


def exception_response(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The same answer for an exception that escaped a view outside DRF (or DRF's handling)."""
    shaped = _announced(exc, {"request": request})
    return json_error_response(shaped.status_code, shaped.body, shaped.headers)


def json_error_response(
    status_code: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> HttpResponse:
    """An error ``body`` rendered as DRF renders API responses, outside any DRF view."""
    response = HttpResponse(JSONRenderer().render(body), status=status_code, content_type="application/json")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _announced(exc: Exception, context: Mapping[str, Any]) -> _Shaped:
    shaped = _exception_response(exc, context)
    api_error_shaped.send(
        sender=api_exception_handler,
        request=context.get("request"),
        exc=exc,
        status_code=shaped.status_code,
        body=shaped.body,
    )
    return shaped


def _exception_response(exc: Exception, context: Mapping[str, Any]) -> _Shaped:
    set_rollback()
    if isinstance(exc, WarehouseError):
        return _warehouse_error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, RequestDataTooBig):
        exc = ApiError(
            f"Request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes",
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, exceptions.APIException):
        return _api_error_response(exc, context)
    # Nothing above this handler catches: DRF would re-raise and Django would answer in HTML.
    return _internal_error_response(exc, context)


def validation_errors(detail: Any, loc: tuple[str | int, ...]) -> list[dict[str, Any]]:
    """Flatten DRF's nested error detail into ``[{"type", "loc", "msg"}]``, one per message."""
    if isinstance(detail, Mapping):
        # Errors from validate() have no field: they point at the whole body.
        non_field = api_settings.NON_FIELD_ERRORS_KEY
        return [
            error
            for key, value in detail.items()
            for error in validation_errors(value, loc if key == non_field else (*loc, key))
        ]
    if isinstance(detail, list):
        # A list of messages belongs to one field; a list of mappings is one entry per item.
        return [
            error
            for index, item in enumerate(detail)
            for error in validation_errors(item, (*loc, index) if isinstance(item, Mapping | list) else loc)
        ]
    code = str(getattr(detail, "code", None) or "invalid")
    return [{"type": _ERROR_TYPES.get(code, code), "loc": list(loc), "msg": str(detail)}]


def _api_error_response(exc: exceptions.APIException, context: Mapping[str, Any]) -> _Shaped:
    headers: dict[str, str] = {}
    status_code = exc.status_code
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # DRF downgrades these to 403 when no authenticator names a scheme; a missing or
        # wrong credential is a 401 here, and the scheme is the API key.
        status_code = status.HTTP_401_UNAUTHORIZED
        headers["WWW-Authenticate"] = getattr(exc, "auth_header", None) or "Api-Key"
    wait = _throttle_wait(exc)
    if wait is not None:
        headers["Retry-After"] = str(wait)
    return _Shaped(status_code, _api_error_body(exc, context), headers)


def _api_error_body(exc: exceptions.APIException, context: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(exc, ApiError):
        return error_body(exc.message, exc.details)
    if isinstance(exc, exceptions.ValidationError):
        request = context.get("request")
        location = "query" if request is not None and request.method in _QUERY_METHODS else "body"
        return error_body("Validation error", {"errors": validation_errors(exc.detail, (location,))})
    wait = _throttle_wait(exc)
    if wait is not None:
        return error_body(str(exc.detail), {"wait": wait})
    message = exc.detail if isinstance(exc.detail, str) else exc.default_detail
    return error_body(str(message))


def _throttle_wait(exc: exceptions.APIException) -> int | None:
    """Whole seconds until a throttled client may retry (``Throttled.wait`` is not in the stubs)."""
    wait = getattr(exc, "wait", None) if isinstance(exc, exceptions.Throttled) else None
    return None if wait is None else int(wait)


def _warehouse_error_response(exc: WarehouseError) -> _Shaped:
    if isinstance(exc, WarehouseNotConfigured):
        request_logger.error("Warehouse not configured: %s", exc.message)
        return _Shaped(status.HTTP_500_INTERNAL_SERVER_ERROR, error_body(exc.message))
    request_logger.warning("Warehouse error (%s): %s", exc.error_class, exc.message)
    details = {"type": "DatabaseError", "info": exc.message, "error_class": exc.error_class}
    if exc.transient:  # unreachable or busy: the warehouse's state, not a bug; retry later
        body = error_body("Database operation failed", details)
        return _Shaped(status.HTTP_503_SERVICE_UNAVAILABLE, body, {"Retry-After": str(WAREHOUSE_RETRY_AFTER)})
    return _Shaped(status.HTTP_500_INTERNAL_SERVER_ERROR, error_body("Database operation failed", details))


def _internal_error_response(exc: Exception, context: Mapping[str, Any]) -> _Shaped:
    request = context.get("request")
    exc_info = (type(exc), exc, exc.__traceback__)
    request_logger.error("Internal Server Error: %s", getattr(request, "path", "?"), exc_info=exc_info)
    details: dict[str, Any] = {}
    if settings.DEBUG:
        details = {"type": type(exc).__name__, "info": str(exc), "traceback": traceback.format_exception(exc)}
    return _Shaped(status.HTTP_500_INTERNAL_SERVER_ERROR, error_body("Internal server error", details))


# Django's error views, for requests that never reach a DRF view.
# https://docs.djangoproject.com/en/5.2/topics/http/views/#customizing-error-views


def bad_request(request: HttpRequest, exception: Exception) -> JsonResponse:
    return JsonResponse(error_body("Bad request"), status=status.HTTP_400_BAD_REQUEST)


def permission_denied(request: HttpRequest, exception: Exception) -> JsonResponse:
    return JsonResponse(error_body("Permission denied"), status=status.HTTP_403_FORBIDDEN)


def not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    return JsonResponse(error_body("Not found."), status=status.HTTP_404_NOT_FOUND)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body("Internal server error"), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
