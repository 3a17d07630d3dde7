"""A tree's own ``make run`` stack in temporary folders, for benchmarks: its Procfile's web,
worker and periodic processes (whatever that tree's Procfile says), on a fresh SQLite database,
filesystem broker and cache, against a local warehouse started with chosen options.

Each process runs as its Procfile line does under honcho (``bash -c``, this interpreter's
folder first on PATH); output goes to files in the work folder, kept when a run fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

# The Procfile processes a benchmark needs (beat is left out: its sweep only re-publishes).
PROCESSES = ("web", "worker", "periodic")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Stack:
    def __init__(
        self, tree: Path, *, warehouse_args: tuple[str, ...] = (), env: dict[str, str] | None = None
    ):
        self.tree = tree
        self.work = Path(tempfile.mkdtemp(prefix="bench-stack-"))
        self.web_port = free_port()
        self.warehouse_port = free_port()
        self.warehouse_args = warehouse_args
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.key = ""
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))
            },
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(tree),
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DJANGO_DEBUG": "false",
            # Production settings, but over plain HTTP and without a rate to throttle the benchmark.
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "API_THROTTLE_CLIENT_RATE": "",
            "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-any-deployment-0123456789",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"sqlite:///{self.work / 'db.sqlite3'}",
            "CELERY_BROKER_DIR": str(self.work / "broker"),
            "CACHE_DIR": str(self.work / "cache"),
            "LOCAL_WAREHOUSE_URL": f"http://127.0.0.1:{self.warehouse_port}/sql/1.0/warehouses/local",
            "DATABRICKS_LOGGING_ENABLED": "false",
            # The warehouse's token, shared by its clients and the benchmark's own connection.
            "LOCAL_WAREHOUSE_TOKEN": secrets.token_urlsafe(16),
            "WEB_PORT": str(self.web_port),
            "PORT": str(self.web_port),
            **(env or {}),
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def warehouse_url(self) -> str:
        return f"http://127.0.0.1:{self.warehouse_port}"

    def _spawn(self, name: str, command: str) -> None:
        log = open(self.work / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        self.processes[name] = subprocess.Popen(  # noqa: S603
            ["bash", "-c", f"exec {command}"],  # noqa: S607
            cwd=self.tree,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def procfile(self) -> dict[str, str]:
        lines = (self.tree / "Procfile").read_text().splitlines()
        return dict(line.split(": ", 1) for line in lines if ": " in line)

    def start(self) -> None:
        self._manage("migrate", "--noinput")
        key_file = self.work / "key"
        # A tree with grants gives the bench client its catalog; an older one has none to give.
        has_grants = (self.tree / "access" / "grants.py").exists()
        grants = ("--grant", "ALL_PRIVILEGES", "bench") if has_grants else ()
        self._manage("createapiclient", "bench", "--save-key", str(key_file), *grants)
        self.key = key_file.read_text().strip()
        warehouse = (
            f"{sys.executable} -m warehouse.local --port {self.warehouse_port} --data-dir {self.work / 'wh'}"
        )
        self._spawn("warehouse", f"{warehouse} --ensure-schema bench.s {' '.join(self.warehouse_args)}")
        self._wait(f"{self.warehouse_url}/stats", "the warehouse")
        for name, command in self.procfile().items():
            if name in PROCESSES:
                self._spawn(name, command)
        self._wait(f"{self.url}/api/v1/healthcheck", "the web server")
        deadline = time.monotonic() + 60
        while b" ready." not in (self.work / "worker.log").read_bytes():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start; see {self.work}")
            time.sleep(0.2)

    def _manage(self, *args: str) -> None:
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args], cwd=self.tree, env=self.env, check=True, capture_output=True
        )

    def _wait(self, url: str, what: str) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5):  # noqa: S310 (a local URL)
                    return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{what} did not come up; see {self.work}") from None
                time.sleep(0.2)

    def stop(self, *, keep: bool = False) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if not keep:
            shutil.rmtree(self.work, ignore_errors=True)

    def call(self, method: str, path: str, body: Any = None, timeout: float = 60) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)  # noqa: S310
        request.add_header("Authorization", f"Api-Key {self.key}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def warehouse_stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.warehouse_url}/stats", timeout=10) as response:  # noqa: S310
            return dict(json.loads(response.read()))

    def reset_warehouse_stats(self) -> None:
        request = urllib.request.Request(f"{self.warehouse_url}/stats/reset", method="POST", data=b"")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            pass
