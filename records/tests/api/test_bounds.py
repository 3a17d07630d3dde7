"""Every request's cost is bounded before the expensive part (issue 10, point 5): lists are
measured before any item is looked at, and a read answers at most RECORDS_MAX_READ_BYTES of
rows, saying when it stopped early. Each bound answers its 4xx in the error format and stores
nothing."""

from __future__ import annotations

import json
import logging
import tracemalloc
from typing import Any

import orjson
import pytest
from pytest_django import Settings

from access.testing import ApiCaller
from records.api.serializers import MAX_SCHEMA_COLUMNS
from records.models import Job
from records.validation.filters import MAX_FILTERS_AND_UPDATES
from warehouse.client import get_client

pytestmark = pytest.mark.django_db

CATALOG = "bounds_tests"
UPDATE = "/api/v1/records/update"
DELETE = "/api/v1/records/delete"
READ = "/api/v1/records/read"


@pytest.fixture
def existing(schema: str) -> dict[str, str]:
    """Table ``t (id BIGINT, note STRING, is_deleted BOOLEAN)``, empty: a target that exists."""
    get_client().execute(f"CREATE TABLE {CATALOG}.{schema}.t (id BIGINT, note STRING, is_deleted BOOLEAN)")
    return {"catalog": CATALOG, "schema": schema, "table": "t"}


def error_of(response: Any, status: int) -> dict[str, Any]:
    """The error body of ``response``, which must have ``status``."""
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert body["error"] is True and isinstance(body["message"], str)
    return dict(body)


def send(api: ApiCaller, method: str, path: str, body: dict[str, Any]) -> Any:
    """``body`` encoded by orjson (millions of values in a second, where json.dumps takes many)."""
    return getattr(api.http, method)(path, orjson.dumps(body), content_type="application/json")


# --- in lists ---------------------------------------------------------------------------------


def test_three_million_in_values_are_a_413_before_anything_else(alice: ApiCaller, schema: str) -> None:
    """The issue's 3-million-value `in` list: a 413 naming the filter and the limit, answered before
    the table is looked up (it does not exist: no 404); no job is stored."""
    filters = [
        {"column": "id", "op": "=", "value": 1},
        {"column": "id", "op": "in", "value": list(range(3_000_000))},
    ]
    body = {"catalog": CATALOG, "schema": schema, "table": "missing", "filters": filters, "updates": {"a": 1}}

    refused = error_of(send(alice, "put", UPDATE, body), 413)

    assert refused["details"] == {"filter": 1, "count": 3_000_000, "max_values": 10_000}
    assert refused["message"] == (
        "Too many values: filter 1 lists 3000000; at most 10000 are accepted in one filter "
        "(RECORDS_MAX_IN_VALUES)"
    )
    assert Job.objects.count() == 0


@pytest.mark.parametrize("op", ["in", "not in"])
def test_an_in_list_up_to_the_limit_is_accepted_and_one_more_is_a_413(
    alice: ApiCaller, existing: dict[str, str], settings: Settings, op: str
) -> None:
    """RECORDS_MAX_IN_VALUES values pass; one more is a 413 in an update, a delete and a read,
    even when no value is valid (none was looked at); only the accepted requests store a job."""
    settings.RECORDS_MAX_IN_VALUES = 3

    def filters(values: list[Any]) -> list[dict[str, Any]]:
        return [{"column": "id", "op": op, "value": values}]

    def update(values: list[Any]) -> Any:
        return alice.put(UPDATE, {**existing, "filters": filters(values), "updates": {"note": "x"}})

    assert update([1, 2, 3]).status_code == 202
    assert alice.delete(DELETE, {**existing, "filters": filters([1, 2, 3])}).status_code == 202
    refusals = [
        update([1, 2, 3, 4]),
        update([{}, {}, {}, {}]),
        alice.delete(DELETE, {**existing, "filters": filters([1, 2, 3, 4])}),
        alice.get(READ, {**existing, "filters": json.dumps(filters([1, 2, 3, 4]))}),
    ]
    for response in refusals:
        assert error_of(response, 413)["details"] == {"filter": 0, "count": 4, "max_values": 3}
    assert Job.objects.count() == 2


# --- keys, bulk updates, filters, updated columns, schema_definition ---------------------------


@pytest.mark.parametrize(
    ("method", "path", "selection"),
    [
        ("put", UPDATE, {"key_column": "id", "key_values": [{}, {}, {}, {}], "updates": {"note": "x"}}),
        ("delete", DELETE, {"key_column": "id", "key_values": [[], [], [], []]}),
        ("put", UPDATE, {"key_column": "id", "bulk_updates": [{"nope": 1}] * 4}),
    ],
    ids=["update-key_values", "delete-key_values", "bulk_updates"],
)
def test_more_keys_or_bulk_items_than_rows_per_request_are_a_413_before_any_is_checked(
    alice: ApiCaller,
    existing: dict[str, str],
    settings: Settings,
    method: str,
    path: str,
    selection: dict[str, Any],
) -> None:
    """Keys and bulk items count as rows (RECORDS_MAX_ROWS_PER_REQUEST): one over is a 413, though
    every item is malformed, so none was looked at; nothing is stored."""
    settings.RECORDS_MAX_ROWS_PER_REQUEST = 3

    body = error_of(getattr(alice, method)(path, {**existing, **selection}), 413)

    field = "bulk_updates" if "bulk_updates" in selection else "key_values"
    assert body["message"] == f"Too many rows: {field} has 4; at most 3 are accepted per request"
    assert body["details"] == {"count": 4, "max_rows": 3}
    assert Job.objects.count() == 0


def test_keys_and_bulk_items_up_to_rows_per_request_are_accepted(
    alice: ApiCaller, existing: dict[str, str], settings: Settings
) -> None:
    """As many keys or bulk items as RECORDS_MAX_ROWS_PER_REQUEST are taken (the jobs are stored)."""
    settings.RECORDS_MAX_ROWS_PER_REQUEST = 3
    bulk = [{"key_value": i, "updates": {"note": "x"}} for i in range(3)]

    keys = alice.put(
        UPDATE, {**existing, "key_column": "id", "key_values": [1, 2, 3], "updates": {"note": "x"}}
    )
    items = alice.put(UPDATE, {**existing, "key_column": "id", "bulk_updates": bulk})

    assert (keys.status_code, items.status_code, Job.objects.count()) == (202, 202, 2)


def test_more_filters_than_a_statement_can_carry_are_a_400_before_any_is_checked(
    alice: ApiCaller, schema: str
) -> None:
    """201 filters, all malformed, on a table that does not exist: the parameter budget's 400,
    not a 404 or the filters' own errors."""
    table = {"catalog": CATALOG, "schema": schema, "table": "missing"}
    filters: list[dict[str, Any]] = [{}] * (MAX_FILTERS_AND_UPDATES + 1)

    update = error_of(alice.put(UPDATE, {**table, "filters": filters, "updates": {"note": "x"}}), 400)
    delete = error_of(alice.delete(DELETE, {**table, "filters": filters}), 400)
    read = error_of(alice.get(READ, {**table, "filters": json.dumps(filters)}), 400)

    assert {update["message"], delete["message"], read["message"]} == {
        f"At most {MAX_FILTERS_AND_UPDATES} filters and updated columns per request "
        "(a statement carries at most 256 parameters)"
    }
    assert Job.objects.count() == 0


def test_more_updated_columns_than_a_statement_can_carry_are_a_400_before_any_is_checked(
    alice: ApiCaller, schema: str
) -> None:
    """201 updated columns whose names are no identifiers: the parameter budget's 400 first."""
    updates = {f"bad name {i}": i for i in range(MAX_FILTERS_AND_UPDATES + 1)}
    table = {"catalog": CATALOG, "schema": schema, "table": "missing"}

    body = error_of(alice.put(UPDATE, {**table, "key_column": "id", "key_value": 1, "updates": updates}), 400)

    assert "256 parameters" in body["message"] and Job.objects.count() == 0


def test_a_schema_definition_of_too_many_columns_is_a_400_before_any_is_checked(
    alice: ApiCaller, schema: str
) -> None:
    """MAX_SCHEMA_COLUMNS + 1 columns with bad types: DRF's max_length error on the list, not the
    types' errors; nothing is stored."""
    definition = [{"name": f"c{i}", "data_type": "NOPE"} for i in range(MAX_SCHEMA_COLUMNS + 1)]
    table = {"catalog": CATALOG, "schema": schema, "table": "wide"}
    request = {**table, "auto_create": True, "schema_definition": definition, "data": [{"c0": 1}]}

    body = error_of(alice.post("/api/v1/records/write", request), 400)

    errors = [(e["type"], e["loc"]) for e in body["details"]["errors"]]
    assert errors == [("max_length", ["body", "schema_definition"])]
    assert str(MAX_SCHEMA_COLUMNS) in body["details"]["errors"][0]["msg"]
    assert Job.objects.count() == 0


def test_a_schema_definition_of_the_most_columns_is_accepted(alice: ApiCaller, schema: str) -> None:
    """MAX_SCHEMA_COLUMNS columns are accepted: a 202 and a stored job."""
    definition = [{"name": f"c{i}", "data_type": "BIGINT"} for i in range(MAX_SCHEMA_COLUMNS)]
    table = {"catalog": CATALOG, "schema": schema, "table": "wide"}
    request = {**table, "auto_create": True, "schema_definition": definition, "data": [{"c0": 1}]}

    assert alice.post("/api/v1/records/write", request).status_code == 202
    assert Job.objects.count() == 1


def test_a_read_limit_over_a_thousand_is_a_400(alice: ApiCaller, existing: dict[str, str]) -> None:
    """The read's limit is 1 to 1,000 (the jobs list's and the read's other bounds: test_malformed)."""
    body = error_of(alice.get(READ, {**existing, "limit": 1001}), 400)

    assert [(e["type"], e["loc"]) for e in body["details"]["errors"]] == [("max_value", ["query", "limit"])]


# --- read answers in bytes ----------------------------------------------------------------------


@pytest.fixture
def wide(schema: str) -> dict[str, str]:
    """Table ``wide``: 40 rows ``id`` 0-39, each with three STRING columns of 10,000 characters."""
    client = get_client()
    client.execute(f"CREATE TABLE {CATALOG}.{schema}.wide (id BIGINT, a STRING, b STRING, c STRING)")
    client.execute(
        f"INSERT INTO {CATALOG}.{schema}.wide SELECT id, repeat('a', 10000), repeat('b', 10000), "
        "repeat('c', 10000) FROM range(40) AS r(id)"
    )
    return {"catalog": CATALOG, "schema": schema, "table": "wide"}


def row_bytes(row_id: int = 10) -> int:
    """The bytes of one row of ``wide`` in a read's answer (its comma not counted)."""
    return len(orjson.dumps({"id": row_id, "a": "a" * 10000, "b": "b" * 10000, "c": "c" * 10000}))


def test_a_page_over_the_byte_budget_stops_early_and_says_where_to_go_on(
    alice: ApiCaller, wide: dict[str, str], settings: Settings
) -> None:
    """With room for three rows, a page of 100 answers three, ``truncated`` and ``next_offset``;
    paging on with next_offset reads every row once, in order; the last page says nothing more."""
    settings.RECORDS_MAX_READ_BYTES = 3 * (row_bytes() + 1) + 100

    first = alice.get(READ, {**wide, "limit": 100})

    assert first.status_code == 200
    assert len(first.content) <= settings.RECORDS_MAX_READ_BYTES + 100  # the envelope's few bytes
    page = first.json()
    assert {key: page[key] for key in ("count", "total", "truncated", "next_offset")} == {
        "count": 3,
        "total": 40,
        "truncated": True,
        "next_offset": 3,
    }
    seen = [row["id"] for row in page["data"]]
    while page.get("truncated"):
        page = alice.get(READ, {**wide, "limit": 100, "offset": page["next_offset"]}).json()
        assert page["count"] == len(page["data"]) <= 3
        seen += [row["id"] for row in page["data"]]
    assert seen == list(range(40))
    assert set(page) == {"data", "count", "total"} and page["data"] == [{**page["data"][0], "id": 39}]


def test_a_page_within_the_byte_budget_keeps_the_seed_format(
    alice: ApiCaller, wide: dict[str, str], settings: Settings
) -> None:
    """Rows that fit answer exactly ``{"data", "count", "total"}``, even at the budget's edge."""
    settings.RECORDS_MAX_READ_BYTES = 5 * (row_bytes() + 1)

    page = alice.get(READ, {**wide, "limit": 5, "offset": 10}).json()

    assert set(page) == {"data", "count", "total"}
    assert (page["count"], page["total"], [row["id"] for row in page["data"]]) == (
        5,
        40,
        [10, 11, 12, 13, 14],
    )


def test_a_row_larger_than_the_byte_budget_is_a_413_until_fewer_columns_are_read(
    alice: ApiCaller, wide: dict[str, str], settings: Settings
) -> None:
    """A row of 30 KB with a 20 KB budget: a 413 naming its offset and size; two of its columns
    fit and are answered."""
    settings.RECORDS_MAX_READ_BYTES = 20_000

    body = error_of(alice.get(READ, {**wide, "offset": 7}), 413)
    narrow = alice.get(READ, {**wide, "offset": 7, "limit": 1, "columns": "id,a"})

    assert body["details"] == {"offset": 7, "bytes": row_bytes(7), "max_read_bytes": 20_000}
    assert "RECORDS_MAX_READ_BYTES" in body["message"]
    assert narrow.status_code == 200 and narrow.json()["data"] == [{"id": 7, "a": "a" * 10000}]


def test_a_wide_page_is_never_held_whole_in_memory(
    alice: ApiCaller, schema: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's read at limit 1000 of wide rows (here 30 MB): with a 2 MiB budget the request's
    peak of Python memory stays a small multiple of the budget, while a budget above the page
    (the service before the bound) holds the whole page several times over."""
    # The connector logs each answer it receives, as text, at DEBUG on a logger of its own that
    # only a NullHandler hears; pytest's capture would keep those texts for the whole test.
    monkeypatch.setattr(logging.getLogger("databricks.sql.unsafe"), "disabled", True)
    client = get_client()
    client.execute(f"CREATE TABLE {CATALOG}.{schema}.w (id BIGINT, a STRING, b STRING, c STRING)")
    client.execute(
        f"INSERT INTO {CATALOG}.{schema}.w SELECT id, repeat('a', 10000), repeat('b', 10000), "
        "repeat('c', 10000) FROM range(1000) AS r(id)"
    )
    query = {"catalog": CATALOG, "schema": schema, "table": "w", "limit": 1000}
    budget = 2 * 1024 * 1024

    def peak_of_read(max_read_bytes: int) -> tuple[int, Any]:
        settings.RECORDS_MAX_READ_BYTES = max_read_bytes
        tracemalloc.start()
        try:
            response = alice.get(READ, query)
            return tracemalloc.get_traced_memory()[1], response
        finally:
            tracemalloc.stop()

    bounded_peak, bounded = peak_of_read(budget)
    unbounded_peak, unbounded = peak_of_read(64 * 1024 * 1024)

    assert bounded.json()["truncated"] is True and len(bounded.content) <= budget + 100
    assert bounded.json()["count"] == bounded.json()["next_offset"] == budget // (row_bytes() + 1)
    assert unbounded.json()["count"] == 1000 and len(unbounded.content) > 30_000_000
    assert bounded_peak < 6 * budget, bounded_peak
    assert unbounded_peak > 5 * bounded_peak, (unbounded_peak, bounded_peak)
