"""``?wait=N``: answer with the finished job when it finishes within N seconds."""

from __future__ import annotations

import time

from django.conf import settings
from rest_framework.request import Request

from common.errors import ApiError

from ..models import Job


def wait_seconds(request: Request) -> float:
    """The ``wait`` query parameter, 0 when absent; a 400 outside 0..RECORDS_MAX_WAIT_SECONDS."""
    raw = request.query_params.get("wait", "0")
    try:
        wait = float(raw)
    except ValueError:
        wait = -1
    if not 0 <= wait <= settings.RECORDS_MAX_WAIT_SECONDS:
        raise ApiError(f"wait must be a number of seconds from 0 to {settings.RECORDS_MAX_WAIT_SECONDS}")
    return wait


def wait_for(job: Job, seconds: float) -> Job:
    """``job`` reloaded until it is finished or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while not job.finished and time.monotonic() < deadline:
        time.sleep(0.05)
        job.refresh_from_db()
    return job
