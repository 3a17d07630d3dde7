from __future__ import annotations

from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "Records"

    def ready(self) -> None:
        from common.signals import job_finished

        from .jobs.ingest import ingest_file_drop
        from .webhooks.delivery import on_job_finished

        job_finished.connect(on_job_finished, dispatch_uid="records.webhooks")
        job_finished.connect(ingest_file_drop, dispatch_uid="records.ingest")
