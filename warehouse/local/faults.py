"""Fault injection (``--latency-ms``, ``--fail-rate``): a slow or failing warehouse on purpose.

``FaultInjectingHandler`` wraps a ``WarehouseHandler`` and changes ExecuteStatement only: in
a known session it first fails ``fail_rate`` of the statements with the HTTP status
``fail_status`` (without running them, as an overloaded or restarting warehouse does), then
sleeps ``latency_ms`` before running the others. Every other call goes to the handler as is.
"""

from __future__ import annotations

import random
import time
from typing import Any

from databricks.sql.thrift_api.TCLIService import ttypes

from .engine import Engine
from .server import HTTPErrorReply, WarehouseHandler, unknown_session


class InjectedFailure(HTTPErrorReply):
    """Raised to answer an HTTP error (``--fail-status``) instead of running the statement."""

    def __init__(self, status: int) -> None:
        super().__init__(status, "injected failure (--fail-rate)")


class FaultInjectingHandler:
    def __init__(
        self,
        handler: WarehouseHandler,
        *,
        latency_ms: float = 0.0,
        fail_rate: float = 0.0,
        fail_status: int = 502,
        seed: int | None = None,
    ) -> None:
        self.handler = handler
        self.latency = latency_ms / 1000.0
        self.fail_rate = fail_rate
        self.fail_status = fail_status
        self.random = random.Random(seed)  # noqa: S311 (fault injection, not security)

    @property
    def engine(self) -> Engine:
        return self.handler.engine

    def ExecuteStatement(self, req: ttypes.TExecuteStatementReq) -> ttypes.TExecuteStatementResp:
        session = self.handler.session_of(req)
        if session is None:
            return unknown_session()
        if self.fail_rate and self.random.random() < self.fail_rate:
            self.engine.stats.injected_failure()
            raise InjectedFailure(self.fail_status)
        with self.engine.stats.statement_executing():
            if self.latency:
                time.sleep(self.latency)
            return self.handler.execute_statement(session, req)

    def __getattr__(self, name: str) -> Any:
        # Every other TCLIService call is the handler's own.
        return getattr(self.handler, name)
