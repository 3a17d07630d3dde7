"""Contract: the api_log table and the MERGE that ships log rows to it (``audit.sql``)."""

from __future__ import annotations

import datetime

from audit import sql as audit_sql
from audit.models import ApiLog
from audit.shipping import shipped_row

from .conftest import ContractWarehouse

AT = datetime.datetime(2024, 3, 10, 12, 30, 15, 123456, tzinfo=datetime.UTC)


def log(index: int, **fields: object) -> ApiLog:
    """An api_log entry as the service records it (not saved: only its shipped row is used)."""
    defaults: dict[str, object] = {
        "timestamp": AT + datetime.timedelta(seconds=index),
        "level": ApiLog.Level.ERROR,
        "endpoint": "/api/v1/records/write",
        "method": "POST",
        "status_code": 400,
        "error_type": "ValidationError",
        "error_message": f"row {index}: 'quoted' -- not a comment; zażółć",
        "request_body": '{"data": [1]}',
        "user": "alice@example.com",
        "catalog": "main",
        "schema": "s",
        "table_name": "t",
        "execution_time_ms": 12.5,
    }
    return ApiLog(**(defaults | fields))


def test_log_rows_are_shipped_once_with_their_types(warehouse: ContractWarehouse) -> None:
    """CREATE TABLE IF NOT EXISTS api_log, then the shipping MERGE: a batch sent twice lands once,
    timestamps and numbers typed, empty fields and NULLs as they were."""
    warehouse.run(audit_sql.create_table(warehouse.catalog, warehouse.schema))
    warehouse.run(audit_sql.create_table(warehouse.catalog, warehouse.schema))
    rows = [shipped_row(log(i)) for i in range(3)] + [
        shipped_row(log(3, status_code=None, execution_time_ms=None))
    ]
    (merge,) = audit_sql.merge_rows(warehouse.catalog, warehouse.schema, rows, 1 << 20)
    assert warehouse.run(merge).dml_counts()["num_inserted_rows"] == 4
    assert warehouse.run(merge).dml_counts()["num_inserted_rows"] == 0
    table = audit_sql.log_table(warehouse.catalog, warehouse.schema)
    stored = warehouse.client.execute(f"SELECT * FROM {table.quoted} ORDER BY `timestamp`").as_dicts()
    assert [row["log_id"] for row in stored] == [row["log_id"] for row in rows]
    first, last = stored[0], stored[3]
    assert first["timestamp"] == AT and first["status_code"] == 400 and first["execution_time_ms"] == 12.5
    assert first["error_message"] == "row 0: 'quoted' -- not a comment; zażółć"
    assert (first["stack_trace"], last["status_code"], last["execution_time_ms"]) == ("", None, None)


def test_a_batch_over_the_budget_is_cut_into_several_merges(warehouse: ContractWarehouse) -> None:
    """Rows whose bytes exceed one statement's budget ship in several MERGEs, all landing."""
    warehouse.run(audit_sql.create_table(warehouse.catalog, warehouse.schema))
    rows = [shipped_row(log(100 + i, stack_trace="x" * 3000)) for i in range(10)]
    merges = audit_sql.merge_rows(warehouse.catalog, warehouse.schema, rows, 8_000)
    assert len(merges) > 2
    assert sum(warehouse.run(m).dml_counts()["num_inserted_rows"] for m in merges) == 10
