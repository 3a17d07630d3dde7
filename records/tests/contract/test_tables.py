"""Contract: CREATE TABLE, the columns and nullability lookup, SHOW SCHEMAS (``records.sql.ddl``)."""

from __future__ import annotations

from records import sql
from records.tables import AUDIT_COLUMNS
from records.testing import WELLS_COLUMNS
from records.validation.types import parse_table_type
from warehouse.sql import TableName

from ..sql.conftest import EVERY_TYPE, EVERY_TYPE_TABLE
from .conftest import ContractWarehouse


def test_create_table_makes_the_declared_columns_with_their_types_and_nullability(
    warehouse: ContractWarehouse,
) -> None:
    """information_schema answers every declared column, then the 8 audit columns, in order,
    with a type that parses back to the declared one and NOT NULL where declared."""
    table = warehouse.table("every_type")
    warehouse.run(sql.create_table(table, EVERY_TYPE))
    described = warehouse.run(sql.table_columns(table)).rows
    assert [(name, parse_table_type(str(type_)), nullable) for name, type_, nullable in described] == [
        (c.name, parse_table_type(c.data_type), "YES" if c.nullable else "NO") for c in EVERY_TYPE_TABLE
    ]


def test_create_table_twice_keeps_the_table(warehouse: ContractWarehouse, wells: TableName) -> None:
    """CREATE TABLE IF NOT EXISTS on an existing table changes nothing."""
    warehouse.run(sql.create_table(wells, WELLS_COLUMNS))
    assert len(warehouse.rows(wells)) == 5


def test_the_columns_of_a_table_named_in_upper_case_are_found(warehouse: ContractWarehouse) -> None:
    """Unity Catalog keeps names lower case: the lookup finds a table created as ``Wells_...``."""
    table = warehouse.table("Wells")
    warehouse.run(sql.create_table(table, WELLS_COLUMNS))
    rows = warehouse.run(sql.table_columns(table)).rows
    assert [row[0] for row in rows] == [c.name for c in (*WELLS_COLUMNS, *AUDIT_COLUMNS)]


def test_no_columns_means_no_table(warehouse: ContractWarehouse) -> None:
    """The lookup of a table that does not exist answers no rows (not an error)."""
    assert warehouse.run(sql.table_columns(warehouse.table("missing"))).rows == []


def test_show_schemas_lists_the_scratch_schema(warehouse: ContractWarehouse) -> None:
    """SHOW SCHEMAS IN the catalog answers each schema's name first (auto_create checks it)."""
    names = {str(row[0]).lower() for row in warehouse.run(sql.show_schemas(warehouse.catalog)).rows}
    assert warehouse.schema in names
