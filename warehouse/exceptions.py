"""Errors raised by the warehouse client.

Callers never see the connector's exception types: the client translates them here, so
a task can decide to retry (``transient``) or fail at once (``permanent``).
"""

from __future__ import annotations

import re

_ERROR_CLASS = re.compile(r"\[([A-Z][A-Z0-9_]+)(?:\.[A-Z0-9_]+)?\]")


def error_class_of(message: str) -> str | None:
    """Return the Databricks error class named in a message (``[TABLE_OR_VIEW_NOT_FOUND]``)."""
    match = _ERROR_CLASS.search(message or "")
    return match.group(1) if match else None


class WarehouseError(Exception):
    """A statement could not be run on the SQL warehouse."""

    transient = False

    def __init__(self, message: str, *, error_class: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.error_class = error_class or error_class_of(message)


class TransientWarehouseError(WarehouseError):
    """The warehouse could not be reached or was busy; the same statement may succeed later."""

    transient = True


class PermanentWarehouseError(WarehouseError):
    """The warehouse rejected the statement (SQL error); running it again will fail again."""


class WarehouseNotConfigured(PermanentWarehouseError):
    """The settings do not say which warehouse to use or how to authenticate."""
