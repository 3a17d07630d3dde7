"""SQL injection: a corpus of payloads in every identifier and value position of the records API.

Each payload carries a marker (``zq7f3a`` and its number). In an identifier position (catalog,
schema, table, column names in rows, updates, keys, filters and read columns, the names and
types of a ``schema_definition``, STRUCT fields, filter ops, read paging) every request is a
4xx. In a value position (row values of every type that holds text, keys, bulk keys, filter
values, new values) it is stored and matched as the literal value, as reading it back shows;
a typed column refuses it. Then the local warehouse's statement log, every statement's whole
SQL text since the test began, holds no marker: payloads only ever reached the warehouse as
parameter values. The log rows of the refused requests (holding the payloads) are shipped to
the warehouse too, under the same check.

The NUL character is the one payload no body may carry (the service database cannot store
it): a 400 wherever it is, and it matches nothing in a read's filter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_django import Settings

from access.testing import ApiCaller
from audit.models import ApiLog
from audit.shipping import apilog_ship
from records.models import Job
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]

CATALOG = "injection_tests"
WRITE = "/api/v1/records/write?wait=30"
UPDATE = "/api/v1/records/update?wait=30"
DELETE = "/api/v1/records/delete?wait=30"
READ = "/api/v1/records/read"
MARKER = "zq7f3a"
# Each template becomes a payload with its own numbered marker in place of {m}.
TEMPLATES = (
    "{m}' OR '1'='1",
    "{m}'; DROP TABLE t; --",
    '{m}"; DROP TABLE t; --',
    "{m}`; DROP TABLE t; --",
    "{m}` = 1 OR `id",
    "{m}') UNION SELECT * FROM information_schema.tables --",
    "{m} /* a comment */ */",
    "{m} -- a comment",
    "{m}\\'; SELECT 1; --",
    "{m}\nSELECT 1;",
    "{m}:rows",
    ":principal {m} :keys",
    "{m} ? ?",
    "{m} $1 %s %(x)s {{0}}",
    "{m}\u02bc OR 1=1 --",  # a modifier letter apostrophe
    "{m}\uff07; DROP TABLE t; \uff0d\uff0d",  # fullwidth apostrophe and hyphens
    "{m}\u202e'; --\u2028😀",
    "{m}%' OR 'x' LIKE '%",
    "{m}\\",
    "{m}\x00'; DROP TABLE t; --",
)
PAYLOADS = tuple(template.format(m=f"{MARKER}{i:02d}") for i, template in enumerate(TEMPLATES))
STORABLE = tuple(p for p in PAYLOADS if "\x00" not in p)
NUL = PAYLOADS[-1]
NUL_REFUSED = "JSON parse error - strings cannot hold the NUL character (\\u0000)"
DEFINITION = [
    {"name": "id", "data_type": "BIGINT", "nullable": False},
    {"name": "s", "data_type": "STRING"},
    {"name": "v", "data_type": "VARCHAR(200)"},
    {"name": "arr", "data_type": "ARRAY<STRING>"},
    {"name": "m", "data_type": "MAP<STRING,STRING>"},
    {"name": "st", "data_type": "STRUCT<note:STRING>"},
    {"name": "n", "data_type": "BIGINT"},
    {"name": "d", "data_type": "DOUBLE"},
    {"name": "dec", "data_type": "DECIMAL(10,2)"},
    {"name": "b", "data_type": "BOOLEAN"},
    {"name": "dt", "data_type": "DATE"},
    {"name": "ts", "data_type": "TIMESTAMP"},
    {"name": "bin", "data_type": "BINARY"},
]
TEXT_COLUMNS = ("s", "v", "arr", "m", "st")
TYPED_COLUMNS = ("n", "d", "dec", "b", "dt", "ts", "bin")

Request = tuple[str, str, str, dict[str, Any]]  # position, method, path, body (query for GET)


def row(i: int, payload: str) -> dict[str, Any]:
    """Row ``i``: the payload in every column that holds text (as a MAP key and value too)."""
    return {
        "id": i,
        "s": payload,
        "v": payload,
        "arr": [payload, "x"],
        "m": {payload: payload},
        "st": {"note": payload},
    }


def send(api: ApiCaller, method: str, path: str, body: dict[str, Any]) -> Any:
    return getattr(api, method)(path, body)


@pytest.fixture
def target(
    alice: ApiCaller, schema: str, settings: Settings, local_warehouse: LocalWarehouseProcess
) -> dict[str, str]:
    """Table ``t`` of DEFINITION with one row, created through the API; then the statement log
    starts, without throttling (a test sends about 1,000 requests), with the API log shipped
    into the test's schema."""
    names = {"catalog": CATALOG, "schema": schema, "table": "t"}
    finished(
        alice.post(
            WRITE, {**names, "auto_create": True, "schema_definition": DEFINITION, "data": [row(0, "plain")]}
        ),
        201,
    )
    settings.API_THROTTLE_CLIENT_RATE = ""
    settings.API_THROTTLE_FAILED_AUTH_RATE = ""
    settings.DATABRICKS_LOGGING_ENABLED = True
    settings.DATABRICKS_LOG_CATALOG = CATALOG
    settings.DATABRICKS_LOG_SCHEMA = schema
    local_warehouse.reset_stats()
    return names


def finished(response: Any, expected: int = 200) -> dict[str, Any]:
    """The result of a job submitted with ``?wait=``, which must have succeeded."""
    assert response.status_code == expected, response.json()
    job = response.json()
    assert job["status"] == "succeeded", job
    return dict(job["result"])


def read_rows(
    api: ApiCaller, target: dict[str, str], *filters: dict[str, Any], **query: Any
) -> list[dict[str, Any]]:
    response = api.get(READ, {**target, "filters": json.dumps(filters), "limit": 1000, **query})
    assert response.status_code == 200, response.json()
    return sorted(response.json()["data"], key=lambda r: r["id"])


def assert_no_marker_executed(local_warehouse: LocalWarehouseProcess, schema: str, *, at_least: int) -> None:
    """No statement since the test began had a marker in its SQL text; and the log did see
    ``at_least`` of the test's statements (those naming its schema: all but columns lookups)."""
    executed = local_warehouse.executed_sql()
    assert sum(schema in sql for sql in executed) >= at_least, executed
    assert [sql for sql in executed if MARKER in sql] == []


# --- identifier positions ---------------------------------------------------------------------


def identifier_requests(target: dict[str, str], p: str) -> Iterator[Request]:
    """Every place a name goes, with payload ``p`` there."""
    good = row(900, "ok")
    for name in ("catalog", "schema", "table"):
        named = {**target, name: p}
        yield f"write {name}", "post", WRITE, {**named, "data": [good]}
        yield (
            f"auto_create {name}",
            "post",
            WRITE,
            {**named, "auto_create": True, "schema_definition": DEFINITION, "data": [good]},
        )
        yield (
            f"update {name}",
            "put",
            UPDATE,
            {**named, "key_column": "id", "key_value": 1, "updates": {"s": "x"}},
        )
        yield f"delete {name}", "delete", DELETE, {**named, "key_column": "id", "key_value": 1}
        yield f"read {name}", "get", READ, named
    yield "row column", "post", WRITE, {**target, "data": [{**good, p: "x"}]}
    yield (
        "row column, with schema_definition",
        "post",
        WRITE,
        {**target, "schema_definition": DEFINITION, "data": [{**good, p: "x"}]},
    )
    yield "STRUCT field of a row", "post", WRITE, {**target, "data": [{**good, "st": {p: "x"}}]}
    for column in TYPED_COLUMNS:
        yield f"{column} value", "post", WRITE, {**target, "data": [{**good, column: p}]}
    for position, data_type in (
        ("schema_definition type", p),
        ("ARRAY element type", f"ARRAY<{p}>"),
        ("MAP value type", f"MAP<STRING,{p}>"),
        ("STRUCT field name", f"STRUCT<{p}:STRING>"),
        ("STRUCT field type", f"STRUCT<a:{p}>"),
        ("DECIMAL precision", f"DECIMAL({p})"),
        ("VARCHAR length", f"VARCHAR({p})"),
    ):
        definition = [{"name": "c", "data_type": data_type}]
        yield (
            position,
            "post",
            WRITE,
            {
                **target,
                "table": "new",
                "auto_create": True,
                "schema_definition": definition,
                "data": [{"c": None}],
            },
        )
    definition = [{"name": p, "data_type": "STRING"}]
    yield (
        "schema_definition name",
        "post",
        WRITE,
        {**target, "table": "new", "auto_create": True, "schema_definition": definition, "data": [{p: "x"}]},
    )
    yield (
        "update key_column",
        "put",
        UPDATE,
        {**target, "key_column": p, "key_value": 1, "updates": {"s": "x"}},
    )
    yield "updated column", "put", UPDATE, {**target, "key_column": "id", "key_value": 1, "updates": {p: "x"}}
    yield (
        "bulk updated column",
        "put",
        UPDATE,
        {**target, "key_column": "id", "bulk_updates": [{"key_value": 1, "updates": {p: "x"}}]},
    )
    yield "delete key_column", "delete", DELETE, {**target, "key_column": p, "key_values": [1, 2]}
    for name, bad in (
        ("column", {"column": p, "op": "=", "value": 1}),
        ("op", {"column": "id", "op": p, "value": 1}),
    ):
        yield f"update filter {name}", "put", UPDATE, {**target, "filters": [bad], "updates": {"s": "x"}}
        yield f"delete filter {name}", "delete", DELETE, {**target, "filters": [bad]}
        yield f"read filter {name}", "get", READ, {**target, "filters": json.dumps([bad])}
    yield "read columns", "get", READ, {**target, "columns": f"id,{p}"}
    for name in ("limit", "offset", "include_deleted", "filters"):
        yield f"read {name}", "get", READ, {**target, name: p}


def test_every_identifier_position_refuses_every_payload(
    alice: ApiCaller, target: dict[str, str], local_warehouse: LocalWarehouseProcess
) -> None:
    """Each payload in each name position is a 4xx with its api_log row; shipping those rows
    (which hold the payloads) and everything else executed no marker as SQL."""
    requests = [request for p in PAYLOADS for request in identifier_requests(target, p)]
    answers = [(position, send(alice, method, path, body)) for position, method, path, body in requests]
    accepted = [
        f"{position}: {response.status_code} {response.content[:300]!r}"
        for position, response in answers
        if not 400 <= response.status_code < 500
    ]
    assert not accepted, "\n".join(accepted)
    assert ApiLog.objects.filter(status_code__gte=400).count() == len(requests)
    assert apilog_ship() == len(requests)
    assert_no_marker_executed(local_warehouse, target["schema"], at_least=2)  # api_log: CREATE, MERGE


# --- value positions --------------------------------------------------------------------------


def test_every_value_position_stores_and_matches_every_payload_literally(
    alice: ApiCaller, target: dict[str, str], local_warehouse: LocalWarehouseProcess
) -> None:
    """Payloads as row values, keys, bulk keys, filter values and new values land and match
    exactly as sent, and nothing of them was executed as SQL."""
    ids = range(1, len(STORABLE) + 1)
    assert finished(
        alice.post(WRITE, {**target, "data": [row(i, p) for i, p in zip(ids, STORABLE, strict=True)]}), 201
    )["count"] == len(STORABLE)
    for i, p in zip(ids, STORABLE, strict=True):
        (found,) = read_rows(alice, target, {"column": "s", "op": "=", "value": p})
        assert {c: found[c] for c in ("id", *TEXT_COLUMNS)} == row(i, p)
        assert [
            r["id"] for r in read_rows(alice, target, {"column": "v", "op": "in", "value": [p, "x"]})
        ] == [i]
        assert i in [r["id"] for r in read_rows(alice, target, {"column": "s", "op": "like", "value": p})]
        assert i not in [r["id"] for r in read_rows(alice, target, {"column": "s", "op": "!=", "value": p})]

    for p in STORABLE:  # the payload as the key, and in the new value
        result = finished(
            alice.put(UPDATE, {**target, "key_column": "s", "key_value": p, "updates": {"v": f"{p}|key"}})
        )
        assert result["count"] == 1, result
    keys = [f"{p}|key" for p in STORABLE]
    result = finished(
        alice.put(
            UPDATE,
            {**target, "key_column": "v", "key_values": [*keys, "none"], "updates": {"arr": list(STORABLE)}},
        )
    )
    assert (result["count"], result["data"][0]["not_found"]) == (len(STORABLE), ["none"]), result
    bulk = [
        {"key_value": p, "updates": {"st": {"note": f"{p}|bulk"}, "m": {p: f"{p}|bulk"}}} for p in STORABLE
    ]
    assert finished(alice.put(UPDATE, {**target, "key_column": "s", "bulk_updates": bulk}))["count"] == len(
        STORABLE
    )
    for p in STORABLE[:5]:
        filters = [{"column": "s", "op": "=", "value": p}, {"column": "v", "op": "like", "value": f"{p}|key"}]
        assert (
            finished(alice.put(UPDATE, {**target, "filters": filters, "updates": {"s": f"{p}|filter"}}))[
                "count"
            ]
            == 1
        )
    for i, p in zip(ids, STORABLE, strict=True):
        (found,) = read_rows(alice, target, {"column": "id", "op": "=", "value": i})
        assert found["s"] == (f"{p}|filter" if i <= 5 else p)
        assert (found["v"], found["arr"]) == (f"{p}|key", list(STORABLE))
        assert (found["st"], found["m"]) == ({"note": f"{p}|bulk"}, {p: f"{p}|bulk"})

    soft_by_key, soft_by_keys, hard = STORABLE[5], STORABLE[6:10], STORABLE[10:15]
    assert (
        finished(alice.delete(DELETE, {**target, "key_column": "v", "key_value": f"{soft_by_key}|key"}))[
            "count"
        ]
        == 1
    )
    by_keys = [f"{p}|key" for p in soft_by_keys]
    assert finished(alice.delete(DELETE, {**target, "key_column": "v", "key_values": by_keys}))["count"] == 4
    by_filters = [{"column": "s", "op": "in", "value": list(hard)}]
    assert finished(alice.delete(DELETE, {**target, "soft": False, "filters": by_filters}))["count"] == 5
    every = {"column": "id", "op": ">", "value": 0}
    assert [r["id"] for r in read_rows(alice, target, every)] == [*ids[:5], *ids[15:]]
    assert [r["id"] for r in read_rows(alice, target, every, include_deleted="true") if r["is_deleted"]] == [
        *ids[5:10]
    ]
    assert_no_marker_executed(local_warehouse, target["schema"], at_least=200)


def test_a_nul_character_is_refused_in_every_body_and_matches_nothing(
    alice: ApiCaller, target: dict[str, str], local_warehouse: LocalWarehouseProcess
) -> None:
    """A NUL anywhere in a body is a 400 before anything is stored; as a read's filter value it
    matches no row (the warehouse got it as a parameter)."""
    bodies: list[tuple[str, str, dict[str, Any]]] = [
        ("post", WRITE, {**target, "data": [row(1, NUL)]}),
        ("put", UPDATE, {**target, "key_column": "s", "key_value": NUL, "updates": {"v": "x"}}),
        ("put", UPDATE, {**target, "key_column": "id", "key_value": 0, "updates": {"v": NUL}}),
        (
            "put",
            UPDATE,
            {**target, "key_column": "s", "bulk_updates": [{"key_value": NUL, "updates": {"v": "x"}}]},
        ),
        (
            "put",
            UPDATE,
            {**target, "filters": [{"column": "s", "op": "=", "value": NUL}], "updates": {"v": "x"}},
        ),
        ("delete", DELETE, {**target, "key_column": "s", "key_values": ["plain", NUL]}),
    ]
    for method, path, body in bodies:
        response = send(alice, method, path, body)
        assert (response.status_code, response.json()["message"]) == (400, NUL_REFUSED)
    assert Job.objects.count() == 1  # the table's creation, nothing since
    assert read_rows(alice, target, {"column": "s", "op": "=", "value": NUL}) == []
    assert [
        r["id"] for r in read_rows(alice, target, {"column": "s", "op": "in", "value": ["plain", NUL]})
    ] == [0]
    assert_no_marker_executed(local_warehouse, target["schema"], at_least=4)


def test_the_jobs_list_filters_take_every_payload_as_text(alice: ApiCaller, target: dict[str, str]) -> None:
    """The jobs list's filters (the service database's, not the warehouse's) take payloads,
    as plain text: a table is a 200 without jobs (a NUL in it a 400: DRF refuses NUL in text);
    a status or an operation that is none of the known ones is a 400 naming the parameter."""
    for p in PAYLOADS:
        response = alice.get("/api/v1/jobs", {"table": p})
        if "\x00" in p:
            assert response.status_code == 400 and "table" in str(response.json()["details"]), p
        else:
            assert (response.status_code, response.json()["results"]) == (200, []), p
        for name in ("status", "operation"):
            response = alice.get("/api/v1/jobs", {name: p})
            assert response.status_code == 400, (name, p)
            assert response.json()["error"] is True and name in str(response.json()["details"]), (name, p)
    table = f"{CATALOG}.{target['schema']}.t"
    assert [job["table"] for job in alice.get("/api/v1/jobs", {"table": table}).json()["results"]] == [table]


def test_the_statement_log_shows_text_sent_as_sql(local_warehouse: LocalWarehouseProcess) -> None:
    """The check above can fail: a marker sent in a statement's text is in the log, whole."""
    local_warehouse.reset_stats()
    get_client().execute(f"SELECT '{MARKER}_canary' AS c, '{'x' * 10_000}' AS long_text")
    (sql,) = local_warehouse.executed_sql()
    assert f"{MARKER}_canary" in sql and sql.endswith("' AS long_text")
