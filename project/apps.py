from __future__ import annotations

from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """Runs the start-up steps in every process: web server, worker, beat, management commands."""

    name = "project"
    verbose_name = "Project"

    def ready(self) -> None:
        # In ready(), as Django prescribes: start-up touches the database and the warehouse
        # client, which must not be imported while the app registry is still loading.
        from project import startup

        startup.prepare_local_folders()
        startup.log_configuration()
