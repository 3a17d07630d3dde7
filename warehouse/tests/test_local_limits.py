"""Databricks' limits on one statement, enforced by the local warehouse before anything runs."""

from __future__ import annotations

from typing import Any

import pytest
from databricks.sql.exc import ServerOperationError

from warehouse.local.limits import MAX_PARAMETER_BYTES, MAX_STATEMENT_BYTES
from warehouse.local.testing import LocalWarehouseProcess

MIB = 1024 * 1024


def _error_of(cursor: Any, statement: str, params: Any = None) -> str:
    with pytest.raises(ServerOperationError) as caught:
        cursor.execute(statement, params or {})
    return str(caught.value)


def _values_of(total: int, *, long_name: str = "a_long_parameter_name") -> dict[str, Any]:
    """Parameters whose values are ``total`` bytes as the connector sends them: a multi-byte
    string, an ASCII one and an ARRAY of two items (each sent as its own value); the names,
    however long, do not count."""
    accented = "é" * (MIB // 8)  # 2 bytes each in UTF-8
    items = [123, 456]  # "123" and "456": 6 bytes
    rest = total - len(accented.encode()) - 6
    return {long_name: accented, "b": "x" * rest, "arr": items}


def test_exactly_one_mib_of_parameter_values_passes(cursor: Any) -> None:
    """1,048,576 bytes of values (UTF-8, ARRAY items included, names not) are accepted."""
    params = _values_of(MAX_PARAMETER_BYTES)
    cursor.execute("SELECT length(:a_long_parameter_name) + length(:b) + size(:arr) AS n", params)
    assert cursor.fetchone().n == MIB // 8 + len(params["b"]) + 2


def test_one_byte_more_than_one_mib_of_parameter_values_fails(
    cursor: Any, local_warehouse: LocalWarehouseProcess
) -> None:
    """1,048,577 bytes fail with PARAMETER_VALUES_TOO_LARGE naming the size and the limit, count
    as an error, and show in max_parameter_bytes."""
    local_warehouse.reset_stats()
    message = _error_of(
        cursor, "SELECT length(:a_long_parameter_name) AS n", _values_of(MAX_PARAMETER_BYTES + 1)
    )
    assert message.startswith("[PARAMETER_VALUES_TOO_LARGE]")
    assert "1048577 bytes" in message and "limit is 1048576 bytes (1 MiB)" in message
    stats = local_warehouse.stats()
    assert stats["errors"] == 1 and stats["total"] == 1
    assert stats["max_parameter_bytes"] == MAX_PARAMETER_BYTES + 1
    assert stats["recent"][-1]["parameter_bytes"] == MAX_PARAMETER_BYTES + 1


def test_a_statement_over_a_limit_has_no_effect(cursor: Any, schema: str) -> None:
    """An INSERT beyond the parameter-bytes or text limit writes nothing: the limit is checked first."""
    cursor.execute(f"CREATE TABLE {schema}.t (a STRING)")
    too_many_bytes = {"v": "x" * (MAX_PARAMETER_BYTES + 1)}
    assert _error_of(cursor, f"INSERT INTO {schema}.t VALUES (:v)", too_many_bytes).startswith(
        "[PARAMETER_VALUES_TOO_LARGE]"
    )
    prefix = f"INSERT INTO {schema}.t VALUES ('"
    text = prefix + "x" * (MAX_STATEMENT_BYTES - len(prefix) - 1) + "')"
    assert _error_of(cursor, text).startswith("[STATEMENT_TOO_LARGE]")
    cursor.execute(f"SELECT COUNT(*) AS n FROM {schema}.t")
    assert cursor.fetchone().n == 0


def test_statement_text_of_16_mib_passes_and_one_byte_more_fails(
    cursor: Any, local_warehouse: LocalWarehouseProcess
) -> None:
    """16,777,216 bytes of statement text are run; 16,777,217 fail with STATEMENT_TOO_LARGE,
    and max_statement_bytes shows the largest text seen."""
    local_warehouse.reset_stats()
    prefix, suffix = "SELECT length('", "') AS n"
    padding = MAX_STATEMENT_BYTES - len(prefix) - len(suffix)
    cursor.execute(prefix + "x" * padding + suffix)
    assert cursor.fetchone().n == padding
    message = _error_of(cursor, prefix + "x" * (padding + 1) + suffix)
    assert message.startswith("[STATEMENT_TOO_LARGE]")
    assert "16777217 bytes" in message and "limit is 16777216 bytes (16 MiB)" in message
    stats = local_warehouse.stats()
    assert stats["max_statement_bytes"] == MAX_STATEMENT_BYTES + 1
    assert [s["error"] is None for s in stats["recent"]] == [True, False]
    assert [s["statement_bytes"] for s in stats["recent"]] == [MAX_STATEMENT_BYTES, MAX_STATEMENT_BYTES + 1]


def test_statement_text_is_counted_in_utf8_bytes(cursor: Any) -> None:
    """A text of fewer characters than the limit but more UTF-8 bytes is refused."""
    prefix, suffix = "SELECT length('", "') AS n"
    characters = (MAX_STATEMENT_BYTES - len(prefix) - len(suffix)) // 2 + 1  # "é" is 2 bytes
    assert _error_of(cursor, prefix + "é" * characters + suffix).startswith("[STATEMENT_TOO_LARGE]")


def test_counters_report_sizes_and_reset_clears_them(
    cursor: Any, local_warehouse: LocalWarehouseProcess
) -> None:
    """/stats keeps max_parameters next to max_parameter_bytes and max_statement_bytes; reset zeroes them."""
    local_warehouse.reset_stats()
    statement = "SELECT :a AS a, :b AS b"
    cursor.execute(statement, {"a": "héllo", "b": None})
    stats = local_warehouse.stats()
    assert stats["max_parameters"] == 2
    assert stats["max_parameter_bytes"] == len("héllo".encode())  # a NULL travels without a value
    assert stats["max_statement_bytes"] == len(statement)
    assert {"total", "by_kind", "errors", "injected_failures", "recent"} <= set(stats)
    local_warehouse.reset_stats()
    stats = local_warehouse.stats()
    assert (stats["max_parameters"], stats["max_parameter_bytes"], stats["max_statement_bytes"]) == (0, 0, 0)
