"""The SQL this service relies on, run through the real connector on the local warehouse."""

from __future__ import annotations

import json
from typing import Any

import pytest

ROW_TYPE = "ARRAY<STRUCT<id: BIGINT, name: STRING, score: DOUBLE>>"


@pytest.fixture
def wells(cursor: Any, schema: str) -> str:
    table = f"{schema}.wells"
    cursor.execute(f"CREATE TABLE {table} (id BIGINT NOT NULL, name STRING, score DOUBLE)")
    rows = [{"id": i, "name": f"well {i}", "score": i * 1.5} for i in range(1, 6)]
    cursor.execute(
        f"INSERT INTO {table} SELECT * FROM inline(from_json(:rows, '{ROW_TYPE}'))",
        {"rows": json.dumps(rows)},
    )
    return table


def test_insert_from_json_reports_counts_like_databricks(cursor: Any, schema: str) -> None:
    """INSERT ... SELECT FROM inline(from_json(:rows, ...)) answers num_affected_rows and num_inserted_rows."""
    cursor.execute(f"CREATE TABLE {schema}.t (id BIGINT, name STRING, score DOUBLE)")
    rows = [{"id": i, "name": None if i % 2 else f"n{i}", "score": i / 4} for i in range(1000)]
    cursor.execute(
        f"INSERT INTO {schema}.t (id, name, score) SELECT id, name, score FROM inline(from_json(:rows, '{ROW_TYPE}'))",
        {"rows": json.dumps(rows)},
    )
    assert [d[0] for d in cursor.description] == ["num_affected_rows", "num_inserted_rows"]
    assert cursor.fetchall()[0].asDict() == {"num_affected_rows": 1000, "num_inserted_rows": 1000}
    assert cursor.rowcount == 1000
    cursor.execute(f"SELECT id, name, score FROM {schema}.t ORDER BY id LIMIT 2 OFFSET 1")
    assert [tuple(r) for r in cursor.fetchall()] == [(1, None, 0.25), (2, "n2", 0.5)]


def test_insert_from_exploded_json(cursor: Any, schema: str) -> None:
    """explode(from_json(...)) AS r with r.field selects works as the source of an INSERT."""
    cursor.execute(f"CREATE TABLE {schema}.t (id BIGINT, name STRING)")
    rows = [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    cursor.execute(
        f"INSERT INTO {schema}.t SELECT r.id, r.name FROM "
        "(SELECT explode(from_json(:rows, 'ARRAY<STRUCT<id: BIGINT, name: STRING>>')) AS r)",
        {"rows": json.dumps(rows)},
    )
    assert cursor.fetchone().num_inserted_rows == 2
    cursor.execute(f"SELECT COUNT(*) AS n FROM {schema}.t")
    assert cursor.fetchone().n == 2


def test_update_and_delete_report_affected_rows(cursor: Any, wells: str) -> None:
    """UPDATE and DELETE answer num_affected_rows, and cursor.rowcount agrees."""
    cursor.execute(f"UPDATE {wells} SET score = :score WHERE id IN (:a, :b)", {"score": 0.0, "a": 1, "b": 2})
    assert cursor.fetchall()[0].asDict() == {"num_affected_rows": 2}
    assert cursor.rowcount == 2
    cursor.execute(f"DELETE FROM {wells} WHERE score = :score", {"score": 0.0})
    assert cursor.fetchall()[0].asDict() == {"num_affected_rows": 2}
    cursor.execute(f"SELECT COUNT(*) AS n FROM {wells}")
    assert cursor.fetchone().n == 3


def test_merge_reports_each_count(cursor: Any, wells: str) -> None:
    """MERGE USING a JSON batch answers num_affected/updated/deleted/inserted_rows."""
    batch = [
        {"id": 1, "name": "renamed", "score": 10.0},
        {"id": 5, "name": None, "score": None},
        {"id": 9, "name": "new", "score": 9.0},
    ]
    cursor.execute(
        f"MERGE INTO {wells} AS t USING (SELECT * FROM inline(from_json(:rows, '{ROW_TYPE}'))) AS s ON t.id = s.id "
        "WHEN MATCHED AND s.score IS NULL THEN DELETE "
        "WHEN MATCHED THEN UPDATE SET t.name = s.name, t.score = s.score "
        "WHEN NOT MATCHED THEN INSERT (id, name, score) VALUES (s.id, s.name, s.score)",
        {"rows": json.dumps(batch)},
    )
    assert cursor.fetchall()[0].asDict() == {
        "num_affected_rows": 3,
        "num_updated_rows": 1,
        "num_deleted_rows": 1,
        "num_inserted_rows": 1,
    }
    cursor.execute(f"SELECT id, name FROM {wells} ORDER BY id")
    assert [tuple(r) for r in cursor.fetchall()] == [
        (1, "renamed"),
        (2, "well 2"),
        (3, "well 3"),
        (4, "well 4"),
        (9, "new"),
    ]


def test_select_with_limit_offset_and_count(cursor: Any, wells: str) -> None:
    """LIMIT and OFFSET as parameters, and COUNT(*) with the same WHERE, as the read endpoint uses them."""
    where = "WHERE score > :min AND name LIKE :pattern"
    params = {"min": 2.0, "pattern": "well %"}
    cursor.execute(
        f"SELECT id FROM {wells} {where} ORDER BY id LIMIT :limit OFFSET :offset",
        {**params, "limit": 2, "offset": 1},
    )
    assert [r.id for r in cursor.fetchall()] == [3, 4]
    cursor.execute(f"SELECT COUNT(*) AS total FROM {wells} {where}", params)
    assert cursor.fetchone().total == 4


def test_backticks_and_session_namespace(local_warehouse: Any, wells: str) -> None:
    """Backtick-quoted three-part names work, and so do bare names inside the session's catalog and schema."""
    from .conftest import connect

    catalog, schema, table = wells.split(".")
    with connect(local_warehouse.url, catalog=catalog, schema=schema) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) AS n FROM `{catalog}`.`{schema}`.`{table}`")
        assert cur.fetchone().n == 5
        cur.execute(f"SELECT COUNT(*) AS n FROM {table}")
        assert cur.fetchone().n == 5
        cur.execute(f"SELECT COUNT(*) AS n FROM {schema}.{table}")
        assert cur.fetchone().n == 5


def test_show_catalogs_schemas_and_tables(cursor: Any, wells: str) -> None:
    """SHOW CATALOGS / SCHEMAS IN / TABLES IN answer with Databricks' column names."""
    catalog, schema, table = wells.split(".")
    cursor.execute("SHOW CATALOGS")
    assert [d[0] for d in cursor.description] == ["catalog"]
    assert catalog in [r.catalog for r in cursor.fetchall()]
    cursor.execute(f"SHOW SCHEMAS IN {catalog}")
    names = [r.databaseName for r in cursor.fetchall()]
    assert schema in names and "default" in names and "information_schema" in names and "main" not in names
    cursor.execute(f"SHOW TABLES IN {catalog}.{schema}")
    assert [(r.database, r.tableName, r.isTemporary) for r in cursor.fetchall()] == [(schema, table, False)]


def test_information_schema_columns(cursor: Any, wells: str) -> None:
    """<catalog>.information_schema.columns lists columns with Databricks type names, filterable by parameters."""
    catalog, schema, table = wells.split(".")
    cursor.execute(
        f"SELECT column_name, data_type, full_data_type, is_nullable FROM {catalog}.information_schema.columns "
        "WHERE table_schema = :schema AND table_name = :table ORDER BY ordinal_position",
        {"schema": schema, "table": table},
    )
    assert [tuple(r) for r in cursor.fetchall()] == [
        ("id", "BIGINT", "bigint", "NO"),
        ("name", "STRING", "string", "YES"),
        ("score", "DOUBLE", "double", "YES"),
    ]


def test_create_table_if_not_exists_keeps_the_existing_table(cursor: Any, wells: str) -> None:
    """CREATE TABLE IF NOT EXISTS on an existing table changes nothing."""
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {wells} (other INT)")
    cursor.execute(f"DESCRIBE TABLE {wells}")
    assert [r.col_name for r in cursor.fetchall()] == ["id", "name", "score"]


def test_drop_table_and_catalog(cursor: Any) -> None:
    """DROP TABLE removes the table; DROP CATALOG ... CASCADE removes the catalog and its data file."""
    cursor.execute("CREATE CATALOG IF NOT EXISTS wh_drop_me")
    cursor.execute("CREATE SCHEMA wh_drop_me.s")
    cursor.execute("CREATE TABLE wh_drop_me.s.t (a INT)")
    cursor.execute("DROP TABLE wh_drop_me.s.t")
    cursor.execute("SHOW TABLES IN wh_drop_me.s")
    assert cursor.fetchall() == []
    cursor.execute("DROP CATALOG wh_drop_me CASCADE")
    cursor.execute("SHOW CATALOGS")
    assert "wh_drop_me" not in [r.catalog for r in cursor.fetchall()]


def test_large_results_page_through_fetch_results(cursor: Any, schema: str) -> None:
    """A result larger than one direct-results page arrives whole through FetchResults."""
    cursor.execute(f"CREATE TABLE {schema}.big (x BIGINT)")
    rows = [{"x": i} for i in range(25_000)]
    cursor.execute(
        f"INSERT INTO {schema}.big SELECT * FROM inline(from_json(:rows, 'ARRAY<STRUCT<x: BIGINT>>'))",
        {"rows": json.dumps(rows)},
    )
    cursor.arraysize = 1000
    cursor.execute(f"SELECT x FROM {schema}.big ORDER BY x")
    values = [r.x for r in cursor.fetchall()]
    assert values == list(range(25_000))


def test_positional_parameters_and_joins(cursor: Any, wells: str) -> None:
    """`?` markers bind in order, and a join between two tables works."""
    schema = wells.rsplit(".", 1)[0]
    cursor.execute(f"CREATE TABLE {schema}.owners (id BIGINT, owner STRING)")
    cursor.execute(f"INSERT INTO {schema}.owners VALUES (?, ?), (?, ?)", [1, "ann", 2, "bob"])
    cursor.execute(
        f"SELECT w.id, o.owner FROM {wells} AS w JOIN {schema}.owners AS o ON o.id = w.id WHERE w.id <= ? ORDER BY w.id",
        [2],
    )
    assert [tuple(r) for r in cursor.fetchall()] == [(1, "ann"), (2, "bob")]


def test_use_catalog_and_schema_change_the_session_namespace(cursor: Any, wells: str) -> None:
    """USE CATALOG and USE SCHEMA make bare table names resolve there."""
    catalog, schema, table = wells.split(".")
    cursor.execute(f"USE CATALOG {catalog}")
    cursor.execute(f"USE SCHEMA {schema}")
    cursor.execute(f"SELECT COUNT(*) AS n FROM {table}")
    assert cursor.fetchone().n == 5


def test_show_with_like_and_information_schema_tables(cursor: Any, wells: str) -> None:
    """SHOW TABLES ... LIKE filters by pattern; information_schema.tables lists the table."""
    catalog, schema, table = wells.split(".")
    cursor.execute(f"CREATE TABLE {catalog}.{schema}.other (a INT)")
    cursor.execute(f"SHOW TABLES IN {catalog}.{schema} LIKE 'we*'")
    assert [r.tableName for r in cursor.fetchall()] == [table]
    cursor.execute(
        f"SELECT table_name FROM {catalog}.information_schema.tables WHERE table_schema = :s ORDER BY table_name",
        {"s": schema},
    )
    assert [r.table_name for r in cursor.fetchall()] == ["other", "wells"]


def test_unknown_column_is_unresolved_column(cursor: Any, wells: str) -> None:
    """Selecting a column the table lacks fails with UNRESOLVED_COLUMN."""
    from databricks.sql.exc import ServerOperationError

    with pytest.raises(ServerOperationError, match=r"^\[UNRESOLVED_COLUMN"):
        cursor.execute(f"SELECT no_such_column FROM {wells}")


def test_inserting_into_a_column_the_table_lacks_is_refused_as_databricks_does(
    cursor: Any, wells: str
) -> None:
    """A MERGE or INSERT naming a target column the table lacks (dropped since the caller looked)
    fails with Databricks' class (DELTA_MERGE_UNRESOLVED_EXPRESSION, UNRESOLVED_COLUMN), never
    as an internal error: the service tells a stale schema from a bug by it."""
    from databricks.sql.exc import ServerOperationError

    catalog, schema, _ = wells.split(".")
    cursor.execute(f"CREATE TABLE {catalog}.{schema}.narrow (id BIGINT)")
    with pytest.raises(ServerOperationError, match=r"^\[DELTA_MERGE_UNRESOLVED_EXPRESSION\].*gone"):
        cursor.execute(
            f"MERGE INTO {catalog}.{schema}.narrow AS t USING (SELECT 1 AS id, 'x' AS gone) AS s "
            "ON t.id = s.id WHEN NOT MATCHED THEN INSERT (id, gone) VALUES (s.id, s.gone)"
        )
    with pytest.raises(ServerOperationError, match=r"^\[UNRESOLVED_COLUMN.*gone"):
        cursor.execute(f"INSERT INTO {catalog}.{schema}.narrow (id, gone) VALUES (1, 'x')")


@pytest.mark.parametrize(
    "statement", ["CREATE TABLE {schema}.copy AS SELECT * FROM {wells}", "CREATE VIEW {schema}.v AS SELECT 1"]
)
def test_views_and_create_table_as_select_are_rejected(cursor: Any, wells: str, statement: str) -> None:
    """CTAS and views are outside the local warehouse's subset and say so."""
    from databricks.sql.exc import ServerOperationError

    schema = wells.rsplit(".", 1)[0]
    with pytest.raises(ServerOperationError, match=r"^\[UNSUPPORTED_FEATURE\.LOCAL_WAREHOUSE\]"):
        cursor.execute(statement.format(schema=schema, wells=wells))


def test_from_json_with_a_map_or_array_schema(cursor: Any) -> None:
    """from_json with a top-level MAP or ARRAY schema parses the JSON text into that type."""
    cursor.execute(
        "SELECT from_json(:m, 'MAP<STRING, INT>') AS m, from_json(:a, 'ARRAY<BIGINT>') AS a",
        {"m": '{"x": 1, "y": 2}', "a": "[3, 4]"},
    )
    row = cursor.fetchone()
    assert dict(row.m) == {"x": 1, "y": 2}
    assert list(row.a) == [3, 4]


def test_information_schema_columns_reports_nullability_as_the_service_reads_it(cursor: Any) -> None:
    """The service's query (named :s and :t) gives full_data_type as DESCRIBE spells it and is_nullable
    'NO'/'YES'; table and schema names are stored lower case, column names as declared."""
    cursor.execute("CREATE CATALOG IF NOT EXISTS wh_tests")
    cursor.execute("CREATE SCHEMA IF NOT EXISTS wh_tests.Nullability")
    try:
        cursor.execute(
            "CREATE TABLE wh_tests.Nullability.MixedCase (Id BIGINT NOT NULL, `Label` VARCHAR(5), "
            "amount DECIMAL(12, 3) NOT NULL, tags ARRAY<STRING>, attrs STRUCT<x: INT, y: STRING> NOT NULL)"
        )
        cursor.execute(
            "SELECT column_name, full_data_type, is_nullable FROM wh_tests.information_schema.columns "
            "WHERE table_schema = :s AND table_name = :t ORDER BY ordinal_position",
            {"s": "nullability", "t": "mixedcase"},
        )
        rows = [tuple(r) for r in cursor.fetchall()]
        assert rows == [
            ("Id", "bigint", "NO"),
            ("Label", "varchar(5)", "YES"),
            ("amount", "decimal(12,3)", "NO"),
            ("tags", "array<string>", "YES"),
            ("attrs", "struct<x:int,y:string>", "NO"),
        ]
        cursor.execute("DESCRIBE TABLE wh_tests.nullability.mixedcase")
        assert [(r.col_name, r.data_type) for r in cursor.fetchall()] == [(name, t) for name, t, _ in rows]
    finally:
        cursor.execute("DROP SCHEMA IF EXISTS wh_tests.nullability CASCADE")


def test_describe_table_extended_is_refused_clearly(cursor: Any, wells: str) -> None:
    """DESCRIBE TABLE EXTENDED is not emulated; the message points at information_schema.columns."""
    from databricks.sql.exc import ServerOperationError

    for statement in (
        f"DESCRIBE TABLE EXTENDED {wells}",
        f"DESCRIBE EXTENDED {wells}",
        f"DESC FORMATTED {wells}",
    ):
        with pytest.raises(ServerOperationError) as caught:
            cursor.execute(statement)
        message = str(caught.value)
        assert (
            message.startswith("[UNSUPPORTED_FEATURE.LOCAL_WAREHOUSE]")
            and "information_schema.columns" in message
        )


def test_a_bare_decimal_is_decimal_10_0(cursor: Any, schema: str) -> None:
    """DECIMAL without precision is Databricks' DECIMAL(10,0) (not DuckDB's DECIMAL(18,3)), in a
    table and in a cast."""
    cursor.execute(f"CREATE TABLE {schema}.d (v DECIMAL)")
    cursor.execute(f"INSERT INTO {schema}.d VALUES (CAST(:v AS DECIMAL))", {"v": "1.5"})
    cursor.execute(f"SELECT v FROM {schema}.d")
    assert str(cursor.fetchone().v) == "2"
    cursor.execute(f"DESCRIBE TABLE {schema}.d")
    assert cursor.fetchone().data_type == "decimal(10,0)"
