"""SQL statement builders of the records app: the only place with records' SQL text.

One module per statement family (``ddl``, ``insert``, ``upsert``, ``update``, ``delete``,
``keys``, ``select``), built of ``values`` (how a value travels) and ``filters``; the shared pieces
(``Statement``, quoting, JSON row batches) are ``warehouse.sql``. Every function is pure and
returns a ``Statement`` (or a list of them). The rules (DESIGN section 6):

- Values never appear in SQL text. They travel as parameters whose names are generated here
  (``rows``, ``keys``, ``u0``, ``f0``...), never taken from a request.
- Identifiers (catalog, schema, table, column names) are checked once more and
  backtick-quoted; anything else is a ``ValueError``. Type names are checked too (they
  appear in ``CAST(... AS type)`` and inside ``from_json`` schema literals).
- No statement carries more than 256 parameters (``Statement`` refuses to exist otherwise).
  Batches of rows, lists of keys and ``in`` lists each travel as ONE JSON parameter, so a
  request of 10,000 rows or keys is still one statement per batch.

Row counts are what the warehouse reports for each statement (``num_inserted_rows`` for
inserts, ``num_affected_rows`` for updates and deletes); nothing here guesses them.
"""

from .ddl import create_table, show_schemas, table_columns, with_audit_columns
from .delete import (
    hard_delete_by_filters,
    hard_delete_by_keys,
    soft_delete_by_filters,
    soft_delete_by_keys,
)
from .insert import insert_batches
from .keys import find_existing_keys, keyed_statements, keys_not_found
from .select import count_rows, select_rows
from .update import (
    update_bulk,
    update_bulk_statements,
    update_by_filters,
    update_by_keys,
)
from .upsert import (
    UPSERT_AUDIT_COLUMNS,
    count_updated_by,
    upsert_batches,
    upsert_order,
    upsert_stamp,
)

__all__ = [
    "UPSERT_AUDIT_COLUMNS",
    "count_rows",
    "count_updated_by",
    "create_table",
    "find_existing_keys",
    "hard_delete_by_filters",
    "hard_delete_by_keys",
    "insert_batches",
    "keyed_statements",
    "keys_not_found",
    "select_rows",
    "show_schemas",
    "soft_delete_by_filters",
    "soft_delete_by_keys",
    "table_columns",
    "update_bulk",
    "update_bulk_statements",
    "update_by_filters",
    "update_by_keys",
    "upsert_batches",
    "upsert_order",
    "upsert_stamp",
    "with_audit_columns",
]
