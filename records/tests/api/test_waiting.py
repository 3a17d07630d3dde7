"""``?wait=N``: the finished job within N seconds, a bounded pool of waiters, polls of the status only."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings

from access.testing import ApiCaller
from records.api.waiting import wait_for, waiter_slots
from records.models import Job
from records.testing import WELLS_DEFINITION, unpublished_write, wait_for_job, well
from warehouse.sql import TableName

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]

CATALOG = "wait_tests"
# A table no job here ever runs on: the unpublished jobs below stay queued.
NOWHERE = TableName(CATALOG, "nowhere", "wells")


def write(api: ApiCaller, schema: str, wait: float) -> Any:
    body = {
        "catalog": CATALOG,
        "schema": schema,
        "table": "wells",
        "auto_create": True,
        "schema_definition": WELLS_DEFINITION,
        "data": [well(0)],
    }
    return api.post(f"/api/v1/records/write?wait={wait}", body)


@pytest.fixture
def two_waiters(settings: Settings) -> Iterator[threading.BoundedSemaphore]:
    """Two waiter slots in this process; every slot is free again afterwards."""
    settings.RECORDS_MAX_WAITERS = 2
    semaphore = waiter_slots.semaphore
    yield semaphore
    free = [semaphore.acquire(blocking=False) for _ in range(2)]
    for _ in range(sum(free)):
        semaphore.release()
    assert all(free), "a waiter slot was not given back"


def test_wait_answers_the_finished_job(alice: ApiCaller, schema: str) -> None:
    """A write that finishes within ``wait`` answers 201 with the job and its result."""
    response = write(alice, schema, wait=20)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["result"]["count"] == 1
    assert "payload" not in body
    assert body["status_url"] == f"/api/v1/jobs/{body['job_id']}"


def test_no_free_waiter_slot_answers_202_at_once(
    alice: ApiCaller, schema: str, two_waiters: threading.BoundedSemaphore
) -> None:
    """With every waiter slot held, a write with ``wait`` answers its 202 at once, and waits again
    once a slot is free."""
    write(alice, schema, wait=20)  # the table exists: the writes below are quick jobs
    for _ in range(2):
        assert two_waiters.acquire(blocking=False)
    try:
        started = time.monotonic()
        response = write(alice, schema, wait=20)
        elapsed = time.monotonic() - started
    finally:
        two_waiters.release()
        two_waiters.release()
    assert response.status_code == 202, response.json()
    assert elapsed < 2, f"the request waited {elapsed:.1f} s for a slot"
    wait_for_job(response.json()["job_id"])
    assert write(alice, schema, wait=20).status_code == 201


def test_concurrent_waiters_beyond_the_pool_answer_at_once(
    alice: ApiCaller, schema: str, two_waiters: threading.BoundedSemaphore
) -> None:
    """Two requests waiting on jobs that never run take both slots; a third answers 202 at once."""
    write(alice, schema, wait=20)
    stuck = [unpublished_write(NOWHERE, [well(i)]) for i in range(2)]
    entered = threading.Barrier(3)

    def wait_on(job: Job) -> None:
        try:
            entered.wait()
            wait_for(job, 3)
        finally:
            connection.close()

    waiters = [threading.Thread(target=wait_on, args=(job,)) for job in stuck]
    for waiter in waiters:
        waiter.start()
    entered.wait()
    time.sleep(0.2)  # both are polling now
    started = time.monotonic()
    response = write(alice, schema, wait=20)
    elapsed = time.monotonic() - started
    for waiter in waiters:
        waiter.join()
    assert response.status_code == 202, response.json()
    assert elapsed < 2, f"the request waited {elapsed:.1f} s for a slot"
    wait_for_job(response.json()["job_id"])


def test_no_waiters_configured_never_waits(alice: ApiCaller, schema: str, settings: Settings) -> None:
    """``RECORDS_MAX_WAITERS=0`` turns waiting off: every write answers 202 at once."""
    write(alice, schema, wait=20)
    settings.RECORDS_MAX_WAITERS = 0
    response = write(alice, schema, wait=20)
    assert response.status_code == 202, response.json()
    wait_for_job(response.json()["job_id"])


def test_polling_reads_the_status_only_and_backs_off(alice: ApiCaller) -> None:
    """Waiting on a job that does not finish reads its status alone, a few times a second."""
    job = unpublished_write(NOWHERE, [well(i) for i in range(1000)])
    with CaptureQueriesContext(connection) as queries:
        answered = wait_for(job, 1.0)
    assert answered.status == Job.Status.QUEUED
    selects = [query["sql"] for query in queries.captured_queries]
    assert selects, "no poll at all"
    assert all("payload" not in sql and '"status"' in sql for sql in selects), selects
    # 20 ms doubling to 100 ms: about 12 polls in a second (a fixed 20 ms would be 50).
    assert len(selects) <= 13, selects


def test_finished_job_is_loaded_once_without_its_payload(alice: ApiCaller) -> None:
    """When the job finishes, the waiter loads it once, payload deferred, with its result."""
    job = unpublished_write(NOWHERE, [well(i) for i in range(1000)])

    def finish() -> None:
        try:
            time.sleep(0.3)
            Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED, result={"count": 1000})
        finally:
            connection.close()

    finisher = threading.Thread(target=finish)
    finisher.start()
    with CaptureQueriesContext(connection) as queries:
        answered = wait_for(job, 10)
    finisher.join()
    assert answered.status == Job.Status.SUCCEEDED
    assert answered.result == {"count": 1000}
    assert "payload" in answered.get_deferred_fields()
    sqls = [query["sql"] for query in queries.captured_queries]
    assert all("payload" not in sql for sql in sqls), sqls
    full_loads = [sql for sql in sqls if '"result"' in sql]
    assert len(full_loads) == 1, sqls
