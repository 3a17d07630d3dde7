"""The migration to clients: keys, jobs and log rows issued before it keep working and owning."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from rest_framework_api_key.crypto import KeyGenerator

# The state before clients existed: keys of djangorestframework-api-key, jobs and log rows by name.
BEFORE = [
    ("records", "0001_initial"),
    ("audit", "0001_initial"),
    ("rest_framework_api_key", "0005_auto_20220110_1102"),
]


def migrate(targets: list[tuple[str, str | None]], state: list[tuple[str, str]]) -> Any:
    """Migrate to ``targets``; the historical apps at the ``state`` nodes."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(state).apps


def latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] in ("access", "records", "audit")]


@pytest.mark.django_db(transaction=True)
def test_keys_jobs_and_log_rows_move_to_clients() -> None:
    """Each key name becomes one client; its keys still authenticate; jobs and log rows get its id."""
    old = migrate([("access", None), *BEFORE], BEFORE)
    api_key = old.get_model("rest_framework_api_key", "APIKey")
    generator = KeyGenerator()
    key, prefix, hashed = generator.generate()
    api_key.objects.create(id=f"{prefix}.{hashed}", prefix=prefix, hashed_key=hashed, name="alice")
    other, other_prefix, other_hashed = generator.generate()
    api_key.objects.create(
        id=f"{other_prefix}.{other_hashed}", prefix=other_prefix, hashed_key=other_hashed, name="alice"
    )
    job = old.get_model("records", "Job")
    for principal in ("alice", "gone"):
        job.objects.create(
            operation="write",
            catalog="c",
            schema="s",
            table="t",
            table_key="c.s.t",
            payload={},
            principal=principal,
        )
    old.get_model("audit", "ApiLog").objects.create(
        timestamp="2026-01-01T00:00:00Z", level="WARNING", user="alice"
    )

    new = migrate(list(latest()), latest())
    clients = new.get_model("access", "ApiClient")
    alice = clients.objects.get(name="alice")
    assert alice.is_active and new.get_model("access", "ClientKey").objects.filter(client=alice).count() == 2
    gone = clients.objects.get(name="gone")
    assert not gone.is_active  # its jobs keep an owner, but nobody can log in as it
    jobs = new.get_model("records", "Job").objects
    assert {(j.principal, j.client_id) for j in jobs.all()} == {("alice", alice.pk), ("gone", gone.pk)}
    assert new.get_model("audit", "ApiLog").objects.get().client_id == alice.pk
    assert not new.get_model("rest_framework_api_key", "APIKey").objects.exists()
    for issued in (key, other):
        assert Client(headers={"Authorization": f"Api-Key {issued}"}).get("/api/v1/jobs").status_code == 200
