"""Statements within the parameter budget: one logical change cut into as many statements as
the bytes of its parameter values need (``RECORDS_MAX_PARAMETER_BYTES``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from warehouse.sql import ParameterTooLarge, Statement, json_array_chunks, value_bytes

# A statement built for a list of items whose JSON travels in the parameter named ``param``.
Build = Callable[[Sequence[Any]], Statement]


def split_statements(
    build: Build, items: Sequence[Any], param: str, encode: Callable[[Any], str], max_parameter_bytes: int
) -> list[Statement]:
    """``build`` once per run of ``items`` whose statement's parameters fit the budget.

    ``encode`` gives an item's JSON as ``build`` puts it in ``param``; the other parameters
    (update values, the principal) are the same in every statement and count against each.
    ``ParameterTooLarge`` when they leave no room, or one item cannot fit alone.
    """
    probe = build(items[:1])
    fixed = probe.parameter_bytes - value_bytes(probe.params[param])
    capacity = max_parameter_bytes - fixed
    if capacity < 3:
        raise ParameterTooLarge(None, fixed, max_parameter_bytes)
    statements, start = [], 0
    for _, count in json_array_chunks((encode(item) for item in items), capacity):
        statements.append(build(items[start : start + count]))
        start += count
    return statements
