"""Completion webhooks: when a job with a ``callback_url`` is final, its client's receiver gets
one signed message (Standard Webhooks), retried until it answers."""
