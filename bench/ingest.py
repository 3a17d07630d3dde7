"""Benchmark: a million wells rows loaded through ``/records/ingest`` (one CSV file) and, beside
it, the same rows through ``/records/write`` in requests of at most 64 MiB.

Makes the CSV (``--rows`` wells rows, the seed's columns) in a temporary folder, starts this
tree's ``make run`` stack (``bench/stack.py``) against a local warehouse at ``--latency-ms``
(200 by default: round trips are the cost on a real warehouse), and:

1. ingest: sends the file as the raw body (``text/csv``, streamed from disk) and times the
   upload (until its last byte is sent; the server writes it to disk as it comes) and the
   check of every row (until the answer: the job is stored then), then polls
   the job and times its staging (Parquet files written and put in the volume: until
   ``files_staged`` reaches ``files_total``) and its load (COPY INTO, until it succeeded);
2. write: the same rows as JSON bodies of at most 64 MiB each (``RECORDS_MAX_ROWS_PER_REQUEST``
   raised for it), all submitted, then timed until every job is final.

For each it prints MB/s and rows/s per phase, the statements the warehouse counted (by kind),
the rows in the table (``COUNT(*)``, ``COUNT(DISTINCT api10)`` through the connector), and the
peak memory (VmHWM) of the web and worker processes: the largest of each process group's, read
from /proc at the end. Stages run one after the other on fresh stacks.

    .venv/bin/python -m bench.ingest --rows 1000000
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.jobs_throughput import _count  # noqa: E402
from bench.stack import Stack  # noqa: E402
from records.examples import WELLS_DEFINITION, WELLS_ROW  # noqa: E402

NAMES = [column["name"] for column in WELLS_DEFINITION]
MAX_BODY = 64 * 1024 * 1024
TARGET = {"catalog": "bench", "schema": "s", "table": "wells"}


def well(i: int) -> dict[str, Any]:
    return {
        **WELLS_ROW,
        "api10": WELLS_ROW["api10"] + i,
        "api14": WELLS_ROW["api14"] + i,
        "wellname": f"SMITH {i}-15H",
        "oileur": WELLS_ROW["oileur"] + i,
    }


def make_csv(path: Path, rows: int) -> None:
    with open(path, "w") as out:
        out.write(",".join(NAMES) + "\n")
        for i in range(rows):
            row = well(i)
            out.write(",".join(str(row[name]) for name in NAMES) + "\n")


def peak_memory_mib(stack: Stack, name: str) -> float:
    """The largest VmHWM among the processes of ``name``'s process group (its Procfile line)."""
    group = stack.processes[name].pid
    peak = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != group:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, ProcessLookupError):
            continue
    return round(peak / 1024, 1)


def _job(stack: Stack, job_id: str) -> dict[str, Any]:
    status, body = stack.call("GET", f"/api/v1/jobs/{job_id}")
    assert status == 200, (status, body)
    return dict(body)


def run_ingest(stack: Stack, csv_path: Path, rows: int) -> dict[str, Any]:
    size = csv_path.stat().st_size
    query = urlencode({**TARGET, "auto_create": "true", "schema_definition": json.dumps(WELLS_DEFINITION)})
    connection = http.client.HTTPConnection("127.0.0.1", stack.web_port, timeout=3600)
    started = time.perf_counter()
    with open(csv_path, "rb") as body:
        connection.request(  # returns once the last byte is sent: the upload
            "POST",
            f"/api/v1/records/ingest?{query}",
            body=body,
            headers={
                "Authorization": f"Api-Key {stack.key}",
                "Content-Type": "text/csv",
                "Content-Length": str(size),
            },
        )
        uploaded = time.perf_counter()
        response = connection.getresponse()  # then every row is checked and the job stored
        answer = json.loads(response.read())
    accepted = time.perf_counter()
    assert response.status == 202, (response.status, answer)
    job_id = answer["job_id"]
    staged_at = None
    while True:
        job = _job(stack, job_id)
        progress = job.get("progress") or {}
        if (
            staged_at is None
            and progress.get("files_total")
            and progress.get("files_staged") == progress["files_total"]
        ):
            staged_at = time.perf_counter()
        if job["status"] in ("succeeded", "failed", "canceled"):
            break
        time.sleep(0.1)
    finished = time.perf_counter()
    assert job["status"] == "succeeded", job
    staged_at = staged_at or finished
    stats = stack.warehouse_stats()
    total, distinct = _count_wells(stack)
    mb = size / 1e6
    return {
        "file_mb": round(mb, 1),
        "upload_s": round(uploaded - started, 2),
        "check_s": round(accepted - uploaded, 2),
        "upload_mb_s": round(mb / max(uploaded - started, 1e-9), 1),
        "check_rows_s": round(rows / max(accepted - uploaded, 1e-9)),
        "request_s": round(accepted - started, 2),
        "stage_s": round(staged_at - accepted, 2),
        "load_s": round(finished - staged_at, 2),
        "total_s": round(finished - started, 2),
        "request_mb_s": round(mb / (accepted - started), 1),
        "stage_rows_s": round(rows / max(staged_at - accepted, 1e-9)),
        "load_rows_s": round(rows / max(finished - staged_at, 1e-9)),
        "rows_s": round(rows / (finished - started)),
        "files": job["result"]["files"],
        "bytes_uploaded": progress.get("bytes_uploaded"),
        "statements": stats["total"],
        "by_kind": stats["by_kind"],
        "rows": total,
        "distinct": distinct,
        "web_peak_mib": peak_memory_mib(stack, "web"),
        "worker_peak_mib": peak_memory_mib(stack, "worker"),
    }


def _count_wells(stack: Stack) -> tuple[int, int]:
    """COUNT(*) and COUNT(DISTINCT api10) of the wells table, through the connector."""
    return _count(stack, "bench.s.wells", key="api10")


def run_write(stack: Stack, rows: int) -> dict[str, Any]:
    bodies: list[bytes] = []
    batch: list[str] = []
    batch_bytes = 0
    head = json.dumps({**TARGET, "auto_create": True, "schema_definition": WELLS_DEFINITION, "data": []})[:-3]
    for i in range(rows):
        text = json.dumps(well(i))
        if batch and batch_bytes + len(text) + len(head) + 16 > MAX_BODY:
            bodies.append(f"{head}[{','.join(batch)}]}}".encode())
            batch, batch_bytes = [], 0
        batch.append(text)
        batch_bytes += len(text) + 1
    bodies.append(f"{head}[{','.join(batch)}]}}".encode())
    total_mb = sum(len(body) for body in bodies) / 1e6
    job_ids = []
    started = time.perf_counter()
    for body in bodies:
        connection = http.client.HTTPConnection("127.0.0.1", stack.web_port, timeout=3600)
        connection.request(
            "POST",
            "/api/v1/records/write",
            body=body,
            headers={"Authorization": f"Api-Key {stack.key}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        answer = json.loads(response.read())
        assert response.status == 202, (response.status, str(answer)[:500])
        job_ids.append(answer["job_id"])
    submitted = time.perf_counter()
    for job_id in job_ids:
        while _job(stack, job_id)["status"] not in ("succeeded", "failed", "canceled"):
            time.sleep(0.2)
    finished = time.perf_counter()
    statuses = [_job(stack, job_id)["status"] for job_id in job_ids]
    stats = stack.warehouse_stats()
    total, distinct = _count_wells(stack)
    return {
        "requests": len(bodies),
        "body_mb": round(total_mb, 1),
        "submit_s": round(submitted - started, 2),
        "run_s": round(finished - submitted, 2),
        "total_s": round(finished - started, 2),
        "submit_mb_s": round(total_mb / (submitted - started), 1),
        "rows_s": round(rows / (finished - started)),
        "statuses": {status: statuses.count(status) for status in set(statuses)},
        "statements": stats["total"],
        "by_kind": stats["by_kind"],
        "rows": total,
        "distinct": distinct,
        "web_peak_mib": peak_memory_mib(stack, "web"),
        "worker_peak_mib": peak_memory_mib(stack, "worker"),
    }


def measured(
    options: argparse.Namespace, run: Any, *args: Any, env: dict[str, str] | None = None
) -> dict[str, Any]:
    stack = Stack(ROOT, warehouse_args=("--latency-ms", str(options.latency_ms)), env=env)
    stack.env.setdefault("RECORDS_INGEST_DIR", str(stack.work / "ingest"))
    failed = True
    try:
        stack.start()
        stack.reset_warehouse_stats()
        result = run(stack, *args)
        failed = False
        return dict(result)
    finally:
        stack.stop(keep=failed)
        if failed:
            print(f"  logs kept in {stack.work}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--skip-write", action="store_true", help="only the ingest")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
        csv_path = Path(folder) / "wells.csv"
        made = time.perf_counter()
        make_csv(csv_path, options.rows)
        print(
            f"{options.rows} wells rows, {csv_path.stat().st_size / 1e6:.1f} MB of CSV (made in "
            f"{time.perf_counter() - made:.1f} s); warehouse at {options.latency_ms:g} ms a statement"
        )
        ingest = measured(options, run_ingest, csv_path, options.rows)
    print(
        f"  ingest  upload {ingest['upload_s']} s ({ingest['upload_mb_s']} MB/s)  check every row"
        f" {ingest['check_s']} s ({ingest['check_rows_s']} rows/s)  request {ingest['request_s']} s"
        f" ({ingest['request_mb_s']} MB/s)"
        f"  staging {ingest['stage_s']} s ({ingest['stage_rows_s']} rows/s, {ingest['files']} Parquet"
        f" files, {(ingest['bytes_uploaded'] or 0) / 1e6:.1f} MB put)  load {ingest['load_s']} s"
        f" ({ingest['load_rows_s']} rows/s)  all {ingest['total_s']} s ({ingest['rows_s']} rows/s)"
        f"  statements {ingest['statements']} {ingest['by_kind']}"
        f"  rows {ingest['rows']} (distinct api10 {ingest['distinct']})"
        f"  peak memory web {ingest['web_peak_mib']} MiB, worker {ingest['worker_peak_mib']} MiB"
    )
    if options.skip_write:
        return
    write = measured(
        options, run_write, options.rows, env={"RECORDS_MAX_ROWS_PER_REQUEST": str(options.rows)}
    )
    print(
        f"  write   {write['requests']} requests of <= 64 MiB ({write['body_mb']} MB of JSON): submit"
        f" {write['submit_s']} s ({write['submit_mb_s']} MB/s), jobs {write['run_s']} s  all"
        f" {write['total_s']} s ({write['rows_s']} rows/s)"
        f"  jobs {write['statuses']}  statements {write['statements']} {write['by_kind']}"
        f"  rows {write['rows']} (distinct api10 {write['distinct']})"
        f"  peak memory web {write['web_peak_mib']} MiB, worker {write['worker_peak_mib']} MiB"
    )


if __name__ == "__main__":
    main()
