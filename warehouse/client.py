"""The one way this service talks to a SQL warehouse.

Every statement goes through ``databricks-sql-connector``: to a Databricks SQL warehouse
when ``DATABRICKS_WAREHOUSE_ID`` is set (host and credentials from ``databricks-sdk``'s
unified auth), otherwise to the local warehouse (``python manage.py runwarehouse``).

Connections are kept per process and per thread: a Celery prefork child never reuses its
parent's connection (the process id is part of the key), and a connection that failed in
transport is dropped so the next statement opens a fresh one.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from databricks import sql as dbsql
from databricks.sql import exc as dbsql_exc
from django.conf import settings
from thrift.transport.TTransport import TTransportException
from urllib3.exceptions import HTTPError as Urllib3Error

from .exceptions import (
    PermanentWarehouseError,
    TransientWarehouseError,
    WarehouseError,
    WarehouseNotConfigured,
    error_class_of,
)
from .local.token import read_token
from .metrics import OTHER_KIND, statement_error_counted, statement_kind, statement_observed

logger = logging.getLogger(__name__)

# Error classes Databricks reports for conditions that clear up on their own.
TRANSIENT_ERROR_CLASSES = frozenset(
    {
        "TEMPORARILY_UNAVAILABLE",
        "SERVICE_UNAVAILABLE",
        "WAREHOUSE_UNAVAILABLE",
        "DELTA_CONCURRENT_APPEND",
        "DELTA_CONCURRENT_DELETE_READ",
        "DELTA_CONCURRENT_DELETE_DELETE",
        "DELTA_METADATA_CHANGED",
        "DELTA_CONCURRENT_TRANSACTION",
    }
)


@dataclass(frozen=True)
class StatementResult:
    """What a statement returned: column names and rows (tuples, in column order)."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    rowcount: int = -1

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def dml_counts(self) -> dict[str, int]:
        """The counts a DML statement reports (``num_affected_rows``, ``num_inserted_rows``...)."""
        if not self.rows:
            return {}
        first = dict(zip(self.columns, self.rows[0], strict=True))
        return {k: int(v) for k, v in first.items() if k.startswith("num_") and v is not None}


class RowStream:
    """The rows of a query run by ``WarehouseClient.stream``, fetched a few at a time."""

    def __init__(self, cursor: Any, client: WarehouseClient, *, kind: str = OTHER_KIND) -> None:
        self._cursor = cursor
        self._client = client
        self._kind = kind  # for the metrics of a page that fails to come
        self.columns: list[str] = [column[0] for column in cursor.description or []]

    def fetch(self, count: int) -> list[tuple[Any, ...]]:
        """At most ``count`` more rows (tuples, in column order); none once all were fetched."""
        if not self.columns:
            return []
        try:
            return [tuple(row) for row in self._cursor.fetchmany(count)]
        except Exception as error:
            translated = self._client.translated(error)
            statement_error_counted(self._kind, translated)
            raise translated from error


def _close_quietly(cursor: Any) -> None:
    try:
        cursor.close()
    except Exception:  # closing on a broken connection may fail too; the cursor is gone either way
        logger.debug("closing a warehouse cursor failed", exc_info=True)


@dataclass
class _ConnectionSlot:
    pid: int
    connection: Any = None


def describe_target() -> str:
    """A one-line description of the configured warehouse, for logs and the healthcheck."""
    if settings.DATABRICKS_WAREHOUSE_ID:
        host = settings.DATABRICKS_HOST or f"profile {settings.DATABRICKS_CONFIG_PROFILE or 'DEFAULT'}"
        return f"Databricks SQL warehouse {settings.DATABRICKS_WAREHOUSE_ID} ({host})"
    return f"local warehouse at {settings.LOCAL_WAREHOUSE_URL}"


def check_configuration() -> None:
    """Raise ``WarehouseNotConfigured`` unless the settings name a warehouse and the credentials
    to reach it; nothing is sent to the warehouse (readiness: ``project.observability``)."""
    _connect_kwargs()


def _connect_kwargs() -> dict[str, Any]:
    common: dict[str, Any] = {
        "session_configuration": {"STATEMENT_TIMEOUT": str(settings.WAREHOUSE_STATEMENT_TIMEOUT)},
        "_socket_timeout": settings.WAREHOUSE_SOCKET_TIMEOUT,
        "_retry_stop_after_attempts_count": settings.WAREHOUSE_CONNECTOR_RETRIES,
        "_retry_stop_after_attempts_duration": settings.WAREHOUSE_CONNECTOR_RETRY_SECONDS,
        "_retry_delay_min": 0.1,
        "_retry_delay_max": 5.0,
    }
    if settings.DATABRICKS_WAREHOUSE_ID:
        return common | _databricks_kwargs()
    url = urlsplit(settings.LOCAL_WAREHOUSE_URL)
    if not url.hostname or not url.path:
        raise WarehouseNotConfigured(f"LOCAL_WAREHOUSE_URL is not a URL: {settings.LOCAL_WAREHOUSE_URL!r}")
    token = read_token(settings.LOCAL_WAREHOUSE_TOKEN_FILE)
    if not token:
        raise WarehouseNotConfigured(
            "no local warehouse token: set LOCAL_WAREHOUSE_TOKEN, or LOCAL_WAREHOUSE_TOKEN_FILE"
            f" ({settings.LOCAL_WAREHOUSE_TOKEN_FILE}: make run creates it)"
        )
    return common | {
        "server_hostname": url.hostname,
        "http_path": url.path,
        "access_token": token,
        "_connection_uri": settings.LOCAL_WAREHOUSE_URL,
        # Telemetry fetches feature flags from https://<host>:443, which never answers locally.
        "enable_telemetry": False,
    }


@functools.lru_cache(maxsize=4)
def _sdk_config(profile: str, host: str) -> Any:
    """databricks-sdk's unified auth, resolved once per process (it probes the host)."""
    # Imported here: only a real Databricks deployment pays for the SDK's import.
    from databricks.sdk.core import Config

    return Config(profile=profile or None, host=host or None)


def _databricks_kwargs() -> dict[str, Any]:
    try:
        config = _sdk_config(settings.DATABRICKS_CONFIG_PROFILE, settings.DATABRICKS_HOST)
        host = urlsplit(config.host).hostname if config.host else None
    except Exception as error:  # the SDK raises ValueError and its own types alike
        raise WarehouseNotConfigured(f"Databricks authentication is not configured: {error}") from error
    if not host:
        raise WarehouseNotConfigured("Databricks host is not configured (DATABRICKS_HOST or a profile)")

    def credentials_provider() -> Callable[[], dict[str, str]]:
        return config.authenticate

    return {
        "server_hostname": host,
        "http_path": f"/sql/1.0/warehouses/{settings.DATABRICKS_WAREHOUSE_ID}",
        "credentials_provider": credentials_provider,
    }


class WarehouseClient:
    """Runs statements with named parameters on the configured warehouse."""

    def __init__(self, connect_kwargs: Callable[[], dict[str, Any]] = _connect_kwargs) -> None:
        self._connect_kwargs = connect_kwargs
        self._local = threading.local()

    def execute(self, statement: str, parameters: Mapping[str, Any] | None = None) -> StatementResult:
        """Run one statement; values travel only as native named parameters (``:name``).

        A session the warehouse no longer knows (it restarted, or closed an idle session) is
        refused before anything runs: the statement is sent once more on a new session.
        """
        reused = self._reusing_connection()
        try:
            return self._execute(statement, parameters)
        except TransientWarehouseError as error:
            if not (reused and error.error_class == SESSION_GONE):
                raise
            logger.info("warehouse session expired; running the statement on a new one")
            return self._execute(statement, parameters)

    @contextmanager
    def stream(
        self,
        statement: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        fetch_rows: int,
        fetch_bytes: int,
    ) -> Iterator[RowStream]:
        """Run a query whose rows the caller fetches as it goes (``RowStream.fetch``), so that a
        caller who stops early never holds them all; the rest are dropped on exit.

        Each round trip brings at most ``fetch_rows`` rows and about ``fetch_bytes`` bytes of
        Arrow data (the Thrift protocol's maxRows and maxBytes; one row at least); the first
        comes back with the statement. A session gone is retried as by ``execute``.
        """
        reused = self._reusing_connection()
        try:
            cursor = self._open_cursor(statement, parameters, fetch_rows, fetch_bytes)
        except TransientWarehouseError as error:
            if not (reused and error.error_class == SESSION_GONE):
                raise
            logger.info("warehouse session expired; running the statement on a new one")
            cursor = self._open_cursor(statement, parameters, fetch_rows, fetch_bytes)
        try:
            yield RowStream(cursor, self, kind=statement_kind(statement))
        finally:
            _close_quietly(cursor)

    def upload(self, local_file: Path, volume_path: str) -> None:
        """Put ``local_file`` at ``volume_path`` (``/Volumes/c/s/v/...``), replacing what is
        there: the connector's staging PUT (the warehouse answers where to send the bytes, the
        connector sends them). The connector reads the file whole to send it: keep files small."""
        statement = f"PUT '__input_stream__' INTO {volume_literal(volume_path)} OVERWRITE"
        reused = self._reusing_connection()
        for attempt in (1, 2):
            with open(local_file, "rb") as stream:
                try:
                    self._execute(statement, None, input_stream=stream)
                except TransientWarehouseError as error:
                    if attempt == 2 or not (reused and error.error_class == SESSION_GONE):
                        raise
                    logger.info("warehouse session expired; uploading on a new one")
                else:
                    return

    def remove(self, volume_path: str, *, missing_ok: bool = False) -> None:
        """Delete the file at ``volume_path`` (the connector's staging REMOVE); a file that is
        not there is ``PermanentWarehouseError`` ``STAGING_HTTP_404`` unless ``missing_ok``."""
        try:
            self.execute(f"REMOVE {volume_literal(volume_path)}")
        except PermanentWarehouseError as error:
            if not (missing_ok and error.error_class == "STAGING_HTTP_404"):
                raise

    def _reusing_connection(self) -> bool:
        slot: _ConnectionSlot | None = getattr(self._local, "slot", None)
        return slot is not None and slot.connection is not None and slot.pid == os.getpid()

    def _execute(
        self, statement: str, parameters: Mapping[str, Any] | None, *, input_stream: BinaryIO | None = None
    ) -> StatementResult:
        with statement_observed(statement):
            connection = self._connection()
            try:
                with connection.cursor() as cursor:
                    if input_stream is None:
                        cursor.execute(statement, dict(parameters or {}))
                    else:
                        cursor.execute(statement, dict(parameters or {}), input_stream=input_stream)
                    columns = [column[0] for column in cursor.description or []]
                    rows = [tuple(row) for row in cursor.fetchall()] if columns else []
                    return StatementResult(columns=columns, rows=rows, rowcount=cursor.rowcount)
            except Exception as error:
                raise self.translated(error) from error

    def _open_cursor(
        self, statement: str, parameters: Mapping[str, Any] | None, fetch_rows: int, fetch_bytes: int
    ) -> Any:
        cursor = None
        with statement_observed(statement):
            try:
                cursor = self._connection().cursor(arraysize=fetch_rows, buffer_size_bytes=fetch_bytes)
                cursor.execute(statement, dict(parameters or {}))
            except Exception as error:
                if cursor is not None:
                    _close_quietly(cursor)
                raise self.translated(error) from error
        return cursor

    def translated(self, error: Exception) -> WarehouseError:
        """``translate_error``; a transient error also drops this thread's connection."""
        translated = translate_error(error)
        if translated.transient:
            self.reset()
        return translated

    def ping(self) -> None:
        """Run ``SELECT 1``; raises a ``WarehouseError`` when the warehouse does not answer."""
        self.execute("SELECT 1")

    def reset(self) -> None:
        """Close this thread's connection; the next statement opens a new one."""
        slot = getattr(self._local, "slot", None)
        self._local.slot = None
        if slot is not None and slot.connection is not None and slot.pid == os.getpid():
            try:
                slot.connection.close()
            except Exception:  # closing a broken connection may fail too; it is gone either way
                logger.debug("closing a broken warehouse connection failed", exc_info=True)

    def _connection(self) -> Any:
        slot: _ConnectionSlot | None = getattr(self._local, "slot", None)
        if slot is None or slot.pid != os.getpid():
            # A forked child inherits the parent's thread-local: never reuse its socket.
            slot = _ConnectionSlot(pid=os.getpid())
            self._local.slot = slot
        if slot.connection is None:
            try:
                slot.connection = dbsql.connect(**self._connect_kwargs())
            except WarehouseError:
                raise
            except Exception as error:
                raise translate_error(error) from error
        return slot.connection


# A volume path as this service makes them: /Volumes/<catalog>/<schema>/<volume>/ then plain
# names (letters, digits, ``_.-``) separated by slashes; never quotes, never ``..``.
_VOLUME_PATH = re.compile(r"/Volumes(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*){4,}")


def volume_literal(path: str) -> str:
    """``path`` as the SQL string literal of a staging statement (paths cannot be parameters)."""
    if not _VOLUME_PATH.fullmatch(path) or "/../" in f"{path}/" or "/./" in f"{path}/":
        raise ValueError(f"not a volume file path: {path!r}")
    return f"'{path}'"


# Errors of getting a statement to the warehouse and its answer back: worth retrying.
_TRANSPORT_ERRORS = (
    dbsql_exc.RequestError,
    dbsql_exc.OperationalError,
    OSError,
    TimeoutError,
    HTTPException,
    Urllib3Error,
    TTransportException,
)


# How the connector reports the failed HTTP request of a staging operation.
_STAGING_HTTP_FAILURE = re.compile(r"Staging operation over HTTP was unsuccessful: (\d{3})")

# The error class of a statement refused because its session is unknown (nothing ran).
SESSION_GONE = "INVALID_SESSION"


def translate_error(error: Exception) -> WarehouseError:
    """Map a connector (or socket) error to a transient or permanent ``WarehouseError``."""
    if isinstance(error, WarehouseError):
        return error
    message = _message_of(error)
    error_class = error_class_of(message)
    if isinstance(error, dbsql_exc.ServerOperationError):
        if error_class in TRANSIENT_ERROR_CLASSES:
            return TransientWarehouseError(message, error_class=error_class)
        return PermanentWarehouseError(message, error_class=error_class)
    staging = _STAGING_HTTP_FAILURE.search(message)
    if isinstance(error, dbsql_exc.OperationalError) and staging:
        # The file's own HTTP request (PUT, GET, DELETE at the URL the warehouse gave): a
        # refusal (404: no such file, 413: too large) stays one; the others may pass.
        code = int(staging.group(1))
        error_class = f"STAGING_HTTP_{code}"
        if code >= 500 or code in (408, 429):
            return TransientWarehouseError(message, error_class=error_class)
        return PermanentWarehouseError(message, error_class=error_class)
    if isinstance(error, dbsql_exc.RequestError) and _http_code(error) in (401, 403):
        # The workspace refused the service's credentials: a setting to fix, not an outage.
        return WarehouseNotConfigured(
            f"the warehouse refused the service's credentials: {message}", error_class="CREDENTIALS_REFUSED"
        )
    if isinstance(error, _TRANSPORT_ERRORS):
        return TransientWarehouseError(message, error_class=error_class or type(error).__name__)
    if isinstance(error, dbsql_exc.DatabaseError) and "Invalid SessionHandle" in message:
        return TransientWarehouseError(message, error_class=error_class or SESSION_GONE)
    if isinstance(error, dbsql_exc.Error):
        return PermanentWarehouseError(message, error_class=error_class or type(error).__name__)
    # Anything else is not known to pass: retrying it would hide a bug behind a backoff.
    return PermanentWarehouseError(message, error_class=type(error).__name__)


def _http_code(error: Exception) -> Any:
    context = getattr(error, "context", None) or {}
    return context.get("http-code") if isinstance(context, dict) else None


def _message_of(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    cause = _http_code(error)
    return f"{message} (HTTP {cause})" if cause else str(message)


_default_client: WarehouseClient | None = None
_default_lock = threading.Lock()


def get_client() -> WarehouseClient:
    """The process-wide client (one connection per thread inside it)."""
    global _default_client
    with _default_lock:
        if _default_client is None:
            _default_client = WarehouseClient()
        return _default_client
