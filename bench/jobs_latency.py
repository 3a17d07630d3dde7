"""Benchmark: small write jobs on one table against a warehouse at a real warehouse's latency.

Each job is a 10-row write submitted over HTTP (Django's test client, in process) and then
run by ``job_run_task`` in this process, as a worker runs it; the local warehouse adds
``--latency-ms`` to every statement (200 ms by default: a real warehouse is never at 0 ms).
It prints the submit and run times per job and the statements the warehouse counted.

``--before REV`` measures the same jobs on a checkout of REV too, in one run: the script is
copied into a temporary git worktree of that revision and run there with this interpreter,
so both trees are measured on the same machine minutes apart.

    .venv/bin/python -m bench.jobs_latency --jobs 20 --latency-ms 200 --before 46fe013
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.worktree import checkout

ROOT = Path(__file__).resolve().parents[1]


def measure(jobs: int, rows: int, latency_ms: float) -> dict[str, Any]:
    """Run in the tree being measured (its own code, a fresh database and warehouse)."""
    work = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    sys.path.insert(0, str(Path.cwd()))
    from warehouse.local.testing import LocalWarehouseProcess

    warehouse = LocalWarehouseProcess(
        work / "warehouse", extra_args=("--latency-ms", str(latency_ms), "--ensure-schema", "bench.s")
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
        DJANGO_SECRET_KEY="bench-only-secret-key-not-for-any-deployment-0123456789",  # noqa: S106 (a throwaway tree)
    )
    try:
        return _run_jobs(jobs, rows, warehouse)
    finally:
        warehouse.stop()
        shutil.rmtree(work, ignore_errors=True)


def _run_jobs(jobs: int, rows: int, warehouse: Any) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    try:  # this tree's way of making an API key
        from access.services import client_create  # type: ignore[import-not-found,unused-ignore]

        try:  # a tree with grants: the bench catalog
            _, key = client_create(name="bench", grants=[(["ALL_PRIVILEGES"], "bench")])  # type: ignore[call-arg,unused-ignore]
        except TypeError:
            _, key = client_create(name="bench")
    except ImportError:
        from rest_framework_api_key.models import APIKey

        _, key = APIKey.objects.create_key(name="bench")
    try:
        from records.jobs.tasks import job_run_task  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        from records.tasks import job_run_task  # type: ignore[import-not-found,no-redef,unused-ignore]
    from records.models import Job

    http = Client(SERVER_NAME="localhost", headers={"Authorization": f"Api-Key {key}"})
    target = {"catalog": "bench", "schema": "s", "table": "t"}
    definition = [
        {"name": "id", "data_type": "BIGINT", "nullable": False},
        {"name": "note", "data_type": "STRING"},
    ]

    def submit(index: int, create: bool) -> tuple[float, str]:
        body: dict[str, Any] = {
            **target,
            "data": [{"id": index * rows + i, "note": "x"} for i in range(rows)],
        }
        if create:
            body |= {"auto_create": True, "schema_definition": definition}
        started = time.perf_counter()
        response = http.post("/api/v1/records/write", body, content_type="application/json")
        assert response.status_code == 202, response.content
        return time.perf_counter() - started, response.json()["job_id"]

    _, first = submit(0, create=True)  # creates the table; not measured
    job_run_task.apply(args=(Job.objects.get(job_id=first).pk,))
    warehouse.reset_stats()
    submits, runs = [], []
    for index in range(1, jobs + 1):
        seconds, job_id = submit(index, create=False)
        submits.append(seconds)
        job = Job.objects.get(job_id=job_id)
        started = time.perf_counter()
        job_run_task.apply(args=(job.pk,))
        runs.append(time.perf_counter() - started)
        job.refresh_from_db()
        assert job.status == "succeeded", job.error
    stats = warehouse.stats()
    landed = warehouse_count()
    return {
        "jobs": jobs,
        "submit_ms_median": round(statistics.median(submits) * 1000, 1),
        "run_ms_median": round(statistics.median(runs) * 1000, 1),
        "total_s": round(sum(submits) + sum(runs), 2),
        "jobs_per_s": round(jobs / (sum(submits) + sum(runs)), 2),
        "statements": stats["total"],
        "statements_by_kind": stats["by_kind"],
        "rows_in_table": landed,
    }


def warehouse_count() -> int:
    from warehouse.client import get_client

    return int(get_client().execute("SELECT COUNT(*) FROM bench.s.t").rows[0][0])


def run_tree(tree: Path, options: argparse.Namespace) -> dict[str, Any]:
    """This script, run with this interpreter in ``tree``; its JSON result."""
    command = [sys.executable, "-m", "bench.jobs_latency", "--measure"]
    command += [
        "--jobs",
        str(options.jobs),
        "--rows",
        str(options.rows),
        "--latency-ms",
        str(options.latency_ms),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    done = subprocess.run(  # noqa: S603 (our interpreter and script)
        command, cwd=tree, env={**env, "PYTHONPATH": str(tree)}, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"the measurement in {tree} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--rows", type=int, default=10, help="rows per job")
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--before", metavar="REV", help="also measure this revision, in a temporary worktree")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        print(json.dumps(measure(options.jobs, options.rows, options.latency_ms)))
        return
    results = {}
    if options.before:
        with checkout(options.before) as tree:
            results[f"before ({options.before})"] = run_tree(tree, options)
    results["after (this tree)"] = run_tree(ROOT, options)
    print(
        f"{options.jobs} write jobs of {options.rows} rows, one table, warehouse at {options.latency_ms:g} ms"
    )
    for name, result in results.items():
        print(
            f"  {name:24s} submit p50 {result['submit_ms_median']:7.1f} ms"
            f"  run p50 {result['run_ms_median']:7.1f} ms  {result['jobs_per_s']:5.2f} jobs/s"
            f"  statements {result['statements']} {result['statements_by_kind']}"
            f"  rows {result['rows_in_table']}"
        )


if __name__ == "__main__":
    main()
