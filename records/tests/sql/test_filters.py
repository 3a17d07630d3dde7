"""Filters as predicates with generated parameter names, and the 256-parameter ceiling (``records.sql.filters``)."""

from __future__ import annotations

from typing import Any

import pytest

from records import sql
from records.sql.filters import filter_conditions
from warehouse.sql import Statement, TableName

from .conftest import BY_NAME, CATALOG, PRINCIPAL, WELLS_TABLE


def test_filter_conditions_name_parameters_themselves() -> None:
    """Parameter names are generated (f0, f1...), whatever the filters say; in lists are one parameter."""
    filters: list[dict[str, Any]] = [
        {"column": "api10", "op": "in", "value": list(range(1000))},
        {"column": "wellname", "op": "=", "value": ":f0"},
        {"column": "oileur", "op": "is null"},
    ]
    conditions, params = filter_conditions(filters, {c.name.lower(): c for c in WELLS_TABLE})
    assert set(params) == {"f0", "f1"}
    assert params["f1"] == ":f0"
    assert conditions[1:] == ["`wellname` = CAST(:f1 AS STRING)", "`oileur` IS NULL"]
    assert filter_conditions([], {}) == ([], {})


def test_no_statement_carries_more_than_256_parameters() -> None:
    """A builder that would need more than 256 parameters raises instead of sending it."""
    table = TableName(CATALOG, "s", "wells")
    filters = [{"column": "api10", "op": "!=", "value": i} for i in range(300)]
    with pytest.raises(ValueError, match="at most 256 parameters"):
        sql.update_by_filters(table, filters, {"oileur": 1.0}, BY_NAME, PRINCIPAL)
    with pytest.raises(ValueError, match="at most 256 parameters"):
        Statement("SELECT 1", {f"p{i}": i for i in range(257)})
    assert len(Statement("SELECT 1", {f"p{i}": i for i in range(256)}).params) == 256
