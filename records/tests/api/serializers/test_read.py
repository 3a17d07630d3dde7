"""``ReadQuerySerializer``: the seed's read query, its defaults, limits and the filters JSON."""

from __future__ import annotations

import json

import pytest
from django.http import QueryDict

from records.api.serializers import ReadQuerySerializer

from .conftest import refused_with, valid, validation_errors

SEED_READ = (
    "catalog=oil_gas_catalog&schema=production_schema&table=wells&limit=10&offset=0"
    "&columns=api10,api14,wellname,oileur,gaseur"
    '&filters=[{"column":"oileur","op":">","value":100000},{"column":"spuddate","op":"like","value":"%2024"}]'
)


def query(text: str) -> QueryDict:
    """Query parameters as a request carries them, from ``name=value&...`` written unencoded."""
    params = QueryDict(mutable=True)
    for pair in text.split("&"):
        name, _, value = pair.partition("=")
        params.appendlist(name, value)
    return params


def test_the_seed_read_query_is_valid() -> None:
    """The seed's example URL parses into the arguments records_read takes."""
    data = valid(ReadQuerySerializer, query(SEED_READ))

    assert data == {
        "catalog": "oil_gas_catalog",
        "schema": "production_schema",
        "table": "wells",
        "limit": 10,
        "offset": 0,
        "columns": ["api10", "api14", "wellname", "oileur", "gaseur"],
        "filters": [
            {"column": "oileur", "op": ">", "value": 100000},
            {"column": "spuddate", "op": "like", "value": "%2024"},
        ],
        "include_deleted": False,
    }


def test_read_defaults_are_the_seeds() -> None:
    """limit 100, offset 0, every column, no filters, deleted rows hidden."""
    data = valid(ReadQuerySerializer, query("catalog=c&schema=s&table=t"))

    assert data == {
        "catalog": "c",
        "schema": "s",
        "table": "t",
        "limit": 100,
        "offset": 0,
        "columns": None,
        "filters": [],
        "include_deleted": False,
    }


def test_read_options_are_parsed() -> None:
    """columns=* means all, include_deleted takes true, spaces around names are fine."""
    data = valid(ReadQuerySerializer, query("catalog=c&schema=s&table=t&columns=*&include_deleted=true"))
    assert (data["columns"], data["include_deleted"]) == (None, True)

    data = valid(ReadQuerySerializer, query("catalog=c&schema=s&table=t&columns= a , b,a,&filters="))
    assert (data["columns"], data["filters"]) == (["a", "b"], [])


@pytest.mark.parametrize("limit", ["0", "1001", "-5", "ten"])
def test_a_limit_out_of_range_is_refused(limit: str) -> None:
    """limit is 1 to 1000."""
    errors = validation_errors(ReadQuerySerializer, query(f"catalog=c&schema=s&table=t&limit={limit}"))

    assert [error["loc"] for error in errors] == [["query", "limit"]]


def test_the_limit_bounds_are_accepted() -> None:
    """1 and 1000 are both fine."""
    assert valid(ReadQuerySerializer, query("catalog=c&schema=s&table=t&limit=1"))["limit"] == 1
    assert valid(ReadQuerySerializer, query("catalog=c&schema=s&table=t&limit=1000"))["limit"] == 1000


def test_a_negative_offset_is_refused() -> None:
    """offset counts rows to skip."""
    errors = validation_errors(ReadQuerySerializer, query("catalog=c&schema=s&table=t&offset=-1"))

    assert errors == [
        {
            "type": "min_value",
            "loc": ["query", "offset"],
            "msg": "Ensure this value is greater than or equal to 0.",
        }
    ]


def test_malformed_filters_json_is_refused() -> None:
    """The message says the JSON is broken and where."""
    errors = validation_errors(
        ReadQuerySerializer, query('catalog=c&schema=s&table=t&filters=[{"column":"a",')
    )

    assert len(errors) == 1
    assert errors[0]["loc"] == ["query", "filters"]
    assert errors[0]["msg"].startswith("filters is not valid JSON: ")


@pytest.mark.parametrize("filters", ['{"column":"a","op":"=","value":1}', "5", '"a"'])
def test_filters_must_be_a_json_list(filters: str) -> None:
    """A single object is not a list of filters."""
    errors = validation_errors(ReadQuerySerializer, query(f"catalog=c&schema=s&table=t&filters={filters}"))

    assert errors[0]["msg"] == 'filters must be a JSON list of {"column", "op", "value"} objects'


def test_nan_in_filters_is_not_json() -> None:
    """Python's json would take NaN; JSON does not."""
    errors = validation_errors(
        ReadQuerySerializer, query('catalog=c&schema=s&table=t&filters=[{"column":"a","op":"=","value":NaN}]')
    )

    assert errors[0]["msg"].startswith("filters is not valid JSON: ")


def test_bad_filters_in_a_read_point_at_the_filter() -> None:
    """An unknown op inside the JSON is located by index."""
    filters = json.dumps([{"column": "a", "op": "=", "value": 1}, {"column": "a", "op": "~", "value": 1}])

    errors = validation_errors(ReadQuerySerializer, query(f"catalog=c&schema=s&table=t&filters={filters}"))

    assert [error["loc"] for error in errors] == [["query", "filters", 1, "op"]]


def test_a_filter_column_in_a_read_must_be_an_identifier() -> None:
    """Names inside the filters JSON are checked like the others."""
    filters = json.dumps([{"column": "a) OR (1=1", "op": "=", "value": 1}])

    assert refused_with(ReadQuerySerializer, query(f"catalog=c&schema=s&table=t&filters={filters}"))[:2] == (
        400,
        "Invalid identifier: a) OR (1=1",
    )


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ("catalog=c;--&schema=s&table=t", "c;--"),
        ("catalog=c&schema=s s&table=t", "s s"),
        ("catalog=c&schema=s&table=t'", "t'"),
        ("catalog=c&schema=s&table=t&columns=a,b;c", "b;c"),
        ("catalog=c&schema=s&table=t&columns=a,*", "*"),
    ],
)
def test_invalid_names_in_a_read_are_refused(params: str, name: str) -> None:
    """catalog, schema, table and every listed column are identifiers."""
    assert refused_with(ReadQuerySerializer, query(params))[:2] == (400, f"Invalid identifier: {name}")


def test_missing_table_names_in_a_read_are_refused() -> None:
    """catalog, schema and table are required."""
    errors = validation_errors(ReadQuerySerializer, query("catalog=c"))

    assert [error["loc"] for error in errors] == [["query", "schema"], ["query", "table"]]
    assert {error["type"] for error in errors} == {"missing"}
