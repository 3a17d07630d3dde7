"""Statement counters of the local warehouse, read by benchmarks and tests (``GET /stats``)."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Any

RECENT_STATEMENTS = 10_000


class StatementStats:
    """Counts statements by kind and keeps the most recent ones with their parameter counts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.by_kind: Counter[str] = Counter()
            self.total = 0
            self.errors = 0
            self.injected_failures = 0
            self.max_parameters = 0
            self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT_STATEMENTS)

    def record(
        self, *, kind: str | None, parameters: int, seconds: float, error: str | None, statement: str
    ) -> None:
        """Count one statement; ``kind`` is ``None`` when it failed before the engine knew it."""
        kind = kind or statement.strip().split(" ", 1)[0].upper()
        with self._lock:
            self.total += 1
            self.by_kind[kind] += 1
            self.errors += error is not None
            self.max_parameters = max(self.max_parameters, parameters)
            self.recent.append(
                {
                    "kind": kind,
                    "parameters": parameters,
                    "ms": round(seconds * 1000, 3),
                    "error": error,
                    "at": time.time(),
                    "statement": statement[:200],
                }
            )

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
                "max_parameters": self.max_parameters,
                "recent": list(self.recent),
            }
