"""A local warehouse in a child process, for tests and benchmarks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any


class LocalWarehouseProcess:
    """Starts ``python -m warehouse.local`` on a free port and keeps the port across restarts."""

    def __init__(self, data_dir: Path, *, extra_args: tuple[str, ...] = (), port: int = 0) -> None:
        self.data_dir = Path(data_dir)
        self.extra_args = extra_args
        self.port = port
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sql/1.0/warehouses/local"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *extra_args: str) -> None:
        args = [
            sys.executable,
            "-m",
            "warehouse.local",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        args += [*self.extra_args, *extra_args]
        root = Path(__file__).resolve().parents[2]
        env = {**os.environ, "PYTHONPATH": str(root)}
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            args, stdout=subprocess.PIPE, text=True, cwd=root, env=env
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if "listening on" not in line:
            self.process.kill()
            raise RuntimeError(f"local warehouse did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1].split("/", 1)[0])

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def restart(self, *extra_args: str) -> None:
        self.stop()
        self.start(*extra_args)

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base_url}/stats", timeout=10) as response:  # noqa: S310 (local URL)
            return json.loads(response.read())

    def executed_sql(self) -> list[str]:
        """The SQL text of every statement since the last ``reset_stats``, whole (values travel
        as parameters, never in it); ``AssertionError`` if the log has lost or cut any."""
        stats = self.stats()
        recent = stats["recent"]
        if len(recent) != stats["total"]:
            raise AssertionError(f"the log keeps {len(recent)} of {stats['total']} statements")
        if any(s["statement_cut"] for s in recent):
            raise AssertionError("a statement's text was cut in the log")
        return [s["statement"] for s in recent]

    def reset_stats(self) -> None:
        request = urllib.request.Request(f"{self.base_url}/stats/reset", method="POST", data=b"")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 (local URL)
            pass
