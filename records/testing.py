"""For the tests of records and of the apps that drive it (audit's too): the seed's wells table,
a schema of one's own in the local warehouse, jobs stored without publishing, and waiting.

Not a test module: it imports records, access and warehouse, never audit, and no test imports
it the other way round.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from access.grants import grant_add
from access.models import ApiClient
from warehouse.client import WarehouseClient, get_client
from warehouse.sql import TableName, to_json

from .examples import WELLS_DEFINITION, WELLS_ROW
from .jobs.ingest import ingest_file
from .jobs.payloads import DeletePayload, IngestPayload, Payload, UpdatePayload, WritePayload
from .models import Job
from .tables import Column
from .validation.schema import parse_schema_definition

T = TypeVar("T")

# --- the seed's wells table (records.examples) ----------------------------------------------

# The nine columns of the definition, as the service parses them.
WELLS_COLUMNS: tuple[Column, ...] = parse_schema_definition(WELLS_DEFINITION)


def well(i: int, **changes: Any) -> dict[str, Any]:
    """Row ``i`` of a wells table: the seed's row with api10, api14 and oileur counted up by ``i``
    and wellname ``SMITH <i>-15H``, then ``changes``."""
    row = {
        **WELLS_ROW,
        "api10": WELLS_ROW["api10"] + i,
        "api14": WELLS_ROW["api14"] + i,
        "wellname": f"SMITH {i}-15H",
        "oileur": WELLS_ROW["oileur"] + i,
    }
    return {**row, **changes}


# --- the local warehouse ---------------------------------------------------------------------


@contextmanager
def warehouse_schema(
    catalog: str, *, client: WarehouseClient | None = None, prefix: str = "s_"
) -> Iterator[str]:
    """A fresh schema ``catalog.<prefix><random>`` (the catalog created if need be), dropped with
    everything in it afterwards. Yields the schema's name. ``client`` defaults to the service's."""
    client = client or get_client()
    client.reset()  # never reuse a connection to a warehouse an earlier test restarted
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    client.execute(f"CREATE CATALOG IF NOT EXISTS {catalog}")
    client.execute(f"CREATE SCHEMA {catalog}.{name}")
    try:
        yield name
    finally:
        client.execute(f"DROP SCHEMA IF EXISTS {catalog}.{name} CASCADE")


# --- jobs ------------------------------------------------------------------------------------

_OPERATIONS = {
    WritePayload: Job.Operation.WRITE,
    UpdatePayload: Job.Operation.UPDATE,
    DeletePayload: Job.Operation.DELETE,
    IngestPayload: Job.Operation.INGEST,
}


def client_allowed_to_modify(name: str, table: TableName) -> ApiClient:
    """The API client named ``name`` (created if need be), holding ALL_PRIVILEGES on the catalog
    of ``table``: what a job's client needs to run it."""
    client = ApiClient.objects.get_or_create(name=name)[0]
    grant_add(client, ["ALL_PRIVILEGES"], table.catalog.lower())
    return client


def unpublished_job(table: TableName, payload: Payload, *, principal: str = "alice", **fields: Any) -> Job:
    """A queued job stored without publishing it, as if the broker had been down; submitted by
    the API client named ``principal`` (created if need be). ``fields`` set other Job fields."""
    return Job.objects.create(
        operation=_OPERATIONS[type(payload)],
        catalog=table.catalog,
        schema=table.schema,
        table=table.table,
        payload=payload.to_json(),
        client=client_allowed_to_modify(principal, table),
        principal=principal,
        **fields,
    )


def unpublished_write(table: TableName, rows: Sequence[dict[str, Any]], **fields: Any) -> Job:
    """An unpublished write of ``rows``, each given a fresh record_uuid as submitting would."""
    payload = WritePayload(rows=[{**row, "record_uuid": str(uuid.uuid4())} for row in rows])
    return unpublished_job(table, payload, **fields)


def unpublished_ingest(table: TableName, ndjson_rows: Sequence[dict[str, Any]], **fields: Any) -> Job:
    """An unpublished ingest of ``ndjson_rows`` (an NDJSON file, in RECORDS_INGEST_DIR under
    the job's id, as submit leaves it)."""
    text = "".join(to_json(row) + "\n" for row in ndjson_rows)
    payload = IngestPayload(file_format="ndjson", rows=len(ndjson_rows), bytes=len(text.encode()))
    job = unpublished_job(table, payload, **fields)
    ingest_file(job.job_id, "ndjson").write_text(text)
    return job


def wait_until(predicate: Callable[[], T], timeout: float = 30, *, what: str = "the condition") -> T:
    """Call ``predicate`` every 0.1 s until it answers something true, and return that answer;
    ``AssertionError`` naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        answer = predicate()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.1)


def wait_for_job(job_or_id: Job | int | uuid.UUID | str, timeout: float = 30) -> Job:
    """The job once it has succeeded or failed: a ``Job`` is refreshed in place and returned; an
    int is a primary key, a UUID (or its text) a ``job_id``. ``AssertionError`` after ``timeout``."""
    if isinstance(job_or_id, Job):
        job = job_or_id
    elif isinstance(job_or_id, int):
        job = Job.objects.get(pk=job_or_id)
    else:
        job = Job.objects.get(job_id=job_or_id)

    def finished() -> bool:
        job.refresh_from_db()
        return job.finished

    try:
        wait_until(finished, timeout, what=f"job {job.job_id} finishing")
    except AssertionError:
        raise AssertionError(f"job {job.job_id} still {job.status} after {timeout} s") from None
    return job


class WebhookReceiver:
    """An HTTP receiver on 127.0.0.1 answering each POST with the next of ``answers`` (then
    200), keeping every request's headers and body."""

    def __init__(self) -> None:
        self.answers: list[int] = []
        self.received: list[tuple[dict[str, str], str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.received.append((dict(self.headers.items()), body))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/records"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def deliveries_for(self, job_id: str) -> list[tuple[dict[str, str], str]]:
        return [(h, b) for h, b in self.received if f'"job_id":"{job_id}"' in b]
