"""Why a job attempt ended without a result, and the ``Job.error`` body that says so."""

from __future__ import annotations

import traceback
from typing import Any

from warehouse.exceptions import TransientWarehouseError


class JobFailed(Exception):
    """The job cannot succeed (a SQL error, a vanished table): fail it without retrying."""

    def __init__(
        self,
        message: str,
        *,
        error_class: str | None = None,
        error_type: str = "DatabaseError",
        stack_trace: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_class = error_class
        self.error_type = error_type
        self.stack_trace = stack_trace

    @classmethod
    def from_transient(cls, error: TransientWarehouseError) -> JobFailed:
        """A transient warehouse error, as the job's error once its attempts are spent."""
        return cls(error.message, error_class=error.error_class, error_type="TransientWarehouseError")

    @classmethod
    def from_unexpected(cls, error: BaseException) -> JobFailed:
        """Anything a run did not expect (a bug, the soft time limit): an internal error, with
        the traceback for the audit log; never a job left running."""
        trace = "".join(traceback.format_exception(error))
        return cls(
            f"Internal error: {type(error).__name__}: {error}",
            error_class="INTERNAL_ERROR",
            error_type=type(error).__name__,
            stack_trace=trace,
        )

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


class JobLost(Exception):
    """This attempt no longer holds its job (it was put back in the queue or claimed again)."""
