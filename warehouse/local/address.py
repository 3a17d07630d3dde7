"""Where the local warehouse listens: one setting, ``LOCAL_WAREHOUSE_URL``, for the warehouse
and its clients alike (the port it listens on is the URL's).

Imports nothing heavy: the settings read it, in images without the local warehouse's engine.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

URL_ENV = "LOCAL_WAREHOUSE_URL"
DEFAULT_URL = "http://127.0.0.1:8765/sql/1.0/warehouses/local"
# The variable that used to name the port beside the URL; set, it would silently disagree.
RETIRED_PORT_ENV = "LOCAL_WAREHOUSE_PORT"


class InvalidAddress(ValueError):
    """``LOCAL_WAREHOUSE_URL`` is not an http(s) URL with a host, a valid port and a path."""


def port_of(url: str) -> int:
    """The port of ``url`` (80 or 443 by its scheme when it names none); ``InvalidAddress`` when
    ``url`` is not an http(s) URL with a host and a path."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # a port that is not a number in 0-65535
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or not parts.path.strip("/") or port == -1:
        raise InvalidAddress(f"{URL_ENV} must be http(s)://host[:port]/path, not {url!r}")
    return port if port is not None else (443 if parts.scheme == "https" else 80)


def configured_url() -> str:
    """``LOCAL_WAREHOUSE_URL`` from the environment, else the default."""
    return os.environ.get(URL_ENV) or DEFAULT_URL
