"""The vocabulary of records' tables: columns, the audit columns the service owns, filter ops.

Shared by validation, SQL building, jobs and reads; imports nothing of records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """A column with its Databricks type, upper case and without spaces after commas
    (``BIGINT``, ``DECIMAL(10,2)``, ``ARRAY<STRING>``, ``STRUCT<x:INT,y:STRING>``)."""

    name: str
    data_type: str
    nullable: bool = True

    @property
    def base_type(self) -> str:
        """The type's name without parameters: ``DECIMAL``, ``ARRAY``, ``VARCHAR``..."""
        return re.split(r"[<(]", self.data_type, maxsplit=1)[0]


# The 8 audit columns the service adds to the tables it creates and sets itself (seed contract).
AUDIT_COLUMNS: tuple[Column, ...] = (
    Column("record_uuid", "STRING", nullable=False),
    Column("is_deleted", "BOOLEAN", nullable=False),
    Column("inserted_at", "TIMESTAMP", nullable=False),
    Column("inserted_by", "STRING", nullable=False),
    Column("updated_at", "TIMESTAMP"),
    Column("updated_by", "STRING"),
    Column("deleted_at", "TIMESTAMP"),
    Column("deleted_by", "STRING"),
)
AUDIT_COLUMN_NAMES = frozenset(column.name for column in AUDIT_COLUMNS)


def is_audit_column(name: object) -> bool:
    """True for a name (any spelling) of a column the service sets and clients may not write."""
    return isinstance(name, str) and name.lower() in AUDIT_COLUMN_NAMES


def user_columns(columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """The columns a client writes: all but the audit columns."""
    return tuple(column for column in columns if not is_audit_column(column.name))


# Filter operators (case-insensitive, inner spaces collapsed), combined with AND.
FILTER_OPS = ("=", "!=", ">", "<", ">=", "<=", "like", "in", "not in", "is null", "is not null")
LIST_OPS = frozenset({"in", "not in"})
NULL_OPS = frozenset({"is null", "is not null"})
