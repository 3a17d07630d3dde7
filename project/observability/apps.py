from __future__ import annotations

from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    """Connects the job metrics to ``common.signals`` in every process; a worker started with
    ``METRICS_WORKER_BIND`` serves its host's metrics on that address once it is ready."""

    name = "project.observability"
    label = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        from celery.signals import worker_ready

        from . import metrics, multiprocess

        multiprocess.metrics_dir().mkdir(parents=True, exist_ok=True)
        metrics.connect_receivers()
        worker_ready.connect(multiprocess.worker_metrics_server_start, dispatch_uid="observability.worker")
