"""The shared statement pieces (``warehouse.sql``): Databricks' per-statement limits, bytes as
the connector sends them, JSON arrays cut to a budget."""

from __future__ import annotations

import json

import pytest

from warehouse.sql import (
    MAX_PARAMETER_BYTES,
    MAX_STATEMENT_BYTES,
    ParameterTooLarge,
    Statement,
    TableName,
    json_array_chunks,
    merge_new_rows,
    parameter_bytes,
    to_json,
    value_bytes,
)


def test_values_count_as_the_connector_sends_them() -> None:
    """Text in UTF-8, numbers and booleans as str(), NULL as nothing."""
    assert value_bytes("Ł") == 2
    assert value_bytes(12345) == 5
    assert value_bytes(True) == 4
    assert value_bytes(None) == 0
    assert parameter_bytes({"a": "xy", "b": 1.5, "c": None}) == 5


def test_a_statement_refuses_more_than_databricks_accepts() -> None:
    """More than 1 MB of parameter values or 16 MiB of text never becomes a statement."""
    assert Statement("SELECT :a", {"a": "x" * MAX_PARAMETER_BYTES}).parameter_bytes == MAX_PARAMETER_BYTES
    with pytest.raises(ParameterTooLarge) as caught:
        Statement("SELECT :a, :b", {"a": "x" * MAX_PARAMETER_BYTES, "b": "y"})
    assert (caught.value.index, caught.value.size) == (None, MAX_PARAMETER_BYTES + 1)
    with pytest.raises(ValueError, match="text may be at most"):
        Statement("SELECT 1 -- " + "x" * MAX_STATEMENT_BYTES)


def test_json_arrays_are_cut_to_the_capacity_in_order() -> None:
    """Every array is valid JSON within the capacity; items stay whole and in order."""
    items = [{"i": i, "pad": "p" * (i % 7)} for i in range(500)]
    chunks = list(json_array_chunks((to_json(item) for item in items), 200))
    assert all(len(text.encode()) <= 200 for text, _ in chunks)
    assert [item for text, _ in chunks for item in json.loads(text)] == items
    assert sum(count for _, count in chunks) == 500 and len(chunks) > 10


def test_an_item_larger_than_the_capacity_is_named() -> None:
    """An item that cannot fit even alone is ParameterTooLarge with its index."""
    with pytest.raises(ParameterTooLarge) as caught:
        list(json_array_chunks(['"a"', '"' + "b" * 300 + '"'], 100))
    assert (caught.value.index, caught.value.capacity) == (1, 100)


def test_merge_new_rows_inserts_only_missing_keys() -> None:
    """The MERGE matches on the key and only inserts: the same source twice lands once."""
    sql = merge_new_rows(
        TableName("c", "s", "t"), source="SELECT 1 AS `id`", key="id", columns=["`id`"], values=["s.`id`"]
    )
    assert sql == (
        "MERGE INTO `c`.`s`.`t` AS t USING (SELECT 1 AS `id`) AS s ON t.`id` = s.`id` "
        "WHEN NOT MATCHED THEN INSERT (`id`) VALUES (s.`id`)"
    )
    with pytest.raises(ValueError, match="Invalid identifier"):
        merge_new_rows(TableName("c", "s", "t"), source="", key="id`; --", columns=[], values=[])
