"""A refused request costs what the log keeps of it, not what it sends: its body is read no further
than ``REQUEST_BODY_READ_BYTES``, whatever its size."""

from __future__ import annotations

import json
import sys
import tracemalloc
from typing import Any

import pytest
from django.http import HttpResponseBase
from django.test import Client
from django.test.client import ClientHandler
from pytest_django import Settings

from access.testing import ApiCaller
from audit.models import ApiLog
from audit.recorder import REQUEST_BODY_LIMIT, REQUEST_BODY_READ_BYTES

pytestmark = pytest.mark.django_db

WRITE = "/api/v1/records/write"
MiB = 1024 * 1024


class StreamedBody:
    """A write body of about ``size`` bytes of valid JSON, made as it is read (the test never
    holds it whole), that counts the bytes read from it. Each row carries a password."""

    HEAD = b'{"catalog": "audit_cat", "schema": "audit_schema", "table": "wells", "data": ['
    ROW = b'{"id": 1, "password": "hunter2"}, '
    TAIL = b'{"id": 0}]}'

    def __init__(self, size: int) -> None:
        rows = max(0, size - len(self.HEAD) - len(self.TAIL)) // len(self.ROW)
        self.rows_end = len(self.HEAD) + rows * len(self.ROW)
        self.size = self.rows_end + len(self.TAIL)
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        end = self.size if size < 0 else min(self.size, self.position + size)
        start, self.position = self.position, end
        return self._slice(start, end)

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)  # the body holds no newline

    def _slice(self, start: int, end: int) -> bytes:
        head, row = len(self.HEAD), len(self.ROW)
        parts = [self.HEAD[start:end]]
        if end > head and start < self.rows_end:
            first, last = max(start, head) - head, min(end, self.rows_end) - head
            parts.append(
                (self.ROW * (last // row - first // row + 1))[first % row : first % row + last - first]
            )
        if end > self.rows_end:
            parts.append(self.TAIL[max(start - self.rows_end, 0) : end - self.rows_end])
        return b"".join(parts)


def post_streamed(
    body: StreamedBody, *, address: str = "127.0.0.1", key: str | None = None
) -> HttpResponseBase:
    """POST ``body`` to the write endpoint through Django's whole handler and middleware, the
    WSGI input being the stream itself (the test client would copy the body first)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": WRITE,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": address,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(body.size),
        "wsgi.input": body,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if key is not None:
        environ["HTTP_AUTHORIZATION"] = f"Api-Key {key}"
    return ClientHandler(enforce_csrf_checks=False)(environ)


def test_the_streamed_body_is_the_json_it_claims_to_be() -> None:
    """The helper's body, read whole, is valid JSON of the announced size (so a server that read
    and parsed it would pay for all of it)."""
    body = StreamedBody(100_000)
    chunks = [body.read(4096) for _ in range(body.size // 4096 + 2)]
    data = b"".join(chunks)
    assert len(data) == body.size and 99_900 < body.size <= 100_000
    assert json.loads(data)["data"][0] == {"id": 1, "password": "hunter2"}


def test_a_62_mib_body_without_a_key_is_refused_without_reading_it() -> None:
    """401 for a 62 MiB body with no key: at most REQUEST_BODY_READ_BYTES of it are read, the
    process's allocations rise by far less than its size, and its log row keeps 5,000 characters
    of it, passwords redacted."""
    assert post_streamed(StreamedBody(10_000), address="192.0.2.1").status_code == 401  # warm-up
    body = StreamedBody(62 * MiB)

    tracemalloc.start()
    try:
        response = post_streamed(body, address="192.0.2.2")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 401
    assert body.position <= REQUEST_BODY_READ_BYTES + 1
    assert peak < 20 * MiB, f"peak of {peak / MiB:.1f} MiB for a refused {body.size / MiB:.0f} MiB body"
    log = ApiLog.objects.filter(status_code=401).latest("timestamp")
    assert 4000 < len(log.request_body) <= REQUEST_BODY_LIMIT
    assert log.request_body.startswith(StreamedBody.HEAD.decode())
    assert "hunter2" not in log.request_body and '"password": "[REDACTED]"' in log.request_body


def test_a_throttled_client_is_refused_without_reading_its_body(settings: Settings) -> None:
    """A client over its rate gets its 429 with its body unread beyond what the log keeps."""
    settings.API_THROTTLE_CLIENT_RATE = "1/min"
    alice = ApiCaller("alice")
    assert alice.get("/api/v1/jobs").status_code == 200
    body = StreamedBody(8 * MiB)

    response = post_streamed(body, key=alice.key)

    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert body.position <= REQUEST_BODY_READ_BYTES + 1


def test_a_locked_out_address_is_refused_without_reading_its_body(settings: Settings) -> None:
    """An address over its failed authentications gets its 429, even with a good key, body unread."""
    settings.API_THROTTLE_FAILED_AUTH_RATE = "1/5m"
    alice = ApiCaller("alice")
    assert Client().get("/api/v1/jobs").status_code == 401
    body = StreamedBody(8 * MiB)

    response = post_streamed(body, key=alice.key)

    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert body.position <= REQUEST_BODY_READ_BYTES + 1


def test_a_small_refused_body_is_logged_whole_and_redacted() -> None:
    """A body within the read limit is parsed as before: JSON, secret-looking fields redacted."""
    body = StreamedBody(2000)

    assert post_streamed(body).status_code == 401

    log = ApiLog.objects.get(status_code=401)
    assert log.request_body.startswith('{"catalog": "audit_cat"') and log.request_body.endswith("]}")
    assert "hunter2" not in log.request_body and '"password": "[REDACTED]"' in log.request_body
