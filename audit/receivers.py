"""The audit app's side of ``common.signals``: every shaped API error and failed job becomes a row."""

from __future__ import annotations

from typing import Any

from .recorder import apilog_record_exception, apilog_record_job_failure


def on_api_error_shaped(
    sender: Any, *, request: Any, exc: BaseException, status_code: int, body: Any, **_: Any
) -> None:
    apilog_record_exception(request, exc, status_code=status_code, body=body)


def on_job_failed(sender: Any, **job: Any) -> None:
    job.pop("signal", None)
    apilog_record_job_failure(**job)
