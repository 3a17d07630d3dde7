"""Benchmark: many small write jobs from concurrent clients, through a tree's whole stack.

Starts the tree's own ``make run`` processes (its Procfile's web server and workers, see
``bench/stack.py``) against a local warehouse at ``--latency-ms`` (200 ms by default: a real
warehouse is never at 0 ms). ``--clients`` threads submit ``--jobs`` writes of ``--rows`` rows
over HTTP, spread over ``--tables`` tables; the clock runs from the first submit until every
job is final (``--rate`` paces each client, an open loop; by default each sends its next
request when the last one is answered). It prints jobs/s, the enqueue latency (p50/p99 of
the POSTs), the statements the warehouse counted, and the rows in the tables (``COUNT(*)``
and ``COUNT(DISTINCT id)`` through the connector: every job's rows once).

``--before REV`` measures a checkout of REV too, in one run (a temporary git worktree run
with this interpreter), so both are measured on the same machine minutes apart.

    .venv/bin/python -m bench.jobs_throughput --jobs 1000 --tables 1 --before 207e909
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stack import Stack  # noqa: E402
from bench.worktree import checkout  # noqa: E402

DEFINITION = [
    {"name": "id", "data_type": "BIGINT", "nullable": False},
    {"name": "note", "data_type": "STRING"},
]


def measure(tree: Path, options: argparse.Namespace) -> dict[str, Any]:
    stack = Stack(tree, warehouse_args=("--latency-ms", str(options.latency_ms)))
    failed = True
    try:
        stack.start()
        result = _run(stack, options)
        failed = False
        return result
    finally:
        stack.stop(keep=failed)
        if failed:
            print(f"  logs kept in {stack.work}", file=sys.stderr)


def _target(index: int) -> dict[str, str]:
    return {"catalog": "bench", "schema": "s", "table": f"t{index}"}


def _run(stack: Stack, options: argparse.Namespace) -> dict[str, Any]:
    for index in range(options.tables):  # create the tables (not measured)
        status, body = stack.call(
            "POST",
            "/api/v1/records/write?wait=30",
            {
                **_target(index),
                "auto_create": True,
                "schema_definition": DEFINITION,
                "data": [{"id": -1 - index}],
            },
        )
        assert status in (200, 201), (status, body)
    stack.reset_warehouse_stats()
    latencies: list[float] = []
    errors: list[Any] = []
    lock = threading.Lock()
    counter = iter(range(options.jobs))

    def client(number: int) -> None:
        sent = 0
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            if options.rate:  # open loop: each client sends at its pace, whatever the answers
                due = first_submit + (sent + number / options.clients) / options.rate
                time.sleep(max(due - time.perf_counter(), 0))
                sent += 1
            rows = [{"id": index * options.rows + r, "note": "x"} for r in range(options.rows)]
            sent_at = time.perf_counter()
            status, body = stack.call(
                "POST", "/api/v1/records/write", {**_target(index % options.tables), "data": rows}
            )
            elapsed = time.perf_counter() - sent_at
            with lock:
                latencies.append(elapsed)
                if status != 202:
                    errors.append((status, body))

    threads = [threading.Thread(target=client, args=(number,)) for number in range(options.clients)]
    started = first_submit = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    submitted = time.perf_counter() - started
    database = sqlite3.connect(stack.work / "db.sqlite3", timeout=30)
    unfinished = -1
    deadline = time.monotonic() + options.timeout
    while time.monotonic() < deadline:
        unfinished = database.execute(
            "SELECT COUNT(*) FROM records_job WHERE status IN ('queued', 'running')"
        ).fetchone()[0]
        if unfinished == 0:
            break
        time.sleep(0.05)
    final = time.perf_counter() - started
    statuses = dict(database.execute("SELECT status, COUNT(*) FROM records_job GROUP BY status").fetchall())
    stats = stack.warehouse_stats()
    total = distinct = 0
    for index in range(options.tables):
        rows, ids = _count(stack, f"bench.s.t{index}")
        total, distinct = total + rows - 1, distinct + ids - 1  # less the row that created it
    latencies.sort()
    return {
        "jobs": options.jobs,
        "final_s": round(final, 2),
        "submit_s": round(submitted, 2),
        "jobs_per_s": round(options.jobs / final, 1),
        "enqueue_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "enqueue_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "rejected": len(errors),
        "unfinished": unfinished,
        "statuses": statuses,
        "statements": stats["total"],
        "by_kind": stats["by_kind"],
        "rows": total,
        "distinct_ids": distinct,
    }


def _count(stack: Stack, table: str, key: str = "id") -> tuple[int, int]:
    """COUNT(*) and COUNT(DISTINCT ``key``) of ``table`` through the connector."""
    from databricks import sql as dbsql

    with (
        dbsql.connect(
            server_hostname="127.0.0.1",
            http_path="/sql/1.0/warehouses/local",
            access_token=stack.env["LOCAL_WAREHOUSE_TOKEN"],
            _connection_uri=f"{stack.warehouse_url}/sql/1.0/warehouses/local",
            enable_telemetry=False,
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(f"SELECT COUNT(*), COUNT(DISTINCT {key}) FROM {table}")  # noqa: S608 (our own names)
        row = cursor.fetchone()
        assert row is not None
        return int(row[0]), int(row[1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=10, help="rows per job")
    parser.add_argument("--tables", type=int, default=1)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="requests/s per client (default 0: each sends as fast as it can)",
    )
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for the jobs")
    parser.add_argument("--before", metavar="REV", help="also measure this revision, in a temporary worktree")
    options = parser.parse_args()
    results = {}
    if options.before:
        with checkout(options.before) as tree:
            results[f"before ({options.before})"] = measure(tree, options)
    results["after (this tree)"] = measure(ROOT, options)
    pace = f"{options.rate:g} requests/s each" if options.rate else "closed loop"
    print(
        f"{options.jobs} write jobs of {options.rows} rows over {options.tables} table(s) from "
        f"{options.clients} clients ({pace}), "
        f"warehouse at {options.latency_ms:g} ms a statement"
    )
    for name, r in results.items():
        print(
            f"  {name:22s} all final in {r['final_s']:7.2f} s ({r['jobs_per_s']:6.1f} jobs/s)"
            f"  enqueue p50 {r['enqueue_p50_ms']:6.1f} ms p99 {r['enqueue_p99_ms']:7.1f} ms"
            f"  statements {r['statements']} {r['by_kind']}"
            f"  rows {r['rows']} (distinct ids {r['distinct_ids']})"
            f"  jobs {r['statuses']}  rejected {r['rejected']}  unfinished {r['unfinished']}"
        )


if __name__ == "__main__":
    main()
