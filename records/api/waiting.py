"""``?wait=N`` (or ``Prefer: wait=N`` on a submit): answer with the finished job when it
finishes within N seconds.

A waiting request holds one of the web server's threads for up to N seconds. So that waiting
can never take every thread (and starve the healthcheck and other requests), each process lets
at most ``RECORDS_MAX_WAITERS`` requests wait at once; a request that finds every slot taken
answers its 202 at once, as without ``wait``. While it waits, a request reads only the job's
status, a small query however large the payload; the finished job is loaded once, without its
payload (the job's representation never shows it).
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from rest_framework.request import Request

from common.errors import ApiError

from ..models import FINAL_STATUSES, Job

FINISHED = FINAL_STATUSES
# Seconds between two status reads: small at first (most jobs of a few rows finish within
# tens of milliseconds), doubling up to the longest pause, which bounds how late a waiter
# answers after its job finished (a read by primary key: cheap, and waiters are bounded).
FIRST_POLL_INTERVAL = 0.02
MAX_POLL_INTERVAL = 0.1


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


class WaiterSlots:
    """This process's slots for waiting requests: ``RECORDS_MAX_WAITERS`` of them.

    The semaphore is made at first use and made again when the setting changes (tests change
    it); a request releases the semaphore it acquired, so a change never mixes the two.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._size = -1
        self._semaphore = threading.BoundedSemaphore(1)

    @property
    def semaphore(self) -> threading.BoundedSemaphore:
        size: int = settings.RECORDS_MAX_WAITERS
        with self._lock:
            if size != self._size:
                self._size, self._semaphore = size, threading.BoundedSemaphore(max(size, 1))
                if size == 0:  # no waiting at all: a semaphore that is never free
                    self._semaphore.acquire()
            return self._semaphore


waiter_slots = WaiterSlots()


def wait_for(job: Job, seconds: float) -> Job:
    """``job`` as it is once finished, when it finishes within ``seconds``; else ``job`` with its
    latest status. Answers at once when no waiter slot is free."""
    if job.finished or seconds <= 0:
        return job
    semaphore = waiter_slots.semaphore
    if not semaphore.acquire(blocking=False):
        return job
    try:
        status = _poll_status(job.pk, seconds)
    finally:
        semaphore.release()
    if status in FINISHED:
        # Loaded only now, and without the payload (it can be tens of megabytes).
        finished = Job.objects.defer("payload").filter(pk=job.pk).first()
        if finished is not None:
            return finished
    if status is not None:
        job.status = status
    return job


def _poll_status(pk: int, seconds: float) -> str | None:
    """The job's status once finished or after ``seconds``; ``None`` when the job is gone."""
    deadline = time.monotonic() + seconds
    interval = FIRST_POLL_INTERVAL
    status: str | None = Job.Status.QUEUED
    while (remaining := deadline - time.monotonic()) > 0:
        time.sleep(min(interval, remaining))
        interval = min(interval * 2, MAX_POLL_INTERVAL)
        status = Job.objects.filter(pk=pk).values_list("status", flat=True).first()
        if status is None or status in FINISHED:
            return status
    return status
