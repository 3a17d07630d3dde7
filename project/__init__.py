"""Project package: settings, URLs, the Celery app and service-level views."""

from __future__ import annotations

# Imported here so that `@shared_task` uses this app as soon as Django starts.
from .celery import app as celery_app

__all__ = ("celery_app",)
