"""Names and columns of warehouse tables, shared by validation, SQL building and services."""

from __future__ import annotations

import re
from dataclasses import dataclass

# \Z, not $: "$" would also accept a trailing newline.
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class TableName:
    """A validated three-part Unity Catalog name."""

    catalog: str
    schema: str
    table: str

    def __str__(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.table}"

    @property
    def quoted(self) -> str:
        """Backtick-quoted for SQL text; only ever built from validated identifiers."""
        return f"`{self.catalog}`.`{self.schema}`.`{self.table}`"


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
