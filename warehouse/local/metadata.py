"""What the local warehouse knows about its catalogs: schemas, tables, declared column types.

DuckDB forgets that a column was declared ``VARCHAR(10)`` or ``STRING`` (both VARCHAR), so
each catalog file keeps the declared Databricks types in ``main.__uc_columns``; ``DESCRIBE``
and ``information_schema`` answer with them, as Databricks does.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
import pyarrow as pa

from .translate import TableRef, catalog_alias
from .types import databricks_type_name

TABLE = "__uc_columns"
COLUMNS = "schema_name VARCHAR, table_name VARCHAR, column_name VARCHAR, declared_type VARCHAR"
HIDDEN_SCHEMAS = ("main", "information_schema", "pg_catalog")


def schemas(database: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = database.execute(
        "SELECT schema_name FROM duckdb_schemas() WHERE database_name = ? ORDER BY schema_name",
        [catalog_alias(catalog)],
    ).fetchall()
    return [row[0] for row in rows if row[0] not in HIDDEN_SCHEMAS]


def tables(
    database: duckdb.DuckDBPyConnection, catalog: str, schema: str | None = None
) -> list[tuple[str, str]]:
    rows = database.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? "
        "AND schema_name NOT IN ('main') AND (? IS NULL OR schema_name = ?) ORDER BY 1, 2",
        [catalog_alias(catalog), schema, schema],
    ).fetchall()
    return [(row[0], row[1]) for row in rows]


def table_exists(database: duckdb.DuckDBPyConnection, ref: TableRef) -> bool:
    row = database.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? AND table_name = ?",
        [catalog_alias(ref.catalog), ref.schema, ref.table],
    ).fetchone()
    return bool(row and row[0])


def columns(
    database: duckdb.DuckDBPyConnection, catalog: str, schema: str | None = None, table: str | None = None
) -> list[dict[str, Any]]:
    """Every column of the catalog (or of one table) with its Databricks type name."""
    alias = catalog_alias(catalog)
    rows = database.execute(
        f"""
        SELECT c.schema_name, c.table_name, c.column_name, c.column_index, c.is_nullable, c.data_type,
               c.numeric_precision, c.numeric_scale, m.declared_type
        FROM duckdb_columns() c
        LEFT JOIN {alias}.main.{TABLE} m
          ON m.schema_name = c.schema_name AND m.table_name = c.table_name
         AND lower(m.column_name) = lower(c.column_name)
        WHERE c.database_name = ? AND c.schema_name <> 'main'
          AND (? IS NULL OR c.schema_name = ?) AND (? IS NULL OR c.table_name = ?)
        ORDER BY c.schema_name, c.table_name, c.column_index
        """,
        [alias, schema, schema, table, table],
    ).fetchall()
    result = []
    for schema_name, table_name, column, index, nullable, duck_type, precision, scale, declared in rows:
        full_type = declared.lower().replace(" ", "") if declared else databricks_type_name(duck_type)
        full_type = "int" if full_type == "integer" else full_type
        result.append(
            {
                "table_catalog": catalog,
                "table_schema": schema_name,
                "table_name": table_name,
                "column_name": column,
                "ordinal_position": index - 1,
                "is_nullable": "YES" if nullable else "NO",
                "full_data_type": full_type,
                "data_type": _base_type(full_type),
                "numeric_precision": precision,
                "numeric_scale": scale,
                "character_maximum_length": _length_of(full_type),
            }
        )
    return result


def _base_type(full_type: str) -> str:
    base = re.split(r"[<(]", full_type, maxsplit=1)[0].upper()
    return {"INTEGER": "INT"}.get(base, base)


def _length_of(full_type: str) -> int | None:
    match = re.fullmatch(r"(?:var)?char\((\d+)\)", full_type)
    return int(match.group(1)) if match else None


def information_schema(database: duckdb.DuckDBPyConnection, catalog: str, view: str) -> pa.Table:
    if view == "columns":
        rows = columns(database, catalog)
        schema = pa.schema(
            [
                ("table_catalog", pa.string()),
                ("table_schema", pa.string()),
                ("table_name", pa.string()),
                ("column_name", pa.string()),
                ("ordinal_position", pa.int32()),
                ("is_nullable", pa.string()),
                ("full_data_type", pa.string()),
                ("data_type", pa.string()),
                ("numeric_precision", pa.int32()),
                ("numeric_scale", pa.int32()),
                ("character_maximum_length", pa.int64()),
            ]
        )
        return pa.Table.from_pylist(rows, schema=schema)
    if view == "tables":
        table_rows = [
            {"table_catalog": catalog, "table_schema": s, "table_name": t, "table_type": "MANAGED"}
            for s, t in tables(database, catalog)
        ]
        names = ["table_catalog", "table_schema", "table_name", "table_type"]
        return pa.Table.from_pylist(table_rows, schema=pa.schema([(n, pa.string()) for n in names]))
    schema_rows = [
        {"catalog_name": catalog, "schema_name": s}
        for s in [*schemas(database, catalog), "information_schema"]
    ]
    return pa.Table.from_pylist(
        schema_rows, schema=pa.schema([("catalog_name", pa.string()), ("schema_name", pa.string())])
    )


def record_columns(
    cursor: duckdb.DuckDBPyConnection, ref: TableRef, declared: tuple[tuple[str, str], ...], *, replace: bool
) -> None:
    """Remember the declared types of a table just created (kept when IF NOT EXISTS found one)."""
    target = f"{catalog_alias(ref.catalog)}.main.{TABLE}"
    existing = cursor.execute(
        f"SELECT count(*) FROM {target} WHERE schema_name = ? AND table_name = ?", [ref.schema, ref.table]
    ).fetchone()
    if existing and existing[0] and not replace:
        return
    cursor.execute(f"DELETE FROM {target} WHERE schema_name = ? AND table_name = ?", [ref.schema, ref.table])
    cursor.executemany(
        f"INSERT INTO {target} VALUES (?, ?, ?, ?)",
        [[ref.schema, ref.table, name, type_] for name, type_ in declared],
    )


def forget(cursor: duckdb.DuckDBPyConnection, dropped: tuple[str, Any]) -> None:
    kind, target = dropped
    if kind == "SCHEMA":
        catalog, schema = target
        cursor.execute(f"DELETE FROM {catalog_alias(catalog)}.main.{TABLE} WHERE schema_name = ?", [schema])
    else:
        cursor.execute(
            f"DELETE FROM {catalog_alias(target.catalog)}.main.{TABLE} "
            "WHERE schema_name = ? AND table_name = ?",
            [target.schema, target.table],
        )
