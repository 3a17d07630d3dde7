"""Grants checked again when a job runs: a privilege revoked after submit fails the job before
its next statements, with the reason (the submit check alone would let a queued job outlive
the grant)."""

from __future__ import annotations

import math

from access.grants import privileges_of
from warehouse.sql import TableName

from ..catalog import table_columns
from ..models import Job
from .errors import JobFailed
from .payloads import IngestPayload, Payload, UpsertPayload, WritePayload


def job_require_privileges(job: Job, table: TableName, payload: Payload) -> None:
    """``JobFailed`` (``PERMISSION_DENIED``) unless ``job``'s client holds, now, ``MODIFY`` on
    the table and, for a write or upsert that creates it, ``CREATE_TABLE`` on its schema."""
    held = privileges_of(job.client)
    needed = ["MODIFY"]
    # Only a table that is missing needs CREATE_TABLE (auto_create on an existing table only
    # writes), looked up afresh: a cached "exists" may be stale.
    creates = isinstance(payload, WritePayload | UpsertPayload | IngestPayload) and payload.auto_create
    if creates and held.denial("CREATE_TABLE", table) and not _exists(table):
        needed.append("CREATE_TABLE")
    for privilege in needed:
        denial = held.denial(privilege, table)
        if denial is not None:
            raise JobFailed(
                f"{denial.message} (checked again when the job ran)",
                error_class="PERMISSION_DENIED",
                error_type="PermissionDenied",
            )


def job_may_modify(job: Job, table: TableName) -> bool:
    """Whether ``job``'s client holds ``MODIFY`` on ``table`` now (a job that does not runs
    alone, and fails with the reason)."""
    return privileges_of(job.client).denial("MODIFY", table) is None


def _exists(table: TableName) -> bool:
    return table_columns(table, fresh=True, max_age=math.inf) is not None
