"""Celery processes for tests: a worker or beat in a child process that a test may kill -9 and
start again (the fault tests), on the test session's database, broker and warehouse."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def database_url(database: Mapping[str, Any]) -> str:
    """The DATABASE_URL of a Django database's settings, for the processes a test starts."""
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database.get("PASSWORD") else "")
    return f"postgres://{credentials}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


class CeleryProcess:
    """``celery -A project <args>`` in a child process, its output in ``log_path``."""

    def __init__(
        self, args: list[str], *, cwd: Path, env: Mapping[str, str], log_path: Path, ready: bytes
    ) -> None:
        self.args = args
        self.cwd = cwd
        self.env = dict(env)
        self.log_path = log_path
        self.ready = ready
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0  # by a supervisor, after it exited on its own

    @property
    def pid(self) -> int:
        assert self.process is not None  # noqa: S101 (started)
        return self.process.pid

    def start(self, *, env: Mapping[str, str] | None = None, timeout: float = 60) -> None:
        """Start it (with ``env`` over its environment, if given) and wait until it is ready."""
        if env is not None:
            self.env.update(env)
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and app)
                [sys.executable, "-m", "celery", "-A", "project", *self.args],
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while self.ready not in self.log_path.read_bytes()[offset:]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError(
                    f"celery {self.args[0]} did not start:\n{self.log_path.read_text()[-3000:]}"
                )
            time.sleep(0.1)

    def log_tail(self, size: int = 6000) -> str:
        """The last ``size`` characters of its log."""
        return self.log_path.read_text(errors="replace")[-size:] if self.log_path.exists() else ""

    def kill(self) -> None:
        """``kill -9``: no shutdown, no acknowledgement, leases left to run out."""
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
