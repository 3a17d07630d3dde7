"""Events one app announces and another records, so that neither imports the other.

``api_error_shaped``: an error response was built for an exception raised in a DRF view (or
in any other view under /api/, by ``common.middleware.ApiErrorMiddleware``). Arguments:
``request`` (DRF ``Request`` or ``HttpRequest``), ``exc``, ``status_code``, ``body``.

``job_failed``: a job ended ``failed``. Arguments, all plain values: ``job_id``, ``operation``,
``catalog``, ``schema``, ``table``, ``principal`` (the name written to ``*_by``), ``client_id``,
``message``, ``error_class``, ``error_type``, ``stack_trace`` (for an internal error),
``payload`` (the stored request) and ``started_at``.

Receivers run synchronously, in the sender's transaction; they must not raise.
"""

from __future__ import annotations

from django.dispatch import Signal

api_error_shaped = Signal()
job_failed = Signal()
