"""How many statements a write of the seed's 9-column ``wells`` rows takes, by method.

The service's batches (one JSON parameter each, as many rows as RECORDS_MAX_PARAMETER_BYTES
allows, built by ``records.sql.insert_batches`` exactly as a job builds them), against the
peers' ways: ``executemany`` (one statement per row) and multi-row ``VALUES`` chunked to at
most 256 parameters. Counts only; nothing runs on a warehouse.

    .venv/bin/python -m bench.statements_per_write [--rows 10000 100000]
"""

from __future__ import annotations

import argparse
import math
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django.setup()

from django.conf import settings  # noqa: E402 (after django.setup)

from records import sql  # noqa: E402
from records.jobs.submit import new_record_uuids  # noqa: E402
from records.testing import WELLS_COLUMNS, well  # noqa: E402
from warehouse.sql import MAX_PARAMETERS, TableName  # noqa: E402


def service_statements(rows: int) -> tuple[int, int]:
    """Statements of the service's insert, and the largest one's parameter bytes."""
    batch = [well(i) for i in range(rows)]
    for row, record_uuid in zip(batch, new_record_uuids(rows), strict=True):
        row["record_uuid"] = record_uuid
    statements = sql.insert_batches(
        TableName("c", "s", "wells"),
        sql.with_audit_columns(WELLS_COLUMNS),
        batch,
        principal="demo",
        max_parameter_bytes=settings.RECORDS_MAX_PARAMETER_BYTES,
    )
    return len(statements), max(s.parameter_bytes for s in statements)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    options = parser.parse_args()
    budget = settings.RECORDS_MAX_PARAMETER_BYTES
    print(f"wells rows x {len(WELLS_COLUMNS)} columns; RECORDS_MAX_PARAMETER_BYTES = {budget:,}")
    header = (
        ("rows", 8),
        ("service", 8),
        ("largest (bytes)", 16),
        ("VALUES (256 params)", 20),
        ("executemany", 12),
    )
    print("  ".join(f"{name:>{width}}" for name, width in header))
    per_values = MAX_PARAMETERS // len(WELLS_COLUMNS)
    for rows in options.rows:
        count, largest = service_statements(rows)
        values = math.ceil(rows / per_values)
        print(f"{rows:>8,}  {count:>8,}  {largest:>16,}  {values:>20,}  {rows:>12,}")


if __name__ == "__main__":
    main()
