"""Bulk loads through a Unity Catalog volume: the staging volume, COPY INTO, and its count.

A job's files wait in ``/Volumes/<c>/<s>/<v>/ingest/<job id>/`` (``staging_folder``); COPY
INTO loads that folder's Parquet files into the table, by column name, and skips the files it
already loaded into it (Databricks' own bookkeeping), so running it again lands nothing twice.
The files' paths are SQL text (Databricks takes no parameter there): they are built here of
checked identifiers and the job's UUID only.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from warehouse.sql import IDENTIFIER, Statement, TableName, quote_identifier


@dataclass(frozen=True)
class VolumeName:
    """A three-part Unity Catalog volume name (``catalog.schema.volume``)."""

    catalog: str
    schema: str
    volume: str

    def __post_init__(self) -> None:
        for part in (self.catalog, self.schema, self.volume):
            if not IDENTIFIER.fullmatch(part):
                raise ValueError(f"not an identifier: {part!r}")

    def __str__(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.volume}"

    @property
    def quoted(self) -> str:
        return ".".join(quote_identifier(part) for part in (self.catalog, self.schema, self.volume))

    @property
    def path(self) -> str:
        return f"/Volumes/{self.catalog}/{self.schema}/{self.volume}"


def staging_folder(volume: VolumeName, job_id: uuid.UUID) -> str:
    return f"{volume.path}/ingest/{uuid.UUID(str(job_id))}"


def _folder_literal(folder: str) -> str:
    if "'" in folder or "\\" in folder or not folder.startswith("/Volumes/"):
        raise ValueError(f"not a staging folder: {folder!r}")
    return f"'{folder}/'"


def create_volume(volume: VolumeName) -> Statement:
    return Statement(f"CREATE VOLUME IF NOT EXISTS {volume.quoted}", {})


# Databricks' most files one COPY INTO may name.
COPY_FILES_LIMIT = 1000
_FILE_NAME = re.compile(r"[A-Za-z0-9_-]+\.parquet").fullmatch


def copy_into(table: TableName, folder: str, files: Sequence[str]) -> Statement:
    """Load the Parquet ``files`` of ``folder`` (names in it) that were not loaded before;
    counts ``num_inserted_rows``."""
    if not 0 < len(files) <= COPY_FILES_LIMIT or not all(_FILE_NAME(name) for name in files):
        raise ValueError(f"not a list of 1 to {COPY_FILES_LIMIT} staged file names: {files[:3]!r}")
    named = ", ".join(f"'{name}'" for name in files)
    return Statement(
        f"COPY INTO {table.quoted} FROM {_folder_literal(folder)} FILEFORMAT = PARQUET FILES = ({named})", {}
    )


def count_staged_rows_in(table: TableName, folder: str) -> Statement:
    """How many of the staged rows (by ``record_uuid``, which only this job's rows carry) the
    table holds: the count of a load re-run after an attempt that may have loaded them."""
    return Statement(
        f"SELECT COUNT(*) FROM {table.quoted} WHERE `record_uuid` IN "
        f"(SELECT `record_uuid` FROM read_files({_folder_literal(folder)}, format => 'parquet'))",
        {},
    )
