"""Why a job attempt ended without a result, and the ``Job.error`` body that says so."""

from __future__ import annotations

from typing import Any

from warehouse.exceptions import TransientWarehouseError


class JobFailed(Exception):
    """The job cannot succeed (a SQL error, a vanished table): fail it without retrying."""

    def __init__(
        self, message: str, *, error_class: str | None = None, error_type: str = "DatabaseError"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_class = error_class
        self.error_type = error_type

    @classmethod
    def from_transient(cls, error: TransientWarehouseError) -> JobFailed:
        """A transient warehouse error, as the job's error once its attempts are spent."""
        return cls(error.message, error_class=error.error_class, error_type="TransientWarehouseError")

    def as_error(self, *, retrying: bool = False) -> dict[str, Any]:
        """``Job.error``: ``{"message", "error_class", "type"}`` (+ ``"retrying": true``)."""
        error: dict[str, Any] = {
            "message": self.message,
            "error_class": self.error_class,
            "type": self.error_type,
        }
        if retrying:
            error["retrying"] = True
        return error
