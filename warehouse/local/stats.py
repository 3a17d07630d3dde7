"""Statement counters of the local warehouse, read by benchmarks and tests (``GET /stats``).

``max_parameters``, ``max_parameter_bytes`` and ``max_statement_bytes`` are the largest seen
since the last reset, of every statement counted: accepted or rejected (a statement beyond a
limit shows its size here, and counts as an error).

``executing`` is how many statements have arrived whole and not been answered yet (a
statement the warehouse is sleeping ``--latency-ms`` over counts): a test kills a client while
one is, and knows it will still run.

``recent`` keeps each statement's SQL text as it arrived (parameter values are not part of
it), cut to ``STATEMENT_TEXT_KEPT`` characters, ``statement_cut`` saying when it was: tests
read it to prove what was executed as SQL (no request text ever is, only parameters).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .limits import StatementSize

RECENT_STATEMENTS = 10_000
# The service's statements are a few KB; a longer one is kept in part (and says so).
STATEMENT_TEXT_KEPT = 16_384


class StatementStats:
    """Counts statements by kind and keeps the most recent ones with their parameter counts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.executing = 0  # not reset: statements in flight stay in flight
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.by_kind: Counter[str] = Counter()
            self.total = 0
            self.errors = 0
            self.injected_failures = 0
            self.max_parameters = 0
            self.max_parameter_bytes = 0
            self.max_statement_bytes = 0
            self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT_STATEMENTS)

    def record(
        self, *, kind: str | None, size: StatementSize, seconds: float, error: str | None, statement: str
    ) -> None:
        """Count one statement; ``kind`` is ``None`` when it failed before the engine knew it."""
        kind = kind or statement.strip().split(" ", 1)[0].upper()
        with self._lock:
            self.total += 1
            self.by_kind[kind] += 1
            self.errors += error is not None
            self.max_parameters = max(self.max_parameters, size.parameters)
            self.max_parameter_bytes = max(self.max_parameter_bytes, size.parameter_bytes)
            self.max_statement_bytes = max(self.max_statement_bytes, size.statement_bytes)
            self.recent.append(
                {
                    "kind": kind,
                    "parameters": size.parameters,
                    "parameter_bytes": size.parameter_bytes,
                    "statement_bytes": size.statement_bytes,
                    "ms": round(seconds * 1000, 3),
                    "error": error,
                    "at": time.time(),
                    "statement": statement[:STATEMENT_TEXT_KEPT],
                    "statement_cut": len(statement) > STATEMENT_TEXT_KEPT,
                }
            )

    @contextmanager
    def statement_executing(self) -> Iterator[None]:
        with self._lock:
            self.executing += 1
        try:
            yield
        finally:
            with self._lock:
                self.executing -= 1

    def injected_failure(self) -> None:
        with self._lock:
            self.injected_failures += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self.total,
                "by_kind": dict(self.by_kind),
                "errors": self.errors,
                "injected_failures": self.injected_failures,
                "executing": self.executing,
                "max_parameters": self.max_parameters,
                "max_parameter_bytes": self.max_parameter_bytes,
                "max_statement_bytes": self.max_statement_bytes,
                "recent": list(self.recent),
            }
