"""Benchmark: how fast rows go into the local warehouse through the real connector.

Compares the two ways of sending a batch of rows under Databricks' 256-parameter limit:
one JSON parameter expanded by ``inline(from_json(...))`` (what the service does) versus
multi-row ``VALUES`` chunked to at most 256 parameters. Also times a ``SELECT 1`` round trip.

    .venv/bin/python -m bench.warehouse_insert [--rows 10000] [--latency-ms 0] [--repeat 3]

It starts its own local warehouse on a free port with a temporary data directory, so it
needs nothing running. It prints the numbers and how they were obtained.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from databricks import sql

from warehouse.local.testing import LocalWarehouseProcess
from warehouse.sql import json_array_chunks

COLUMNS = {
    "api10": "BIGINT",
    "api14": "BIGINT",
    "wellname": "STRING",
    "spuddate": "STRING",
    "firstproddate": "STRING",
    "compldate": "STRING",
    "oileur": "DOUBLE",
    "gaseur": "DOUBLE",
    "wellspacing": "DOUBLE",
}
MAX_PARAMETERS = 256
# RECORDS_MAX_PARAMETER_BYTES' default.
PARAMETER_BUDGET = 900_000


def make_rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "api10": 4_200_000_000 + i,
            "api14": 42_000_000_000_000 + i,
            "wellname": f"WELL {i}-15H",
            "spuddate": "01/15/2024",
            "firstproddate": "03/20/2024",
            "compldate": "03/10/2024",
            "oileur": 125000.5 + i,
            "gaseur": 450000.75,
            "wellspacing": 640.0,
        }
        for i in range(count)
    ]


def insert_json(cursor: Any, table: str, rows: list[dict[str, Any]]) -> int:
    """The rows as JSON parameters, each statement within the service's default budget of
    parameter bytes (the warehouse refuses more than 1 MB, as Databricks does)."""
    struct = ", ".join(f"{name}: {type_}" for name, type_ in COLUMNS.items())
    statements = 0
    for batch, _ in json_array_chunks((json.dumps(row) for row in rows), PARAMETER_BUDGET):
        cursor.execute(
            f"INSERT INTO {table} SELECT * FROM inline(from_json(:rows, 'ARRAY<STRUCT<{struct}>>'))",  # noqa: S608
            {"rows": batch},
        )
        statements += 1
    return statements


def insert_values(cursor: Any, table: str, rows: list[dict[str, Any]]) -> int:
    per_statement = MAX_PARAMETERS // len(COLUMNS)
    statements = 0
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        params: dict[str, Any] = {}
        groups = []
        for r, row in enumerate(chunk):
            names = []
            for column in COLUMNS:
                params[f"{column}_{r}"] = row[column]
                names.append(f":{column}_{r}")
            groups.append(f"({', '.join(names)})")
        cursor.execute(f"INSERT INTO {table} VALUES {', '.join(groups)}", params)  # noqa: S608
        statements += 1
    return statements


def timed(function: Any, *args: Any) -> tuple[float, int]:
    started = time.perf_counter()
    statements = function(*args)
    return time.perf_counter() - started, statements


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="warehouse latency per statement")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each method; the median is reported")
    options = parser.parse_args()

    # The warehouse this script starts takes its token from the environment, as the connection does.
    os.environ.setdefault("LOCAL_WAREHOUSE_TOKEN", secrets.token_urlsafe(16))
    with tempfile.TemporaryDirectory() as data_dir:
        process = LocalWarehouseProcess(
            Path(data_dir), extra_args=("--ensure-schema", "bench.s", "--latency-ms", str(options.latency_ms))
        )
        process.start()
        try:
            run(process, options)
        finally:
            process.stop()


def run(process: LocalWarehouseProcess, options: argparse.Namespace) -> None:
    rows = make_rows(options.rows)
    connection = sql.connect(
        server_hostname="127.0.0.1",
        http_path="/sql/1.0/warehouses/local",
        access_token=os.environ["LOCAL_WAREHOUSE_TOKEN"],
        _connection_uri=process.url,
        enable_telemetry=False,
    )
    with connection, connection.cursor() as cursor:
        round_trips = []
        for _ in range(50):
            started = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchall()
            round_trips.append(time.perf_counter() - started)
        definition = ", ".join(f"{name} {type_}" for name, type_ in COLUMNS.items())
        results: dict[str, list[tuple[float, int]]] = {"json": [], "values": []}
        for attempt in range(options.repeat):
            for method, function in (("json", insert_json), ("values", insert_values)):
                table = f"bench.s.{method}_{attempt}"
                cursor.execute(f"CREATE TABLE {table} ({definition})")
                results[method].append(timed(function, cursor, table, rows))
                cursor.execute(f"SELECT COUNT(*) AS n FROM {table}")  # noqa: S608
                counted = cursor.fetchone()
                if counted is None or counted.n != len(rows):
                    raise SystemExit(
                        f"{method}: expected {len(rows)} rows in {table}, found {counted}"
                    )  # a wrong count makes the numbers meaningless

    print(
        f"local warehouse, real connector over HTTP; {options.rows} rows x {len(COLUMNS)} columns; "
        f"--latency-ms {options.latency_ms:g}; median of {options.repeat} runs"
    )
    print(f"SELECT 1 round trip: median {statistics.median(round_trips) * 1000:.1f} ms over 50")
    medians = {}
    for method, label in (
        ("json", "one JSON parameter (inline(from_json))"),
        ("values", "VALUES, <=256 params"),
    ):
        seconds = statistics.median(t for t, _ in results[method])
        statements = results[method][0][1]
        medians[method] = seconds
        rate = options.rows / seconds
        print(f"{label:42s} {statements:4d} statement(s)  {seconds:8.3f} s  {rate:10.0f} rows/s")
    print(f"JSON parameter is {medians['values'] / medians['json']:.1f}x faster than chunked VALUES")


if __name__ == "__main__":
    main()
