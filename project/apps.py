from __future__ import annotations

from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """Runs the start-up steps in every process: web server, worker, beat, management commands."""

    name = "project"
    verbose_name = "Project"

    def ready(self) -> None:
        from project import startup

        startup.prepare_local_folders()
        startup.log_configuration()
