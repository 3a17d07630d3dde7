"""Every column type of the seed, written and read back through the real connector."""

from __future__ import annotations

import datetime
import decimal
import re
from typing import Any

import pytest

ALL_TYPES = """
    c_bigint BIGINT, c_int INT, c_integer INTEGER, c_smallint SMALLINT, c_tinyint TINYINT,
    c_double DOUBLE, c_float FLOAT, c_decimal DECIMAL(12, 3), c_string STRING, c_varchar VARCHAR(10),
    c_char CHAR(3), c_boolean BOOLEAN, c_date DATE, c_timestamp TIMESTAMP, c_timestamp_ntz TIMESTAMP_NTZ,
    c_binary BINARY, c_array ARRAY<STRING>, c_map MAP<STRING, INT>, c_struct STRUCT<x: INT, y: STRING>
"""
COLUMNS = re.findall(r"\b(c_\w+) ", ALL_TYPES)

INSERT = """
INSERT INTO {table} VALUES (
    :c_bigint, :c_int, :c_integer, :c_smallint, :c_tinyint, :c_double, :c_float, :c_decimal,
    :c_string, :c_varchar, :c_char, :c_boolean, :c_date, :c_timestamp, CAST(:c_timestamp_ntz AS TIMESTAMP_NTZ),
    unbase64(:c_binary), :c_array, :c_map, named_struct('x', :c_struct_x, 'y', :c_struct_y)
)
"""

VALUES: dict[str, Any] = {
    "c_bigint": 9_007_199_254_740_993,
    "c_int": -2_147_483_648,
    "c_integer": 2_147_483_647,
    "c_smallint": -32_768,
    "c_tinyint": 127,
    "c_double": 1234.5678,
    "c_float": 1.5,
    "c_decimal": decimal.Decimal("123456789.125"),
    "c_string": "zażółć 'quoted' -- not a comment",
    "c_varchar": "ten chars!",
    "c_char": "abc",
    "c_boolean": True,
    "c_date": datetime.date(2024, 2, 29),
    "c_timestamp": datetime.datetime(2024, 3, 10, 12, 30, 15, 123456, tzinfo=datetime.UTC),
    "c_timestamp_ntz": "2024-03-10 08:00:00",
    "c_binary": "AAEC/w==",
    "c_array": ["a", "b", None],
    "c_map": {"one": 1, "two": 2},
    "c_struct_x": 7,
    "c_struct_y": "seven",
}


@pytest.fixture
def all_types_table(cursor: Any, schema: str) -> str:
    table = f"{schema}.all_types"
    cursor.execute(f"CREATE TABLE {table} ({ALL_TYPES}) USING DELTA")
    return table


def test_every_type_round_trips_with_the_connectors_python_types(cursor: Any, all_types_table: str) -> None:
    """Values of all 19 types come back equal, as the Python types the connector returns for Databricks."""
    cursor.execute(INSERT.format(table=all_types_table), VALUES)
    cursor.execute(f"SELECT * FROM {all_types_table}")
    row = cursor.fetchone().asDict()
    for name in ("c_bigint", "c_int", "c_integer", "c_smallint", "c_tinyint", "c_double", "c_float"):
        assert row[name] == VALUES[name] and type(row[name]) is type(VALUES[name]), name
    assert row["c_decimal"] == VALUES["c_decimal"] and isinstance(row["c_decimal"], decimal.Decimal)
    assert row["c_string"] == VALUES["c_string"]
    assert row["c_varchar"] == "ten chars!"
    assert row["c_char"] == "abc"
    assert row["c_boolean"] is True
    assert row["c_date"] == datetime.date(2024, 2, 29)
    assert row["c_timestamp"] == VALUES["c_timestamp"] and row[
        "c_timestamp"
    ].utcoffset() == datetime.timedelta(0)
    assert (
        row["c_timestamp_ntz"] == datetime.datetime(2024, 3, 10, 8, 0)  # noqa: DTZ001 (TIMESTAMP_NTZ is naive)
        and row["c_timestamp_ntz"].tzinfo is None
    )
    assert row["c_binary"] == b"\x00\x01\x02\xff"
    assert list(row["c_array"]) == ["a", "b", None]
    assert dict(row["c_map"]) == {"one": 1, "two": 2}
    assert row["c_struct"] == {"x": 7, "y": "seven"}


def test_nulls_of_every_type_round_trip(cursor: Any, all_types_table: str) -> None:
    """A row of NULLs (VOID parameters) reads back as None in every column."""
    nulls = dict.fromkeys(VALUES)
    statement = INSERT.format(table=all_types_table).replace(
        "named_struct('x', :c_struct_x, 'y', :c_struct_y)", "CAST(:c_struct_x AS STRUCT<x: INT, y: STRING>)"
    )
    cursor.execute(statement, {k: v for k, v in nulls.items() if k != "c_struct_y"})
    cursor.execute(f"SELECT * FROM {all_types_table}")
    row = cursor.fetchone().asDict()
    assert list(row) == COLUMNS
    assert all(value is None for value in row.values()), row


def test_describe_table_reports_databricks_type_names(cursor: Any, all_types_table: str) -> None:
    """DESCRIBE TABLE answers col_name, data_type, comment with the declared Databricks types."""
    cursor.execute(f"DESCRIBE TABLE {all_types_table}")
    assert [d[0] for d in cursor.description] == ["col_name", "data_type", "comment"]
    types = {row.col_name: row.data_type for row in cursor.fetchall()}
    assert types == {
        "c_bigint": "bigint",
        "c_int": "int",
        "c_integer": "int",
        "c_smallint": "smallint",
        "c_tinyint": "tinyint",
        "c_double": "double",
        "c_float": "float",
        "c_decimal": "decimal(12,3)",
        "c_string": "string",
        "c_varchar": "varchar(10)",
        "c_char": "char(3)",
        "c_boolean": "boolean",
        "c_date": "date",
        "c_timestamp": "timestamp",
        "c_timestamp_ntz": "timestamp_ntz",
        "c_binary": "binary",
        "c_array": "array<string>",
        "c_map": "map<string,int>",
        "c_struct": "struct<x:int,y:string>",
    }


def test_cursor_description_names_databricks_types(cursor: Any, all_types_table: str) -> None:
    """cursor.description carries the type codes a Databricks warehouse reports, decimals with precision."""
    cursor.execute(f"SELECT * FROM {all_types_table}")
    description = {d[0]: (d[1], d[4], d[5]) for d in cursor.description}
    assert description["c_bigint"][0] == "bigint"
    assert description["c_decimal"] == ("decimal", 12, 3)
    assert description["c_timestamp"][0] == "timestamp"
    assert description["c_array"][0] == "array"
    assert description["c_map"][0] == "map"
    assert description["c_struct"][0] == "struct"


def test_varchar_longer_than_declared_is_rejected(cursor: Any, all_types_table: str) -> None:
    """VARCHAR(10) keeps its length limit, failing like Delta does."""
    from databricks.sql.exc import ServerOperationError

    with pytest.raises(ServerOperationError, match="DELTA_EXCEED_CHAR_VARCHAR_LIMIT"):
        cursor.execute(f"INSERT INTO {all_types_table} (c_varchar) VALUES (:v)", {"v": "eleven char"})


def test_aggregates_come_back_as_int_not_decimal(cursor: Any, schema: str) -> None:
    """SUM of BIGINT (a HUGEINT in DuckDB) and COUNT(*) read back as Python ints."""
    cursor.execute(f"CREATE TABLE {schema}.n (v BIGINT)")
    cursor.execute(f"INSERT INTO {schema}.n VALUES (1), (2), (3)")
    cursor.execute(f"SELECT SUM(v) AS total, COUNT(*) AS n FROM {schema}.n")
    row = cursor.fetchone()
    assert (row.total, row.n) == (6, 3)
    assert type(row.total) is int and type(row.n) is int


def test_every_parameter_type_the_connector_sends_is_bound_as_a_value(cursor: Any) -> None:
    """int, float, Decimal, str, bool, date, datetime, None, list and dict parameters bind with their types."""
    params = {
        "i": 42,
        "big": 2**40,
        "f": 0.25,
        "d": decimal.Decimal("3.14"),
        "s": "O'Reilly; DROP TABLE x",
        "b": False,
        "dt": datetime.date(2020, 1, 2),
        "ts": datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        "n": None,
        "arr": [1, 2, 3],
        "m": {"k": "v"},
    }
    cursor.execute(
        "SELECT :i AS i, :big AS big, :f AS f, :d AS d, :s AS s, :b AS b, :dt AS dt, :ts AS ts, :n AS n, "
        ":arr AS arr, :m AS m",
        params,
    )
    row = cursor.fetchone().asDict()
    assert row["i"] == 42 and row["big"] == 2**40 and row["f"] == 0.25
    assert row["d"] == decimal.Decimal("3.14")
    assert row["s"] == "O'Reilly; DROP TABLE x"
    assert row["b"] is False
    assert row["dt"] == datetime.date(2020, 1, 2)
    assert row["ts"] == params["ts"]
    assert row["n"] is None
    assert list(row["arr"]) == [1, 2, 3]
    assert dict(row["m"]) == {"k": "v"}
