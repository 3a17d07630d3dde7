"""Malformed requests to the records API are 4xx (or JSON 404/405) in the error format, with
DEBUG on and off: unknown paths and job ids, wrong methods, bodies nested too deep, types
nested too deep, page and read parameters out of range, query strings too long."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from pytest_django import Settings

from access.testing import ApiCaller
from common.middleware import MAX_QUERY_STRING_BYTES
from common.pagination import MAX_OFFSET, MAX_PAGE_LIMIT
from common.parsers import MAX_JSON_NESTING
from records.models import Job
from records.testing import unpublished_write, warehouse_schema
from records.validation.types import MAX_TYPE_NESTING
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName

JSON = "application/json"
TARGET = {"catalog": "malformed_cat", "schema": "malformed_schema", "table": "t"}
TOO_DEEP = f"JSON parse error - nested deeper than {MAX_JSON_NESTING} levels of arrays and objects"
TYPE_TOO_DEEP = f"(nested deeper than {MAX_TYPE_NESTING} levels)"


@pytest.fixture(params=[True, False], ids=["debug", "no-debug"])
def debug(request: pytest.FixtureRequest, settings: Settings) -> bool:
    settings.DEBUG = request.param
    return bool(request.param)


@pytest.fixture
def alice(debug: bool, db: None) -> ApiCaller:
    """Alice's client, answering 500s instead of re-raising what the view raised."""
    caller = ApiCaller("alice")
    caller.http = Client(headers={"Authorization": f"Api-Key {caller.key}"}, raise_request_exception=False)
    return caller


def assert_error(response: Any, status: int, message: str | None = None) -> dict[str, Any]:
    """The response is the error format with ``status`` (and ``message``); its body."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == JSON
    body = response.json()
    assert set(body) == {"error", "message", "details"} and body["error"] is True
    assert isinstance(body["message"], str) and isinstance(body["details"], dict)
    if message is not None:
        assert body["message"] == message
    return dict(body)


def query_errors(response: Any) -> list[dict[str, Any]]:
    body = assert_error(response, 400, "Validation error")
    return list(body["details"]["errors"])


def nested_arrays(levels: int, inner: str = "") -> str:
    return "[" * levels + inner + "]" * levels


def nested_type(levels: int, kind: str = "ARRAY") -> str:
    text = "INT"
    for level in range(levels):
        text = {
            "ARRAY": f"ARRAY<{text}>",
            "MAP": f"MAP<STRING,{text}>",
            "STRUCT": f"STRUCT<f{level}:{text}>",
            "MIXED": (f"ARRAY<{text}>", f"MAP<STRING,{text}>", f"STRUCT<f{level}:{text}>")[level % 3],
        }[kind]
    return text


def write_with_type(data_type: str, value: Any) -> dict[str, Any]:
    definition = [{"name": "c", "data_type": data_type, "nullable": False}]
    return {**TARGET, "auto_create": True, "schema_definition": definition, "data": [{"c": value}]}


# --- paths and methods -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/",
        "/api/v1/",
        "/api/v1/nowhere",
        "/api/v2/jobs",
        "/api/v1/records/write/",
        "/api/v1/jobs/123",
        f"/api/v1/jobs/{str(uuid.uuid4()).upper()}",
        f"/api/v1/jobs/{uuid.uuid4()}/",
    ],
)
def test_an_unknown_path_under_api_is_a_json_404(alice: ApiCaller, path: str) -> None:
    assert_error(alice.get(path), 404, "Not found.")


def test_an_unknown_job_id_is_a_json_404(alice: ApiCaller) -> None:
    assert_error(alice.get(f"/api/v1/jobs/{uuid.uuid4()}"), 404, "No Job matches the given query.")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("post", "/api/v1/jobs", "GET"),
        ("get", "/api/v1/records/write", "POST"),
        ("delete", "/api/v1/records/read", "GET"),
        ("put", "/api/v1/healthcheck", "GET"),
    ],
)
def test_a_wrong_method_is_a_json_405(alice: ApiCaller, method: str, path: str, allowed: str) -> None:
    response = getattr(alice.http, method)(path)

    assert_error(response, 405, f'Method "{method.upper()}" not allowed.')
    assert allowed in response["Allow"]


# --- bodies nested too deep ----------------------------------------------------------------------


@pytest.mark.parametrize("levels", [MAX_JSON_NESTING + 1, 950, 100_000])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/records/write"),
        ("put", "/api/v1/records/update"),
        ("delete", "/api/v1/records/delete"),
    ],
)
def test_a_body_nested_deeper_than_the_limit_is_a_400(
    alice: ApiCaller, method: str, path: str, levels: int
) -> None:
    """The whole body counts: the object itself is level 1, its ``data`` array level 2."""
    body = json.dumps(TARGET)[:-1] + ', "data": ' + nested_arrays(levels - 1) + "}"

    response = getattr(alice.http, method)(path, body, content_type=JSON)

    assert assert_error(response, 400, TOO_DEEP)["details"] == {}
    assert Job.objects.count() == 0


def test_a_body_nested_to_the_limit_is_parsed(alice: ApiCaller) -> None:
    """64 levels parse: the answer is about the rows (row 0 is an array, not an object)."""
    body = json.dumps(TARGET)[:-1] + ', "data": [' + nested_arrays(MAX_JSON_NESTING - 2) + "]}"

    message = assert_error(alice.http.post("/api/v1/records/write", body, content_type=JSON), 400)["message"]

    assert message.startswith("Schema validation failed: Record 0: ")


@pytest.mark.parametrize(
    "text", ["[" * 100_000, '\\"' + "[" * 1000, "\\\\" + "{" * 1000, "]" * 1000 + "[" * 1000]
)
def test_brackets_inside_strings_are_no_nesting(alice: ApiCaller, text: str) -> None:
    """A string full of brackets (escaped quotes and backslashes around them) parses."""
    body = '{"catalog": "' + text + '", "schema": "s", "table": "t", "data": [{}]}'

    response = alice.http.post("/api/v1/records/write", body, content_type=JSON)

    assert assert_error(response, 400)["message"].startswith("Invalid identifier: ")


@pytest.mark.parametrize("levels", [MAX_JSON_NESTING + 1, 5000])
def test_read_filters_nested_deeper_than_the_limit_are_a_400(alice: ApiCaller, levels: int) -> None:
    response = alice.get("/api/v1/records/read", {**TARGET, "filters": nested_arrays(levels)})

    assert query_errors(response) == [
        {
            "type": "invalid",
            "loc": ["query", "filters"],
            "msg": f"filters is not valid JSON: nested deeper than {MAX_JSON_NESTING} levels of arrays and objects",
        }
    ]


# --- types nested too deep -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data_type",
    [
        nested_type(MAX_TYPE_NESTING + 1),
        nested_type(20),
        nested_type(MAX_TYPE_NESTING + 1, "MAP"),
        nested_type(48, "STRUCT"),
        nested_type(MAX_TYPE_NESTING + 1, "MIXED"),
        nested_type(5000),
    ],
    ids=["array-17", "array-20", "map-17", "struct-48", "mixed-17", "array-5000"],
)
def test_a_schema_definition_type_nested_deeper_than_the_limit_is_a_400(
    alice: ApiCaller, data_type: str
) -> None:
    body = assert_error(alice.post("/api/v1/records/write", write_with_type(data_type, None)), 400)

    assert body["message"].startswith("Invalid data type: ") and body["message"].endswith(TYPE_TOO_DEEP)
    assert body["details"]["max_nesting"] == MAX_TYPE_NESTING
    assert "ARRAY<type>" in body["details"]["supported"]
    assert Job.objects.count() == 0


@pytest.mark.parametrize("kind", ["ARRAY", "MAP", "STRUCT", "MIXED"])
def test_a_schema_definition_type_nested_to_the_limit_checks_rows(alice: ApiCaller, kind: str) -> None:
    """16 levels parse, and their rows are checked all the way down (a string is no INT)."""
    body = write_with_type(nested_type(MAX_TYPE_NESTING, kind), None)
    value: Any = "not an int"
    for level in range(MAX_TYPE_NESTING):
        shape = {"ARRAY": "a", "MAP": "m", "STRUCT": "s", "MIXED": "ams"[level % 3]}[kind]
        value = {"a": [value], "m": {"k": value}, "s": {f"f{level}": value}}[shape]
    body["data"] = [{"c": value}]

    message = assert_error(alice.post("/api/v1/records/write", body), 400)["message"]

    assert message.startswith("Schema validation failed: Record 0: Column 'c'")
    assert message.endswith("expects integer, got str")


# --- page and read parameters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "error_type"),
    [
        ({"limit": "9223372036854775808"}, "limit", "max_value"),
        ({"limit": str(MAX_PAGE_LIMIT + 1)}, "limit", "max_value"),
        ({"limit": "0"}, "limit", "min_value"),
        ({"limit": "-1"}, "limit", "min_value"),
        ({"limit": "many"}, "limit", "invalid"),
        ({"limit": "9" * 2000}, "limit", "max_string_length"),
        ({"offset": "-1"}, "offset", "min_value"),
        ({"offset": "x"}, "offset", "invalid"),
        ({"offset": str(MAX_OFFSET + 1)}, "offset", "max_value"),
        ({"offset": "12345678901234567890123"}, "offset", "max_value"),
    ],
)
def test_a_jobs_page_out_of_range_is_a_400(
    alice: ApiCaller, params: dict[str, str], field: str, error_type: str
) -> None:
    unpublished_write(TableName(**TARGET), [{"id": 1}], principal="alice")

    errors = query_errors(alice.get("/api/v1/jobs", params))

    assert [(error["type"], error["loc"]) for error in errors] == [(error_type, ["query", field])]


def test_jobs_pages_within_range_are_served(alice: ApiCaller) -> None:
    for note in range(3):
        unpublished_write(TableName(**TARGET), [{"id": note}], principal="alice")

    whole = alice.get("/api/v1/jobs", {"limit": MAX_PAGE_LIMIT})
    last = alice.get("/api/v1/jobs", {"limit": 1, "offset": 2})
    beyond = alice.get("/api/v1/jobs", {"offset": MAX_OFFSET})

    assert (whole.status_code, whole.json()["count"], len(whole.json()["results"])) == (200, 3, 3)
    assert (last.json()["results"], last.json()["next"]) == ([whole.json()["results"][2]], None)
    assert (beyond.status_code, beyond.json()["results"]) == (200, [])


@pytest.mark.parametrize(
    ("params", "field", "error_type"),
    [
        ({"offset": "12345678901234567890123"}, "offset", "max_value"),
        ({"offset": str(2**31)}, "offset", "max_value"),
        ({"offset": "-1"}, "offset", "min_value"),
        ({"offset": "x"}, "offset", "invalid"),
        ({"limit": "9223372036854775808"}, "limit", "max_value"),
        ({"limit": "0"}, "limit", "min_value"),
    ],
)
def test_a_read_page_out_of_range_is_a_400(
    alice: ApiCaller, params: dict[str, str], field: str, error_type: str
) -> None:
    errors = query_errors(alice.get("/api/v1/records/read", {**TARGET, **params}))

    assert [(error["type"], error["loc"]) for error in errors] == [(error_type, ["query", field])]


def test_a_query_string_over_the_limit_is_a_json_414(alice: ApiCaller) -> None:
    filters = json.dumps([{"column": "id", "op": "=", "value": "x" * MAX_QUERY_STRING_BYTES}])

    body = assert_error(alice.get("/api/v1/records/read", {**TARGET, "filters": filters}), 414)

    assert body["details"]["max_bytes"] == MAX_QUERY_STRING_BYTES


# --- against the warehouse ----------------------------------------------------------------------


@pytest.fixture
def schema(local_warehouse: LocalWarehouseProcess) -> Iterator[str]:
    with warehouse_schema(TARGET["catalog"]) as name:
        yield name


def test_the_largest_read_offset_is_accepted(alice: ApiCaller, schema: str) -> None:
    """2**31-1 is the largest OFFSET Databricks takes (an INT): an empty page, not an error."""
    get_client().execute(f"CREATE TABLE {TARGET['catalog']}.{schema}.t (id BIGINT)")

    response = alice.get("/api/v1/records/read", {**TARGET, "schema": schema, "offset": MAX_OFFSET})

    assert (response.status_code, response.json()) == (200, {"data": [], "count": 0, "total": 0})


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
@pytest.mark.parametrize(("kind", "levels"), [("ARRAY", 20), ("STRUCT", 48)])
def test_a_table_type_nested_deeper_than_the_limit_is_written_unchecked(
    alice: ApiCaller, schema: str, kind: str, levels: int
) -> None:
    """A table may have deeper types than a schema_definition: its rows are not checked there
    (the warehouse checks them) instead of crashing the row checker."""
    get_client().execute(
        f"CREATE TABLE {TARGET['catalog']}.{schema}.t (c {nested_type(levels, kind)}, record_uuid STRING, "
        "is_deleted BOOLEAN, inserted_at TIMESTAMP, inserted_by STRING)"
    )
    value: Any = 7
    for level in range(levels):
        value = [value] if kind == "ARRAY" else {f"f{level}": value}

    response = alice.post(
        "/api/v1/records/write?wait=20", {**TARGET, "schema": schema, "data": [{"c": value}]}
    )

    assert response.status_code == 201, response.json()
    rows = get_client().execute(f"SELECT to_json(c) FROM {TARGET['catalog']}.{schema}.t").rows
    assert [json.loads(text) for (text,) in rows] == [value]
