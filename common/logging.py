"""Log lines that say which request and which job they belong to, and JSON logs.

``request_id`` and ``job_id`` live in context variables: ``RequestIdMiddleware`` sets the first
around each request (from a sane ``X-Request-Id`` header, or a new one, echoed in the response),
``job_log_context`` the second around a job's run in a worker. ``LogContextFilter``, on the
console handler (``project.settings.LOGGING``), copies both onto every record, so that any
formatter can show them; ``JsonFormatter`` writes each record as one JSON object per line
(``LOG_FORMAT=json``). Context variables are per thread and per asyncio task: the threads of a
gunicorn or Celery process never see each other's ids.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponseBase
from pythonjsonlogger.json import JsonFormatter as LibraryJsonFormatter

REQUEST_ID_HEADER = "X-Request-Id"
# A caller's (or a proxy's: Databricks Apps forwards one) request id is kept when it is 1 to
# 128 printable ASCII characters other than space, double quote and backslash (which log
# formats quote or escape); anything else is replaced by a new id, so that no header can put
# a line break, a control character or a megabyte into every log line.
_SANE_REQUEST_ID = re.compile(r"[!#-\[\]-~]{1,128}")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
job_id_var: ContextVar[str | None] = ContextVar("job_id", default=None)


def request_id_of(header: str | None) -> str:
    """The request id to use for a request whose ``X-Request-Id`` is ``header``."""
    if header is not None and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives each request an id: its ``X-Request-Id`` when sane, else a new one; sets it for
    the request's log lines and answers it in the response's ``X-Request-Id``.

    First in ``MIDDLEWARE``, so that every line logged while the request is served, by the
    other middleware too, carries it. The id is cleared when the request is finished (Django's
    ``request_finished``), not when the middleware returns: Django logs a 4xx or 5xx response
    after the whole middleware chain, and that line belongs to the request too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        request_finished.connect(request_id_clear, dispatch_uid="common.logging.request_id_clear")

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_of(request.headers.get(REQUEST_ID_HEADER))
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


def request_id_clear(**_: Any) -> None:
    """``request_finished``: lines logged by this thread from now on belong to no request."""
    request_id_var.set(None)


@contextlib.contextmanager
def job_log_context(job_id: object) -> Iterator[None]:
    """Lines logged in the body carry ``job_id``."""
    token = job_id_var.set(str(job_id))
    try:
        yield
    finally:
        job_id_var.reset(token)


class LogContextFilter(logging.Filter):
    """Sets ``request_id`` and ``job_id`` on every record (``None`` outside a request or job).

    On a handler, so that it applies to records of every logger that reach it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.job_id = job_id_var.get()
        return True


# gunicorn logs a request after its answer is sent, outside the request's context: its access
# log record's arguments are gunicorn's "atoms" (the response's headers among them), from
# which JSON lines take these fields. https://docs.gunicorn.org/en/stable/settings.html#access-log-format
_GUNICORN_ACCESS_LOGGER = "gunicorn.access"
_GUNICORN_ACCESS_FIELDS = {
    "remote_addr": "h",
    "method": "m",
    "path": "U",
    "status": "s",
    "bytes": "B",
    "duration_ms": "M",
    "request_id": "{x-request-id}o",
}


class JsonFormatter(LibraryJsonFormatter):
    """One JSON object per line: ``timestamp`` (UTC, ISO 8601), ``level``, ``logger``,
    ``process``, ``thread``, ``message``, ``request_id``, ``job_id``; then ``exc_info`` for an
    exception and any ``extra`` the caller passed.

    ``request_id`` and ``job_id`` come from ``LogContextFilter`` (``None`` without it). A line
    of gunicorn's access log adds ``remote_addr``, ``method``, ``path``, ``status``, ``bytes`` and
    ``duration_ms``, and takes ``request_id`` from the response's ``X-Request-Id``.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            ["levelname", "name", "process", "threadName", "message", "request_id", "job_id"],
            rename_fields={"levelname": "level", "name": "logger", "threadName": "thread"},
            **kwargs,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        # First: a line starts with when it happened.
        created = datetime.fromtimestamp(record.created, tz=UTC)
        log_data["timestamp"] = created.isoformat(timespec="milliseconds")
        super().add_fields(log_data, record, message_dict)
        if record.name == _GUNICORN_ACCESS_LOGGER and isinstance(record.args, Mapping):
            for field, atom in _GUNICORN_ACCESS_FIELDS.items():
                log_data[field] = record.args.get(atom)
            status = str(log_data["status"])
            log_data["status"] = int(status) if status.isdigit() else status
