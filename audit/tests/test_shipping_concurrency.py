"""Shipping and purging run twice at once: every row reaches the warehouse once, none is skipped.

The runs are real: threads, each with its own service-database connection and its own
warehouse connection, against the session's local warehouse. Only the warehouse call
(``WarehouseClient.execute``) is wrapped: to hold a run between reading its batch and marking
it while another run does the same, and to see which rows each ``MERGE`` sends. (The
warehouse's row count alone would not tell: the ``MERGE`` is keyed on ``log_id`` and the local
warehouse runs one write at a time, so rows sent twice still land once.)
"""

from __future__ import annotations

import datetime
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from audit import sql
from audit.models import ApiLog
from audit.shipping import apilog_purge, apilog_ship, shipped_row
from warehouse.client import StatementResult, WarehouseClient, get_client
from warehouse.exceptions import TransientWarehouseError

from .conftest import LOG_CATALOG

pytestmark = pytest.mark.django_db(transaction=True)

T = TypeVar("T")
Execute = Callable[[WarehouseClient, str, Mapping[str, Any] | None], StatementResult]
SECOND = datetime.timedelta(seconds=1)


def new_logs(count: int, **fields: Any) -> list[ApiLog]:
    values = {"timestamp": timezone.now(), "level": "ERROR", **fields}
    return ApiLog.objects.bulk_create(ApiLog(endpoint=f"/api/v1/e/{i}", **values) for i in range(count))


def ids(logs: list[ApiLog]) -> set[str]:
    return {str(log.log_id) for log in logs}


def warehouse_log_ids(schema: str) -> list[str]:
    result = get_client().execute(f"SELECT log_id FROM {LOG_CATALOG}.{schema}.api_log")
    return [row[0] for row in result.rows]


def in_threads(*calls: Callable[[], T]) -> list[T]:
    """Run ``calls`` at once, each in a thread of its own (so on connections of its own)."""

    def run(call: Callable[[], T]) -> T:
        try:
            return call()
        finally:
            get_client().reset()
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        wait(futures, timeout=120)
    outcomes = [future.exception() or future.result() for future in futures]
    # Every call's outcome, not only the first failure (a broken barrier hides the cause).
    assert not any(isinstance(outcome, BaseException) for outcome in outcomes), outcomes
    return [future.result() for future in futures]


@dataclass
class Merges:
    sent: Counter[str] = field(default_factory=Counter)  # log_id: how many MERGEs sent it
    sizes: list[int] = field(default_factory=list)  # rows in each MERGE


@contextmanager
def merges_seen(
    monkeypatch: pytest.MonkeyPatch, before_first_merge: Callable[[], object]
) -> Iterator[Merges]:
    """The rows each ``MERGE`` sends; ``before_first_merge`` runs in each thread just before
    that thread's first ``MERGE`` goes to the warehouse."""
    merges = Merges()
    lock = threading.Lock()
    merged = threading.local()
    real: Execute = WarehouseClient.execute

    def execute(self: WarehouseClient, statement: str, parameters: Mapping[str, Any] | None = None) -> Any:
        if statement.startswith("MERGE INTO"):
            if not getattr(merged, "before", False):
                merged.before = True
                before_first_merge()
            rows = json.loads((parameters or {})["rows"])
            with lock:
                merges.sent.update(row["log_id"] for row in rows)
                merges.sizes.append(len(rows))
        return real(self, statement, parameters)

    monkeypatch.setattr(WarehouseClient, "execute", execute)
    yield merges


def test_two_runs_at_once_ship_every_row_exactly_once(
    log_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each run holds its first batch (claimed, not yet marked) until the other holds one too:
    the two ship disjoint rows, 500 in all, and the warehouse has 500 rows with 500 log_ids."""
    logs = new_logs(500)
    barrier = threading.Barrier(2, timeout=30)
    with merges_seen(monkeypatch, barrier.wait) as merges:
        counts = in_threads(lambda: apilog_ship(batch_size=100), lambda: apilog_ship(batch_size=100))
    assert merges.sent == Counter(dict.fromkeys(ids(logs), 1))  # each row in one MERGE of one run
    assert merges.sizes == [100] * 5  # a claim takes one batch, never more
    assert all(counts) and sum(counts) == 500
    landed = warehouse_log_ids(log_schema)
    assert len(landed) == 500 and set(landed) == ids(logs)
    assert not ApiLog.objects.filter(shipped_at__isnull=True).exists()


def test_four_runs_at_once_ship_every_row_exactly_once(
    log_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four runs with small batches, unsynchronised: every row is sent once and lands once."""
    logs = new_logs(500)
    with merges_seen(monkeypatch, lambda: None) as merges:
        counts = in_threads(*[lambda: apilog_ship(batch_size=25)] * 4)
    assert merges.sent == Counter(dict.fromkeys(ids(logs), 1))
    assert merges.sizes == [25] * 20
    assert sum(counts) == 500
    landed = warehouse_log_ids(log_schema)
    assert len(landed) == 500 and set(landed) == ids(logs)
    assert not ApiLog.objects.filter(shipped_at__isnull=True).exists()


def test_an_expired_claim_is_taken_over_and_a_live_one_is_left_alone(log_schema: str) -> None:
    """Rows claimed by a run that died (its claim expired) ship with the next run, also those the
    dead run had already sent (they land once); rows of a run still within its claim wait."""
    now = timezone.now()
    dead = new_logs(30, ship_claimed_by="dead-run", ship_claim_expires_at=now - SECOND)
    live = new_logs(20, ship_claimed_by="live-run", ship_claim_expires_at=now + datetime.timedelta(minutes=5))
    free = new_logs(10)
    # The dead run's MERGE of its first 15 rows had landed; it died before marking them.
    create = sql.create_table(LOG_CATALOG, log_schema)
    get_client().execute(create.sql, create.params)
    rows = [shipped_row(log) for log in dead[:15]]
    for merge in sql.merge_rows(LOG_CATALOG, log_schema, rows, settings.RECORDS_MAX_PARAMETER_BYTES):
        get_client().execute(merge.sql, merge.params)

    assert apilog_ship(batch_size=7) == 40
    landed = warehouse_log_ids(log_schema)
    assert len(landed) == 40 and set(landed) == ids(dead + free)
    waiting = ApiLog.objects.filter(shipped_at__isnull=True)
    assert {log.pk for log in waiting} == {log.pk for log in live}
    assert {log.ship_claimed_by for log in waiting} == {"live-run"}


def test_a_run_that_lost_its_claim_marks_nothing(log_schema: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run stalled past its claim's expiry (before its MERGE) loses the rows to a later run,
    which ships and marks them; the stalled run's MERGE lands nothing new and it marks none."""
    logs = new_logs(40)
    first = threading.current_thread()
    counts: dict[str, int] = {}

    def stall() -> None:  # in the first run only: its claim runs out and a second run starts
        if threading.current_thread() is first:
            ApiLog.objects.update(ship_claim_expires_at=timezone.now() - SECOND)
            counts["second"] = in_threads(apilog_ship)[0]

    with merges_seen(monkeypatch, stall) as merges:
        counts["first"] = apilog_ship()
    assert counts == {"first": 0, "second": 40}
    assert merges.sent == Counter(dict.fromkeys(ids(logs), 2))  # sent by both runs ...
    landed = warehouse_log_ids(log_schema)
    assert len(landed) == 40 and set(landed) == ids(logs)  # ... landed once
    assert not ApiLog.objects.filter(shipped_at__isnull=True).exists()


def test_a_warehouse_error_releases_the_runs_claims(log_schema: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run stopped by a warehouse error leaves its rows claimable at once, not at expiry."""
    new_logs(10)

    def outage() -> None:
        raise TransientWarehouseError("warehouse went away", error_class="TEMPORARILY_UNAVAILABLE")

    with merges_seen(monkeypatch, outage):
        assert apilog_ship() == 0
    assert not ApiLog.objects.exclude(ship_claimed_by="").exists()
    assert not ApiLog.objects.filter(ship_claim_expires_at__isnull=False).exists()
    assert apilog_ship() == 10
    assert len(warehouse_log_ids(log_schema)) == 10


def test_two_purges_at_once_delete_each_old_shipped_row_once() -> None:
    """Both purges send their first statement at the same moment; between them they delete the
    200 old shipped rows once, and keep the recent and the unshipped ones."""
    now = timezone.now()
    old = now - datetime.timedelta(days=31)
    new_logs(200, timestamp=old, shipped_at=now)
    kept = new_logs(5, timestamp=old) + new_logs(5, shipped_at=now)
    barrier = threading.Barrier(2, timeout=30)

    def purge() -> int:
        started = False

        def together(execute: Callable[..., Any], *args: Any) -> Any:
            nonlocal started
            if not started:
                started = True
                barrier.wait()
            return execute(*args)

        with connection.execute_wrapper(together):
            return apilog_purge()

    assert sum(in_threads(purge, purge)) == 200
    assert set(ApiLog.objects.values_list("pk", flat=True)) == {log.pk for log in kept}
