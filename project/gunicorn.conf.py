"""gunicorn's settings: the one web server, for `make run` (Procfile), the image and compose.

    gunicorn project.wsgi -c project/gunicorn.conf.py

Threaded workers (gthread): a request that waits (``?wait``, a slow warehouse read) holds a
thread, not a process, and ``RECORDS_MAX_WAITERS`` keeps waiting requests below the threads of
a process, so the others always find a free one. https://docs.gunicorn.org/en/stable/settings.html
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

# The project's settings, for where metrics live and the log format: the settings module only
# (no app is loaded in the master), read from the same environment and .env as every process.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")


def _positive_int(name: str, default: int) -> int:
    value = int(os.environ.get(name) or default)
    if value < 1:
        raise ValueError(f"{name} must be 1 or more, not {value}")
    return value


# host:port. `make run` passes WEB_PORT; honcho alone gives each process a PORT; the image and
# compose set GUNICORN_BIND=0.0.0.0:8000 (every interface, inside a container).
_port = os.environ.get("WEB_PORT") or os.environ.get("PORT") or "8000"
bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{_port}"
worker_class = "gthread"
workers = _positive_int("GUNICORN_WORKERS", 2)
threads = _positive_int("GUNICORN_THREADS", 16)
# Above the longest request the service allows (RECORDS_MAX_WAIT_SECONDS, 30 s of ?wait), so a
# waiting request is never cut off; a stopping worker lets such a request finish first.
timeout = 90
graceful_timeout = 40
# The largest request line gunicorn takes (its default is 4094): a longer read query gets
# gunicorn's own 414 instead of the service's.
limit_request_line = 8190
# Access log on stdout, error log on stderr (honcho and docker collect both).
accesslog = "-"
errorlog = "-"
# No control socket (gunicornc): its default path, ~/.gunicorn/gunicorn.ctl, is one for every
# gunicorn of the user, so a second server (another checkout, a benchmark) would take it over.
control_socket_disable = True


def on_starting(server: Any) -> None:
    """Once, in the master: clear a previous run's metrics files (prometheus_client's
    multi-process mode), keeping those of processes still running (a worker started first)."""
    from project.observability.multiprocess import metrics_dir_prepare

    metrics_dir_prepare()


def child_exit(server: Any, worker: Any) -> None:
    """A worker process ended: drop its live gauges from the metrics (its counters stay)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(settings.PROMETHEUS_MULTIPROC_DIR))


# gunicorn's own lines (start-up, worker exits, the access log) in the format of the service's.
if settings.LOG_FORMAT == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "common.logging.JsonFormatter"}},
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        },
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        },
    }
