"""Celery tasks of the completion webhooks."""

from __future__ import annotations

from celery import shared_task

from .delivery import WEBHOOK_DELIVER_TASK, webhook_attempt, webhooks_republish_due

WEBHOOKS_REPUBLISH_DUE_TASK = "records.webhooks.webhooks_republish_due_task"


@shared_task(name=WEBHOOK_DELIVER_TASK, acks_late=True, ignore_result=True)
def webhook_deliver_task(delivery_pk: int) -> str | None:
    """One attempt of a webhook delivery, if one is due."""
    return webhook_attempt(delivery_pk)


@shared_task(name=WEBHOOKS_REPUBLISH_DUE_TASK, ignore_result=True)
def webhooks_republish_due_task() -> int:
    return webhooks_republish_due()
