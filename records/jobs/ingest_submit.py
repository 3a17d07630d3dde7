"""From an uploaded file to a stored ingest job: the same checks as a write, line by line.

``ingest_target`` runs before the upload is read when it can (a raw body: its table is named in
the query string), so a client without the privilege, or naming a table that does not exist
without ``auto_create``, is answered before a byte of a large file is read. ``ingest_submit``
then reads the whole file, checks every row against the table (the first bad lines are a 400
naming them, nothing stored), and stores the job; the file moves under the job's id into
``RECORDS_INGEST_DIR`` in the same transaction (a worker finds it as soon as it hears of it).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from access.grants import privileges_of
from access.models import ApiClient
from common.errors import ApiError
from warehouse.sql import TableName

from ..models import Job
from ..tables import Column, user_columns
from ..validation.files import CsvOptions, check_file
from .ingest import ingest_file, ingest_table_problem
from .payloads import IngestPayload
from .submit import job_submit, request_fingerprint, write_target


@dataclass(frozen=True)
class IngestTarget:
    """The table a file goes to, and its columns (audit columns included)."""

    table: TableName
    columns: tuple[Column, ...]


def ingest_target(client: ApiClient, data: dict[str, Any]) -> IngestTarget:
    """The checks that need no file: privileges, the table (or its definition), its types."""
    table = TableName(data["catalog"], data["schema"], data["table"])
    privileges = privileges_of(client)
    privileges.require("MODIFY", table)
    target, _ = write_target(table, data, privileges)
    problem = ingest_table_problem(table, target)
    if problem is not None:
        raise ApiError(problem[0], details={"table": str(table)})
    return IngestTarget(table, target)


def ingest_submit(
    *,
    target: IngestTarget,
    data: dict[str, Any],
    upload: Path,
    file_format: str,
    client: ApiClient,
    idempotency_key: str | None,
) -> tuple[Job, bool]:
    """Check every row of ``upload`` and store the job (``upload`` moves to the job's file when
    a job is created; the caller deletes it otherwise)."""
    options = CsvOptions(
        header=data.get("header", True),
        delimiter=data.get("delimiter", ","),
        null_value=data.get("null_value", ""),
    )
    rows = check_file(
        upload, file_format, options, user_columns(target.columns), max_rows=settings.RECORDS_INGEST_MAX_ROWS
    )
    payload = IngestPayload(
        file_format=file_format,
        rows=rows,
        bytes=upload.stat().st_size,
        header=options.header,
        delimiter=options.delimiter,
        null_value=options.null_value,
        auto_create=bool(data.get("auto_create")),
        columns=data.get("columns"),
    )
    fingerprint = ""
    if idempotency_key:
        # The file's own digest: the same bytes sent again are the same request.
        described = {**payload.to_json(), "sha256": file_sha256(upload), "table": str(target.table)}
        fingerprint = request_fingerprint(Job.Operation.INGEST, described)
    moved_to: Path | None = None
    try:
        with transaction.atomic():
            job, created = job_submit(
                operation=Job.Operation.INGEST,
                table=target.table,
                payload=payload,
                client=client,
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
                callback_url=data.get("callback_url") or "",
            )
            if created:
                # Before the commit that publishes the job: its worker finds the file.
                moved_to = ingest_file(job.job_id, file_format)
                os.replace(upload, moved_to)
    except BaseException:
        if moved_to is not None:
            moved_to.unlink(missing_ok=True)  # the job was not stored: its file goes too
        raise
    return job, created


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
