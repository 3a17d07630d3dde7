"""Group commit: consecutive queued writes of one table land in one statement, each job keeping
its own result, audit columns and state; a group never crosses another kind of job."""

from __future__ import annotations

from typing import Any

import pytest

from records.catalog import table_columns
from records.jobs import lifecycle
from records.jobs.group import job_group
from records.jobs.payloads import DeletePayload, WritePayload
from records.jobs.tasks import job_run_task
from records.models import Job
from records.sql import insert_batches
from records.testing import unpublished_job, unpublished_write
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName

pytestmark = pytest.mark.django_db(transaction=True)

COLUMNS_OF_T = "id, note, record_uuid, inserted_by"


def rows_of(table: TableName) -> list[tuple[Any, ...]]:
    return get_client().execute(f"SELECT {COLUMNS_OF_T} FROM {table} ORDER BY id").rows


def merges(warehouse: LocalWarehouseProcess) -> int:
    return int(warehouse.stats()["by_kind"].get("MERGE", 0))


def test_queued_writes_of_several_clients_land_in_one_statement_each_with_its_own_result(
    table: TableName, local_warehouse: LocalWarehouseProcess
) -> None:
    """Five writes from alice and bob, queued on one table: one delivery of the first lands all
    of them with ONE MERGE; each job succeeds with its own count, and each row names its own
    job's client in inserted_by."""
    warm = unpublished_write(table, [{"id": 999}])
    job_run_task.apply(args=(warm.pk,))  # caches the table's columns, as submit would
    jobs = [
        unpublished_write(table, [{"id": 10 * i + r, "note": f"j{i}"} for r in range(i + 1)], principal=p)
        for i, p in enumerate(["alice", "bob", "alice", "bob", "alice"])
    ]
    later = [unpublished_write(table, [{"id": 100 + i, "note": "later"}], principal="bob") for i in range(3)]
    local_warehouse.reset_stats()
    job_run_task.apply(args=(jobs[0].pk,))  # one delivery: all eight jobs
    assert merges(local_warehouse) == 1, local_warehouse.stats()
    assert local_warehouse.stats()["by_kind"].get("SELECT", 0) == 0  # no DESCRIBE, no lookup
    for index, job in enumerate([*jobs, *later]):
        job.refresh_from_db()
        size = index + 1 if index < len(jobs) else 1
        assert job.status == Job.Status.SUCCEEDED, job.error
        assert job.result == {"message": f"Inserted {size} record(s) into {table}", "count": size}
        assert job.attempts == 1 and job.started_at is not None and job.finished_at is not None
    landed = rows_of(table)
    assert len(landed) == 1 + sum(range(1, 6)) + 3
    owners = {row[0]: row[3] for row in landed}
    assert owners[10] == "bob" and owners[20] == "alice" and owners[31] == "bob" and owners[100] == "bob"
    uuids = {str(row[2]) for row in landed if row[0] != 999}
    assert uuids == {r["record_uuid"] for job in [*jobs, *later] for r in job.payload["rows"]}


def test_a_group_stops_at_a_delete_so_table_order_holds(
    table: TableName, local_warehouse: LocalWarehouseProcess
) -> None:
    """write, write, delete(id 2), write: the first two land together, the delete runs after
    them (deleting row 2), the last write after the delete (its row 2 stays)."""
    first = unpublished_write(table, [{"id": 1}])
    second = unpublished_write(table, [{"id": 2}])
    delete = unpublished_job(table, DeletePayload(method="key_values", key_column="id", keys=[2], soft=False))
    last = unpublished_write(table, [{"id": 2, "note": "again"}])
    job_run_task.apply(args=(first.pk,))
    for job in (first, second, delete, last):
        job.refresh_from_db()
    assert (first.status, second.status) == (Job.Status.SUCCEEDED, Job.Status.SUCCEEDED)
    assert delete.status == Job.Status.QUEUED and last.status == Job.Status.QUEUED
    job_run_task.apply(args=(delete.pk,))
    job_run_task.apply(args=(last.pk,))
    delete.refresh_from_db()
    last.refresh_from_db()
    assert delete.result is not None and delete.result["count"] == 1
    assert last.status == Job.Status.SUCCEEDED
    assert [(row[0], row[1]) for row in rows_of(table)] == [(1, None), (2, "again")]


def test_writes_that_create_their_table_or_need_several_statements_run_alone(
    table: TableName, settings: Any
) -> None:
    """A write too large for one statement is never grouped; nor is a write behind an
    auto_create write grouped across it."""
    settings.RECORDS_MAX_PARAMETER_BYTES = 2000
    big = unpublished_write(table, [{"id": i, "note": "x" * 20} for i in range(100)])
    small = unpublished_write(table, [{"id": 1000}])
    head = lifecycle.job_claim(big.pk)
    assert head is not None and job_group(head) is None
    Job.objects.filter(pk=big.pk).update(status=Job.Status.SUCCEEDED)
    creating = WritePayload(rows=[{"id": 2000, "record_uuid": "u-2000"}], auto_create=True)
    after_small = unpublished_job(table, creating)
    head = lifecycle.job_claim(small.pk)
    assert head is not None and job_group(head) is None
    assert Job.objects.get(pk=after_small.pk).status == Job.Status.QUEUED


def test_a_column_dropped_between_submit_and_run_fails_only_the_job_that_set_it(
    table: TableName, local_warehouse: LocalWarehouseProcess
) -> None:
    """The group's columns come from the cache; the warehouse refuses the statement naming the
    dropped column, the cache entry is dropped and each job runs alone against the table as it
    is: the job whose rows set ``note`` fails saying nothing was written, the others land."""
    warm = unpublished_write(table, [{"id": 1}])
    job_run_task.apply(args=(warm.pk,))  # the cache now holds (id, note, ...)
    before = unpublished_write(table, [{"id": 2}])
    noted = unpublished_write(table, [{"id": 3, "note": "n"}])
    after = unpublished_write(table, [{"id": 4}])
    # The table loses its note column (the local warehouse has no ALTER: drop and re-create it).
    get_client().execute(f"DROP TABLE {table}")
    get_client().execute(
        f"CREATE TABLE {table} (id BIGINT NOT NULL, record_uuid STRING, is_deleted BOOLEAN, "
        "inserted_at TIMESTAMP, inserted_by STRING)"
    )
    get_client().execute(f"INSERT INTO {table} (id, record_uuid) VALUES (1, 'u-1')")
    job_run_task.apply(args=(before.pk,))
    for job in (before, noted, after):
        job.refresh_from_db()
    assert before.status == Job.Status.SUCCEEDED and after.status == Job.Status.SUCCEEDED
    assert noted.status == Job.Status.FAILED and noted.error is not None
    assert "nothing was written" in noted.error["message"] and "note" in noted.error["message"]
    ids = [row[0] for row in get_client().execute(f"SELECT id FROM {table} ORDER BY id").rows]
    assert ids == [1, 2, 4]


def test_a_resumed_group_counts_the_rows_an_earlier_attempt_landed(table: TableName) -> None:
    """Rows of a grouped job that an earlier attempt landed are not inserted twice, and every
    job's count is all of its rows (a record_uuid lookup when the warehouse's count is short)."""
    first = unpublished_write(table, [{"id": i} for i in range(3)])
    second = unpublished_write(table, [{"id": 10 + i} for i in range(4)])
    columns = table_columns(table, fresh=True)
    assert columns is not None
    # An earlier attempt of the group died after landing two of second's rows.
    earlier = insert_batches(
        table, columns, second.payload["rows"][:2], principal="alice", max_parameter_bytes=900_000
    )
    for statement in earlier:
        get_client().execute(statement.sql, statement.params)
    job_run_task.apply(args=(first.pk,))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.result == {"message": f"Inserted 3 record(s) into {table}", "count": 3}
    assert second.result == {"message": f"Inserted 4 record(s) into {table}", "count": 4}
    total, distinct = (
        get_client().execute(f"SELECT COUNT(*), COUNT(DISTINCT record_uuid) FROM {table}").rows[0]
    )
    assert (total, distinct) == (7, 7)


def test_a_group_whose_lease_was_taken_over_records_nothing(table: TableName) -> None:
    """A worker that lost its group's lease (the sweep re-queued the jobs, another worker
    claimed them) finishing late changes none of them."""
    first = unpublished_write(table, [{"id": 1}])
    second = unpublished_write(table, [{"id": 2}])
    head = lifecycle.job_claim(first.pk)
    assert head is not None
    group = job_group(head)
    assert group is not None and [job.pk for job in group.jobs] == [first.pk, second.pk]
    Job.objects.filter(pk__in=[first.pk, second.pk]).update(status=Job.Status.QUEUED)  # the sweep
    job_run_task.apply(args=(first.pk,))  # another worker lands both
    assert not lifecycle.job_renew_lease(*group.jobs)
    for job in group.jobs:
        lifecycle.job_succeed(job, {"message": "late", "count": 99}, publish_next=False)
    for job in (first, second):
        job.refresh_from_db()
        assert job.status == Job.Status.SUCCEEDED and job.attempts == 2
        assert job.result is not None and job.result["count"] == 1
