from __future__ import annotations

from django.urls import path

from . import ingest, views

urlpatterns = [
    path("records/write", views.RecordsWriteView.as_view(), name="records-write"),
    path("records/upsert", views.RecordsUpsertView.as_view(), name="records-upsert"),
    path("records/update", views.RecordsUpdateView.as_view(), name="records-update"),
    path("records/delete", views.RecordsDeleteView.as_view(), name="records-delete"),
    path("records/ingest", ingest.RecordsIngestView.as_view(), name="records-ingest"),
    path("records/read", views.RecordsReadView.as_view(), name="records-read"),
    path("jobs", views.JobListView.as_view(), name="job-list"),
    path("jobs/<uuid:job_id>", views.JobDetailView.as_view(), name="job-detail"),
    path("jobs/<uuid:job_id>/cancel", views.JobCancelView.as_view(), name="job-cancel"),
]
