"""Group commit: consecutive queued writes of one table landed in one statement.

A worker that claims the first queued job of a table (the head) also takes the queued write
jobs right behind it, in submission order and whatever their clients, as long as all their
rows fit one statement's parameter budget (and RECORDS_GROUP_MAX_JOBS / _ROWS): at a real
warehouse's latency a round trip costs far more than the rows it carries. A group never
crosses an update, a delete, an upsert, an ``auto_create`` write or a write that needs
several statements (those run alone), so per-table order holds; the ``record_uuid`` MERGE
keeps exactly-once. Every job keeps its own result, ``inserted_by``, status, times and attempts.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from warehouse.sql import TableName

from ..catalog import table_columns
from ..models import Job
from ..sql.insert import encode_grouped_rows, grouped_insert, grouped_parameter_bytes
from ..tables import Column
from ..validation.rows import SchemaValidationError
from ..validation.table import check_known_columns
from . import lifecycle
from .payloads import WritePayload, decode_payload
from .privileges import job_may_modify
from .run import existing_record_uuids, run_statement

# Followers are read from the database this many at a time (payloads included).
_LOAD_CHUNK = 50


@dataclass
class Member:
    """A job of a group, with its rows as the grouped statement carries them."""

    job: Job
    record_uuids: list[str]
    encoded: list[str]
    encoded_bytes: int


@dataclass
class Group:
    table: TableName
    columns: tuple[Column, ...]
    members: list[Member]

    @property
    def jobs(self) -> list[Job]:
        return [member.job for member in self.members]


def job_group(head: Job) -> Group | None:
    """``head`` (claimed) and the writes behind it that land with it, claimed under its lease;
    ``None`` when ``head`` runs alone (not a groupable write, or nothing to group it with)."""
    if head.operation != Job.Operation.WRITE:
        return None
    # Cheap checks first: most jobs of a quiet table have nothing behind them, and a large
    # write is not encoded just to learn that it runs alone.
    follower_pks = lifecycle.job_followers(head, settings.RECORDS_GROUP_MAX_JOBS - 1)
    budget, max_rows = int(settings.RECORDS_MAX_PARAMETER_BYTES), settings.RECORDS_GROUP_MAX_ROWS
    if not follower_pks or len(head.payload.get("rows", ())) > max_rows:
        return None
    table = TableName(head.catalog, head.schema, head.table)
    columns = table_columns(table, max_age=math.inf)
    if columns is None or not any(c.name.lower() == "record_uuid" for c in columns):
        return None
    members: list[Member] = []
    may_modify: dict[int, bool] = {}
    size = rows = 0
    for job in itertools.chain([head], _followers(follower_pks)):
        member = _member(job, columns, may_modify)
        if member is None:
            break
        size, rows = size + member.encoded_bytes, rows + len(member.encoded)
        if grouped_parameter_bytes(size, rows) > budget or rows > max_rows:
            break
        members.append(member)
    if len(members) < 2:  # the head alone, or not even the head fits one statement
        return None
    claimed = lifecycle.job_claim_followers(head, [member.job.pk for member in members[1:]])
    if not claimed:
        return None
    for member, job in zip(members[1:], claimed, strict=True):
        job.payload = member.job.payload  # loaded once, before the claim
        member.job = job
    return Group(table, columns, members)


def _followers(pks: list[int]) -> Iterator[Job]:
    """The jobs of ``pks`` (the queued writes right behind a head), in order, payloads loaded a
    chunk at a time."""
    for start in range(0, len(pks), _LOAD_CHUNK):
        chunk = pks[start : start + _LOAD_CHUNK]
        loaded = {job.pk: job for job in Job.objects.filter(pk__in=chunk)}
        for pk in chunk:
            if pk not in loaded:
                return
            yield loaded[pk]


def _member(job: Job, columns: tuple[Column, ...], may_modify: dict[int, bool]) -> Member | None:
    """``job`` as a group member; ``None`` if it must run alone (it creates its table, or its
    rows name a column the table lacks: running alone, it fails with the reason)."""
    payload = decode_payload(job.operation, job.payload)
    if not isinstance(payload, WritePayload) or payload.auto_create:
        return None
    # Grants are read once per client of the group; a job whose client may not write runs
    # alone, and fails with the reason.
    if job.client_id not in may_modify:
        may_modify[job.client_id] = job_may_modify(job, TableName(job.catalog, job.schema, job.table))
    if not may_modify[job.client_id]:
        return None
    try:
        check_known_columns(TableName(job.catalog, job.schema, job.table), payload.rows, columns)
    except SchemaValidationError:
        return None
    encoded = encode_grouped_rows(columns, payload.rows, job.principal)
    uuids = [str(row["record_uuid"]) for row in payload.rows]
    return Member(job, uuids, encoded, sum(len(text.encode()) for text in encoded))


def group_execute(group: Group) -> list[dict[str, Any]]:
    """Land the group's rows in ONE statement; each job's result body, in order.

    Each count is what the warehouse reported: the statement's ``num_inserted_rows`` when it
    inserted every row, else (an earlier attempt landed some) a lookup of the record_uuids,
    which tells each job its own rows.
    """
    encoded = [text for member in group.members for text in member.encoded]
    counts = run_statement(grouped_insert(group.table, group.columns, encoded))
    inserted = counts.get("num_inserted_rows", counts.get("num_affected_rows", 0))
    if inserted >= len(encoded):
        landed = [len(member.encoded) for member in group.members]
    else:
        present = existing_record_uuids(group.table, [u for m in group.members for u in m.record_uuids])
        landed = [sum(u in present for u in member.record_uuids) for member in group.members]
    return [_write_result(group.table, count) for count in landed]


def _write_result(table: TableName, count: int) -> dict[str, Any]:
    return {"message": f"Inserted {count} record(s) into {table}", "count": count}
