"""A final job's webhook: made once (``webhook_create``, on ``common.signals.job_finished``),
attempted by a Celery task (``webhook_attempt``) until its receiver answers 2xx or 410 or the
retry schedule runs out; each attempt recorded."""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..api.representations import JobSerializer
from ..models import Job, WebhookAttempt, WebhookDelivery
from .signing import signed_headers

logger = logging.getLogger(__name__)

WEBHOOK_DELIVER_TASK = "records.webhooks.webhook_deliver_task"
# A worker taking an attempt moves its due time this far past the request's timeout, so that a
# second delivery of the task message meanwhile finds nothing due.
_ATTEMPT_HOLD_SECONDS = 30.0
# Bodies of answers kept in an attempt's record: enough to see what a receiver said.
_ANSWER_CHARS = 500


def on_job_finished(sender: Any, job_id: str, callback_url: str = "", **kwargs: Any) -> None:
    """``job_finished`` receiver: the job's webhook, if it asked for one (most do not: no query)."""
    if not callback_url:
        return
    job = Job.objects.defer("payload").filter(job_id=job_id).first()
    if job is not None:
        webhook_create(job)


def webhook_create(job: Job) -> WebhookDelivery | None:
    """The job's one delivery, published for its first attempt; None if it has one already."""
    body = json.dumps(
        {
            "type": f"job.{job.status}",
            "timestamp": timezone.now().isoformat().replace("+00:00", "Z"),
            "data": JobSerializer(job).data,
        },
        separators=(",", ":"),
        default=str,
    )
    delivery, created = WebhookDelivery.objects.get_or_create(
        job=job,
        defaults={
            "webhook_id": f"msg_{uuid.uuid4().hex}",
            "event_type": f"job.{job.status}",
            "url": job.callback_url,
            "body": body,
            "next_attempt_at": timezone.now(),
        },
    )
    if not created:
        return None
    logger.info("job %s: webhook %s to %s", job.job_id, delivery.webhook_id, delivery.url)
    transaction.on_commit(lambda: webhook_publish(delivery.pk))
    return delivery


def webhook_publish(delivery_pk: int, countdown: float = 0) -> None:
    try:
        current_app.send_task(
            WEBHOOK_DELIVER_TASK, args=(delivery_pk,), queue=settings.RECORDS_JOB_QUEUE, countdown=countdown
        )
    except Exception:  # the broker's errors vary by transport; the sweep publishes it again
        logger.exception("could not publish webhook delivery %s; the sweep will", delivery_pk)


def webhook_send_again(delivery: WebhookDelivery) -> None:
    """An operator's "send again": one more attempt now, whatever the delivery's state."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now()
    )
    transaction.on_commit(lambda: webhook_publish(delivery.pk))


def webhook_attempt(delivery_pk: int) -> str | None:
    """POST the delivery if an attempt is due; its status afterwards, or None if none was due."""
    now = timezone.now()
    timeout = float(settings.RECORDS_WEBHOOK_TIMEOUT_SECONDS)
    taken = WebhookDelivery.objects.filter(
        pk=delivery_pk, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + timedelta(seconds=timeout + _ATTEMPT_HOLD_SECONDS))
    if not taken:
        return None
    delivery = WebhookDelivery.objects.select_related("job__client").get(pk=delivery_pk)
    headers = signed_headers(
        delivery.job.client.webhook_secret, delivery.webhook_id, int(time.time()), delivery.body
    )
    started = time.monotonic()
    status_code: int | None = None
    error = ""
    try:
        # No redirects: a receiver's 3xx must not aim the service elsewhere.
        response = httpx.post(delivery.url, content=delivery.body.encode(), headers=headers, timeout=timeout)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = response.text[:_ANSWER_CHARS]
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:_ANSWER_CHARS]
    WebhookAttempt.objects.create(
        delivery=delivery,
        attempted_at=now,
        status_code=status_code,
        error=error,
        duration_ms=round((time.monotonic() - started) * 1000),
    )
    return _record_outcome(delivery, status_code)


def _record_outcome(delivery: WebhookDelivery, status_code: int | None) -> str:
    attempts = delivery.attempts + 1
    schedule: list[float] = settings.RECORDS_WEBHOOK_RETRY_SCHEDULE
    changes: dict[str, Any] = {
        "attempts": attempts,
        "next_attempt_at": None,
        "status": delivery.Status.PENDING,
    }
    delay = None
    if status_code is not None and 200 <= status_code < 300:
        changes.update(status=WebhookDelivery.Status.DELIVERED, delivered_at=timezone.now())
    elif status_code == 410:
        changes["status"] = WebhookDelivery.Status.GONE
    elif attempts > len(schedule):
        changes["status"] = WebhookDelivery.Status.FAILED
    else:
        delay = schedule[attempts - 1] * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not secrecy)
        changes["next_attempt_at"] = timezone.now() + timedelta(seconds=delay)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes)
    outcome = changes["status"]
    logger.info(
        "webhook %s attempt %s: %s -> %s",
        delivery.webhook_id,
        attempts,
        status_code if status_code is not None else "no answer",
        outcome if delay is None else f"again in {delay:.1f} s",
    )
    if delay is not None:
        webhook_publish(delivery.pk, countdown=delay)
    return str(outcome)


def webhooks_republish_due() -> int:
    """Beat: publish pending deliveries overdue by a minute (their message was lost)."""
    overdue = timezone.now() - timedelta(seconds=60)
    pks = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=overdue)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )
    for pk in pks:
        webhook_publish(pk)
    return len(pks)
