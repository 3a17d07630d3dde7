"""Filters as SQL predicates: ``{"column", "op", "value"}`` items combined with AND."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from warehouse.sql import IDENTIFIER, quote_identifier

from ..tables import Column
from .values import STRING_TYPES, base_type, column_named, single_value, values_subquery

# Comparison operators of filters, as written in SQL.
_COMPARISONS = {"=": "=", "!=": "<>", ">": ">", "<": "<", ">=": ">=", "<=": "<="}


def filter_conditions(
    filters: Sequence[Mapping[str, Any]] | None, columns: Mapping[str, Column], prefix: str = "f"
) -> tuple[list[str], dict[str, Any]]:
    """One SQL predicate per filter, and their parameters.

    Ops are ``=, !=, >, <, >=, <=, like, in, not in, is null, is not null``. Each value is one
    parameter named ``<prefix>0``, ``<prefix>1``..., typed by its column (``CAST(:f0 AS
    DATE)``...); an ``in``/``not in`` list is ONE JSON parameter however long. ``like``
    compares the column as a string. ``not in`` follows SQL: rows whose column is NULL never
    match it.
    """
    if prefix and not IDENTIFIER.fullmatch(prefix):
        raise ValueError(f"Invalid parameter prefix: {prefix!r}")
    conditions: list[str] = []
    params: dict[str, Any] = {}
    for index, item in enumerate(filters or ()):
        column = column_named(columns, item["column"])
        name = quote_identifier(column.name)
        op = " ".join(str(item.get("op", "")).lower().split())
        parameter = f"{prefix}{index}"
        value = item.get("value")
        if op in _COMPARISONS:
            expression, params[parameter] = single_value(parameter, column, value)
            conditions.append(f"{name} {_COMPARISONS[op]} {expression}")
        elif op == "like":
            target = name if base_type(column) in STRING_TYPES else f"CAST({name} AS STRING)"
            params[parameter] = value if isinstance(value, str) or value is None else str(value)
            conditions.append(f"{target} LIKE CAST(:{parameter} AS STRING)")
        elif op in ("in", "not in"):
            if not isinstance(value, list | tuple):
                raise ValueError(f"The value of '{op}' must be a list, got {type(value).__name__}")
            subquery, params[parameter] = values_subquery(parameter, column, value)
            conditions.append(f"{name} {op.upper()} ({subquery})")
        elif op == "is null":
            conditions.append(f"{name} IS NULL")
        elif op == "is not null":
            conditions.append(f"{name} IS NOT NULL")
        else:
            raise ValueError(f"Unknown filter operator: {item.get('op')!r}")
    return conditions, params


def required_filter_conditions(
    filters: Sequence[Mapping[str, Any]], columns: Mapping[str, Column], what: str
) -> tuple[list[str], dict[str, Any]]:
    """``filter_conditions`` of at least one filter: a request never touches a whole table."""
    if not filters:
        raise ValueError(f"{what} by filters needs at least one filter")
    return filter_conditions(filters, columns)
