"""Submit-time checks that a job's statements will fit the parameter budget, so that what
cannot fit is a 400 naming the limit, never a failed job."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson
from django.conf import settings

from common.errors import ApiError
from warehouse.sql import MAX_PARAMETER_BYTES, ParameterTooLarge, TableName, to_json, value_bytes

from ..sql.insert import batch_row
from ..tables import Column
from ..validation.types import DataType, table_type
from .payloads import DeletePayload, UpdatePayload
from .run import change_statements


def _limit_details(size: int) -> dict[str, Any]:
    return {
        "bytes": size,
        "max_parameter_bytes": settings.RECORDS_MAX_PARAMETER_BYTES,
        "databricks_max_parameter_bytes": MAX_PARAMETER_BYTES,
    }


def check_rows_fit(
    source: Sequence[Column], rows: Sequence[dict[str, Any]], principal: str, reserved_bytes: int = 0
) -> None:
    """Each row, as an insert batch carries it (``source`` columns), fits one statement beside
    the principal and ``reserved_bytes`` of other parameters (an upsert's stamp).

    ``rows`` are the row validator's for these columns. A row is measured exactly (``to_json``,
    as the batch will carry it) unless orjson proved it fits: many rows at a time, see
    ``_rows_to_measure``."""
    capacity = settings.RECORDS_MAX_PARAMETER_BYTES - value_bytes(principal) - reserved_bytes - 2
    for index in _rows_to_measure(source, rows, capacity):
        size = len(to_json(batch_row(source, rows[index])).encode())
        if size > capacity:
            raise ApiError(
                f"Record {index} needs {size} bytes as a statement parameter; a statement carries at "
                f"most {settings.RECORDS_MAX_PARAMETER_BYTES} bytes of parameter values "
                "(RECORDS_MAX_PARAMETER_BYTES)",
                details={"record": index, **_limit_details(size)},
            )


# Options making orjson refuse (so that the row is measured by ``to_json``) what ``to_json``
# would encode otherwise: subclasses, dataclasses and dates.
_ORJSON_OPTIONS = (
    orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
)
_FIRST_GROUP = 256  # rows encoded at once before the rows' size is known
_MAX_GROUP = 8192


def _rows_to_measure(
    source: Sequence[Column], rows: Sequence[dict[str, Any]], capacity: int
) -> Iterator[int]:
    """In order, the indexes of the rows that might not fit in ``capacity`` bytes as ``to_json``
    encodes them; the others are proven to fit.

    orjson encodes what ``to_json`` does byte for byte (strings, integers within 64 bits, true,
    false, null, arrays, objects with string keys), except a float: ``6e-09`` is ``6e-9``, one
    byte less at most, for at least four bytes (``:0.0``). So ``to_json`` needs at most twice
    orjson's bytes, and rows whose orjson bytes add up to half the capacity all fit. orjson
    refuses what it does not encode the same (integers beyond 64 bits, lone surrogates, keys
    that are no strings, subclasses); it writes NaN and infinities as null where ``to_json``
    raises, and the validator lets them through only in a column type it does not check, so
    the rows of such a table are all measured exactly. Rows are encoded in groups of about a
    quarter of the capacity; a group that is too large is halved until each half is proven
    or a single row is left to measure.
    """
    if not all(_checked(table_type(c.data_type)) for c in source):
        yield from range(len(rows))
        return
    names = frozenset(c.name for c in source)

    def fits(values: list[dict[str, Any]]) -> bool:
        return (size := _orjson_bytes(values)) is not None and 2 * size <= capacity

    def unproven(values: list[dict[str, Any]], start: int) -> Iterator[int]:
        if len(values) == 1:
            yield start
            return
        half = len(values) // 2
        for part, offset in ((values[:half], start), (values[half:], start + half)):
            if not fits(part):
                yield from unproven(part, offset)

    start, group = 0, _FIRST_GROUP
    while start < len(rows):
        # A row with exactly the source's columns encodes to as many bytes as its batch row (the
        # same members in another order).
        values = [
            row if row.keys() == names else batch_row(source, row) for row in rows[start : start + group]
        ]
        size = _orjson_bytes(values)
        if size is None or 2 * size > capacity:
            yield from unproven(values, start)
        if size:
            group = max(1, min(_MAX_GROUP, capacity // 4 * len(values) // size))
        start += len(values)


def _orjson_bytes(values: list[dict[str, Any]]) -> int | None:
    """The bytes of the values as orjson encodes them one by one, or None if it refuses one."""
    try:
        return len(orjson.dumps(values, option=_ORJSON_OPTIONS)) - len(values) - 1  # brackets, commas
    except orjson.JSONEncodeError:
        return None


def _checked(kind: DataType) -> bool:
    """Whether the row validator checks every value of this type (floats are then finite)."""
    return not kind.opaque and all(_checked(field) for _, field in kind.fields)


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
