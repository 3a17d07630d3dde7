"""prometheus_client's multi-process mode: every process of the service on one host (gunicorn's
workers, Celery workers) writes its metrics to files of its own in ``PROMETHEUS_MULTIPROC_DIR``
(named by its process id), and a scrape adds them up. So ``/metrics`` on the web shows the jobs
the workers ran, when they share the folder: processes on one machine, or in one container.
https://prometheus.github.io/client_python/multiprocess/

Imports nothing of the apps: gunicorn's master calls it (``project/gunicorn.conf.py``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIServer

from django.conf import settings
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)


def metrics_dir() -> Path:
    return Path(settings.PROMETHEUS_MULTIPROC_DIR)


def metrics_dir_prepare() -> int:
    """Create the folder and delete the files of processes that no longer run (a previous run's,
    which would otherwise be added to this one's); the number of files deleted.

    Files of live processes stay: the web server and the workers start at the same time, in any
    order, and each may already be counting.
    """
    folder = metrics_dir()
    folder.mkdir(parents=True, exist_ok=True)
    removed = 0
    for path in folder.glob("*.db"):
        pid = _pid_of(path)
        if pid is not None and not _is_running(pid):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _pid_of(path: Path) -> int | None:
    """The process id in a metrics file's name (``counter_1234.db``, ``gauge_livesum_1234.db``)."""
    last = path.stem.rpartition("_")[2]
    return int(last) if last.isdigit() else None


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True


def host_registry() -> CollectorRegistry:
    """A registry of the metrics every process of this host wrote to the folder."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(metrics_dir()))
    return registry


def worker_metrics_server_start(sender: Any = None, **_: Any) -> WSGIServer | None:
    """Celery's ``worker_ready``: with ``METRICS_WORKER_BIND`` (``host:port``), serve this host's
    metrics there (for a worker on a machine, or in a container, without the web server), in a
    thread; the server, or ``None`` when there is none."""
    bind: str = settings.METRICS_WORKER_BIND
    if not bind:
        return None
    host, _colon, port = bind.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"  # noqa: S104 (an explicit ":port" means every interface)
    metrics_dir_prepare()
    try:
        server, _thread = start_http_server(int(port), addr=host, registry=host_registry())
    except OSError as error:
        # Another worker of this host (the periodic one) serves them: the folder is the host's.
        logger.warning("metrics: could not listen on %s (%s); another process may serve them", bind, error)
        return None
    logger.info("metrics of this host's processes served at http://%s/metrics", bind)
    return server
