"""Publishing: a job's id goes to the queue RECORDS_JOB_QUEUE names, as the task it runs."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from celery import current_app

from records.jobs.queue import JOB_RUN_TASK, job_publish


def test_a_job_is_published_to_the_configured_queue(settings: Any) -> None:
    queue_name = f"test-queue-{uuid.uuid4().hex[:8]}"
    settings.RECORDS_JOB_QUEUE = queue_name
    with current_app.connection_for_read() as connection:
        queue = connection.SimpleQueue(queue_name, no_ack=True)
        try:
            assert job_publish(4242) is True
            message = queue.get(timeout=10)
            assert message.headers["task"] == JOB_RUN_TASK
            assert message.decode()[0] == [4242]
            with pytest.raises(queue.Empty):  # one message, not two
                queue.get(timeout=0.5)
        finally:
            queue.queue.delete()
            queue.close()
