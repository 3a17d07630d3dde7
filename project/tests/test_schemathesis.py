"""Schemathesis over the service's own OpenAPI document: no request it generates is a 5xx,
and every answer is one the document declares.

Every operation of ``/api/schema/`` is driven in process (WSGI) with an authorized key (in
``X-Api-Key``, the document's first scheme), in schemathesis' positive mode (requests that fit
the document) and negative mode (requests that do not), a bounded number of cases each,
derandomized, so that a run is the same on every machine. Generated names rarely name a real
table, so about half of the cases are aimed at a real ``wells`` table of the local warehouse:
its catalog, schema and table, its column names in rows, updates, filters and read columns,
the id of a real job. Each answer goes through schemathesis' checks "not a server error",
"status code conformance" (its status is one the operation declares) and "response schema
conformance" (its body fits the schema declared for that status).

No worker runs: submitted jobs wait in a queue nobody consumes and go with the test's
transaction. Reads, and the checks of writes, updates and deletes against the table's real
columns, do reach the warehouse.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pytest_django import Settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from access.testing import ApiCaller
from records import sql
from records.tables import FILTER_OPS
from records.testing import WELLS_COLUMNS, WELLS_DEFINITION, warehouse_schema, well
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName

pytestmark = pytest.mark.django_db

CATALOG = "schemathesis_tests"
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
OPERATIONS = (
    "GET /api/v1/healthcheck",
    "GET /api/v1/jobs",
    "GET /api/v1/jobs/{job_id}",
    "POST /api/v1/jobs/{job_id}/cancel",
    "POST /api/v1/records/write",
    "POST /api/v1/records/upsert",
    "POST /api/v1/records/ingest",
    "PUT /api/v1/records/update",
    "DELETE /api/v1/records/delete",
    "GET /api/v1/records/read",
)
# Cases per operation: 40 positive and 20 negative, 400 at most in all (fewer where the
# document leaves little to vary). The healthcheck takes nothing, so nothing can be negative.
CASES = {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 20}
RUNS = [
    pytest.param(label, mode, id=f"{label}-{mode}")
    for label in OPERATIONS
    for mode in CASES
    if not (label == "GET /api/v1/healthcheck" and mode is GenerationMode.NEGATIVE)
]
COLUMN_NAMES = [column.name for column in WELLS_COLUMNS]
TYPES = ("BIGINT", "STRING", "DOUBLE", "DECIMAL(10,2)", "ARRAY<STRING>", "STRUCT<a:INT>", "TIMESTAMP")

# --- the table the aimed cases hit ----------------------------------------------------------


@dataclass
class Target:
    """The real table and job the aimed cases name, the caller's key, and the answers that
    failed a check."""

    table: TableName
    key: str
    job_id: str
    failures: list[str] = field(default_factory=list)

    @property
    def names(self) -> dict[str, str]:
        return {"catalog": self.table.catalog, "schema": self.table.schema, "table": self.table.table}


@pytest.fixture(scope="module")
def openapi(django_db_blocker: Any) -> schemathesis.BaseSchema:
    # Loaded through the app, before any test's database access is set up: Django's
    # request_started handler (close_old_connections) touches the connection, which a
    # module-scoped fixture may not, so it is paused and the blocker lifted for the load.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock():
            return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def target(local_warehouse: LocalWarehouseProcess, settings: Settings) -> Iterator[Target]:
    """A wells table with three rows in a fresh schema, and a client with one job on it; no
    throttling (a sliding window in time would make answers depend on the machine's speed)."""
    settings.API_THROTTLE_CLIENT_RATE = settings.API_THROTTLE_FAILED_AUTH_RATE = ""
    with warehouse_schema(CATALOG) as schema:
        table = TableName(CATALOG, schema, "wells")
        client = get_client()
        client.execute(sql.create_table(table, WELLS_COLUMNS).sql)
        rows = [{**well(i), "record_uuid": str(uuid.uuid4())} for i in range(3)]
        columns = sql.with_audit_columns(WELLS_COLUMNS)
        for statement in sql.insert_batches(
            table, columns, rows, principal="fuzz", max_parameter_bytes=1 << 20
        ):
            client.execute(statement.sql, statement.params)
        caller = ApiCaller("fuzz")
        names = {"catalog": CATALOG, "schema": schema, "table": "wells"}
        submitted = caller.post("/api/v1/records/write", {**names, "data": [well(9)]})
        assert submitted.status_code == 202, submitted.json()
        yield Target(table=table, key=caller.key, job_id=submitted.json()["job_id"])


# --- aiming generated cases at the table ----------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
column_names = st.sampled_from([*COLUMN_NAMES, "WellName", "record_uuid", "is_deleted", "missing"]) | st.text(
    max_size=8
)

# Rows: real ones, and real ones with a few values changed to anything.
good_rows = st.lists(st.integers(100, 10**6).map(well), min_size=1, max_size=3)
odd_rows = st.lists(
    st.builds(
        lambda base, changes: {**base, **changes},
        st.sampled_from([well(10), {}]),
        st.dictionaries(column_names, json_values, min_size=1, max_size=3),
    ),
    min_size=1,
    max_size=3,
)
schema_definitions = st.lists(
    st.fixed_dictionaries(
        {"name": column_names, "data_type": st.sampled_from(TYPES) | st.text(max_size=10)},
        optional={"nullable": st.booleans()},
    ),
    min_size=1,
    max_size=4,
)
write_fields = st.one_of(
    st.fixed_dictionaries({"data": good_rows}),
    st.fixed_dictionaries(
        {"data": good_rows, "schema_definition": st.just(WELLS_DEFINITION)},
        optional={"auto_create": st.booleans(), "table": st.just("wells_created")},
    ),
    st.fixed_dictionaries(
        {"data": odd_rows | json_values},
        optional={"auto_create": st.booleans(), "schema_definition": schema_definitions},
    ),
)
# An upsert: a write's fields, keyed by the real NOT NULL api10 or by anything.
upsert_fields = st.tuples(
    write_fields,
    st.fixed_dictionaries(
        {"key_columns": st.just(["api10"]) | st.lists(column_names, max_size=2)},
        optional={"match_deleted": st.booleans()},
    ),
).map(lambda parts: {**parts[0], **parts[1]})

# Filters: well-formed ones on real columns, and anything in their three places.
good_filters = st.one_of(
    st.fixed_dictionaries(
        {"column": st.sampled_from(COLUMN_NAMES), "op": st.sampled_from(["=", "!=", ">", "<", ">=", "<="])},
        optional={"value": scalars},
    ),
    st.fixed_dictionaries(
        {"column": st.sampled_from(COLUMN_NAMES), "op": st.sampled_from(["in", "NOT IN"])}
    ).flatmap(lambda f: st.lists(scalars, min_size=1, max_size=3).map(lambda value: {**f, "value": value})),
    st.fixed_dictionaries(
        {"column": st.sampled_from(COLUMN_NAMES), "op": st.sampled_from(["is null", "is not null"])}
    ),
    st.fixed_dictionaries(
        {"column": st.just("wellname"), "op": st.just("like"), "value": st.text(max_size=6)}
    ),
)
odd_filters = st.fixed_dictionaries(
    {"column": column_names, "op": st.sampled_from(FILTER_OPS) | st.text(max_size=6)},
    optional={"value": json_values},
)
filters = st.lists(good_filters, min_size=1, max_size=3) | st.lists(odd_filters, min_size=1, max_size=3)

# Updates and deletes: each way of choosing rows, on a real key column, and mixtures.
good_updates = st.fixed_dictionaries(
    {"wellname": st.text(max_size=12)},
    optional={
        "oileur": st.floats(allow_nan=False, allow_infinity=False),
        "spuddate": st.none() | st.text(max_size=10),
    },
)
odd_updates = st.dictionaries(column_names, json_values, min_size=1, max_size=3)
good_keys = st.integers(4201234567, 4201234580)
odd_keys = scalars | json_values


def _ways(
    key_columns: st.SearchStrategy[str], keys: st.SearchStrategy[Any], filters: st.SearchStrategy[Any]
) -> st.SearchStrategy[dict[str, Any]]:
    """The three ways of choosing rows that update and delete share."""
    return st.one_of(
        st.fixed_dictionaries({"key_column": key_columns, "key_value": keys}),
        st.fixed_dictionaries(
            {"key_column": key_columns, "key_values": st.lists(keys, min_size=1, max_size=4)}
        ),
        st.fixed_dictionaries({"filters": filters}),
    )


def _with(fields: dict[str, Any], **more: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``fields`` with the keys of ``more``, each there or not."""
    return st.fixed_dictionaries({name: st.just(value) for name, value in fields.items()}, optional=more)


good_ways = _ways(st.just("api10"), good_keys, st.lists(good_filters, min_size=1, max_size=2))
odd_ways = _ways(st.sampled_from(["wellname", "is_deleted"]) | column_names, odd_keys, filters)
update_fields = st.one_of(
    good_ways.flatmap(lambda way: good_updates.map(lambda changes: {**way, "updates": changes})),
    st.fixed_dictionaries(
        {
            "key_column": st.just("api10"),
            "bulk_updates": st.lists(
                st.fixed_dictionaries({"key_value": good_keys, "updates": good_updates}),
                min_size=1,
                max_size=3,
            ),
        }
    ),
    odd_ways.flatmap(
        lambda way: _with(way, updates=good_updates | odd_updates, bulk_updates=st.lists(json_values))
    ),
)
delete_fields = (good_ways | odd_ways).flatmap(lambda way: _with(way, soft=st.booleans()))
read_fields = st.fixed_dictionaries(
    {},
    optional={
        "columns": st.lists(st.sampled_from(COLUMN_NAMES), max_size=4).map(",".join)
        | st.lists(column_names, max_size=3).map(",".join),
        "filters": filters.map(json.dumps),
        "limit": st.integers(1, 1000),
        "offset": st.integers(0, 5),
        "include_deleted": st.sampled_from(["true", "false"]),
    },
)


def _wells_csv(rows: list[dict[str, Any]]) -> str:
    lines = [",".join(COLUMN_NAMES)] + [",".join(str(row[name]) for name in COLUMN_NAMES) for row in rows]
    return "\n".join(lines) + "\n"


# An ingest: a CSV of real rows, or any text, as the raw body; CSV options or none.
csv_bodies = good_rows.map(_wells_csv) | st.text(max_size=40)
ingest_options = st.fixed_dictionaries(
    {},
    optional={
        "header": st.sampled_from(["true", "false"]),
        "delimiter": st.sampled_from([",", ";"]) | st.text(max_size=2),
        "null_value": st.text(max_size=3),
    },
)


def _aimer(label: str, target: Target) -> Callable[[Case], st.SearchStrategy[Case]]:
    """How a case of ``label`` is aimed at the target: a strategy of changed copies."""

    def into_body(fields: st.SearchStrategy[dict[str, Any]]) -> Callable[[Case], st.SearchStrategy[Case]]:
        # Without the generated wait (rarely in 0..30) and body, which would hide the aimed fields.
        return lambda case: fields.map(lambda extra: _changed(case, query={}, body={**target.names, **extra}))

    if label == "POST /api/v1/records/write":
        return into_body(write_fields)
    if label == "POST /api/v1/records/upsert":
        return into_body(upsert_fields)
    if label == "PUT /api/v1/records/update":
        return into_body(update_fields)
    if label == "DELETE /api/v1/records/delete":
        return into_body(delete_fields)
    if label == "POST /api/v1/records/ingest":
        return lambda case: st.tuples(csv_bodies, ingest_options).map(
            lambda parts: _changed(
                case, query={**target.names, **parts[1]}, body=parts[0], media_type="text/csv"
            )
        )
    if label == "GET /api/v1/records/read":
        return lambda case: read_fields.map(lambda extra: _changed(case, query={**target.names, **extra}))
    if label in ("GET /api/v1/jobs/{job_id}", "POST /api/v1/jobs/{job_id}/cancel"):
        return lambda case: st.just(_changed(case, path_parameters={"job_id": target.job_id}))
    if label == "GET /api/v1/jobs":
        return lambda case: st.fixed_dictionaries(
            {},
            optional={
                "status": st.sampled_from(["queued", "succeeded"]) | st.text(max_size=8),
                "operation": st.sampled_from(["write", "update"]) | st.text(max_size=8),
                "table": st.sampled_from([str(target.table), str(target.table).upper()])
                | st.text(max_size=8),
            },
        ).map(lambda extra: _changed(case, query={**case.query, **extra}))
    return st.just


def _changed(case: Case, **changes: Any) -> Case:
    for name, value in changes.items():
        setattr(case, name, value)
    if "body" in changes and "media_type" not in changes:
        case.media_type = "application/json"  # a negative case may have sent another type
    return case


def _bounded_wait(case: Case) -> None:
    """A ``wait`` of up to 30 s would wait that long for a job no worker runs: cut it to 0.05 s."""
    wait = case.query.get("wait")
    if isinstance(wait, int | float | str):
        try:
            seconds = float(wait)
        except ValueError:
            return
        if math.isfinite(seconds) and 0 < seconds <= 30:
            case.query = {**case.query, "wait": 0.05}


@contextmanager
def connection_kept() -> Iterator[None]:
    """Keep the test's database connection open across requests, as Django's test client does:
    Django closes it when a request starts and finishes, which would end the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# --- the run ---------------------------------------------------------------------------------


def test_the_operations_fuzzed_are_the_documents(openapi: schemathesis.BaseSchema) -> None:
    """Every operation of the OpenAPI document is fuzzed below (a new endpoint cannot be missed)."""
    documented = {openapi[path][method].label for path in openapi for method in openapi[path]}
    assert documented == set(OPERATIONS)


def _send_all(cases: st.SearchStrategy[Case], examples: int, target: Target) -> Counter[int]:
    """Send ``examples`` derandomized cases with the target's key: the count of each status;
    answers that fail a check of ``CHECKS`` are added to ``target.failures``."""
    statuses: Counter[int] = Counter()

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(cases)
    def send(case: Case) -> None:
        _bounded_wait(case)
        # X-Api-Key wins over a generated Authorization header.
        response = case.call(headers={"X-Api-Key": target.key})
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as failed:
            target.failures.append(str(failed)[:2000])

    with connection_kept():
        send()
    return statuses


@pytest.mark.parametrize(("label", "mode"), RUNS)
def test_no_generated_request_is_a_server_error(
    openapi: schemathesis.BaseSchema,
    target: Target,
    local_warehouse: LocalWarehouseProcess,
    label: str,
    mode: GenerationMode,
) -> None:
    """A bounded, derandomized run of one operation, half the cases as generated and half aimed
    at the table: no 5xx, no undocumented status, no body outside its schema; in positive mode
    some aimed cases succeed (reads on the warehouse), in negative mode some are refused with a
    4xx (negative cases may also replace the key)."""
    method, path = label.split(" ", 1)
    generated = openapi[path][method].as_strategy(generation_mode=mode)
    local_warehouse.reset_stats()
    as_generated = _send_all(generated, CASES[mode] // 2, target)
    aimed = _send_all(generated.flatmap(_aimer(label, target)), CASES[mode] // 2, target)
    outcome = {"generated": dict(sorted(as_generated.items())), "aimed": dict(sorted(aimed.items()))}
    assert not target.failures, "\n\n".join(target.failures)
    if mode is GenerationMode.POSITIVE:
        assert any(200 <= status < 300 for status in aimed), outcome
    else:
        assert any(400 <= status < 500 for status in as_generated + aimed), outcome
    if mode is GenerationMode.POSITIVE and label == "GET /api/v1/records/read":
        executed = [s for s in local_warehouse.stats()["recent"] if target.table.schema in s["statement"]]
        assert any(s["error"] is None for s in executed), outcome
