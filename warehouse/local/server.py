"""The local warehouse's wire protocol: TCLIService over HTTP, as a Databricks SQL warehouse.

``databricks-sql-connector`` talks Thrift (binary protocol) in HTTP POST bodies to
``/sql/1.0/warehouses/<id>``. A statement is one ExecuteStatement round trip: the answer
carries ``directResults`` (status, result-set metadata, Arrow batches, and the operation
already closed). Clients that ask for no direct results poll GetOperationStatus and page
through FetchResults instead.

``GET /stats`` returns the statement counters as JSON; ``POST /stats/reset`` clears them.
``PUT``, ``GET`` and ``DELETE`` on ``/staging/<token>`` are the presigned URLs of the staging
statements (``staging``): the token is their credential, no Authorization header is needed.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from databricks.sql.thrift_api.TCLIService import TCLIService, ttypes
from thrift.protocol import TBinaryProtocol
from thrift.transport import TTransport

from . import limits, staging
from .engine import Engine
from .errors import LocalWarehouseError
from .results import OK, Operation, ResultOptions, fetch, result_metadata, status
from .session import DEFAULT_CATALOG, DEFAULT_SCHEMA, ParameterValue, Session
from .translate import ParameterSpec

logger = logging.getLogger(__name__)

SERVER_PROTOCOL = ttypes.TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8


class HTTPErrorReply(TTransport.TTransportException):
    """Raised by a TCLIService call to answer an HTTP error instead of a Thrift reply.

    A TTransportException subclass because the generated Thrift processor re-raises those
    instead of turning them into an opaque application error.
    """

    def __init__(self, status: int, body: str) -> None:
        super().__init__(message=body)
        self.status = status
        self.body = body


def _error_status(message: str, sqlstate: str | None = None, invalid_handle: bool = False) -> ttypes.TStatus:
    code = ttypes.TStatusCode.INVALID_HANDLE_STATUS if invalid_handle else ttypes.TStatusCode.ERROR_STATUS
    return ttypes.TStatus(statusCode=code, errorMessage=message, sqlState=sqlstate)


def unknown_session() -> ttypes.TExecuteStatementResp:
    return ttypes.TExecuteStatementResp(
        status=_error_status("Invalid SessionHandle: the session is closed or unknown.", invalid_handle=True)
    )


def _new_handle() -> ttypes.THandleIdentifier:
    return ttypes.THandleIdentifier(guid=uuid.uuid4().bytes, secret=uuid.uuid4().bytes)


class WarehouseHandler:
    """Implements the TCLIService calls the connector makes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions: dict[bytes, Session] = {}
        self.operations: dict[bytes, Operation] = {}
        self.lock = threading.Lock()

    # -- sessions ----------------------------------------------------------------------------

    def OpenSession(self, req: ttypes.TOpenSessionReq) -> ttypes.TOpenSessionResp:
        namespace = req.initialNamespace
        session = Session(
            catalog=((namespace and namespace.catalogName) or DEFAULT_CATALOG).lower(),
            schema=((namespace and namespace.schemaName) or DEFAULT_SCHEMA).lower(),
            configuration={str(k): str(v) for k, v in (req.configuration or {}).items()},
        )
        if namespace and namespace.catalogName:
            try:
                self.engine.require_catalog(session.catalog)
                if namespace.schemaName:
                    self.engine.require_schema(session.catalog, session.schema)
            except LocalWarehouseError as error:
                return ttypes.TOpenSessionResp(
                    status=_error_status(str(error), error.sqlstate), serverProtocolVersion=SERVER_PROTOCOL
                )
        handle = _new_handle()
        with self.lock:
            self.sessions[handle.guid] = session
        return ttypes.TOpenSessionResp(
            status=OK,
            serverProtocolVersion=SERVER_PROTOCOL,
            sessionHandle=ttypes.TSessionHandle(sessionId=handle),
            configuration={},
            canUseMultipleCatalogs=True,
        )

    def CloseSession(self, req: ttypes.TCloseSessionReq) -> ttypes.TCloseSessionResp:
        with self.lock:
            self.sessions.pop(req.sessionHandle.sessionId.guid, None)
        return ttypes.TCloseSessionResp(status=OK)

    def GetInfo(self, req: ttypes.TGetInfoReq) -> ttypes.TGetInfoResp:
        return ttypes.TGetInfoResp(
            status=OK, infoValue=ttypes.TGetInfoValue(stringValue="Databricks (local warehouse)")
        )

    # -- statements --------------------------------------------------------------------------

    def ExecuteStatement(self, req: ttypes.TExecuteStatementReq) -> ttypes.TExecuteStatementResp:
        session = self.session_of(req)
        if session is None:
            return unknown_session()
        with self.engine.stats.statement_executing():
            return self.execute_statement(session, req)

    def session_of(self, req: ttypes.TExecuteStatementReq) -> Session | None:
        return self.sessions.get(req.sessionHandle.sessionId.guid)

    def execute_statement(
        self, session: Session, req: ttypes.TExecuteStatementReq
    ) -> ttypes.TExecuteStatementResp:
        """ExecuteStatement in a known session: check its limits, run it, count it, answer it."""
        started = time.perf_counter()
        parameters = req.parameters or []
        size = limits.measure(req.statement, parameters)
        kind = None  # until the engine has recognized or translated the statement
        try:
            limits.check(size)  # before anything runs: a statement beyond a limit has no effect
            statement = self.engine.prepare(
                session, req.statement, [_parameter(p, i) for i, p in enumerate(parameters)]
            )
            kind = statement.kind
            operation = Operation(outcome=self.engine.run(session, statement))
        except LocalWarehouseError as error:
            operation = Operation(outcome=None, error=str(error), sqlstate=error.sqlstate)
        except Exception as error:  # the protocol has no other way to report it: answer, never crash
            logger.exception("local warehouse failed on a statement")
            operation = Operation(
                outcome=None, error=f"[INTERNAL_ERROR] {type(error).__name__}: {error}", sqlstate="XX000"
            )
        self.engine.stats.record(
            kind=kind,
            size=size,
            seconds=time.perf_counter() - started,
            error=operation.error,
            statement=req.statement,
        )
        return self._execute_response(req, operation)

    def _execute_response(
        self, req: ttypes.TExecuteStatementReq, operation: Operation
    ) -> ttypes.TExecuteStatementResp:
        handle = ttypes.TOperationHandle(
            operationId=_new_handle(),
            operationType=ttypes.TOperationType.EXECUTE_STATEMENT,
            hasResultSet=operation.outcome is not None,
            modifiedRowCount=operation.outcome.num_modified_rows if operation.outcome else None,
        )
        options = operation.options = ResultOptions.from_request(req)
        if req.getDirectResults is None:
            with self.lock:
                self.operations[handle.operationId.guid] = operation
            return ttypes.TExecuteStatementResp(status=OK, operationHandle=handle)
        operation_status = status(operation)
        if operation.outcome is None:
            return ttypes.TExecuteStatementResp(
                status=OK,
                operationHandle=handle,
                directResults=ttypes.TSparkDirectResults(operationStatus=operation_status),
            )
        max_rows = req.getDirectResults.maxRows or 100_000
        metadata = result_metadata(operation.outcome, options)
        result_set, more = fetch(operation, options, max_rows, req.getDirectResults.maxBytes)
        if more:
            with self.lock:
                self.operations[handle.operationId.guid] = operation
        return ttypes.TExecuteStatementResp(
            status=OK,
            operationHandle=handle,
            directResults=ttypes.TSparkDirectResults(
                operationStatus=operation_status,
                resultSetMetadata=metadata,
                resultSet=result_set,
                closeOperation=None if more else ttypes.TCloseOperationResp(status=OK),
            ),
        )

    # -- operations --------------------------------------------------------------------------

    def _operation(self, handle: ttypes.TOperationHandle) -> Operation | None:
        with self.lock:
            return self.operations.get(handle.operationId.guid)

    def GetOperationStatus(self, req: ttypes.TGetOperationStatusReq) -> ttypes.TGetOperationStatusResp:
        operation = self._operation(req.operationHandle)
        if operation is None:
            return ttypes.TGetOperationStatusResp(
                status=_error_status("Invalid OperationHandle", invalid_handle=True)
            )
        return status(operation)

    def GetResultSetMetadata(self, req: ttypes.TGetResultSetMetadataReq) -> ttypes.TGetResultSetMetadataResp:
        operation = self._operation(req.operationHandle)
        if operation is None or operation.outcome is None:
            return ttypes.TGetResultSetMetadataResp(
                status=_error_status("Invalid OperationHandle", invalid_handle=True)
            )
        return result_metadata(operation.outcome, operation.options)

    def FetchResults(self, req: ttypes.TFetchResultsReq) -> ttypes.TFetchResultsResp:
        operation = self._operation(req.operationHandle)
        if operation is None or operation.outcome is None:
            return ttypes.TFetchResultsResp(
                status=_error_status("Invalid OperationHandle", invalid_handle=True)
            )
        options = operation.options
        result, _ = fetch(operation, options, req.maxRows or 100_000, req.maxBytes)
        if req.includeResultSetMetadata:
            result.resultSetMetadata = result_metadata(operation.outcome, options)
        return result

    def CloseOperation(self, req: ttypes.TCloseOperationReq) -> ttypes.TCloseOperationResp:
        with self.lock:
            self.operations.pop(req.operationHandle.operationId.guid, None)
        return ttypes.TCloseOperationResp(status=OK)

    def CancelOperation(self, req: ttypes.TCancelOperationReq) -> ttypes.TCancelOperationResp:
        return ttypes.TCancelOperationResp(status=OK)

    def __getattr__(self, name: str) -> Any:
        # Every other TCLIService call (GetCatalogs, GetColumns, ...) answers a clear error
        # instead of the opaque "Internal error" an AttributeError would become.
        response_type = getattr(ttypes, f"T{name}Resp", None)
        if response_type is None:
            raise AttributeError(name)

        def unsupported(req: Any) -> Any:
            return response_type(
                status=_error_status(
                    f"The local warehouse does not implement {name}; use SQL (SHOW ..., DESCRIBE ...)."
                )
            )

        return unsupported


def _parameter(parameter: ttypes.TSparkParameter, position: int) -> ParameterValue:
    key: str | int = parameter.name if parameter.name else position
    arguments = parameter.arguments or []
    spec = ParameterSpec(
        key=key,
        type=(parameter.type or "STRING"),
        argument_types=tuple(a.type or "STRING" for a in arguments),
    )
    value = parameter.value.stringValue if parameter.value is not None else None
    return ParameterValue(spec=spec, value=value, argument_values=tuple(a.value for a in arguments))


class _ThriftHTTPHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Keep-alive plus delayed ACKs would otherwise cost ~40 ms per round trip.
    disable_nagle_algorithm = True
    server: LocalWarehouseServer

    def do_POST(self) -> None:
        if self.path.rstrip("/") == "/stats/reset":
            self.server.handler.engine.stats.reset()
            self._reply(200, b"{}", "application/json")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if not self._authorized():
            # As a Databricks workspace answers a missing or wrong token.
            self._reply(403, b"Invalid access token.", "text/plain")
            return
        input_transport = TTransport.TMemoryBuffer(body)
        output_transport = TTransport.TMemoryBuffer()
        # A staging statement's presigned URL names the host this request was sent to.
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        staging.REQUEST.set(staging.StagingContext(f"http://{host}", self.server.token.encode()))
        try:
            self.server.processor.process(
                # No string limit of Thrift's own (16,384,000 bytes): a statement of up to 16 MiB
                # is accepted and a longer one answered with STATEMENT_TOO_LARGE (``limits``).
                TBinaryProtocol.TBinaryProtocol(input_transport, string_length_limit=None),
                TBinaryProtocol.TBinaryProtocol(output_transport),
            )
        except HTTPErrorReply as error:
            self._reply(error.status, error.body.encode(), "text/plain")
            return
        except Exception:  # a malformed request must not kill the connection thread silently
            logger.exception("could not process a Thrift request")
            self._reply(500, b"could not process the request", "text/plain")
            return
        self._reply(200, output_transport.getvalue(), "application/x-thrift")

    def do_PUT(self) -> None:
        self._staging("PUT")

    def do_DELETE(self) -> None:
        self._staging("DELETE")

    def _staging(self, method: str) -> None:
        if not self.path.startswith(staging.URL_PREFIX):
            self.close_connection = True  # a body we do not read
            self._reply(404, b"not found", "text/plain")
            return
        engine = self.server.handler.engine
        staging.serve(self, method, self.server.token.encode(), engine.volumes, engine.volume_exists)

    def do_GET(self) -> None:
        if self.path.startswith(staging.URL_PREFIX):
            self._staging("GET")
        elif self.path.rstrip("/") == "/stats":
            body = json.dumps(self.server.handler.engine.stats.snapshot()).encode()
            self._reply(200, body, "application/json")
        elif self.path.rstrip("/") in ("", "/health"):
            self._reply(200, b'{"status": "ok"}', "application/json")
        else:
            self._reply(404, b"not found", "text/plain")

    def _authorized(self) -> bool:
        sent = self.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {self.server.token}".encode())

    def _reply(self, code: int, body: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


class Service(Protocol):
    """What answers the TCLIService calls: a ``WarehouseHandler`` or a wrapper of one (``faults``)."""

    @property
    def engine(self) -> Engine: ...


class LocalWarehouseServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: Service, token: str) -> None:
        if not token:
            raise ValueError("the local warehouse needs an access token")
        super().__init__(address, _ThriftHTTPHandler)
        self.handler = handler
        self.token = token
        self.processor = TCLIService.Processor(handler)
