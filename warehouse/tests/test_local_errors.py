"""Errors the local warehouse returns, with Databricks' error classes and the connector's exception types."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
from databricks.sql.exc import ServerOperationError

from warehouse.local.duckdb_errors import translate_duckdb_error
from warehouse.local.translate import Plan

from .conftest import connect


def _error_of(cursor: Any, statement: str, params: dict[str, Any] | None = None) -> str:
    with pytest.raises(ServerOperationError) as caught:
        cursor.execute(statement, params or {})
    return str(caught.value)


def test_missing_table_is_table_or_view_not_found(cursor: Any, schema: str) -> None:
    """Reading, writing or describing a missing table fails with TABLE_OR_VIEW_NOT_FOUND naming it."""
    for statement in (
        f"SELECT * FROM {schema}.nope",
        f"INSERT INTO {schema}.nope VALUES (1)",
        f"UPDATE {schema}.nope SET a = 1",
        f"DELETE FROM {schema}.nope",
        f"DESCRIBE TABLE {schema}.nope",
    ):
        message = _error_of(cursor, statement)
        assert message.startswith("[TABLE_OR_VIEW_NOT_FOUND]"), statement
        assert "nope" in message


def test_missing_schema_is_schema_not_found(cursor: Any, schema: str) -> None:
    """Creating a table in a missing schema fails with SCHEMA_NOT_FOUND; nothing is created implicitly."""
    catalog = schema.split(".")[0]
    message = _error_of(cursor, f"CREATE TABLE {catalog}.no_such_schema.t (a INT)")
    assert message.startswith("[SCHEMA_NOT_FOUND]") and "no_such_schema" in message
    cursor.execute(f"SHOW SCHEMAS IN {catalog}")
    assert "no_such_schema" not in [r.databaseName for r in cursor.fetchall()]


def test_missing_catalog_is_catalog_not_found(cursor: Any) -> None:
    """A schema in a missing catalog fails with CATALOG_NOT_FOUND, and no catalog appears."""
    message = _error_of(cursor, "CREATE SCHEMA no_such_catalog.s")
    assert message.startswith("[CATALOG_NOT_FOUND]") and "no_such_catalog" in message
    assert _error_of(cursor, "SHOW SCHEMAS IN no_such_catalog").startswith("[CATALOG_NOT_FOUND]")
    cursor.execute("SHOW CATALOGS")
    assert "no_such_catalog" not in [r.catalog for r in cursor.fetchall()]


def test_session_in_a_missing_catalog_is_refused(local_warehouse: Any) -> None:
    """Opening a session with catalog= a missing catalog fails, as on Databricks."""
    from databricks.sql.exc import Error

    with pytest.raises(Error, match="CATALOG_NOT_FOUND"):
        connect(local_warehouse.url, catalog="no_such_catalog")


def test_not_null_violation(cursor: Any, schema: str) -> None:
    """A NULL into a NOT NULL column fails with DELTA_NOT_NULL_CONSTRAINT_VIOLATED and writes nothing."""
    cursor.execute(f"CREATE TABLE {schema}.t (a BIGINT NOT NULL, b STRING)")
    message = _error_of(
        cursor,
        f"INSERT INTO {schema}.t SELECT * FROM inline(from_json(:rows, 'ARRAY<STRUCT<a: BIGINT, b: STRING>>'))",
        {"rows": '[{"a": 1, "b": "x"}, {"a": null, "b": "y"}]'},
    )
    assert message.startswith("[DELTA_NOT_NULL_CONSTRAINT_VIOLATED]") and "column: a" in message
    cursor.execute(f"SELECT COUNT(*) AS n FROM {schema}.t")
    assert cursor.fetchone().n == 0


def test_syntax_error_is_parse_syntax_error(cursor: Any) -> None:
    """Malformed SQL fails with PARSE_SYNTAX_ERROR."""
    assert _error_of(cursor, "SELEC 1 FROM").startswith("[PARSE_SYNTAX_ERROR]")
    assert _error_of(cursor, "SELECT (1").startswith("[PARSE_SYNTAX_ERROR]")


def test_unbound_parameter(cursor: Any) -> None:
    """A marker without a parameter fails with UNBOUND_SQL_PARAMETER naming it."""
    message = _error_of(cursor, "SELECT :missing AS x", {"other": 1})
    assert message.startswith("[UNBOUND_SQL_PARAMETER]") and "missing" in message


def test_more_than_256_parameters_are_rejected(cursor: Any, schema: str) -> None:
    """257 parameters fail with Databricks' message; 256 are accepted."""
    cursor.execute(f"CREATE TABLE {schema}.t (a INT)")
    markers = ", ".join(f"(:p{i})" for i in range(257))
    message = _error_of(cursor, f"INSERT INTO {schema}.t VALUES {markers}", {f"p{i}": i for i in range(257)})
    assert "257 parameters were given but the limit is 256" in message
    markers = ", ".join(f"(:p{i})" for i in range(256))
    cursor.execute(f"INSERT INTO {schema}.t VALUES {markers}", {f"p{i}": i for i in range(256)})
    assert cursor.fetchone().num_inserted_rows == 256


def test_values_are_never_pasted_into_sql(cursor: Any, schema: str) -> None:
    """A value that looks like SQL is stored as text and executes nothing."""
    cursor.execute(f"CREATE TABLE {schema}.t (a STRING)")
    evil = f"x'); DROP TABLE {schema}.t; --"
    cursor.execute(f"INSERT INTO {schema}.t VALUES (:a)", {"a": evil})
    cursor.execute(f"SELECT a FROM {schema}.t")
    assert cursor.fetchone().a == evil


@pytest.mark.parametrize(
    ("statement", "what"),
    [
        ("INSERT OVERWRITE wh_tests.x.t SELECT 1", "INSERT OVERWRITE"),
        ("CREATE FUNCTION f() RETURNS INT RETURN 1", "does not support"),
        ("SHOW GRANTS ON TABLE t", "SHOW"),
        ("OPTIMIZE wh_tests.x.t", "does not support"),
    ],
)
def test_unsupported_sql_says_so(cursor: Any, statement: str, what: str) -> None:
    """SQL outside the implemented subset fails with a clear UNSUPPORTED_FEATURE message."""
    message = _error_of(cursor, statement)
    assert message.startswith("[UNSUPPORTED_FEATURE.LOCAL_WAREHOUSE]") and what in message


def test_unknown_function_is_unresolved_routine(cursor: Any) -> None:
    """A function Databricks does not know is UNRESOLVED_ROUTINE naming it and the search path,
    also when DuckDB has one of that name; never a catalog error."""
    message = _error_of(cursor, "SELECT no_such_fn(1)")
    assert message.startswith("[UNRESOLVED_ROUTINE] Cannot resolve function `no_such_fn` on search path")
    assert "`main`.`default`" in message and "SQLSTATE: 42883" in message
    assert _error_of(cursor, "SELECT list_value(1)").startswith("[UNRESOLVED_ROUTINE]")  # DuckDB's only
    assert "`myschema`.`myfun`" in _error_of(cursor, "SELECT myschema.myfun(1)")


def test_databricks_function_without_a_translation_says_so(cursor: Any) -> None:
    """A Databricks function that the local warehouse cannot run is UNSUPPORTED_FEATURE, not unknown."""
    for statement in ("SELECT bround(2.5)", "SELECT soundex('x')"):
        message = _error_of(cursor, statement)
        assert message.startswith("[UNSUPPORTED_FEATURE.LOCAL_WAREHOUSE]"), message


@pytest.mark.parametrize(
    ("statement", "error_class", "text"),
    [
        (
            "SELECT CAST('abc' AS INT)",
            "CAST_INVALID_INPUT",
            'The value \'abc\' of the type "STRING" cannot be cast to "INT" because it is malformed.',
        ),
        (
            "SELECT CAST(3000000000 AS INT)",
            "CAST_OVERFLOW",
            'The value 3000000000 of the type "BIGINT" cannot be cast to "INT" due to an overflow.',
        ),
        (
            "SELECT CAST(123456.7 AS DECIMAL(4,1))",
            "NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION",
            "Decimal(4, 1)",
        ),
        ("SELECT 2147483647 + 1", "ARITHMETIC_OVERFLOW", "Overflow"),
        ("SELECT 5 % 0", "DIVIDE_BY_ZERO", "Division by zero."),
    ],
)
def test_value_errors_have_databricks_classes(
    cursor: Any, statement: str, error_class: str, text: str
) -> None:
    """Casts, overflows and division by zero fail with the class Databricks (ANSI mode) uses."""
    message = _error_of(cursor, statement)
    assert message.startswith(f"[{error_class}]") and text in message, message


@pytest.mark.parametrize(
    ("exception", "text", "error_class"),
    [
        (duckdb.CatalogException, "Catalog Error: Sequence with name s does not exist!", "INTERNAL_ERROR"),
        (
            duckdb.CatalogException,
            "Catalog Error: Type with name nosuchtype does not exist!",
            "UNSUPPORTED_DATATYPE",
        ),
        (
            duckdb.CatalogException,
            "Catalog Error: Scalar Function with name bround does not exist!",
            "UNSUPPORTED_FEATURE.LOCAL_WAREHOUSE",
        ),
        (duckdb.CatalogException, 'Catalog Error: Catalog "uc__gone" does not exist!', "CATALOG_NOT_FOUND"),
        (duckdb.CatalogException, "Catalog Error: Schema with name nope does not exist!", "SCHEMA_NOT_FOUND"),
        (
            duckdb.CatalogException,
            "Catalog Error: Table with name nope does not exist!",
            "TABLE_OR_VIEW_NOT_FOUND",
        ),
        (duckdb.InvalidInputException, "Invalid Input Error: something else entirely", "INTERNAL_ERROR"),
        (duckdb.NotImplementedException, "Not implemented Error: a feature", "INTERNAL_ERROR"),
    ],
)
def test_duckdb_errors_keep_to_what_they_are(
    exception: type[duckdb.Error], text: str, error_class: str
) -> None:
    """Only a missing catalog, schema or table becomes CATALOG/SCHEMA/TABLE_OR_VIEW_NOT_FOUND; other
    DuckDB catalog errors and unknown errors keep an honest class (INTERNAL_ERROR with DuckDB's text)."""
    error = translate_duckdb_error(exception(text), Plan(kind="SELECT", sql="SELECT 1"))
    assert error.error_class == error_class
    if error_class == "INTERNAL_ERROR":
        assert text in str(error)
    if error_class == "CATALOG_NOT_FOUND":
        assert "`gone`" in str(error)
