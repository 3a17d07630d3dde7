"""The OpenAPI document is the API: valid OpenAPI 3.1, every operation with its request body
(DELETE's too), its statuses and their schemas, the original service's bodies as examples that
fit their schemas and that the service accepts, and ``manage.py spectacular`` without warnings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.test import Client
from drf_spectacular.drainage import GENERATOR_STATS
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from pytest_django import Settings

from access.testing import ApiCaller
from records import sql
from records.testing import WELLS_COLUMNS, warehouse_schema
from warehouse.client import get_client
from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import TableName

pytestmark = pytest.mark.django_db

CATALOG = "openapi_tests"
SUBMIT_ERRORS = {"400", "401", "403", "404", "409", "413", "415", "429", "500", "503"}
# Every status each operation may answer.
STATUSES = {
    ("get", "/api/v1/healthcheck"): {"200", "405"},
    ("post", "/api/v1/records/write"): {"202", "200", "201", *SUBMIT_ERRORS},
    ("post", "/api/v1/records/upsert"): {"202", "200", *SUBMIT_ERRORS},
    ("post", "/api/v1/records/ingest"): {"202", "200", "201", "411", *SUBMIT_ERRORS},
    ("put", "/api/v1/records/update"): {"202", "200", *SUBMIT_ERRORS},
    ("delete", "/api/v1/records/delete"): {"202", "200", *SUBMIT_ERRORS},
    ("get", "/api/v1/records/read"): {"200", "400", "401", "403", "404", "413", "414", "429", "500", "503"},
    ("get", "/api/v1/jobs"): {"200", "400", "401", "429", "500"},
    ("get", "/api/v1/jobs/{job_id}"): {"200", "400", "401", "404", "429", "500"},
    ("post", "/api/v1/jobs/{job_id}/cancel"): {"200", "202", "401", "404", "409", "429", "500"},
}
ERROR_REF = "#/components/schemas/Error"
RESPONSE_HEADERS = {
    "202": {"Location", "Retry-After"},
    "401": {"WWW-Authenticate"},
    "429": {"Retry-After"},
    "503": {"Retry-After"},
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return dict(response.json())


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` as a JSON Schema whose ``#/components/...`` references resolve in ``document``."""
    return {**schema, "components": document["components"]}


def schema_errors(document: dict[str, Any], schema: dict[str, Any], value: Any) -> list[str]:
    validator = OAS31Validator(resolved(document, schema))
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(value)]


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    """openapi-spec-validator finds nothing wrong with it (it raises on the first error)."""
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_spectacular_validates_the_document_without_warnings(tmp_path: Path) -> None:
    """``manage.py spectacular --validate --fail-on-warn`` (it raises on a warning, such as a
    field drf-spectacular could not type, or on a document that does not validate)."""
    GENERATOR_STATS.reset()  # warnings are counted per process: only this generation's
    out = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi: 3.1.0")


def test_every_operation_declares_each_status_it_answers(document: dict[str, Any]) -> None:
    """Each operation lists the statuses the service answers it with; every error has the
    ``Error`` body, every answer a schema; the headers of 202, 401, 429 and 503 are declared."""
    assert {(method, path) for method, path, _ in operations(document)} == set(STATUSES)
    for method, path, operation in operations(document):
        responses = operation["responses"]
        assert set(responses) == STATUSES[method, path], (method, path)
        for status, response in responses.items():
            schema = response["content"]["application/json"]["schema"]
            assert response["description"], (method, path, status)
            if status >= "400":
                assert schema == {"$ref": ERROR_REF}, (method, path, status)
            headers = set(response.get("headers", {}))
            expected = RESPONSE_HEADERS.get(status, set()) | operation_headers(method, path, status)
            assert headers == expected, (method, path, status)


def operation_headers(method: str, path: str, status: str) -> set[str]:
    """The response headers of one operation's status beyond those of every ``status``: a
    submit's answers say which ``Prefer`` was applied; a job not final says when to ask again."""
    if path.startswith("/api/v1/records/") and method != "get" and status in {"200", "201", "202"}:
        return {"Preference-Applied"}
    if (method, path, status) == ("get", "/api/v1/jobs/{job_id}", "200"):
        return {"Retry-After"}
    return set()


def test_every_operation_is_named_tagged_and_described(document: dict[str, Any]) -> None:
    """Readable titles in Redoc and Swagger UI (not ``v1_records_write_create``)."""
    for method, path, operation in operations(document):
        assert operation["summary"] and operation["description"], (method, path)
        assert operation["tags"] and operation["tags"][0] in {"records", "jobs", "health"}
        assert "_create" not in operation["operationId"] and "v1_" not in operation["operationId"]


def test_descriptions_are_written_for_clients_not_taken_from_docstrings(document: dict[str, Any]) -> None:
    """Docstrings are reStructuredText for the code's readers (``validated_data``): none of it
    reaches the document, whose descriptions are Markdown."""
    text = json.dumps(document)
    assert "``" not in text
    assert "validated_data" not in text


def _schemas(node: Any) -> Iterator[dict[str, Any]]:
    """Every mapping under ``node`` that may be a schema: not examples (whose values may hold
    any key) nor ``properties`` themselves (keyed by field names, such as ``nullable``)."""
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key == "properties":
                for schema in value.values():
                    yield from _schemas(schema)
            elif key not in ("example", "examples"):
                yield from _schemas(value)
    elif isinstance(node, list):
        for item in node:
            yield from _schemas(item)


def test_no_schema_uses_openapi_3_0_nullable(document: dict[str, Any]) -> None:
    """In 3.1 ``nullable`` means nothing: null is a type (``["string", "null"]``)."""
    assert not [schema for schema in _schemas(document) if "nullable" in schema]


def test_rows_keys_and_filter_values_have_their_real_types(document: dict[str, Any]) -> None:
    """Rows are a non-empty list of objects; keys are scalars (null where a key may be left out);
    a filter's value is a scalar, a list of scalars or null."""
    schemas = document["components"]["schemas"]
    scalar = ["string", "number", "boolean"]
    assert schemas["WriteRequest"]["properties"]["data"]["type"] == "array"
    assert schemas["WriteRequest"]["properties"]["data"]["items"]["type"] == "object"
    assert schemas["BulkUpdateRequest"]["properties"]["key_value"]["type"] == scalar
    delete = schemas["DeleteRequest"]["properties"]
    assert delete["key_value"]["type"] == [*scalar, "null"]
    assert delete["key_values"]["items"]["type"] == scalar
    assert schemas["FilterRequest"]["properties"]["value"]["type"] == [*scalar, "array", "null"]
    swaggers_old_default = {"catalog": "c", "schema": "s", "table": "t", "data": "string"}
    assert schema_errors(document, {"$ref": "#/components/schemas/WriteRequest"}, swaggers_old_default)
    job = schemas["Job"]["properties"]
    assert {"$ref": "#/components/schemas/JobResult"} in job["result"]["oneOf"]
    assert {"$ref": "#/components/schemas/JobError"} in job["error"]["oneOf"]


def test_delete_documents_its_json_body(document: dict[str, Any]) -> None:
    """drf-spectacular drops DELETE bodies (tfranzel/drf-spectacular#809); this one is there."""
    body = document["paths"]["/api/v1/records/delete"]["delete"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/DeleteRequest"}


def test_the_api_key_schemes_are_x_api_key_or_authorization(document: dict[str, Any]) -> None:
    """Swagger UI's Authorize takes the bare key (X-Api-Key); Authorization is the alternative.
    Every operation but the healthcheck needs one of them."""
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        **schemes["ApiKey"],
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
    }
    assert schemes["ApiKeyAuthorization"]["name"] == "Authorization"
    for method, path, operation in operations(document):
        if path == "/api/v1/healthcheck":
            assert operation.get("security", []) in ([], [{}])
        else:
            assert operation["security"] == [{"ApiKey": []}, {"ApiKeyAuthorization": []}], (
                method,
                path,
            )


def _request_examples(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return dict(document["paths"][path][method]["requestBody"]["content"]["application/json"]["examples"])


def test_the_seed_bodies_are_the_examples(document: dict[str, Any]) -> None:
    """The original service's write with auto_create (then ours with a webhook), its four
    updates and three deletes."""
    write = _request_examples(document, "post", "/api/v1/records/write")
    assert [example["value"].get("auto_create") for example in write.values()] == [True, None]
    assert list(write.values())[1]["value"]["callback_url"].startswith("https://")
    updates = _request_examples(document, "put", "/api/v1/records/update")
    ways = ("key_value", "key_values", "bulk_updates", "filters")
    assert [next(way for way in ways if way in e["value"]) for e in updates.values()] == list(ways)
    deletes = _request_examples(document, "delete", "/api/v1/records/delete")
    assert [next(way for way in ways if way in e["value"]) for e in deletes.values()] == [
        "key_value",
        "key_values",
        "filters",
    ]


def test_every_example_fits_its_schema(document: dict[str, Any]) -> None:
    """Request bodies, response bodies and parameters: each example validates against the
    schema it illustrates (the read's ``filters`` example, parsed, against the filters')."""
    checked = 0
    for method, path, operation in operations(document):
        places = [(operation.get("requestBody", {}).get("content", {}), "request")]
        places += [
            (response.get("content", {}), status) for status, response in operation["responses"].items()
        ]
        for content, where in places:
            for media in content.values():
                for name, example in media.get("examples", {}).items():
                    errors = schema_errors(document, media["schema"], example["value"])
                    assert not errors, (method, path, where, name, errors)
                    checked += 1
        for parameter in operation.get("parameters", []):
            for name, example in parameter.get("examples", {}).items():
                assert not schema_errors(document, parameter["schema"], example["value"]), (path, name)
                checked += 1
    read = document["paths"]["/api/v1/records/read"]["get"]["parameters"]
    (filters,) = [p for p in read if p["name"] == "filters"]
    filter_list = {"type": "array", "items": {"$ref": "#/components/schemas/FilterRequest"}}
    for example in filters["examples"].values():
        assert not schema_errors(document, filter_list, json.loads(example["value"]))
    assert checked > 30


def _parameter_examples(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    parameters = document["paths"][path][method]["parameters"]
    return {p["name"]: next(iter(p["examples"].values()))["value"] for p in parameters if "examples" in p}


def test_the_service_accepts_every_request_example(
    document: dict[str, Any], local_warehouse: LocalWarehouseProcess, settings: Settings
) -> None:
    """Sent to a wells table (the examples' catalog and schema swapped for the test's), each
    write, upsert, ingest, update and delete example is stored as a job (202) and the read example answers 200
    (the webhook example's host allowed, as its operator would)."""
    settings.RECORDS_WEBHOOK_ALLOWED_HOSTS = ["hooks.example.com"]
    caller = ApiCaller("openapi")
    with warehouse_schema(CATALOG) as schema:
        table = TableName(CATALOG, schema, "wells")
        get_client().execute(sql.create_table(table, WELLS_COLUMNS).sql)
        here = {"catalog": CATALOG, "schema": schema}
        for method, path in [
            ("post", "/api/v1/records/write"),
            ("post", "/api/v1/records/upsert"),
            ("put", "/api/v1/records/update"),
            ("delete", "/api/v1/records/delete"),
        ]:
            for name, example in _request_examples(document, method, path).items():
                response = getattr(caller, method)(path, {**example["value"], **here})
                assert response.status_code == 202, (path, name, response.json())
        ingest = document["paths"]["/api/v1/records/ingest"]["post"]["requestBody"]["content"]["text/csv"]
        for name, example in ingest["examples"].items():
            response = caller.http.post(
                "/api/v1/records/ingest",
                example["value"],
                content_type="text/csv",
                QUERY_STRING=urlencode({**here, "table": "wells"}),
            )
            assert response.status_code == 202, (name, response.json())
        query = {**_parameter_examples(document, "get", "/api/v1/records/read"), **here}
        response = caller.get("/api/v1/records/read", query)
        assert response.status_code == 200, response.json()
        assert response.json() == {"data": [], "count": 0, "total": 0}
