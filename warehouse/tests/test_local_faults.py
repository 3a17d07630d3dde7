"""Fault injection wraps ExecuteStatement only: fail first, then sleep, known sessions only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from databricks.sql.thrift_api.TCLIService import ttypes

from warehouse.local.engine import Engine
from warehouse.local.faults import FaultInjectingHandler, InjectedFailure
from warehouse.local.server import WarehouseHandler


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(tmp_path)
    yield engine
    engine.close()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    calls: list[float] = []
    monkeypatch.setattr("warehouse.local.faults.time.sleep", calls.append)
    return calls


def _statement(session: ttypes.TSessionHandle | None, sql: str = "SELECT 1") -> ttypes.TExecuteStatementReq:
    unknown = ttypes.TSessionHandle(sessionId=ttypes.THandleIdentifier(guid=b"unknown", secret=b""))
    return ttypes.TExecuteStatementReq(
        sessionHandle=session or unknown, statement=sql, getDirectResults=ttypes.TSparkGetDirectResults()
    )


def _open(handler: FaultInjectingHandler) -> ttypes.TSessionHandle:
    response = handler.OpenSession(ttypes.TOpenSessionReq())  # not wrapped: the handler's own
    assert response.status.statusCode == ttypes.TStatusCode.SUCCESS_STATUS
    return response.sessionHandle


def test_a_failure_is_injected_before_the_delay_and_runs_nothing(engine: Engine, sleeps: list[float]) -> None:
    handler = FaultInjectingHandler(WarehouseHandler(engine), latency_ms=250, fail_rate=1, fail_status=503)
    with pytest.raises(InjectedFailure) as raised:
        handler.ExecuteStatement(_statement(_open(handler)))
    assert raised.value.status == 503 and raised.value.body == "injected failure (--fail-rate)"
    assert sleeps == []
    stats = engine.stats.snapshot()
    assert stats["injected_failures"] == 1 and stats["total"] == 0


def test_a_statement_let_through_is_delayed_then_run(engine: Engine, sleeps: list[float]) -> None:
    handler = FaultInjectingHandler(WarehouseHandler(engine), latency_ms=250)
    response = handler.ExecuteStatement(_statement(_open(handler)))
    assert response.directResults.operationStatus.operationState == ttypes.TOperationState.FINISHED_STATE
    assert sleeps == [0.25]
    assert engine.stats.snapshot()["by_kind"] == {"SELECT": 1}


def test_an_unknown_session_is_answered_without_faults(engine: Engine, sleeps: list[float]) -> None:
    handler = FaultInjectingHandler(WarehouseHandler(engine), latency_ms=250, fail_rate=1)
    response = handler.ExecuteStatement(_statement(None))
    assert response.status.statusCode == ttypes.TStatusCode.INVALID_HANDLE_STATUS
    assert sleeps == []
    assert engine.stats.snapshot()["injected_failures"] == 0
