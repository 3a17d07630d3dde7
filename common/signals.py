"""Events one app announces and another records, so that neither imports the other.

``api_error_shaped``: an error response was built for an exception raised in a DRF view (or
in any other view under /api/, by ``common.middleware.ApiErrorMiddleware``). Arguments:
``request`` (DRF ``Request`` or ``HttpRequest``), ``exc``, ``status_code``, ``body``.

``job_failed``: a job ended ``failed``. Arguments, all plain values: ``job_id``, ``operation``,
``catalog``, ``schema``, ``table``, ``principal`` (the name written to ``*_by``), ``client_id``,
``message``, ``error_class``, ``error_type``, ``stack_trace`` (for an internal error),
``payload`` (the stored request) and ``started_at``.

``job_started``: a worker claimed a job (``attempts`` is 1 on its first claim). Arguments:
``job_id``, ``operation``, ``attempts``, ``submitted_at``, ``started_at``.

``job_finished``: a job reached a final state (``succeeded``, ``failed`` or ``canceled``), once per job.
Arguments: ``job_id``, ``operation``, ``status``, ``submitted_at``, ``started_at`` (of its last
attempt), ``finished_at``, ``rows`` (the result's ``count`` when it succeeded, else ``None``),
``callback_url`` (``""`` when it asked for no webhook).

Receivers run synchronously, in the sender's transaction; they must not raise. ``job_started``
and ``job_finished`` feed metrics and completion webhooks: they are sent with ``send_robust``, so
that a receiver's failure is logged (``django.dispatch``) and never changes a job's outcome.
"""

from __future__ import annotations

from django.dispatch import Signal

api_error_shaped = Signal()
job_failed = Signal()
job_started = Signal()
job_finished = Signal()
