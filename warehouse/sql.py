"""SQL building blocks every app shares: names, quoting, the statement type, JSON row batches.

The rules (DESIGN section 6): identifiers are validated against ``IDENTIFIER`` and
backtick-quoted; values never appear in SQL text, only as native named parameters
(``:name``) of databricks-sql-connector; a batch of rows travels as ONE JSON parameter
expanded with ``inline(from_json(:rows, 'ARRAY<STRUCT<...>>'))``. The statement builders of
each app (``records.sql``, ``audit.sql``) are made of these.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# A Unity Catalog identifier as the API accepts it, as a pattern to embed in larger ones.
IDENTIFIER_PATTERN = r"[A-Za-z_][A-Za-z0-9_]*"
# \Z, not $: "$" would also accept a trailing newline.
IDENTIFIER = re.compile(rf"^{IDENTIFIER_PATTERN}\Z")

# Databricks' limits on one statement: parameters, the bytes of all parameter values together
# (databricks-sql-connector docs/parameters.md, "Limitations") and the statement text
# (Statement Execution API). Builders stay below them (``budget``); ``Statement`` refuses more.
MAX_PARAMETERS = 256
MAX_PARAMETER_BYTES = 1024 * 1024
MAX_STATEMENT_BYTES = 16 * 1024 * 1024

# ``from_json`` fails the statement on a value that does not fit its field (never NULLs it).
FAILFAST = "map('mode', 'FAILFAST')"


@dataclass(frozen=True)
class Statement:
    """One SQL statement and its native named parameters (``:name`` in ``sql``)."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.params) > MAX_PARAMETERS:
            raise ValueError(
                f"A statement may carry at most {MAX_PARAMETERS} parameters; this one has {len(self.params)}"
            )
        size = parameter_bytes(self.params)
        if size > MAX_PARAMETER_BYTES:
            raise ParameterTooLarge(None, size, MAX_PARAMETER_BYTES)
        if len(self.sql.encode()) > MAX_STATEMENT_BYTES:
            raise ValueError(f"A statement's text may be at most {MAX_STATEMENT_BYTES} bytes")

    @property
    def parameter_bytes(self) -> int:
        return parameter_bytes(self.params)


class ParameterTooLarge(ValueError):
    """One item (a row, a key; ``index`` in its list) or the values every statement of a change
    carries (``index`` None) need more parameter bytes than a statement may carry."""

    def __init__(self, index: int | None, size: int, capacity: int) -> None:
        what = "The values every statement carries" if index is None else f"Item {index}"
        super().__init__(f"{what} need(s) {size} bytes of parameter values; at most {capacity} fit")
        self.index, self.size, self.capacity = index, size, capacity


def value_bytes(value: Any) -> int:
    """The bytes of ``value`` as databricks-sql-connector sends it: ``str(value)`` in UTF-8
    (``TSparkParameterValue.stringValue``); NULL travels without a value."""
    if value is None:
        return 0
    return len((value if isinstance(value, str) else str(value)).encode())


def parameter_bytes(params: Mapping[str, Any]) -> int:
    """The bytes of all parameter values of a statement, as they travel."""
    return sum(value_bytes(value) for value in params.values())


def json_array_chunks(encoded: Iterable[str], capacity: int) -> Iterator[tuple[str, int]]:
    """JSON arrays of the already encoded ``encoded`` items, in order, each at most ``capacity``
    bytes (UTF-8), with the number of items in each; ``ParameterTooLarge`` for an item that
    cannot fit even alone."""
    batch: list[str] = []
    size = 2  # the brackets
    for index, text in enumerate(encoded):
        length = len(text.encode())
        if length + 2 > capacity:
            raise ParameterTooLarge(index, length + 2, capacity)
        added = length + (1 if batch else 0)
        if batch and size + added > capacity:
            yield "[" + ",".join(batch) + "]", len(batch)
            batch, size, added = [], 2, length
        batch.append(text)
        size += added
    if batch:
        yield "[" + ",".join(batch) + "]", len(batch)


def quote_identifier(name: str) -> str:
    """``name`` backtick-quoted, if it is a valid identifier; ``ValueError`` otherwise."""
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name):
        raise ValueError(f"Invalid identifier: {name!r}")
    return f"`{name}`"


@dataclass(frozen=True)
class TableName:
    """A three-part Unity Catalog name (validated by whoever builds it from a request)."""

    catalog: str
    schema: str
    table: str

    def __str__(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.table}"

    @property
    def quoted(self) -> str:
        """Each part checked once more and backtick-quoted, for SQL text."""
        return ".".join(quote_identifier(part) for part in (self.catalog, self.schema, self.table))


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# One encoder for every call: json.dumps with options builds a new encoder each time, which
# is a third of the cost of encoding a 50,000-row batch row by row.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_json_default)


def to_json(value: Any) -> str:
    """Compact JSON as sent in a parameter (NaN and infinities are refused: JSON has none)."""
    return _ENCODER.encode(value)


def struct_type(fields: Sequence[tuple[str, str]]) -> str:
    """``STRUCT<`a`: INT, ...>`` of ``(name, type text)`` pairs (types are the caller's to check)."""
    return "STRUCT<" + ", ".join(f"{quote_identifier(name)}: {type_}" for name, type_ in fields) + ">"


def json_rows(parameter: str, fields: Sequence[tuple[str, str]]) -> str:
    """``inline(from_json(:parameter, 'ARRAY<STRUCT<...>>'))``: one row per JSON array element."""
    quote_identifier(parameter)
    return f"inline(from_json(:{parameter}, 'ARRAY<{struct_type(fields)}>', {FAILFAST}))"


def merge_new_rows(
    target: TableName, *, source: str, key: str, columns: Sequence[str], values: Sequence[str]
) -> str:
    """``MERGE`` inserting the rows of ``source`` whose ``key`` is not in ``target`` yet.

    ``source`` is a ``SELECT`` (usually over ``json_rows``) read as ``s``; ``columns`` are the
    target's columns and ``values`` the SQL expressions that fill them. Running the statement
    twice lands each row once: the second run finds every key and inserts nothing.
    """
    return (
        f"MERGE INTO {target.quoted} AS t USING ({source}) AS s "
        f"ON t.{quote_identifier(key)} = s.{quote_identifier(key)} "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(columns)}) VALUES ({', '.join(values)})"
    )
