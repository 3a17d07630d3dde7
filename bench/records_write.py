"""Benchmark: one write of N rows x 9 columns through the whole service, end to end.

Posts the seed's ``wells`` rows to ``POST /api/v1/records/write`` of a running service
(``make run``), then polls the job until it finishes, and prints rows per second for the
request (validation + storing the job) and for the whole write (until the rows are in the
warehouse), with the warehouse's statement counters for the run.

    make run   # in another terminal
    .venv/bin/python -m bench.records_write --rows 50000 --key "$(cat var/demo_api_key)"
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.request
import uuid
from typing import Any

from bench.warehouse_insert import make_rows


def call(method: str, url: str, key: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (a URL the user gives)
    request.add_header("Authorization", f"Api-Key {key}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def reset_warehouse_stats(warehouse: str) -> None:
    request = urllib.request.Request(f"{warehouse}/stats/reset", data=b"", method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310 (a URL the user gives)
        pass


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the service")
    parser.add_argument(
        "--warehouse", default="http://127.0.0.1:8765", help="the local warehouse (for /stats)"
    )
    parser.add_argument("--key", required=True, help="an API key (make run saves one in var/demo_api_key)")
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--catalog", default="oil_gas_catalog")
    parser.add_argument("--schema", default="production_schema")
    options = parser.parse_args()

    table = f"bench_wells_{uuid.uuid4().hex[:8]}"
    definition = [
        {"name": name, "data_type": type_, "nullable": name not in ("api10", "api14", "wellname")}
        for name, type_ in (
            ("api10", "BIGINT"), ("api14", "BIGINT"), ("wellname", "STRING"), ("spuddate", "STRING"),
            ("firstproddate", "STRING"), ("compldate", "STRING"), ("oileur", "DOUBLE"), ("gaseur", "DOUBLE"),
            ("wellspacing", "DOUBLE"),
        )
    ]  # fmt: skip
    body = {
        "catalog": options.catalog,
        "schema": options.schema,
        "table": table,
        "auto_create": True,
        "schema_definition": definition,
        "data": make_rows(options.rows),
    }
    reset_warehouse_stats(options.warehouse)

    started = time.perf_counter()
    status, accepted = call("POST", f"{options.url}/api/v1/records/write", options.key, body)
    submitted = time.perf_counter() - started
    if status != 202:
        raise SystemExit(f"expected 202, got {status}: {accepted}")
    while True:
        _, job = call("GET", accepted["status_url"], options.key)
        if job["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.05)
    total = time.perf_counter() - started
    if job["status"] != "succeeded":
        raise SystemExit(f"job failed: {job['error']}")
    with urllib.request.urlopen(f"{options.warehouse}/stats") as response:  # noqa: S310
        stats = json.loads(response.read())
    writes = [s for s in stats["recent"] if s["kind"] in ("INSERT", "MERGE")]

    target = f"{options.catalog}.{options.schema}.{table}"
    print(f"POST /api/v1/records/write of {options.rows} rows x 9 columns into {target}")
    print(f"  202 after {submitted:.2f} s (validation, job stored): {options.rows / submitted:,.0f} rows/s")
    print(f"  job succeeded after {total:.2f} s end to end: {options.rows / total:,.0f} rows/s")
    print(f"  result {job['result']}")
    print(f"  job ran from {job['started_at']} to {job['finished_at']}, attempts {job['attempts']}")
    print(
        f"  warehouse: {len(writes)} insert statement(s) taking {sum(s['ms'] for s in writes):.0f} ms, "
        f"max {stats['max_parameters']} parameters per statement, {stats['total']} statements in all"
    )
    # The margin to Databricks' limits (1 MiB of parameter values, 16 MiB of text a statement).
    print(
        f"  largest statement: {stats['max_parameter_bytes']:,} bytes of parameter values "
        f"(limit 1,048,576), {stats['max_statement_bytes']:,} bytes of text (limit 16,777,216)"
    )


if __name__ == "__main__":
    main()
