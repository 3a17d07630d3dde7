"""The local warehouse's access token: one of its own, from the environment (compose, tests)
or a file that ``make run`` generates, so that no client can guess it (the connector sends it
as ``Authorization: Bearer <token>``, as it sends a Databricks token)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TOKEN_ENV = "LOCAL_WAREHOUSE_TOKEN"  # noqa: S105 (the variable's name, not a token)


def read_token(path: Path) -> str:
    """The token from ``LOCAL_WAREHOUSE_TOKEN``, else from ``path``; empty when neither is set."""
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV]
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""


def ensure_token(path: Path) -> str:
    """The token as ``read_token`` finds it; when there is none, a new one written to ``path``
    (readable by its owner only)."""
    token = read_token(path)
    if token:
        return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(token + "\n")
    return token


if __name__ == "__main__":  # python -m warehouse.local.token PATH: make sure a token exists
    import sys

    ensure_token(Path(sys.argv[1]))
