"""Running an ingest job: the uploaded file staged as Parquet in a volume, then one COPY INTO.

1. The file (``ingest_file``: in ``RECORDS_INGEST_DIR`` under the job's id, put there by
   submit) is read again a batch at a time and checked against the table as it is now (it
   may have changed since submit: a row that no longer fits fails the job, nothing loaded).
2. Its rows go to Parquet files of at most ``RECORDS_INGEST_FILE_ROWS`` rows, each row with
   its audit values (``record_uuid`` from the job's id and the row's number, ``inserted_at``
   the job's first attempt's time): every attempt writes the very same files. Each is put in
   the job's folder of the staging volume (``RECORDS_STAGING_VOLUME``) and deleted here.
3. ``COPY INTO`` loads the folder. Databricks skips the files it loaded into the table
   before, so a job re-delivered after its load (its worker died before saying so) lands
   nothing twice; its count then comes from the table (the rows with its record_uuids).
4. The staged files are removed; the uploaded file once the job is final (``ingest_file_drop``,
   on ``job_finished``), whatever way it ended.

Progress: ``files_total``, ``files_staged``, ``bytes_uploaded``, then ``rows_loaded`` and
``files_loaded``. A cancel is honoured before each upload and before the load.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from warehouse.client import get_client
from warehouse.exceptions import PermanentWarehouseError
from warehouse.sql import TableName

from ..models import Job
from ..sql.staging import (
    COPY_FILES_LIMIT,
    VolumeName,
    copy_into,
    count_staged_rows_in,
    create_volume,
    staging_folder,
)
from ..tables import Column, user_columns
from ..validation.files import CsvOptions, FileChecker, FileProblem, file_batches
from ..validation.rows import SchemaValidationError
from .errors import JobFailed
from .lifecycle import JobCanceled, job_stop_if_canceled
from .parquet import PartWriter, UnsupportedColumnType, arrow_schema, audit_values, record_uuids
from .payloads import IngestPayload

logger = logging.getLogger(__name__)

ProgressReport = Callable[..., None]
INGEST_SUFFIXES = {"csv": ".csv", "ndjson": ".ndjson", "parquet": ".parquet"}


def ingest_dir() -> Path:
    path = Path(settings.RECORDS_INGEST_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def ingest_file(job_id: uuid.UUID | str, file_format: str) -> Path:
    """Where an ingest job's uploaded file waits until the job is final."""
    return ingest_dir() / f"{uuid.UUID(str(job_id))}{INGEST_SUFFIXES[file_format]}"


def ingest_file_drop(sender: Any, job_id: str, operation: str = "", **kwargs: Any) -> None:
    """``job_finished`` receiver: a final ingest job's uploaded file is deleted, and any file
    it staged and did not remove itself (it failed on something unexpected, ran out of
    retries, or its canceled lease ran out)."""
    if operation != "ingest":
        return
    for suffix in INGEST_SUFFIXES.values():
        ingest_file(job_id, suffix.lstrip(".")).unlink(missing_ok=True)
    job = Job.objects.filter(job_id=job_id).only("catalog", "schema", "table", "progress", "job_id").first()
    if job is not None and int(job.progress.get("files_in_volume", 0)):
        table = TableName(job.catalog, job.schema, job.table)
        _remove_staged(
            staging_folder(staging_volume(table), job.job_id), int(job.progress["files_in_volume"])
        )


def _remove_staged(folder: str, parts: int, report: ProgressReport | None = None) -> None:
    """Remove the first ``parts`` staged files; ``files_in_volume`` (how many files any
    attempt may have left in the folder) is 0 afterwards."""
    for name in _part_names(parts):
        _remove_quietly(f"{folder}/{name}")
    if report is not None:
        report(files_in_volume=0)


def ingest_dir_sweep(*, older_than: float) -> list[str]:
    """Delete what RECORDS_INGEST_DIR holds for nobody, last changed more than ``older_than``
    seconds ago: an upload whose request died (a web process killed mid-body), a staging
    folder whose worker died, and a job's file whose job is final or gone (the job_finished
    receiver deletes those at once; this catches a receiver that did not run). The names."""
    folder = ingest_dir()
    cutoff = time.time() - older_than
    final = {Job.Status.SUCCEEDED, Job.Status.FAILED, Job.Status.CANCELED}
    removed = []
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime > cutoff:
                continue
            job_id = _job_id_of(path)
            if job_id is not None:
                status = Job.objects.filter(job_id=job_id).values_list("status", flat=True).first()
                if status is not None and status not in final:
                    continue  # a job still to run: its file waits
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path.name)
        except FileNotFoundError:
            continue  # gone meanwhile (its job finished)
    if removed:
        logger.info("removed %s leftover upload file(s) from %s: %s", len(removed), folder, removed[:20])
    return removed


def _job_id_of(path: Path) -> uuid.UUID | None:
    """The job a job's file (``<job id>.<format>``) belongs to; ``None`` for other names."""
    if path.suffix not in INGEST_SUFFIXES.values():
        return None
    try:
        return uuid.UUID(path.stem)
    except ValueError:
        return None


def staging_volume(table: TableName) -> VolumeName:
    """``RECORDS_STAGING_VOLUME``, or a ``records_staging`` volume in the table's schema."""
    configured = str(settings.RECORDS_STAGING_VOLUME or "")
    if configured:
        catalog, schema, volume = configured.split(".")
        return VolumeName(catalog, schema, volume)
    return VolumeName(table.catalog, table.schema, "records_staging")


def ingest_table_problem(table: TableName, columns: tuple[Column, ...]) -> tuple[str, str] | None:
    """Why ingest cannot load into a table of these columns (the message and its error class),
    or ``None``: checked at submit (a 400) and again when the job runs (the table may have
    changed)."""
    if not any(c.name.lower() == "record_uuid" for c in columns):
        message = f"Table {table} has no record_uuid column: ingest needs it to land each row exactly once"
        return message, "UNRESOLVED_COLUMN"
    try:
        arrow_schema(columns)
    except UnsupportedColumnType as error:
        return (
            f"Table {table} has a column of type {error}, which ingest cannot write",
            "UNSUPPORTED_COLUMN_TYPE",
        )
    return None


def ingest_run(
    job: Job, table: TableName, payload: IngestPayload, target: tuple[Column, ...], report: ProgressReport
) -> dict[str, Any]:
    """Stage, load and clean up (see the module); the result body of the job."""
    source = ingest_file(job.job_id, payload.file_format)
    if not source.exists():
        raise JobFailed(
            f"The uploaded file of job {job.job_id} is gone from RECORDS_INGEST_DIR on this worker "
            "(web and workers must share that folder): nothing was loaded",
            error_class="INGEST_FILE_NOT_FOUND",
            error_type="FileNotFoundError",
        )
    problem = ingest_table_problem(table, target)
    if problem is not None:
        message, error_class = problem
        raise JobFailed(
            f"{message}: nothing was loaded", error_class=error_class, error_type="SchemaValidationError"
        )
    client = get_client()
    volume = staging_volume(table)
    folder = staging_folder(volume, job.job_id)
    # Chosen by the first attempt, kept by every other: the same files under the same names.
    inserted_at = str(job.progress.get("inserted_at") or timezone.now().isoformat())
    file_rows = int(job.progress.get("file_rows") or settings.RECORDS_INGEST_FILE_ROWS)
    report(inserted_at=inserted_at, file_rows=file_rows)
    if "rows_loaded" in job.progress:
        count, parts = int(job.progress["rows_loaded"]), int(job.progress["files_total"])
    else:
        if settings.RECORDS_STAGING_VOLUME_CREATE:
            client.execute(create_volume(volume).sql)
        try:
            parts = _stage(job, payload, source, target, folder, inserted_at, file_rows, report)
            job_stop_if_canceled(job)
            count = _load(job, table, folder, parts)
        except (JobFailed, JobCanceled, PermanentWarehouseError):
            # Final (or run again at once against fresh columns): no staged file is left behind.
            # Not on JobLost: the files are the attempt's that took the job over.
            _remove_staged(folder, int(job.progress.get("files_in_volume", 0)), report)
            raise
        report(rows_loaded=count, files_loaded=parts)
    _remove_staged(folder, max(parts, int(job.progress.get("files_in_volume", 0))), report)
    logger.info("job %s: %s row(s) loaded into %s from %s file(s)", job.job_id, count, table, parts)
    return {"message": f"Inserted {count} record(s) into {table}", "count": count, "files": parts}


def _part_names(parts: int) -> list[str]:
    return [f"part-{number:05d}.parquet" for number in range(1, parts + 1)]


def _stage(
    job: Job,
    payload: IngestPayload,
    source: Path,
    target: tuple[Column, ...],
    folder: str,
    inserted_at: str,
    file_rows: int,
    report: ProgressReport,
) -> int:
    """Write and upload the job's Parquet files (``file_rows`` rows each); how many there are."""
    client = get_client()
    files_total = -(-payload.rows // file_rows)
    report(files_total=files_total, files_staged=0, bytes_uploaded=0)
    uploaded = staged = 0
    with tempfile.TemporaryDirectory(dir=ingest_dir(), prefix=f"stage-{job.job_id}-") as work:
        files = _parts(job, payload, source, target, inserted_at, file_rows, Path(work))
        try:
            for number, part in enumerate(files, start=1):
                job_stop_if_canceled(job)
                client.upload(part, f"{folder}/{part.name}")
                uploaded += part.stat().st_size
                staged = number
                part.unlink()
                in_volume = max(staged, int(job.progress.get("files_in_volume", 0)))
                report(files_staged=staged, bytes_uploaded=uploaded, files_in_volume=in_volume)
        except (SchemaValidationError, FileProblem) as error:
            # The file no longer fits the table (it changed since submit).
            raise JobFailed(
                f"{error.message}: nothing was loaded",
                error_class="SCHEMA_VALIDATION_FAILED",
                error_type="SchemaValidationError",
            ) from error
    if staged != files_total:
        report(files_total=staged)
    return staged


def _parts(
    job: Job,
    payload: IngestPayload,
    source: Path,
    target: tuple[Column, ...],
    inserted_at: str,
    per_file: int,
    work: Path,
) -> Iterator[Path]:
    """The job's Parquet files, one at a time (each written whole before it is yielded)."""
    options = CsvOptions(header=payload.header, delimiter=payload.delimiter, null_value=payload.null_value)
    checker = FileChecker(user_columns(target))
    audit = audit_values(target, principal=job.principal, inserted_at=inserted_at)
    writer: PartWriter | None = None
    number = row_number = 0
    for batch in file_batches(source, payload.file_format, options, user_columns(target)):
        rows = checker.check(batch)
        if rows is None:
            checker.raise_problems()  # always raises here
            return
        offset = 0
        while offset < len(rows):
            if writer is None:
                number += 1
                writer = PartWriter(work / _part_names(number)[-1], target)
            chunk = rows[offset : offset + per_file - writer.rows]
            uuids = {"record_uuid": record_uuids(job.job_id, row_number + 1, len(chunk))}
            writer.write(chunk, same=audit, given=uuids)
            row_number += len(chunk)
            offset += len(chunk)
            if writer.rows >= per_file:
                writer.close()
                yield writer.path
                writer = None
    if writer is not None:
        writer.close()
        yield writer.path


def _load(job: Job, table: TableName, folder: str, parts: int) -> int:
    """COPY INTO of the job's own files (named: a stray file in the folder is never loaded),
    and the count of rows it landed: the warehouse's, or (a re-run, which may find its files
    loaded by the attempt before) the table's rows with the job's uuids."""
    count = 0
    names = _part_names(parts)
    for start in range(0, len(names), COPY_FILES_LIMIT):
        statement = copy_into(table, folder, names[start : start + COPY_FILES_LIMIT])
        counts = get_client().execute(statement.sql).dml_counts()
        count += counts.get("num_inserted_rows", counts.get("num_affected_rows", 0))
    if job.attempts > 1 or count != int(job.item_count or 0):
        (row,) = get_client().execute(count_staged_rows_in(table, folder).sql).rows
        return int(row[0])
    return count


def _remove_quietly(path: str) -> None:
    """Remove a staged file; one already gone (an earlier attempt removed it) is fine, and one
    the warehouse will not remove is left (logged): the rows are loaded either way."""
    try:
        get_client().remove(path, missing_ok=True)
    except PermanentWarehouseError as error:
        logger.warning("staged file %s not removed: %s", path, error.message)
