from __future__ import annotations

from django.apps import AppConfig

from common.signals import api_error_shaped, job_failed


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        # Imported here, not above: the receivers use models, which Django loads after apps.
        from .receivers import on_api_error_shaped, on_job_failed

        # dispatch_uid: a second ready() (tests) must not record every error twice.
        api_error_shaped.connect(on_api_error_shaped, dispatch_uid="audit.api_error_shaped")
        job_failed.connect(on_job_failed, dispatch_uid="audit.job_failed")
