"""Metrics (``/metrics``), readiness (``/readyz``) and what feeds them: a Django app of its own,
so that every process (web, worker) connects its receivers and counts the same things."""
