"""The job engine: a validated request becomes a durable job that a worker runs on the warehouse.

``payloads`` (the typed stored request and its codec), ``submit`` (checks against the table,
store, publish), ``queue`` (publishing by task name), ``lifecycle`` (claim, progress, finish,
retry, re-queue, sweep), ``run`` (a claimed job's statements and result), ``tasks`` (Celery),
``selectors`` (reads of jobs), ``errors``.
"""
