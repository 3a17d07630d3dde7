"""gunicorn's settings: the one web server, for `make run` (Procfile), the image and compose.

    gunicorn project.wsgi -c project/gunicorn.conf.py

Threaded workers (gthread): a request that waits (``?wait``, a slow warehouse read) holds a
thread, not a process, and ``RECORDS_MAX_WAITERS`` keeps waiting requests below the threads of
a process, so the others always find a free one. https://docs.gunicorn.org/en/stable/settings.html
"""

from __future__ import annotations

import os


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
