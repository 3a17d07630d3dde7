"""Prometheus metrics of the statements this process sends to the warehouse.

Plain ``prometheus_client`` metrics (multi-process mode when ``PROMETHEUS_MULTIPROC_DIR`` is set,
as ``project.settings`` does): whoever exposes the registry serves them; this package only
counts. ``kind`` is the statement's first keyword (``select``, ``insert``, ``merge``...), from a
fixed list, so that no statement text can grow the number of series.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator

from prometheus_client import Counter, Histogram

from .exceptions import WarehouseError

STATEMENT_KINDS = frozenset(
    {
        "select",
        "insert",
        "merge",
        "update",
        "delete",
        "create",
        "drop",
        "alter",
        "describe",
        "show",
        "copy",
        "with",
        "put",
        "get",
        "remove",
        "set",
        "use",
    }
)
OTHER_KIND = "other"
_FIRST_WORD = re.compile(r"\s*([A-Za-z]+)")

# From a cached metadata lookup (ms) to a bulk MERGE on a busy warehouse (minutes).
_SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

statements_total = Counter(
    "records_warehouse_statements_total",
    "Statements sent to the SQL warehouse, by kind (failed ones included).",
    ["kind"],
)
statement_duration_seconds = Histogram(
    "records_warehouse_statement_duration_seconds",
    "Seconds from sending a statement to having its result (or error), by kind.",
    ["kind"],
    buckets=_SECONDS_BUCKETS,
)
statement_errors_total = Counter(
    "records_warehouse_statement_errors_total",
    "Statements that failed, by kind and error class (Databricks' error class, or the"
    " transport error's type).",
    ["kind", "error_class"],
)


def statement_kind(statement: str) -> str:
    """The statement's first keyword, lower-case, or ``other``."""
    match = _FIRST_WORD.match(statement)
    kind = match.group(1).lower() if match else OTHER_KIND
    return kind if kind in STATEMENT_KINDS else OTHER_KIND


@contextlib.contextmanager
def statement_observed(statement: str) -> Iterator[None]:
    """Count and time the statement run in the body; a ``WarehouseError`` out of it is counted
    by its error class (and raised on)."""
    kind = statement_kind(statement)
    started = time.perf_counter()
    try:
        yield
    except WarehouseError as error:
        statement_error_counted(kind, error)
        raise
    finally:
        statement_duration_seconds.labels(kind).observe(time.perf_counter() - started)
        statements_total.labels(kind).inc()


def statement_error_counted(kind: str, error: WarehouseError) -> None:
    statement_errors_total.labels(kind, error.error_class or type(error).__name__).inc()
