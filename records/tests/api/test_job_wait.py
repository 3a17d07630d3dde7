"""Waiting without busy polling: ``GET /api/v1/jobs/{id}?wait=N`` answers as soon as the job is
final, ``Retry-After`` on every answer about an unfinished job, ``Prefer: wait=N`` on submits,
and 400s for query values no job can match."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from access.testing import ApiCaller
from records.models import Job
from records.testing import unpublished_write, wait_for_job
from warehouse.sql import TableName

logger = logging.getLogger(__name__)

CATALOG = "job_tests"


def write_body(table: TableName, ids: range) -> dict[str, Any]:
    return {
        "catalog": table.catalog,
        "schema": table.schema,
        "table": table.table,
        "data": [{"id": i, "note": f"row {i}"} for i in ids],
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_a_long_poll_answers_as_soon_as_the_job_finishes(alice: ApiCaller, table: TableName) -> None:
    """A job held behind a queued head: ``?wait=20`` waits; canceling the head lets the worker
    run the job, and the waiting request answers it finished (the delay is logged)."""
    head = unpublished_write(table, [{"id": 0, "note": "head"}], principal="alice")
    submitted = alice.post("/api/v1/records/write", write_body(table, range(1, 4)))
    assert submitted.status_code == 202
    job_id = submitted.json()["job_id"]
    answers: list[tuple[Any, float]] = []
    waiting = threading.Thread(
        target=lambda: answers.append((alice.get(f"/api/v1/jobs/{job_id}", {"wait": 20}), time.time()))
    )
    started = time.monotonic()
    waiting.start()
    time.sleep(0.5)
    assert not answers, "the request answered before its job finished"
    assert alice.http.post(f"/api/v1/jobs/{head.job_id}/cancel").status_code == 200
    waiting.join(30)
    assert answers, "the long poll did not answer"
    response, answered_at = answers[0]
    body = response.json()
    assert response.status_code == 200 and body["status"] == "succeeded", body
    assert "Retry-After" not in response
    finished_at = Job.objects.get(job_id=job_id).finished_at
    assert finished_at is not None
    delay_ms = (answered_at - finished_at.timestamp()) * 1000
    logger.info("long poll answered %.0f ms after the job finished", delay_ms)
    assert delay_ms < 5000 and time.monotonic() - started < 20


@pytest.mark.django_db
def test_an_unfinished_job_answers_with_retry_after(alice: ApiCaller, table: TableName) -> None:
    """No worker: the 202 and every answer about the queued job carry ``Retry-After``, from the
    jobs ahead of it on its table (1 s each without history here); ``?wait`` that runs out
    answers the job as it is."""
    unpublished_write(table, [{"id": 0}], principal="alice")
    unpublished_write(table, [{"id": 1}], principal="alice")
    submitted = alice.post("/api/v1/records/write", write_body(table, range(2, 3)))
    assert submitted.status_code == 202
    assert submitted["Retry-After"] == "3"  # two jobs ahead and itself
    job_id = submitted.json()["job_id"]
    response = alice.get(f"/api/v1/jobs/{job_id}")
    assert (response.status_code, response.json()["status"], response["Retry-After"]) == (200, "queued", "3")
    started = time.monotonic()
    waited = alice.get(f"/api/v1/jobs/{job_id}", {"wait": 0.3})
    assert time.monotonic() - started >= 0.3
    assert (waited.status_code, waited.json()["status"], waited["Retry-After"]) == (200, "queued", "3")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_prefer_wait_is_an_alias_of_the_wait_parameter(alice: ApiCaller, table: TableName) -> None:
    response = alice.post("/api/v1/records/write", write_body(table, range(3)), HTTP_PREFER="wait=20")
    assert response.status_code == 201, response.json()
    assert response.json()["result"]["count"] == 3
    assert response["Preference-Applied"] == "wait=20"
    # Another preference alone is ignored: the 202 at once.
    other = alice.post("/api/v1/records/write", write_body(table, range(3, 4)), HTTP_PREFER="respond-async")
    assert other.status_code == 202 and "Preference-Applied" not in other
    wait_for_job(other.json()["job_id"])


@pytest.mark.django_db
def test_prefer_wait_that_runs_out_answers_202_with_retry_after(alice: ApiCaller, table: TableName) -> None:
    started = time.monotonic()
    response = alice.post(
        "/api/v1/records/write", write_body(table, range(2)), HTTP_PREFER='handling=lenient, wait="1"'
    )
    assert time.monotonic() - started >= 1
    assert response.status_code == 202
    assert (response["Preference-Applied"], response["Retry-After"]) == ("wait=1", "1")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/api/v1/jobs", {"status": "bogus"}, '"bogus" is not a valid choice.'),
        ("/api/v1/jobs", {"operation": "bogus"}, '"bogus" is not a valid choice.'),
        ("{job}", {"wait": "abc"}, "wait must be a number of seconds from 0 to 30"),
        ("{job}", {"wait": "31"}, "wait must be a number of seconds from 0 to 30"),
        ("{job}", {"wait": "-1"}, "wait must be a number of seconds from 0 to 30"),
    ],
)
def test_bad_query_values_are_400s(
    alice: ApiCaller, table: TableName, path: str, params: dict[str, str], message: str
) -> None:
    job = unpublished_write(table, [{"id": 0}], principal="alice")
    response = alice.get(path.format(job=f"/api/v1/jobs/{job.job_id}"), params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] is True
    if body["message"] == "Validation error":
        [error] = body["details"]["errors"]
        assert (error["loc"], error["msg"]) == (["query", next(iter(params))], message)
    else:
        assert body["message"] == message


@pytest.mark.django_db
def test_the_jobs_list_filters_by_every_status(alice: ApiCaller, table: TableName) -> None:
    job = unpublished_write(table, [{"id": 0}], principal="alice")
    for status in Job.Status.values:
        response = alice.get("/api/v1/jobs", {"status": status, "operation": "write"})
        assert response.status_code == 200
        expected = [str(job.job_id)] if status == "queued" else []
        assert [found["job_id"] for found in response.json()["results"]] == expected
