"""The connector's staging operations: ``PUT``, ``GET`` and ``REMOVE`` of files in volumes.

As on Databricks, the statement moves no bytes: it checks the path and answers a one-row
result set flagged ``isStagingOperation`` (columns ``operation, presignedUrl, headers,
localFile``; REMOVE has no ``localFile``), and the connector then sends the HTTP request
itself to the presigned URL. Here that URL is this same server, ``/staging/<token>``: the
token is HMAC-signed with the server's access token and binds the operation, the volume path,
the overwrite flag and an expiry (15 minutes), so it needs no other credential, as a cloud
presigned URL needs none. Its host is the one the client's Thrift request was sent to (the
``Host`` header), so any name that reaches the server works.

The HTTP side streams: an upload goes to a hidden temporary file beside its target in chunks
of at most 1 MiB and is renamed into place once complete; a download is sent in chunks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa

from .errors import LocalWarehouseError
from .session import Outcome, Session
from .volumes import VolumePath, VolumeStore, parse_path

URL_PREFIX = "/staging/"
GRANT_SECONDS = 15 * 60
CHUNK_BYTES = 1 << 20
# Databricks' largest single upload (the Files API's and a cloud presigned PUT's limit).
MAX_PUT_BYTES = 5 * (1 << 30)
INPUT_STREAM = "__input_stream__"  # the connector's local file of a PUT from a stream

_STRING = r"'((?:[^'\\]|\\.)*)'"
PATTERNS = {
    "put": re.compile(rf"^PUT\s+{_STRING}\s+INTO\s+{_STRING}(\s+OVERWRITE)?$", re.I | re.S),
    "get": re.compile(rf"^GET\s+{_STRING}\s+TO\s+{_STRING}$", re.I | re.S),
    "remove": re.compile(rf"^REMOVE\s+{_STRING}$", re.I | re.S),
}


@dataclass(frozen=True)
class StagingContext:
    """What a staging statement needs of the HTTP request that carried it."""

    base_url: str  # http://<the Host header>
    key: bytes  # the server's access token, signing the URLs


# Set by the server around each Thrift request (one thread each); None outside a request.
REQUEST: ContextVar[StagingContext | None] = ContextVar("staging_request", default=None)


class StagingEngine(Protocol):
    @property
    def db(self) -> duckdb.DuckDBPyConnection: ...

    @property
    def volumes(self) -> VolumeStore: ...

    def require_volume(self, path: VolumePath) -> None: ...


@dataclass(frozen=True)
class Grant:
    """What one presigned URL allows."""

    operation: str
    path: str
    overwrite: bool
    expires: float


def sign(key: bytes, grant: Grant) -> str:
    payload = _b64(json.dumps([grant.operation, grant.path, grant.overwrite, grant.expires]).encode())
    return f"{payload}.{_b64(_mac(key, payload))}"


def verify(key: bytes, token: str) -> Grant | None:
    """The grant a token carries, or None when it is forged, malformed or expired."""
    payload, _, signature = token.partition(".")
    try:
        if not hmac.compare_digest(base64.urlsafe_b64decode(signature + "=="), _mac(key, payload)):
            return None
        operation, path, overwrite, expires = json.loads(base64.urlsafe_b64decode(payload + "=="))
    except ValueError:
        return None
    grant = Grant(str(operation), str(path), bool(overwrite), float(expires))
    return grant if grant.expires > time.time() else None


def _mac(key: bytes, payload: str) -> bytes:
    return hmac.new(key, payload.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# -- the statements ----------------------------------------------------------------------------


def run(engine: StagingEngine, session: Session, name: str, match: re.Match[str]) -> Outcome:
    operation = name.upper()
    if operation == "PUT":
        local_file, remote, overwrite = (
            _unquote(match.group(1)),
            _unquote(match.group(2)),
            bool(match.group(3)),
        )
    elif operation == "GET":
        remote, local_file, overwrite = _unquote(match.group(1)), _unquote(match.group(2)), False
    else:
        remote, local_file, overwrite = _unquote(match.group(1)), None, False
    if local_file is not None and not local_file.strip():
        raise LocalWarehouseError(
            "EMPTY_LOCAL_FILE_IN_STAGING_ACCESS_QUERY",
            f"Empty local file in staging {operation} query",
            "22023",
        )
    path = parse_path(remote, operation=operation, needs_file=True)
    _require_volume(engine, path)
    target = engine.volumes.local(path)
    # Only a PUT without OVERWRITE is checked here: a GET or REMOVE of a missing file gets its
    # presigned URL and fails on the HTTP request (404), as on Databricks.
    if operation == "PUT" and not overwrite and target.exists():
        raise LocalWarehouseError(
            "FILE_IN_STAGING_PATH_ALREADY_EXISTS",
            f"File in staging path {path} already exists but OVERWRITE is not set",
            "42K04",
        )
    context = REQUEST.get()
    if context is None:
        raise LocalWarehouseError(
            "INTERNAL_ERROR", "A staging operation needs the HTTP request it came in (no server).", "XX000"
        )
    token = sign(context.key, Grant(operation, str(path), overwrite, time.time() + GRANT_SECONDS))
    columns = {
        "operation": operation,
        "presignedUrl": f"{context.base_url}{URL_PREFIX}{token}",
        "headers": "{}",
    }
    if local_file is not None:
        columns["localFile"] = local_file
    table = pa.table({column: pa.array([value], pa.string()) for column, value in columns.items()})
    return Outcome(table=table, duck_types=["VARCHAR"] * len(columns), staging=True)


def _require_volume(engine: StagingEngine, path: VolumePath) -> None:
    try:
        engine.require_volume(path)
    except LocalWarehouseError as error:
        if error.error_class != "CATALOG_NOT_FOUND":
            raise
        # Databricks' staging statements word a missing catalog this way (seen in its tests).
        raise LocalWarehouseError(
            "CATALOG_NOT_FOUND", f"NOT_FOUND: Catalog '{path.catalog}' does not exist.", "42P08"
        ) from error


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


# -- the presigned URLs ------------------------------------------------------------------------

_rename_lock = threading.Lock()


def serve(
    request: BaseHTTPRequestHandler,
    method: str,
    key: bytes,
    store: VolumeStore,
    volume_exists: Callable[[VolumePath], bool],
) -> None:
    """Answer an HTTP ``method`` on a presigned URL (``request.path`` starts with URL_PREFIX)."""
    grant = verify(key, request.path[len(URL_PREFIX) :].split("?", 1)[0])
    expected = {"PUT": "PUT", "GET": "GET", "DELETE": "REMOVE"}[method]
    if grant is None or grant.operation != expected:
        _refuse_body(request)
        _reply(request, 403, b"AccessDenied: the presigned URL is invalid or has expired.")
        return
    path = parse_path(grant.path, operation=grant.operation, needs_file=True)
    if not volume_exists(path):  # dropped since the statement
        _refuse_body(request)
        _reply(request, 404, b"NoSuchKey: the volume no longer exists.")
        return
    target = store.local(path)
    if method == "PUT":
        _receive(request, target, grant.overwrite)
    elif method == "GET":
        _send(request, target)
    elif target.is_file():
        target.unlink()
        _reply(request, 204, b"")
    else:
        # Azure answers 404 for a missing file (AWS 200): the stricter of the two.
        _reply(request, 404, b"NoSuchKey: The specified key does not exist.")


def _receive(request: BaseHTTPRequestHandler, target: Path, overwrite: bool) -> None:
    length_header = request.headers.get("Content-Length")
    if length_header is None or not length_header.isdigit():
        request.close_connection = True
        _reply(request, 411, b"MissingContentLength: You must provide the Content-Length HTTP header.")
        return
    length = int(length_header)
    if length > MAX_PUT_BYTES:
        request.close_connection = True  # the body is never read
        _reply(request, 413, b"EntityTooLarge: Your proposed upload exceeds the maximum allowed size.")
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.parent / f".{target.name}.{uuid.uuid4().hex}.uploading"
    try:
        with open(partial, "wb") as file:
            remaining = length
            while remaining:
                chunk = request.rfile.read(min(CHUNK_BYTES, remaining))
                if not chunk:  # the client went away: nothing lands
                    request.close_connection = True
                    return
                file.write(chunk)
                remaining -= len(chunk)
        with _rename_lock:
            if not overwrite and target.exists():
                _reply(request, 409, b"Conflict: the file was created meanwhile and OVERWRITE was not set.")
                return
            os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    _reply(request, 200, b"")


def _send(request: BaseHTTPRequestHandler, target: Path) -> None:
    if not target.is_file():
        _reply(request, 404, b"NoSuchKey: The specified key does not exist.")
        return
    with open(target, "rb") as file:
        request.send_response(200)
        request.send_header("Content-Type", "application/octet-stream")
        request.send_header("Content-Length", str(os.fstat(file.fileno()).st_size))
        request.end_headers()
        while chunk := file.read(CHUNK_BYTES):
            request.wfile.write(chunk)


def _refuse_body(request: BaseHTTPRequestHandler) -> None:
    # A refused request's body is never read; the connection cannot be reused after it.
    if request.headers.get("Content-Length", "0") != "0":
        request.close_connection = True


def _reply(request: BaseHTTPRequestHandler, code: int, body: bytes) -> None:
    request.send_response(code)
    request.send_header("Content-Type", "text/plain")
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)
