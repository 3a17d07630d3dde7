"""CREATE TABLE with the audit columns, a table's columns and SHOW SCHEMAS (``records.sql.ddl``), on the local warehouse."""

from __future__ import annotations

import pytest

from records import sql
from records.tables import AUDIT_COLUMNS, Column
from records.testing import WELLS_COLUMNS
from warehouse.client import WarehouseClient
from warehouse.exceptions import PermanentWarehouseError
from warehouse.sql import TableName

from .conftest import CATALOG, PRINCIPAL, WELLS_TABLE, run, select_all, well


def test_create_table_adds_the_eight_audit_columns(client: WarehouseClient, schema: str) -> None:
    """The created table has the user's columns, then the 8 audit columns, as information_schema shows."""
    table = TableName(CATALOG, schema, "wells")
    statement = sql.create_table(table, WELLS_COLUMNS)
    assert statement.sql.startswith("CREATE TABLE IF NOT EXISTS `records_sql_tests`.")
    assert statement.sql.endswith("USING DELTA") and statement.params == {}
    run(client, statement)
    described = [(name, type_) for name, type_, _ in run(client, sql.table_columns(table)).rows]
    assert [name for name, _ in described] == [c.name for c in WELLS_TABLE]
    assert dict(described)["api10"] == "bigint"
    assert {name: type_ for name, type_ in described if name in {c.name for c in AUDIT_COLUMNS}} == {
        "record_uuid": "string",
        "is_deleted": "boolean",
        "inserted_at": "timestamp",
        "inserted_by": "string",
        "updated_at": "timestamp",
        "updated_by": "string",
        "deleted_at": "timestamp",
        "deleted_by": "string",
    }


def test_create_table_marks_non_nullable_columns_not_null(client: WarehouseClient, schema: str) -> None:
    """A row without a NOT NULL column's value is rejected by the warehouse."""
    table = TableName(CATALOG, schema, "wells")
    run(client, sql.create_table(table, WELLS_COLUMNS))
    (statement,) = sql.insert_batches(
        table, WELLS_TABLE, [well(1, wellname=None)], principal=PRINCIPAL, max_parameter_bytes=1 << 20
    )
    with pytest.raises(PermanentWarehouseError) as caught:
        run(client, statement)
    assert caught.value.error_class == "DELTA_NOT_NULL_CONSTRAINT_VIOLATED"


def test_create_table_if_not_exists_keeps_an_existing_table(
    client: WarehouseClient, wells: TableName
) -> None:
    """Creating an existing table again changes nothing."""
    run(client, sql.create_table(wells, WELLS_COLUMNS))
    assert len(select_all(client, wells)) == 5


def test_create_table_refuses_audit_column_names_and_duplicates() -> None:
    """A definition naming an audit column or a column twice never becomes SQL."""
    table = TableName(CATALOG, "s", "t")
    with pytest.raises(ValueError, match="defined twice"):
        sql.create_table(table, (Column("a", "INT"), Column("record_uuid", "STRING")))
    with pytest.raises(ValueError, match="defined twice"):
        sql.create_table(table, (Column("a", "INT"), Column("A", "INT")))


def test_table_columns_say_which_columns_are_not_null(client: WarehouseClient, schema: str) -> None:
    """Nullability comes with each column (DESCRIBE does not say it); no rows means no table."""
    table = TableName(CATALOG, schema, "Wells")  # Unity Catalog keeps names lower case
    run(client, sql.create_table(table, WELLS_COLUMNS))
    nullable = {name: flag for name, _, flag in run(client, sql.table_columns(table)).rows}
    assert {name for name, flag in nullable.items() if flag == "NO"} == {
        *(c.name for c in WELLS_COLUMNS if not c.nullable),
        *(c.name for c in AUDIT_COLUMNS if not c.nullable),
    }
    assert run(client, sql.table_columns(TableName(CATALOG, schema, "missing"))).rows == []


def test_show_schemas_lists_the_schemas_of_a_catalog(client: WarehouseClient, schema: str) -> None:
    """SHOW SCHEMAS IN the catalog answers the schema names first."""
    names = {row[0] for row in run(client, sql.show_schemas(CATALOG)).rows}
    assert schema in names
