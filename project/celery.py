"""The Celery app: configured from Django settings (keys prefixed ``CELERY_``)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The job engine's tasks live in a subpackage, which autodiscovery does not look into.
app.autodiscover_tasks(["records.jobs", "records.webhooks"])
