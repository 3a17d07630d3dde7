"""What re-queueing a job would do, said before an operator confirms it (the admin's page)."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Job


@dataclass(frozen=True)
class RequeuePlan:
    job: Job
    # "in place", "as a new job" (only by the second action) or "not re-queued".
    outcome: str
    explanation: str


def requeue_plans(jobs: list[Job]) -> list[RequeuePlan]:
    """For each job, what ``jobs_requeue`` would do with it and what to expect from the run."""
    return [_plan(job) for job in jobs]


def _plan(job: Job) -> RequeuePlan:
    if job.status != Job.Status.FAILED:
        return RequeuePlan(job, "not re-queued", f"It is {job.status}, not failed: nothing to do.")
    error = job.error or {}
    error_class = error.get("error_class") or error.get("type") or "an error"
    if error.get("type") == "TransientWarehouseError":
        chance = (
            f"It failed on a transient warehouse error ({error_class}) after {job.attempts} attempt(s): "
            "run again, it may succeed once the warehouse answers."
        )
    else:
        chance = (
            f"It failed on a permanent error ({error_class}): run again unchanged, it fails again unless "
            "its cause was fixed meanwhile (the table, the client's grants, the data)."
        )
    overtaken = Job.objects.filter(table_key=job.table_key, pk__gt=job.pk, started_at__isnull=False).exists()
    if overtaken:
        return RequeuePlan(
            job,
            "as a new job",
            f"{chance} Newer jobs of {job.full_table_name} already ran, so it is not re-queued in place "
            "(it would apply out of order); the second action adds a copy of it at the end of the "
            "table's queue, after them.",
        )
    return RequeuePlan(
        job,
        "in place",
        f"{chance} It runs again from the start, before any later queued job of {job.full_table_name}.",
    )
