"""Upserts merged by key (``records.sql.upsert``), on the local warehouse."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from records.sql.upsert import count_updated_by, upsert_batches, upsert_order, upsert_stamp
from warehouse.client import WarehouseClient
from warehouse.sql import Statement, TableName

from .conftest import PRINCIPAL, WELLS_TABLE, by_api10, run, well

STAMP = upsert_stamp(datetime.datetime(2025, 12, 6, 10, 30, tzinfo=datetime.UTC))


def statements(
    table: TableName, rows: list[dict[str, Any]], *, match_deleted: bool = False, budget: int = 1 << 20
) -> list[Statement]:
    return [
        statement
        for statement, _ in upsert_batches(
            table,
            WELLS_TABLE,
            upsert_order(rows),
            key_columns=["api10"],
            principal=PRINCIPAL,
            upserted_at=STAMP,
            match_deleted=match_deleted,
            max_parameter_bytes=budget,
        )
    ]


def upsert(
    client: WarehouseClient, table: TableName, rows: list[dict[str, Any]], **options: Any
) -> dict[str, int]:
    totals = {"num_inserted_rows": 0, "num_updated_rows": 0}
    for statement in statements(table, rows, **options):
        counts = run(client, statement).dml_counts()
        for name in totals:
            totals[name] += counts.get(name, 0)
    return totals


def test_a_matching_key_updates_the_carried_columns_and_a_new_key_is_inserted(
    client: WarehouseClient, wells: TableName
) -> None:
    before = by_api10(client, wells)
    changed = {"api10": 4_201_234_001, "oileur": 1.5, "record_uuid": str(uuid.uuid4())}
    new = well(9)
    assert upsert(client, wells, [changed, new]) == {"num_inserted_rows": 1, "num_updated_rows": 1}
    after = by_api10(client, wells)
    updated = after[4_201_234_001]
    assert updated["oileur"] == 1.5
    # Columns the row does not carry keep their values; the row keeps its identity.
    kept = ("wellname", "gaseur", "record_uuid", "inserted_at", "inserted_by")
    assert {k: updated[k] for k in kept} == {k: before[4_201_234_001][k] for k in kept}
    assert updated["updated_by"] == PRINCIPAL
    assert updated["updated_at"] == datetime.datetime(2025, 12, 6, 10, 30, tzinfo=datetime.UTC)
    inserted = after[new["api10"]]
    assert inserted["record_uuid"] == new["record_uuid"] and inserted["inserted_by"] == PRINCIPAL
    assert inserted["is_deleted"] is False and inserted["updated_at"] is None
    assert len(after) == 6


def test_running_the_statements_again_changes_nothing(client: WarehouseClient, wells: TableName) -> None:
    """The second run finds this job's inserted uuids and update marks: no count, no change."""
    rows = [{"api10": 4_201_234_002, "oileur": 2.5, "record_uuid": str(uuid.uuid4())}, well(8)]
    assert upsert(client, wells, rows) == {"num_inserted_rows": 1, "num_updated_rows": 1}
    first = by_api10(client, wells)
    assert upsert(client, wells, rows) == {"num_inserted_rows": 0, "num_updated_rows": 0}
    assert by_api10(client, wells) == first
    (count,) = run(client, count_updated_by(wells, PRINCIPAL, STAMP)).rows
    assert count[0] == 1


def test_soft_deleted_rows_are_absent_unless_match_deleted_revives_them(
    client: WarehouseClient, wells: TableName
) -> None:
    client.execute(
        f"UPDATE {wells.quoted} SET is_deleted = true, deleted_at = current_timestamp(), deleted_by = 'x' "
        "WHERE api10 IN (4201234003, 4201234004)"
    )
    absent = well(3, oileur=3.5)
    assert upsert(client, wells, [absent]) == {"num_inserted_rows": 1, "num_updated_rows": 0}
    revived = {"api10": 4_201_234_004, "oileur": 4.5, "record_uuid": str(uuid.uuid4())}
    assert upsert(client, wells, [revived], match_deleted=True) == {
        "num_inserted_rows": 0,
        "num_updated_rows": 1,
    }
    rows = client.execute(f"SELECT * FROM {wells.quoted} WHERE api10 = 4201234004").as_dicts()
    assert [(r["is_deleted"], r["deleted_at"], r["deleted_by"], r["oileur"]) for r in rows] == [
        (False, None, None, 4.5)
    ]
    three = client.execute(
        f"SELECT is_deleted, oileur FROM {wells.quoted} WHERE api10 = 4201234003 ORDER BY is_deleted"
    ).rows
    assert [tuple(r) for r in three] == [(False, 3.5), (True, 103_000.0)]


def test_rows_carrying_other_columns_go_in_statements_of_their_own(
    client: WarehouseClient, wells: TableName
) -> None:
    """A statement updates the same columns of every row: rows are grouped by what they carry,
    and batches stay within the budget."""
    rows = [
        {"api10": 4_201_234_000 + i, "oileur": float(i), "record_uuid": str(uuid.uuid4())}
        for i in range(1, 6)
    ]
    rows[2] = {"api10": 4_201_234_003, "gaseur": 7.0, "record_uuid": str(uuid.uuid4())}
    assert len(statements(wells, rows)) == 2
    small = statements(wells, rows, budget=400)
    assert len(small) > 2 and all(s.parameter_bytes <= 400 for s in small)
    assert upsert(client, wells, rows, budget=400) == {"num_inserted_rows": 0, "num_updated_rows": 5}


def test_the_stamp_has_a_fixed_length() -> None:
    assert len(upsert_stamp(datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))) == 32
