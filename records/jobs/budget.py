"""Submit-time checks that a job's statements will fit the parameter budget, so that what
cannot fit is a 400 naming the limit, never a failed job."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings

from common.errors import ApiError
from warehouse.sql import MAX_PARAMETER_BYTES, ParameterTooLarge, TableName, to_json, value_bytes

from ..sql.insert import batch_row
from ..tables import Column
from .payloads import DeletePayload, UpdatePayload
from .run import change_statements


def _limit_details(size: int) -> dict[str, Any]:
    return {
        "bytes": size,
        "max_parameter_bytes": settings.RECORDS_MAX_PARAMETER_BYTES,
        "databricks_max_parameter_bytes": MAX_PARAMETER_BYTES,
    }


def check_rows_fit(source: Sequence[Column], rows: Sequence[dict[str, Any]], principal: str) -> None:
    """Each row, as an insert batch carries it (``source`` columns), fits one statement."""
    capacity = settings.RECORDS_MAX_PARAMETER_BYTES - value_bytes(principal) - 2
    for index, row in enumerate(rows):
        size = len(to_json(batch_row(source, row)).encode())
        if size > capacity:
            raise ApiError(
                f"Record {index} needs {size} bytes as a statement parameter; a statement carries at "
                f"most {settings.RECORDS_MAX_PARAMETER_BYTES} bytes of parameter values "
                "(RECORDS_MAX_PARAMETER_BYTES)",
                details={"record": index, **_limit_details(size)},
            )


def check_change_fits(
    table: TableName, payload: UpdatePayload | DeletePayload, columns: dict[str, Column], principal: str
) -> None:
    """The update or delete can be cut into statements within the budget (a filter's ``in`` list
    or one key cannot be cut)."""
    try:
        change_statements(table, payload, columns, principal)
    except ParameterTooLarge as error:
        what = "the filters" if payload.method == "filters" else "the values every statement carries"
        if error.index is not None:
            what = f"{'bulk_updates' if payload.method == 'bulk_updates' else 'key'} {error.index}"
        raise ApiError(
            f"The request cannot be cut into statements within the parameter budget: {what} needs "
            f"{error.size} bytes; a statement carries at most {settings.RECORDS_MAX_PARAMETER_BYTES} "
            "bytes of parameter values (RECORDS_MAX_PARAMETER_BYTES)",
            details={"item": error.index, **_limit_details(error.size)},
        ) from error
