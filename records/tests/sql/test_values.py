"""Values travel only as parameters; names and types outside the grammar never become SQL (``records.sql.values``)."""

from __future__ import annotations

from typing import Any

import pytest

from records import sql
from records.sql.filters import filter_conditions
from records.tables import Column
from warehouse.client import WarehouseClient
from warehouse.sql import TableName

from .conftest import BY_NAME, CATALOG, WELLS_TABLE, run, select_all, well

INJECTION = "x'; DROP TABLE wells; --"


def test_sql_injection_in_values_stays_a_value(client: WarehouseClient, wells: TableName) -> None:
    """Quotes and SQL in values are stored and matched verbatim by inserts, updates, filters and keys."""
    row = well(9, wellname=INJECTION, spuddate="' OR '1'='1")
    for statement in sql.insert_batches(
        wells, WELLS_TABLE, [row], principal=INJECTION, max_parameter_bytes=1 << 20
    ):
        assert INJECTION not in statement.sql
        run(client, statement)
    update = sql.update_by_filters(
        wells,
        [{"column": "spuddate", "op": "=", "value": "' OR '1'='1"}],
        {"compldate": INJECTION},
        BY_NAME,
        INJECTION,
    )
    assert INJECTION not in update.sql
    assert run(client, update).dml_counts() == {"num_affected_rows": 1}
    filters: list[dict[str, Any]] = [
        {"column": "wellname", "op": "in", "value": [INJECTION]},
        {"column": "compldate", "op": "like", "value": INJECTION},
    ]
    read = sql.select_rows(wells, None, filters, 10, 0, exclude_deleted=True, table_columns=BY_NAME)
    (stored,) = run(client, read).as_dicts()
    assert (
        stored["wellname"]
        == stored["compldate"]
        == stored["inserted_by"]
        == stored["updated_by"]
        == INJECTION
    )
    keys = sql.find_existing_keys(wells, BY_NAME["wellname"], [INJECTION, "' OR 1=1 --"])
    assert run(client, keys).rows == [(INJECTION,)]
    assert len(select_all(client, wells)) == 6


@pytest.mark.parametrize(
    "build",
    [
        lambda: sql.table_columns(TableName("c`; DROP TABLE x; --", "s", "t")),
        lambda: sql.show_schemas("c; DROP"),
        lambda: sql.create_table(TableName(CATALOG, "s", "t"), (Column("a b", "INT"),)),
        lambda: sql.create_table(TableName(CATALOG, "s", "t"), (Column("a", "INT) ; DROP TABLE x; --"),)),
        lambda: sql.create_table(TableName(CATALOG, "s", "t"), (Column("a", "STRING'"),)),
        lambda: sql.create_table(TableName(CATALOG, "s", "t\n"), (Column("a", "INT"),)),
        lambda: sql.select_rows(
            TableName(CATALOG, "s", "t"), ["a`"], None, 1, 0, exclude_deleted=False, table_columns=BY_NAME
        ),
        lambda: filter_conditions([{"column": "api10", "op": "; DROP", "value": 1}], BY_NAME),
        lambda: filter_conditions([{"column": "api10) OR (1", "op": "=", "value": 1}], BY_NAME),
        lambda: filter_conditions([{"column": "api10", "op": "in", "value": "1, 2"}], BY_NAME),
    ],
)
def test_invalid_identifiers_types_and_operators_never_become_sql(build: Any) -> None:
    """Names, types and operators outside the grammar are a ValueError before any SQL exists."""
    with pytest.raises(ValueError, match=r"Invalid|Unknown|must be a list"):
        build()
