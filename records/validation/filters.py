"""Checks of a request against a table's real columns: known columns, typed filter values, and
the parameter budget of one statement. Used by job submission and by reads."""

from __future__ import annotations

from typing import Any

from common.errors import ApiError

from ..tables import Column
from .rows import validate_key_values


def known_column(columns: dict[str, Column], name: str) -> Column:
    column = columns.get(name.lower())
    if column is None:
        raise ApiError(f"Unknown column '{name}'", details={"columns": sorted(columns)})
    return column


# Each filter and each updated column is one statement parameter; Databricks allows 256 in all
# (the principal, limit and offset take a few more).
MAX_FILTERS_AND_UPDATES = 200


def check_parameter_budget(filters: list[Any], updates: dict[str, Any] | None = None) -> None:
    if len(filters) + len(updates or {}) > MAX_FILTERS_AND_UPDATES:
        raise ApiError(
            f"At most {MAX_FILTERS_AND_UPDATES} filters and updated columns per request "
            "(a statement carries at most 256 parameters)"
        )


def validate_filters(columns: dict[str, Column], filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Filter columns exist and values fit their types, so a bad filter is a 400, not a SQL error."""
    check_parameter_budget(filters)
    checked = []
    for index, item in enumerate(filters):
        column = known_column(columns, item["column"])
        op = item["op"]
        if op in ("is null", "is not null", "like"):
            checked.append(item)
            continue
        many = op in ("in", "not in")
        try:
            values = validate_key_values(column, item["value"] if many else [item["value"]])
        except ApiError as error:
            raise ApiError(f"Filter {index} on column '{column.name}': {error.detail}") from error
        checked.append({**item, "value": values if many else values[0]})
    return checked
