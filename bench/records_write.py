"""Benchmark: one write of N rows x 9 columns through the whole service, end to end.

Posts the seed's ``wells`` rows to ``POST /api/v1/records/write`` of a running service
(``make run``), then polls the job until it finishes, and prints rows per second for the
request (validation + storing the job) and for the whole write (until the rows are in the
warehouse), with the warehouse's statement counters for the run.

    make run   # in another terminal
    .venv/bin/python -m bench.records_write --rows 50000 --key "$(cat var/demo_api_key)"

``--in-process`` needs no running service: it starts a local warehouse and a temporary
SQLite database of its own and posts with Django's test client in this process, ``--repeat``
times (each write into a new table, ``auto_create``; then as many into the last table, which
then exists), and prints the rows per second until the 202 ("validated and stored": parsing,
validation, record uuids, budget checks, the job committed). The body is encoded once,
before the clock starts. ``--run-job`` then runs the last table's jobs as a worker would (its rows x
(``--repeat`` + 1) land).
``--before REV`` measures a checkout of REV too, in one run: this script is copied into a
temporary git worktree of that revision and run there with this interpreter; with
``--rounds N`` the two trees take turns N times (the machine's load changes). Each tree runs
in a process of its own. Rows/s are given by wall clock (median and best) and by the CPU time
of the measuring process (median), which other processes' load disturbs less.

    .venv/bin/python -m bench.records_write --in-process --rows 50000 --repeat 3 --rounds 3 --before HEAD
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from bench.warehouse_insert import make_rows
from bench.worktree import checkout

ROOT = Path(__file__).resolve().parents[1]
CATALOG, SCHEMA = "oil_gas_catalog", "production_schema"
DEFINITION = [
    {"name": name, "data_type": type_, "nullable": name not in ("api10", "api14", "wellname")}
    for name, type_ in (
        ("api10", "BIGINT"), ("api14", "BIGINT"), ("wellname", "STRING"), ("spuddate", "STRING"),
        ("firstproddate", "STRING"), ("compldate", "STRING"), ("oileur", "DOUBLE"), ("gaseur", "DOUBLE"),
        ("wellspacing", "DOUBLE"),
    )
]  # fmt: skip


def write_body(catalog: str, schema: str, table: str, rows: int, *, create: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"catalog": catalog, "schema": schema, "table": table, "data": make_rows(rows)}
    if create:
        body |= {"auto_create": True, "schema_definition": DEFINITION}
    return body


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


def over_http(options: argparse.Namespace) -> None:
    table = f"bench_wells_{uuid.uuid4().hex[:8]}"
    body = write_body(options.catalog, options.schema, table, options.rows)
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


# --- in process -----------------------------------------------------------------------------


def measure(rows: int, repeat: int, run_job: bool) -> dict[str, Any]:
    """Run in the tree being measured (its own code, a fresh database and warehouse)."""
    work = Path(tempfile.mkdtemp(prefix="bench-write-"))
    sys.path.insert(0, str(Path.cwd()))
    from warehouse.local.testing import LocalWarehouseProcess

    warehouse = LocalWarehouseProcess(
        work / "warehouse", extra_args=("--ensure-schema", f"{CATALOG}.{SCHEMA}")
    )
    warehouse.start()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        DATABASE_URL=f"sqlite:///{work / 'db.sqlite3'}",
        CELERY_BROKER_DIR=str(work / "broker"),
        LOCAL_WAREHOUSE_URL=warehouse.url,
        DATABRICKS_LOGGING_ENABLED="false",
        DJANGO_DEBUG="false",
        DJANGO_SECURE_SSL_REDIRECT="false",  # the test client speaks plain HTTP
        API_THROTTLE_CLIENT_RATE="",
        LOG_LEVEL="WARNING",
        DJANGO_SECRET_KEY="bench-only-secret-key-not-for-any-deployment-0123456789",  # noqa: S106 (a throwaway tree)
    )
    try:
        return _writes(rows, repeat, run_job)
    finally:
        warehouse.stop()
        shutil.rmtree(work, ignore_errors=True)


def _writes(rows: int, repeat: int, run_job: bool) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from access.services import client_create
    from records.jobs.tasks import job_run_task
    from records.models import Job
    from records.sql.ddl import create_table
    from records.validation.schema import parse_schema_definition
    from warehouse.client import get_client
    from warehouse.sql import TableName

    call_command("migrate", verbosity=0)
    try:  # a tree with grants (--before may measure one without)
        _, key = client_create(name="bench", grants=[(["ALL_PRIVILEGES"], CATALOG)])
    except TypeError:
        _, key = client_create(name="bench")
    http = Client(SERVER_NAME="localhost", headers={"Authorization": f"Api-Key {key}"})
    result: dict[str, Any] = {"rows": rows}

    def post(body: dict[str, Any], kind: str | None = None) -> str:
        """One write until its 202; its wall clock and CPU seconds under ``kind``."""
        encoded = json.dumps(body).encode()
        gc.collect()
        started, started_cpu = time.perf_counter(), time.process_time()
        response = http.post("/api/v1/records/write", encoded, content_type="application/json")
        seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
        assert response.status_code == 202, response.content[:2000]
        if kind:
            result.setdefault(f"{kind}_s", []).append(seconds)
            result.setdefault(f"{kind}_cpu_s", []).append(cpu)
        return str(response.json()["job_id"])

    post(write_body(CATALOG, SCHEMA, "bench_warmup", 10))  # imports and caches
    table = creating = ""
    for _ in range(repeat):
        table = f"bench_wells_{uuid.uuid4().hex[:8]}"
        creating = post(write_body(CATALOG, SCHEMA, table, rows), "new_table")
    # The last table, created as its job would create it; then writes into a table that exists.
    statement = create_table(TableName(CATALOG, SCHEMA, table), parse_schema_definition(DEFINITION))
    get_client().execute(statement.sql, statement.params)
    job_ids = [
        post(write_body(CATALOG, SCHEMA, table, rows, create=False), "existing_table") for _ in range(repeat)
    ]
    if run_job:  # the last table's jobs in order (a later one may be done with an earlier one)
        jobs = [Job.objects.get(job_id=job_id) for job_id in (creating, *job_ids)]
        started = time.perf_counter()
        for job in jobs:
            job_run_task.apply(args=(job.pk,))
        result["job_run_s"] = time.perf_counter() - started
        for job in jobs:
            job.refresh_from_db()
            assert job.status == "succeeded", (job.status, job.error)
        result["job_results"] = [job.result for job in jobs]
    return result


def run_tree(tree: Path, options: argparse.Namespace) -> dict[str, Any]:
    """This script, run with this interpreter in ``tree``; its JSON result."""
    command = [sys.executable, "-m", "bench.records_write", "--measure", "--rows", str(options.rows)]
    command += ["--repeat", str(options.repeat), *(["--run-job"] if options.run_job else [])]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    done = subprocess.run(  # noqa: S603 (our interpreter and script)
        command, cwd=tree, env={**env, "PYTHONPATH": str(tree)}, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"the measurement in {tree} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def in_process(options: argparse.Namespace) -> None:
    """Each tree measured ``--rounds`` times, the trees taking turns (the machine's load changes)."""
    trees = {"after (this tree)": ROOT}
    with contextlib.ExitStack() as stack:
        if options.before:
            trees = {f"before ({options.before})": stack.enter_context(checkout(options.before)), **trees}
        results: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
        for _ in range(options.rounds):
            for name, path in trees.items():
                for key, values in run_tree(path, options).items():
                    if key.endswith("_s"):  # seconds: a list of them, or one
                        results[name].setdefault(key, []).extend(
                            values if isinstance(values, list) else [values]
                        )
    writes = options.repeat * options.rounds
    print(
        f"POST /api/v1/records/write of {options.rows} rows x 9 columns, in process, {writes} writes per "
        "tree and kind: rows/s until the 202 (validated and stored), by wall clock: median (best); "
        "by this process's CPU time: median"
    )
    for name, result in results.items():
        line = f"  {name:20s}"
        for label, key in (("new table", "new_table"), ("existing table", "existing_table")):
            times, cpu = result[f"{key}_s"], result[f"{key}_cpu_s"]
            median, best = statistics.median(times), min(times)
            line += f"  {label} {options.rows / median:7,.0f} ({options.rows / best:,.0f})"
            line += f" cpu {options.rows / statistics.median(cpu):7,.0f} rows/s"
        if "job_run_s" in result:
            line += f"  jobs run {statistics.median(result['job_run_s']):.2f} s"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the service")
    parser.add_argument(
        "--warehouse", default="http://127.0.0.1:8765", help="the local warehouse (for /stats)"
    )
    parser.add_argument("--key", help="an API key (make run saves one in var/demo_api_key)")
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--catalog", default=CATALOG)
    parser.add_argument("--schema", default=SCHEMA)
    parser.add_argument("--in-process", action="store_true", help="no running service needed (see above)")
    parser.add_argument("--repeat", type=int, default=5, help="writes per table kind (--in-process)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="measurements per tree, taking turns (--in-process)"
    )
    parser.add_argument(
        "--run-job", action="store_true", help="also run the last table's jobs (--in-process)"
    )
    parser.add_argument("--before", metavar="REV", help="also measure this revision (--in-process)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        print(json.dumps(measure(options.rows, options.repeat, options.run_job)))
    elif options.in_process:
        in_process(options)
    elif not options.key:
        parser.error("--key is required without --in-process")
    else:
        over_http(options)


if __name__ == "__main__":
    main()
