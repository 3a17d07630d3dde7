"""Benchmark: does ``?wait`` starve the web server? Latency of quick requests, idle and while
many clients wait on slow jobs.

Against a running service, one client measures, one request at a time, ``GET
/api/v1/healthcheck`` and the enqueue of a one-row write (``POST /api/v1/records/write``
without ``wait``, answered 202) on the idle service; then while ``--clients`` background
clients each want their one-row write on slow jobs finished within 30 s, the same requests are
measured again. Each client sends ``POST /api/v1/records/write?wait=30``; answered 202 at once,
it polls the job every second (``GET /api/v1/jobs/{id}``) for the rest of its 30 s; then it
sends its next write. It prints p50 and p99 of both phases side by side, their ratio, how many
waiting requests were in flight, and how the background writes were answered.

Without a bound on waiting requests, 50 waiting clients hold every thread of the web server
(2 processes x 16 threads) and the quick requests queue behind them; with
``RECORDS_MAX_WAITERS`` (8 per process) the others answer 202 at once.

Slow jobs: the worker talks to a local warehouse that sleeps 2 s before every statement,
while the web server talks to a fast one, so that the healthcheck's ``SELECT 1`` and the
validation of writes measure the web server, not the warehouse. Every write carries
``auto_create`` and a schema definition, so the web server accepts it whether or not its own
warehouse has the table (the worker's creates it). A stack like ``make run`` on other ports,
from the repository, in a shell (stop every process afterwards):

    export DJANGO_DEBUG=true DATABASE_URL=sqlite:////tmp/wl/db.sqlite3 CELERY_BROKER_DIR=/tmp/wl/broker
    export CACHE_DIR=/tmp/wl/cache DATABRICKS_LOGGING_ENABLED=false API_THROTTLE_CLIENT_RATE=
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py createapiclient bench --save-key /tmp/wl/key \\
        --grant ALL_PRIVILEGES oil_gas_catalog
    .venv/bin/python manage.py runwarehouse --port 8601 --data-dir /tmp/wl/fast \\
        --ensure-schema oil_gas_catalog.production_schema &
    .venv/bin/python manage.py runwarehouse --port 8602 --data-dir /tmp/wl/slow --latency-ms 2000 \\
        --ensure-schema oil_gas_catalog.production_schema &
    LOCAL_WAREHOUSE_URL=http://127.0.0.1:8602/sql/1.0/warehouses/local \\
        .venv/bin/celery -A project worker -l warning -c 2 &
    LOCAL_WAREHOUSE_URL=http://127.0.0.1:8601/sql/1.0/warehouses/local WEB_PORT=8600 \\
        .venv/bin/gunicorn project.wsgi -c project/gunicorn.conf.py &
    .venv/bin/python -m bench.wait_load --url http://127.0.0.1:8600 --key "$(cat /tmp/wl/key)"

``RECORDS_MAX_WAITERS=1000`` in the web server's environment shows the service without a bound.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from bench.warehouse_insert import make_rows

DEFINITION = [
    {"name": name, "data_type": type_, "nullable": name not in ("api10", "api14", "wellname")}
    for name, type_ in (
        ("api10", "BIGINT"), ("api14", "BIGINT"), ("wellname", "STRING"), ("spuddate", "STRING"),
        ("firstproddate", "STRING"), ("compldate", "STRING"), ("oileur", "DOUBLE"), ("gaseur", "DOUBLE"),
        ("wellspacing", "DOUBLE"),
    )
]  # fmt: skip


class Service:
    def __init__(self, url: str, key: str, catalog: str, schema: str) -> None:
        self.url, self.key, self.catalog, self.schema = url.rstrip("/"), key, catalog, schema

    def call(self, method: str, path: str, body: Any = None, timeout: float = 120) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        url = path if path.startswith("http") else f"{self.url}{path}"
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (a URL the user gives)
        request.add_header("Authorization", f"Api-Key {self.key}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def write(self, table: str, wait: float = 0) -> tuple[int, Any]:
        body = {
            "catalog": self.catalog,
            "schema": self.schema,
            "table": table,
            "auto_create": True,
            "schema_definition": DEFINITION,
            "data": make_rows(1),
        }
        return self.call("POST", f"/api/v1/records/write?wait={wait:g}", body)


def timed(request: Callable[[], tuple[int, Any]], expected: int) -> float:
    started = time.perf_counter()
    status, body = request()
    elapsed = time.perf_counter() - started
    if status != expected:
        raise SystemExit(f"expected {expected}, got {status}: {body}")
    return elapsed * 1000


def measure(
    service: Service, table: str, samples: int, budget: float, in_flight: Callable[[], int] = lambda: 0
) -> dict[str, list[float]]:
    """Healthcheck and one-row enqueue, alternately, ``samples`` of each or ``budget`` seconds;
    ``in_flight`` is sampled before each pair."""
    results: dict[str, list[float]] = {"health": [], "enqueue": [], "in_flight": []}
    deadline = time.monotonic() + budget
    while len(results["health"]) < samples and time.monotonic() < deadline:
        results["in_flight"].append(in_flight())
        results["health"].append(timed(lambda: service.call("GET", "/api/v1/healthcheck"), 200))
        results["enqueue"].append(timed(lambda: service.write(table), 202))
    return results


class Waiters:
    """``clients`` threads, each wanting its ``?wait`` write finished within ``wait`` seconds."""

    def __init__(self, service: Service, table: str, clients: int, wait: float) -> None:
        self.service, self.table, self.wait = service, table, wait
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answers: Counter[str] = Counter()
        self.in_wait = 0
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(clients)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def run(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                self.in_wait += 1
            started = time.monotonic()
            status, body = self.service.write(self.table, wait=self.wait)
            elapsed = time.monotonic() - started
            with self.lock:
                self.in_wait -= 1
                self.answers[self.describe(status, elapsed)] += 1
            if status == 202:
                self.poll(body["status_url"], until=started + self.wait)
            self.stop.wait(1.0)

    def poll(self, status_url: str, until: float) -> None:
        """The job's status every second until it is finished or ``until`` (monotonic) passed."""
        while time.monotonic() < until and not self.stop.wait(1.0):
            _, job = self.service.call("GET", status_url)
            if job.get("status") in ("succeeded", "failed"):
                return

    def in_flight(self) -> int:
        with self.lock:
            return self.in_wait

    def describe(self, status: int, elapsed: float) -> str:
        """A 202 before ``wait`` ran out means the request did not wait: no waiter slot was free."""
        if status != 202:
            return f"{status} (finished while waiting)"
        if elapsed >= self.wait - 0.5:
            return f"202 after waiting {self.wait:g} s"
        return "202 without waiting (no waiter slot free)"


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the service")
    parser.add_argument("--key", required=True, help="an API key (make run saves one in var/demo_api_key)")
    parser.add_argument("--clients", type=int, default=50, help="background clients holding a ?wait write")
    parser.add_argument("--wait", type=float, default=30, help="their ?wait (seconds)")
    parser.add_argument("--samples", type=int, default=1500, help="healthchecks and enqueues per phase")
    parser.add_argument("--budget", type=float, default=45, help="at most this many seconds per phase")
    parser.add_argument(
        "--warmup", type=float, default=3, help="seconds between starting the clients and measuring"
    )
    parser.add_argument("--catalog", default="oil_gas_catalog")
    parser.add_argument("--schema", default="production_schema")
    options = parser.parse_args()

    service = Service(options.url, options.key, options.catalog, options.schema)
    suffix = uuid.uuid4().hex[:8]
    quick, slow = f"bench_wait_quick_{suffix}", f"bench_wait_slow_{suffix}"
    service.write(quick)  # the first write of a table checks its schema on the warehouse

    idle = measure(service, quick, options.samples, options.budget)
    waiters = Waiters(service, slow, options.clients, options.wait)
    waiters.start()
    time.sleep(options.warmup)
    loaded = measure(service, quick, options.samples, options.budget, waiters.in_flight)
    waiters.stop.set()
    with waiters.lock:
        answers = dict(waiters.answers)
    in_flight = loaded["in_flight"]

    print(f"{options.url}: one client, one request at a time, healthcheck and enqueue alternately")
    print(
        f"  idle: {len(idle['health'])} of each; loaded: {len(loaded['health'])} of each while "
        f"{options.clients} clients each kept a 1-row POST /api/v1/records/write?wait={options.wait:g} "
        f"asked for on slow jobs (in flight: min {min(in_flight)}, mean {statistics.mean(in_flight):.0f}, "
        f"max {max(in_flight)})"
    )
    print(
        f"  {'':28}{'idle p50':>10}{'idle p99':>10}{'loaded p50':>12}{'loaded p99':>12}"
        f"{'ratio p50':>11}{'ratio p99':>11}"
    )
    for name, label in (("health", "GET /api/v1/healthcheck"), ("enqueue", "POST write, 1 row (202)")):
        i50, i99 = percentile(idle[name], 50), percentile(idle[name], 99)
        l50, l99 = percentile(loaded[name], 50), percentile(loaded[name], 99)
        print(
            f"  {label:28}{i50:>8.1f}ms{i99:>8.1f}ms{l50:>10.1f}ms{l99:>10.1f}ms"
            f"{l50 / i50:>10.1f}x{l99 / i99:>10.1f}x"
        )
    print(
        "  background writes answered while measuring: "
        + (", ".join(f"{count} {what}" for what, count in sorted(answers.items())) or "none yet")
    )


if __name__ == "__main__":
    main()
