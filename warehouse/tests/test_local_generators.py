"""Generators (inline, explode, posexplode) in the select list and the FROM clause, as in Spark SQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from databricks.sql.exc import ServerOperationError

ROWS = "from_json(:rows, 'ARRAY<STRUCT<a: INT, b: STRING>>', map('mode', 'FAILFAST'))"
DATA = json.dumps([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}])


def _rows(
    cursor: Any, statement: str, params: dict[str, Any] | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor.execute(statement, params or {})
    return [d[0] for d in cursor.description], [tuple(r) for r in cursor.fetchall()]


def _error_of(cursor: Any, statement: str) -> str:
    with pytest.raises(ServerOperationError) as caught:
        cursor.execute(statement)
    return str(caught.value)


def test_inline_in_the_select_list(cursor: Any) -> None:
    """SELECT inline(from_json(...)) gives one row per element and one column per field."""
    assert _rows(cursor, f"SELECT inline({ROWS})", {"rows": DATA}) == (["a", "b"], [(1, "x"), (2, "y")])


def test_inline_in_a_subquery_and_an_insert(cursor: Any, schema: str) -> None:
    """SELECT a, b FROM (SELECT inline(...)) reads its columns; INSERT ... SELECT from it writes them."""
    statement = f"SELECT a, b FROM (SELECT inline({ROWS}))"
    assert _rows(cursor, statement, {"rows": DATA}) == (["a", "b"], [(1, "x"), (2, "y")])
    cursor.execute(f"CREATE TABLE {schema}.t (a INT, b STRING)")
    cursor.execute(f"INSERT INTO {schema}.t {statement}", {"rows": DATA})
    assert cursor.fetchone().num_inserted_rows == 2
    assert _rows(cursor, f"SELECT a, b FROM {schema}.t ORDER BY a")[1] == [(1, "x"), (2, "y")]


def test_inline_in_the_from_clause_still_works(cursor: Any) -> None:
    """FROM inline(...) [AS t(x, y)] is a table of the struct fields."""
    assert _rows(cursor, f"SELECT b FROM inline({ROWS}) ORDER BY a", {"rows": DATA})[1] == [("x",), ("y",)]
    assert _rows(cursor, f"SELECT t.y FROM inline({ROWS}) AS t(x, y) WHERE t.x = 2", {"rows": DATA})[1] == [
        ("y",)
    ]


def test_inline_keeps_the_other_select_items(cursor: Any) -> None:
    """Other items of the select list are repeated on every generated row."""
    assert _rows(cursor, f"SELECT 7 AS k, inline({ROWS})", {"rows": DATA}) == (
        ["k", "a", "b"],
        [(7, 1, "x"), (7, 2, "y")],
    )


def test_explode_in_the_select_list(cursor: Any) -> None:
    """explode(array) gives a column `col`, or the alias; explode(map) gives `key` and `value`."""
    assert _rows(cursor, "SELECT explode(array(1, 2, 3)) AS x") == (["x"], [(1,), (2,), (3,)])
    assert _rows(cursor, "SELECT explode(array('a', 'b'))") == (["col"], [("a",), ("b",)])
    assert _rows(cursor, "SELECT explode(map('k', 1, 'l', 2))") == (["key", "value"], [("k", 1), ("l", 2)])
    assert _rows(cursor, "SELECT explode(map('k', 1)) AS (name, n)") == (["name", "n"], [("k", 1)])


def test_posexplode_gives_pos_and_col(cursor: Any) -> None:
    """posexplode gives `pos` (from 0, an INT) and `col`, or the two aliases."""
    columns, rows = _rows(cursor, "SELECT posexplode(array('a', 'b'))")
    assert (columns, rows) == (["pos", "col"], [(0, "a"), (1, "b")])
    assert cursor.description[0][1] == "int"
    assert _rows(cursor, "SELECT posexplode(array(10, 20)) AS (p, v)") == (["p", "v"], [(0, 10), (1, 20)])
    assert _rows(cursor, "SELECT posexplode(map('k', true))") == (["pos", "key", "value"], [(0, "k", True)])


def test_explode_of_null_or_empty_gives_no_rows_and_outer_one(cursor: Any) -> None:
    """explode of an empty or NULL array makes no row; explode_outer makes one row of NULL."""
    assert _rows(cursor, "SELECT explode(array()) AS x")[1] == []
    assert _rows(cursor, "SELECT explode(CAST(NULL AS ARRAY<INT>)) AS x")[1] == []
    assert _rows(cursor, "SELECT explode_outer(CAST(NULL AS ARRAY<INT>)) AS x")[1] == [(None,)]


def test_explode_of_json_structs_reads_fields(cursor: Any) -> None:
    """explode(from_json(...)) AS r gives structs whose fields r.a, r.b can be selected."""
    statement = f"SELECT r.a, r.b FROM (SELECT explode({ROWS}) AS r) ORDER BY r.a"
    assert _rows(cursor, statement, {"rows": DATA})[1] == [(1, "x"), (2, "y")]


@pytest.mark.parametrize(
    ("statement", "error_class"),
    [
        ("SELECT explode(array(1)), explode(array(2))", "[UNSUPPORTED_GENERATOR.MULTI_GENERATOR]"),
        ("SELECT explode(array(1)) + 1", "[UNSUPPORTED_GENERATOR.NESTED_IN_EXPRESSIONS]"),
        ("SELECT 1 AS x WHERE explode(array(1)) = 1", "[UNSUPPORTED_GENERATOR.OUTSIDE_SELECT]"),
        ("SELECT posexplode(array(1)) AS (p, c, extra)", "[UDTF_ALIAS_NUMBER_MISMATCH]"),
    ],
)
def test_generators_where_spark_refuses_them(cursor: Any, statement: str, error_class: str) -> None:
    """Two generators in one SELECT, a generator inside an expression or outside the select list, or
    the wrong number of aliases fail as in Spark (DuckDB would run them)."""
    assert _error_of(cursor, statement).startswith(error_class)
