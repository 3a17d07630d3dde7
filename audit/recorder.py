"""Record failed requests and jobs as ``ApiLog`` rows: one INSERT, never at the caller's expense.

Errors are recorded where they are shaped: ``common.handlers.api_exception_handler`` announces
each error it shapes (``common.signals.api_error_shaped``) and ``apilog_record_exception``
records it (the handler knows the exception and its traceback), and
``ApiLogMiddleware`` calls ``apilog_record_response`` for any response >= 400 that never
passed through it (unknown URLs, Django's 413, errors raised outside DRF). A flag on the
request makes sure a request is recorded once.

Refusals anyone can repeat at will, with no key (401, 429), are recorded once per caller,
status and window (``AUDIT_REFUSAL_WINDOW_SECONDS``), and a body no view read is read only as
far as the log keeps it (``REQUEST_BODY_READ_BYTES``): a refused request costs no more than
its first few kilobytes, whatever it sends.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
import traceback
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from rest_framework.request import Empty, Request

from access.models import ApiClient
from access.throttles import client_address

from .models import ApiLog
from .redaction import redact_body, redact_json_text, redact_text, redact_value

logger = logging.getLogger(__name__)

REQUEST_BODY_LIMIT = 5000
# The most of a body no view read that is read for the log: the stored characters, and a
# margin for redaction shortening the text and for multi-byte characters.
REQUEST_BODY_READ_BYTES = REQUEST_BODY_LIMIT + 1024
# Statuses anyone can cause again and again without a key: recorded once per window.
REPEATABLE_STATUSES = frozenset({401, 429})
STACK_TRACE_LIMIT = 20000
# A message carries the error's details (up to 100 bad rows): bounded, so that a log row
# always fits one warehouse statement when it is shipped.
ERROR_MESSAGE_LIMIT = 20000
# Attributes set on the HttpRequest by this module and the middleware.
RECORDED_FLAG = "_audit_recorded"
STARTED_AT = "_audit_started"
EXCEPTION = "_audit_exception"


def apilog_record_exception(
    request: Request | HttpRequest | None, exc: BaseException, *, status_code: int, body: Any
) -> None:
    """Record the error response (``status_code``, error ``body``) built for ``exc``."""
    if not isinstance(request, Request | HttpRequest):
        return  # called without a request (a unit test of the handler): nothing to log
    http = _http_request(request)
    if getattr(http, RECORDED_FLAG, False):
        return
    setattr(http, RECORDED_FLAG, True)
    left_out = _left_out_before(request, status_code)
    if left_out is None:
        return
    _insert(
        lambda: _with_left_out(
            _request_fields(request, status_code) | _error_fields(http, exc, body), left_out
        )
    )


def apilog_record_response(request: HttpRequest, response: HttpResponseBase) -> None:
    """Record a response >= 400 that ``apilog_record_exception`` did not see."""
    if response.status_code < 400 or getattr(request, RECORDED_FLAG, False):
        return
    setattr(request, RECORDED_FLAG, True)
    left_out = _left_out_before(request, response.status_code)
    if left_out is None:
        return
    _insert(lambda: _with_left_out(_response_fields(request, response), left_out))


def apilog_record_job_failure(
    *,
    job_id: str,
    operation: str,
    catalog: str,
    schema: str,
    table: str,
    principal: str,
    client_id: int | None,
    message: str,
    error_class: str | None,
    error_type: str,
    payload: Any,
    started_at: datetime | None,
    stack_trace: str = "",
    **_: Any,
) -> None:
    """Record a failed job (``common.signals.job_failed``): endpoint is its operation, method
    ``JOB``, status 500."""
    text = f"Job {job_id} failed" + (f" [{error_class}]" if error_class else "") + f": {message}"
    duration = None if started_at is None else (timezone.now() - started_at).total_seconds() * 1000
    _insert(
        lambda: {
            "level": ApiLog.Level.ERROR,
            "endpoint": operation,
            "method": "JOB",
            "status_code": 500,
            "error_type": error_type,
            "error_message": redact_text(text)[:ERROR_MESSAGE_LIMIT],
            "stack_trace": redact_text(stack_trace)[-STACK_TRACE_LIMIT:],
            "request_body": redact_body(payload, limit=REQUEST_BODY_LIMIT),
            "user": principal,
            "client_id": client_id,
            "catalog": catalog,
            "schema": schema,
            "table_name": table,
            "execution_time_ms": duration,
        }
    )


def _left_out_before(request: Request | HttpRequest, status_code: int) -> int | None:
    """None when this request is not to be recorded: a refusal like one already recorded for
    the same caller in this window (the count of such is kept); else how many were left out
    in the previous window (0 for any other status)."""
    window = settings.AUDIT_REFUSAL_WINDOW_SECONDS
    if status_code not in REPEATABLE_STATUSES or window <= 0:
        return 0
    client_id = _client_id_of(request)
    caller = f"client{client_id}" if client_id is not None else f"address{client_address(request)}"
    index = int(time.time() // window)
    key = f"audit_refusal_{status_code}_{caller}_"
    try:
        # The first refusal of the window adds the key; the others count themselves in it.
        if not cache.add(f"{key}{index}", 0, timeout=2 * window):
            with contextlib.suppress(ValueError):  # expired in between: one left uncounted
                cache.incr(f"{key}{index}")
            return None
        return int(cache.get(f"{key}{index - 1}") or 0)
    except Exception:
        # The cache being down must not cost the log its row.
        logger.exception("could not look up recorded refusals; recording this one")
        return 0


def _with_left_out(fields: dict[str, Any], left_out: int) -> dict[str, Any]:
    if left_out:
        window = settings.AUDIT_REFUSAL_WINDOW_SECONDS
        note = f" ({left_out} more like it from this caller in the previous {window} s were not recorded)"
        fields["error_message"] = (str(fields.get("error_message", "")) + note)[:ERROR_MESSAGE_LIMIT]
    return fields


def _insert(build: Callable[[], dict[str, Any]]) -> None:
    # The savepoint keeps a failed INSERT from breaking the request's own transaction, and
    # nothing above this function expects it to raise: a lost log row must never cost the
    # client its answer, so any error (building the row or inserting it) goes to the process
    # log instead.
    fields: dict[str, Any] = {}
    try:
        # NUL spelled out: PostgreSQL's text cannot hold it, and a query string can carry one
        # into the message ("Invalid identifier: ...") and the catalog, schema and table.
        fields = {k: v.replace("\x00", "\\u0000") if isinstance(v, str) else v for k, v in build().items()}
        with transaction.atomic():
            ApiLog.objects.create(timestamp=timezone.now(), **fields)
    except Exception:
        logger.exception("could not record an api_log row: %s", _summary(fields))


def _response_fields(request: HttpRequest, response: HttpResponseBase) -> dict[str, Any]:
    exc = getattr(request, EXCEPTION, None)
    fields = _request_fields(request, response.status_code) | {
        "error_type": type(exc).__name__ if exc is not None else _error_type_of(response.status_code),
        "error_message": redact_text(_response_message(response), _secrets_of(request))[:ERROR_MESSAGE_LIMIT],
    }
    if exc is not None:
        fields["stack_trace"] = _trace(exc, request)
    return fields


def _request_fields(request: Request | HttpRequest, status_code: int) -> dict[str, Any]:
    http = _http_request(request)
    data = _request_data(request)
    target = data if isinstance(data, Mapping) else {}
    query = http.GET
    started = getattr(http, STARTED_AT, None)
    return {
        "level": ApiLog.Level.ERROR if status_code >= 500 else ApiLog.Level.WARNING,
        "endpoint": http.path[:500],
        "method": (http.method or "")[:10],
        "status_code": status_code,
        "request_body": redact_body(data, _secrets_of(http), REQUEST_BODY_LIMIT) if data is not None else "",
        "user": _principal_of(request),
        "client_id": _client_id_of(request),
        "catalog": _text(target.get("catalog") or query.get("catalog")),
        "schema": _text(target.get("schema") or query.get("schema")),
        "table_name": _text(target.get("table") or query.get("table")),
        "execution_time_ms": None if started is None else (time.monotonic() - started) * 1000,
    }


def _error_fields(http: HttpRequest, exc: BaseException, body: Any) -> dict[str, Any]:
    return {
        "error_type": type(exc).__name__,
        "error_message": redact_text(_message_of(body) or str(exc), _secrets_of(http))[:ERROR_MESSAGE_LIMIT],
        "stack_trace": _trace(exc, http),
    }


def _http_request(request: Request | HttpRequest) -> HttpRequest:
    return request._request if isinstance(request, Request) else request


def _request_data(request: Request | HttpRequest) -> Any:
    """The body as parsed by DRF, else the raw body if Django has it, else the start of a body
    no one read, else None."""
    if isinstance(request, Request):
        # Never trigger parsing here: it is what may have failed.
        parsed = getattr(request, "_full_data", Empty)
        if parsed is not Empty and parsed:
            return parsed
        request = request._request
    if hasattr(request, "_body"):
        return request._body or None
    return _unread_body_start(request)


# The run of characters a cut may have gone through (part of a key or token): dropped.
_CUT_TOKEN = re.compile(r"[^\s\"',:;{}\[\]()]+$")


def _unread_body_start(request: HttpRequest) -> bytes | str | None:
    """At most ``REQUEST_BODY_READ_BYTES`` of a body no view read (a refused request), read
    from the stream: never the whole body, so a refusal costs the same whatever it carries."""
    if getattr(request, "_read_started", True):
        return None  # read as a stream (by a parser that failed): nothing left to show
    if _content_length(request) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return None  # refused for its size (413): not read at all
    chunks: list[bytes] = []
    wanted = REQUEST_BODY_READ_BYTES + 1  # one more byte tells a cut body from a whole one
    try:
        while wanted > 0 and (chunk := request.read(wanted)):
            chunks.append(chunk)
            wanted -= len(chunk)
    except OSError:  # the client went away mid-body
        return None
    data = b"".join(chunks)
    if len(data) <= REQUEST_BODY_READ_BYTES:
        return data or None  # the whole body: parsed and redacted as any other
    # Cut short, it no longer parses as JSON: its secret-looking fields are found in the text.
    text = data[:REQUEST_BODY_READ_BYTES].decode("utf-8", errors="replace")
    return redact_json_text(_CUT_TOKEN.sub("", text))


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _principal_of(request: Request | HttpRequest) -> str:
    # DRF's authenticated user, without authenticating again if that failed.
    user = getattr(request, "_user", None) if isinstance(request, Request) else request.__dict__.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return str(getattr(user, "name", None) or user.get_username())[:255]


def _client_id_of(request: Request | HttpRequest) -> int | None:
    user = getattr(request, "_user", None) if isinstance(request, Request) else request.__dict__.get("user")
    return user.pk if isinstance(user, ApiClient) else None


def _secrets_of(request: HttpRequest) -> list[str]:
    """The literal credentials the request carried (``Authorization: Api-Key <key>``,
    ``X-Api-Key: <key>``)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    _, _, credential = header.partition(" ")
    bare_key = request.META.get("HTTP_X_API_KEY", "")
    return [s for s in (header.strip(), credential.strip(), bare_key.strip()) if len(s) >= 8]


def _message_of(body: Any) -> str:
    if not isinstance(body, Mapping):
        return ""
    message = str(body.get("message", ""))
    details = {k: v for k, v in dict(body.get("details") or {}).items() if k != "traceback"}
    if details:
        message += " " + json.dumps(redact_value(details), ensure_ascii=False, default=str)
    return message


def _response_message(response: HttpResponseBase) -> str:
    content = getattr(response, "content", b"")
    try:
        return _message_of(json.loads(content)) or str(response.reason_phrase)
    except ValueError:
        return str(response.reason_phrase)


def _error_type_of(status_code: int) -> str:
    return {404: "Http404", 413: "RequestDataTooBig"}.get(status_code, f"HTTP{status_code}")


def _trace(exc: BaseException, request: HttpRequest) -> str:
    text = "".join(traceback.format_exception(exc))
    return redact_text(text, _secrets_of(request))[-STACK_TRACE_LIMIT:]


def _text(value: Any) -> str:
    return value[:255] if isinstance(value, str) else ""


def _summary(fields: Mapping[str, Any]) -> str:
    return f"{fields.get('method')} {fields.get('endpoint')} {fields.get('status_code')}"
