"""The client: submits that return their job, waits that long-poll, reads page by page."""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .errors import error_from_response

FINAL_STATUSES = frozenset({"succeeded", "failed", "canceled"})
# The longest ``?wait`` the service takes (RECORDS_MAX_WAIT_SECONDS); longer waits loop.
MAX_WAIT_SECONDS = 30.0
# What ``ingest`` sends a file as, by format, and the format of a file by its extension.
_MEDIA_TYPES = {
    "csv": "text/csv",
    "ndjson": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}
_FORMATS_BY_SUFFIX = {".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson", ".parquet": "parquet"}


@dataclass(frozen=True)
class Job:
    """A job as the service answered it; ``raw`` is the whole body."""

    job_id: str
    status: str
    result: Any = None
    error: Any = None
    progress: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Job:
        return cls(
            job_id=str(body["job_id"]),
            status=str(body["status"]),
            result=body.get("result"),
            error=body.get("error"),
            progress=body.get("progress") or {},
            raw=body,
        )


class Client:
    """A client of the records service at ``url`` (``https://host``, without ``/api/v1``).

    ``callback_url`` on a submit asks for a signed completion webhook there (see the README's
    receiver). Each submit sends an ``Idempotency-Key`` (a new uuid4 unless ``idempotency_key`` is given)
    and is re-sent with the same key, up to ``retries`` times, when the connection fails
    before its answer arrives: the service then answers the job the first attempt stored,
    so a submit never runs twice. ``transport`` is httpx's (tests, proxies).
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        timeout: float = 30,
        retries: int = 2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.timeout = timeout
        self.retries = retries
        self._http = httpx.Client(
            base_url=url.rstrip("/") + "/api/v1/",
            headers={"X-Api-Key": api_key, "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- submits -------------------------------------------------------------------------------

    def write(
        self,
        catalog: str,
        schema: str,
        table: str,
        data: Sequence[Mapping[str, Any]],
        *,
        auto_create: bool = False,
        schema_definition: Sequence[Mapping[str, Any]] | None = None,
        wait: float | None = None,
        idempotency_key: str | None = None,
        callback_url: str | None = None,
    ) -> Job:
        """Insert ``data``; with ``auto_create`` and ``schema_definition``, create the table first."""
        body = _rows_body(catalog, schema, table, data, auto_create, schema_definition)
        return self._submit("POST", "records/write", body, wait, idempotency_key, callback_url)

    def ingest(
        self,
        catalog: str,
        schema: str,
        table: str,
        path: str | os.PathLike[str],
        *,
        file_format: str | None = None,
        header: bool = True,
        delimiter: str = ",",
        null_value: str = "",
        auto_create: bool = False,
        schema_definition: Sequence[Mapping[str, Any]] | None = None,
        wait: float | None = None,
        idempotency_key: str | None = None,
        callback_url: str | None = None,
    ) -> Job:
        """Load the rows of the CSV, NDJSON or Parquet file at ``path`` (its format from
        ``file_format``, else its extension: .csv, .ndjson/.jsonl, .parquet). The file is sent
        as the request body, streamed from disk; CSV options as the service documents them."""
        file = Path(path)
        file_format = file_format or _FORMATS_BY_SUFFIX.get(file.suffix.lower())
        if file_format not in _MEDIA_TYPES:
            raise ValueError(f"say the format of {file.name}: file_format='csv', 'ndjson' or 'parquet'")
        query: dict[str, str | int] = {**_table(catalog, schema, table), "file_format": file_format}
        if file_format == "csv":
            query |= {"header": str(header).lower(), "delimiter": delimiter, "null_value": null_value}
        if auto_create:
            query["auto_create"] = "true"
        if schema_definition is not None:
            query["schema_definition"] = json.dumps(list(schema_definition))
        if callback_url is not None:
            query["callback_url"] = callback_url
        return self._send_job(
            "POST",
            "records/ingest",
            wait,
            idempotency_key,
            params=query,
            content=file,
            headers={"Content-Type": _MEDIA_TYPES[file_format]},
        )

    def upsert(
        self,
        catalog: str,
        schema: str,
        table: str,
        data: Sequence[Mapping[str, Any]],
        *,
        key_columns: Sequence[str],
        match_deleted: bool = False,
        auto_create: bool = False,
        schema_definition: Sequence[Mapping[str, Any]] | None = None,
        wait: float | None = None,
        idempotency_key: str | None = None,
        callback_url: str | None = None,
    ) -> Job:
        """Insert or update ``data`` by ``key_columns``; ``match_deleted`` revives soft-deleted rows."""
        body = _rows_body(catalog, schema, table, data, auto_create, schema_definition)
        body |= {"key_columns": list(key_columns), "match_deleted": match_deleted}
        return self._submit("POST", "records/upsert", body, wait, idempotency_key, callback_url)

    def update(
        self,
        catalog: str,
        schema: str,
        table: str,
        *,
        key_column: str | None = None,
        key_value: Any = None,
        key_values: Sequence[Any] | None = None,
        bulk_updates: Sequence[Mapping[str, Any]] | None = None,
        filters: Sequence[Mapping[str, Any]] | None = None,
        updates: Mapping[str, Any] | None = None,
        wait: float | None = None,
        idempotency_key: str | None = None,
        callback_url: str | None = None,
    ) -> Job:
        """Update rows by ``key_value``, ``key_values``, ``bulk_updates`` or ``filters`` (one of them)."""
        body = _without_none(
            {
                **_table(catalog, schema, table),
                "key_column": key_column,
                "key_value": key_value,
                "key_values": _list_or_none(key_values),
                "bulk_updates": _list_or_none(bulk_updates),
                "filters": _list_or_none(filters),
                "updates": None if updates is None else dict(updates),
            }
        )
        return self._submit("PUT", "records/update", body, wait, idempotency_key, callback_url)

    def delete(
        self,
        catalog: str,
        schema: str,
        table: str,
        *,
        key_column: str | None = None,
        key_value: Any = None,
        key_values: Sequence[Any] | None = None,
        filters: Sequence[Mapping[str, Any]] | None = None,
        soft: bool = True,
        wait: float | None = None,
        idempotency_key: str | None = None,
        callback_url: str | None = None,
    ) -> Job:
        """Soft-delete (or, with ``soft=False``, remove) rows by key(s) or ``filters``."""
        body = _without_none(
            {
                **_table(catalog, schema, table),
                "key_column": key_column,
                "key_value": key_value,
                "key_values": _list_or_none(key_values),
                "filters": _list_or_none(filters),
                "soft": soft,
            }
        )
        return self._submit("DELETE", "records/delete", body, wait, idempotency_key, callback_url)

    # --- jobs ----------------------------------------------------------------------------------

    def job(self, job_id: str) -> Job:
        return Job.from_body(self._request("GET", f"jobs/{job_id}").json())

    def wait(self, job_id: str, timeout: float) -> Job:
        """The job once final, or as it is after ``timeout`` seconds (long polls of at most 30 s)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = max(0.0, deadline - time.monotonic())
            seconds = min(MAX_WAIT_SECONDS, remaining)
            response = self._request(
                "GET", f"jobs/{job_id}", params={"wait": f"{seconds:.3f}"}, extra_timeout=seconds
            )
            job = Job.from_body(response.json())
            if job.finished or time.monotonic() >= deadline:
                return job

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued job (canceled at once) or a running one (stops before its next
        statement: wait for it); a finished job raises ``Conflict``."""
        return Job.from_body(self._request("POST", f"jobs/{job_id}/cancel").json())

    # --- reads ---------------------------------------------------------------------------------

    def read(
        self,
        catalog: str,
        schema: str,
        table: str,
        *,
        columns: Sequence[str] | None = None,
        filters: Sequence[Mapping[str, Any]] | None = None,
        limit: int = 100,
        offset: int = 0,
        include_deleted: bool = False,
    ) -> dict[str, Any]:
        """One page: ``{"data": [...], "count", "total"}`` (plus ``truncated``, ``next_offset``
        when the page hit the service's byte budget)."""
        params: dict[str, str | int] = {
            **_table(catalog, schema, table),
            "limit": limit,
            "offset": offset,
            "include_deleted": "true" if include_deleted else "false",
        }
        if columns is not None:
            params["columns"] = ",".join(columns)
        if filters is not None:
            params["filters"] = json.dumps(list(filters))
        page: dict[str, Any] = self._request("GET", "records/read", params=params).json()
        return page

    def read_all(
        self,
        catalog: str,
        schema: str,
        table: str,
        *,
        columns: Sequence[str] | None = None,
        filters: Sequence[Mapping[str, Any]] | None = None,
        page_size: int = 1000,
        include_deleted: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Every matching row, a page at a time (pages follow ``inserted_at, record_uuid``; rows
        written while reading may shift them: this is not a snapshot)."""
        offset = 0
        while True:
            page = self.read(
                catalog,
                schema,
                table,
                columns=columns,
                filters=filters,
                limit=page_size,
                offset=offset,
                include_deleted=include_deleted,
            )
            yield from page["data"]
            offset = page["next_offset"] if page.get("truncated") else offset + page["count"]
            if page["count"] == 0 or offset >= page["total"]:
                return

    # --- HTTP ----------------------------------------------------------------------------------

    def _submit(
        self,
        method: str,
        path: str,
        body: dict[str, Any],
        wait: float | None,
        idempotency_key: str | None,
        callback_url: str | None,
    ) -> Job:
        if callback_url is not None:
            body = {**body, "callback_url": callback_url}
        return self._send_job(method, path, wait, idempotency_key, json_body=body)

    def _send_job(
        self,
        method: str,
        path: str,
        wait: float | None,
        idempotency_key: str | None,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: Any = None,
        content: Path | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Job:
        """Submit with an Idempotency-Key (re-sent on a lost answer) and the first ``?wait`` the
        service takes; a longer ``wait`` goes on with long polls."""
        key = idempotency_key or str(uuid.uuid4())
        first_wait = None if wait is None else min(MAX_WAIT_SECONDS, wait)
        query = dict(params or {})
        if first_wait is not None:
            query["wait"] = f"{first_wait:.3f}"
        started = time.monotonic()
        response = self._request(
            method,
            path,
            json_body=json_body,
            content=content,
            params=query or None,
            headers={**(headers or {}), "Idempotency-Key": key},
            extra_timeout=first_wait or 0,
            retry=True,
        )
        job = Job.from_body(response.json())
        if wait is not None and not job.finished and wait > MAX_WAIT_SECONDS:
            job = self.wait(job.job_id, wait - (time.monotonic() - started))
        return job

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: Any = None,
        content: Path | None = None,
        headers: Mapping[str, str] | None = None,
        extra_timeout: float = 0,
        retry: bool = False,
    ) -> httpx.Response:
        """One request (a long poll gets ``extra_timeout`` more); an error answer raises its
        typed error. ``retry``: re-sent on a transport failure (submits carry their key).
        ``content``: a file sent as the body, read from disk again by each attempt."""
        attempts = 1 + (self.retries if retry else 0)
        for attempt in range(attempts):
            try:
                with contextlib.ExitStack() as stack:
                    body = None if content is None else stack.enter_context(open(content, "rb"))
                    response = self._http.request(
                        method,
                        path,
                        params=params,
                        json=json_body,
                        content=body,
                        headers=headers,
                        timeout=self.timeout + extra_timeout,
                    )
            except httpx.TransportError:
                if attempt + 1 == attempts:
                    raise
                time.sleep(min(0.2 * 2**attempt, 2))  # the same request, a moment later
                continue
            if response.is_error:
                raise error_from_response(response)
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")


def _rows_body(
    catalog: str,
    schema: str,
    table: str,
    data: Sequence[Mapping[str, Any]],
    auto_create: bool,
    schema_definition: Sequence[Mapping[str, Any]] | None,
) -> dict[str, Any]:
    """The body of a write or an upsert: the table, the rows, the optional table definition."""
    body: dict[str, Any] = {**_table(catalog, schema, table), "data": list(data)}
    if auto_create:
        body["auto_create"] = True
    if schema_definition is not None:
        body["schema_definition"] = list(schema_definition)
    return body


def _table(catalog: str, schema: str, table: str) -> dict[str, str]:
    return {"catalog": catalog, "schema": schema, "table": table}


def _list_or_none(values: Sequence[Any] | None) -> list[Any] | None:
    return None if values is None else list(values)


def _without_none(body: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in body.items() if value is not None}
