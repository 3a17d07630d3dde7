"""SQL statement builders for the records API: the only module with SQL text for records.

Every function is pure and returns a ``Statement`` (or a list of them): SQL text plus the
native named parameters (``:name``) of databricks-sql-connector. The rules (DESIGN section 6):

- Values never appear in SQL text. They travel as parameters whose names are generated here
  (``rows``, ``keys``, ``u0``, ``f0``...), never taken from a request.
- Identifiers (catalog, schema, table, column names) are checked against ``IDENTIFIER`` once
  more and backtick-quoted; anything else is a ``ValueError``. Type names are checked too
  (they appear in ``CAST(... AS type)`` and inside ``from_json`` schema literals).
- No statement carries more than 256 parameters (Databricks' limit; ``Statement`` refuses
  to exist otherwise). Batches of rows, lists of keys and ``in`` lists each travel as ONE
  JSON parameter expanded in SQL with ``inline(from_json(:p, 'ARRAY<STRUCT<...>>'))``, so a
  request of 10,000 rows or keys is still one statement per batch.

How values travel in JSON (rows of an insert, keys, bulk updates, ``in`` lists): integers,
floating point numbers, booleans and strings as JSON values typed by the struct schema;
DECIMAL, DATE, TIMESTAMP and TIMESTAMP_NTZ as strings, ``CAST`` to the column's type in SQL
(so a bad value is a loud ``CAST_INVALID_INPUT``); BINARY as base64 strings, decoded with
``unbase64``; ARRAY, MAP and STRUCT as JSON values typed by the struct schema. ``from_json``
runs in ``FAILFAST`` mode: a value that does not fit its field fails the statement instead
of silently becoming NULL. A single value (an update value, a filter value) is one typed
parameter: ``CAST(:u0 AS type)``, ``unbase64(:u0)``, or for ARRAY/MAP/STRUCT a JSON
parameter read as ``from_json(:u0, 'STRUCT<v: type>').v``.

Row counts are what the warehouse reports for each statement (``num_inserted_rows`` for
inserts, ``num_affected_rows`` for updates and deletes); nothing here guesses them.
"""

# Building SQL text is this module's job: identifiers are checked and quoted, values are
# parameters only, so flake8-bandit's string-built-SQL warning does not apply here.
# ruff: noqa: S608

from __future__ import annotations

import base64
import datetime
import decimal
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .tables import AUDIT_COLUMN_NAMES, AUDIT_COLUMNS, IDENTIFIER, Column, TableName

# Databricks rejects a statement with more parameters than this.
MAX_PARAMETERS = 256

# Types that travel as JSON strings and are CAST to the column type in SQL.
_CAST_FROM_STRING = frozenset(
    {"DECIMAL", "NUMERIC", "DEC", "DATE", "TIMESTAMP", "TIMESTAMP_NTZ", "TIMESTAMP_LTZ"}
)
_STRING_TYPES = frozenset({"STRING", "VARCHAR", "CHAR"})
_COMPLEX_TYPES = frozenset({"ARRAY", "MAP", "STRUCT"})

# Comparison operators of filters, as written in SQL.
_COMPARISONS = {"=": "=", "!=": "<>", ">": ">", "<": "<", ">=": ">=", "<=": "<="}
FILTER_OPS = frozenset({*_COMPARISONS, "like", "in", "not in", "is null", "is not null"})

# A type name: words, numbers, backticked struct field names and <>(),: punctuation only.
_TYPE_TOKENS = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]*|\d+|`[^`'\\\r\n]+`|[<>(),:]|[ ]+)+")

# ``from_json`` fails the statement on a value that does not fit its field (never NULLs it).
_FAILFAST = "map('mode', 'FAILFAST')"

ColumnsArg = Mapping[str, Column] | Iterable[Column]


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


# -- identifiers, types and values ------------------------------------------------------------


def quote_identifier(name: str) -> str:
    """``name`` backtick-quoted, if it is a valid identifier; ``ValueError`` otherwise."""
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name):
        raise ValueError(f"Invalid identifier: {name!r}")
    return f"`{name}`"


def quote_table(table: TableName) -> str:
    """The three-part name, each part checked and backtick-quoted."""
    for part in (table.catalog, table.schema, table.table):
        quote_identifier(part)
    return table.quoted


def _checked_type(data_type: str) -> str:
    """The type text, if it can only ever be read as a type (no quotes, balanced brackets)."""
    if not isinstance(data_type, str) or not _TYPE_TOKENS.fullmatch(data_type):
        raise ValueError(f"Invalid data type: {data_type!r}")
    depth = 0
    for char in re.sub(r"`[^`]*`", "", data_type):
        depth += char in "<("
        depth -= char in ">)"
        if depth < 0:
            raise ValueError(f"Invalid data type: {data_type!r}")
    if depth:
        raise ValueError(f"Invalid data type: {data_type!r}")
    return data_type.strip()


def _base_type(column: Column) -> str:
    return column.base_type.strip().upper()


def _json_type(column: Column) -> str:
    """The type of ``column``'s field in a ``from_json`` struct schema."""
    base = _base_type(column)
    if base in _CAST_FROM_STRING or base in _STRING_TYPES or base == "BINARY":
        return "STRING"
    return _checked_type(column.data_type)


def _from_json_field(expression: str, column: Column) -> str:
    """SQL turning a field read with ``_json_type`` into a value of ``column``'s type."""
    base = _base_type(column)
    if base in _CAST_FROM_STRING:
        return f"CAST({expression} AS {_checked_type(column.data_type)})"
    if base == "BINARY":
        return f"unbase64({expression})"
    return expression


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


def _struct_type(fields: Sequence[tuple[str, str]]) -> str:
    return "STRUCT<" + ", ".join(f"{quote_identifier(name)}: {type_}" for name, type_ in fields) + ">"


def _inline(parameter: str, fields: Sequence[tuple[str, str]]) -> str:
    """``inline(from_json(:parameter, 'ARRAY<STRUCT<...>>'))``: one row per JSON array element."""
    return f"inline(from_json(:{parameter}, 'ARRAY<{_struct_type(fields)}>', {_FAILFAST}))"


def _single_value(parameter: str, column: Column, value: Any) -> tuple[str, Any]:
    """SQL reading one value of ``column``'s type from parameter ``parameter``, and that value."""
    base = _base_type(column)
    if base in _COMPLEX_TYPES:
        # A top-level MAP schema is not read by the local warehouse's from_json; a one-field
        # struct works for every complex type on both, so all of them take that path.
        schema = _struct_type([("v", _checked_type(column.data_type))])
        return f"from_json(:{parameter}, '{schema}', {_FAILFAST}).`v`", to_json({"v": value})
    if base == "BINARY":
        if isinstance(value, bytes | bytearray):
            value = base64.b64encode(value).decode("ascii")
        return f"unbase64(:{parameter})", value
    if base in _STRING_TYPES:
        return f"CAST(:{parameter} AS STRING)", value
    return f"CAST(:{parameter} AS {_checked_type(column.data_type)})", value


def _by_name(columns: ColumnsArg) -> dict[str, Column]:
    """Columns by lower-case name (Databricks names are case-insensitive)."""
    values: Iterable[Column] = columns.values() if isinstance(columns, Mapping) else columns
    by_name: dict[str, Column] = {}
    for column in values:
        quote_identifier(column.name)
        by_name[column.name.lower()] = column
    return by_name


def _column(by_name: Mapping[str, Column], name: str) -> Column:
    quote_identifier(name)
    column = by_name.get(name.lower())
    if column is None:
        raise ValueError(f"Unknown column: {name!r}")
    return column


def _has(by_name: Mapping[str, Column], name: str) -> bool:
    return name in by_name


def _where(conditions: Sequence[str]) -> str:
    return " WHERE " + " AND ".join(conditions) if conditions else ""


def _not_deleted(alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return f"({prefix}`is_deleted` IS NULL OR {prefix}`is_deleted` = false)"


# -- filters -----------------------------------------------------------------------------------


def where_clause(
    filters: Sequence[Mapping[str, Any]] | None, columns: ColumnsArg, *, prefix: str = "f"
) -> tuple[str, dict[str, Any]]:
    """The filters as one SQL predicate (``""`` when there are none) and its parameters.

    ``filters`` are ``{"column", "op", "value"}`` with ops ``=, !=, >, <, >=, <=, like, in,
    not in, is null, is not null``, combined with AND. Each value is one parameter named
    ``<prefix>0``, ``<prefix>1``..., typed by its column (``CAST(:f0 AS DATE)``...); an
    ``in``/``not in`` list is ONE JSON parameter however long. ``like`` compares the column
    as a string. ``not in`` follows SQL: rows whose column is NULL never match it.
    """
    conditions, params = _filter_conditions(filters, _by_name(columns), prefix)
    return " AND ".join(conditions), params


def _filter_conditions(
    filters: Sequence[Mapping[str, Any]] | None, by_name: Mapping[str, Column], prefix: str
) -> tuple[list[str], dict[str, Any]]:
    if prefix and not IDENTIFIER.fullmatch(prefix):
        raise ValueError(f"Invalid parameter prefix: {prefix!r}")
    conditions: list[str] = []
    params: dict[str, Any] = {}
    for index, item in enumerate(filters or ()):
        column = _column(by_name, item["column"])
        name = quote_identifier(column.name)
        op = " ".join(str(item.get("op", "")).lower().split())
        parameter = f"{prefix}{index}"
        value = item.get("value")
        if op in _COMPARISONS:
            expression, params[parameter] = _single_value(parameter, column, value)
            conditions.append(f"{name} {_COMPARISONS[op]} {expression}")
        elif op == "like":
            target = name if _base_type(column) in _STRING_TYPES else f"CAST({name} AS STRING)"
            params[parameter] = value if isinstance(value, str) or value is None else str(value)
            conditions.append(f"{target} LIKE CAST(:{parameter} AS STRING)")
        elif op in ("in", "not in"):
            if not isinstance(value, list | tuple):
                raise ValueError(f"The value of '{op}' must be a list, got {type(value).__name__}")
            subquery, params[parameter] = _values_subquery(parameter, column, value)
            conditions.append(f"{name} {op.upper()} ({subquery})")
        elif op == "is null":
            conditions.append(f"{name} IS NULL")
        elif op == "is not null":
            conditions.append(f"{name} IS NOT NULL")
        else:
            raise ValueError(f"Unknown filter operator: {item.get('op')!r}")
    return conditions, params


def _values_subquery(parameter: str, column: Column, values: Sequence[Any]) -> tuple[str, str]:
    """``SELECT <value> FROM inline(...)``: the values of one JSON parameter, typed as ``column``."""
    source = _inline(parameter, [("v", _json_type(column))])
    subquery = f"SELECT {_from_json_field('`v`', column)} FROM {source}"
    return subquery, to_json([{"v": value} for value in values])


# -- tables --------------------------------------------------------------------------------------


def with_audit_columns(columns: Iterable[Column]) -> tuple[Column, ...]:
    """The user's columns followed by the 8 audit columns (what ``create_table`` creates)."""
    return (*columns, *AUDIT_COLUMNS)


def create_table(table: TableName, columns: Sequence[Column]) -> Statement:
    """``CREATE TABLE IF NOT EXISTS`` with ``columns`` (NOT NULL where not nullable), the 8
    audit columns, ``USING DELTA``. Audit column names in ``columns`` are a ``ValueError``."""
    if not columns:
        raise ValueError("A table needs at least one column")
    seen: set[str] = set()
    definitions = []
    for column in with_audit_columns(columns):
        if column.name.lower() in seen:
            raise ValueError(
                f"Column {column.name!r} is defined twice (audit columns are added by the service)"
            )
        seen.add(column.name.lower())
        not_null = "" if column.nullable else " NOT NULL"
        definitions.append(f"{quote_identifier(column.name)} {_checked_type(column.data_type)}{not_null}")
    return Statement(
        f"CREATE TABLE IF NOT EXISTS {quote_table(table)} ({', '.join(definitions)}) USING DELTA"
    )


def describe_table(table: TableName) -> Statement:
    """``DESCRIBE TABLE``: rows of ``col_name, data_type, comment``."""
    return Statement(f"DESCRIBE TABLE {quote_table(table)}")


def parse_describe(rows: Iterable[Sequence[Any]]) -> list[tuple[str, str]]:
    """``(name, type text)`` of each column from ``DESCRIBE TABLE`` rows, stopping at the
    first empty or ``#`` row (Databricks appends ``# Partition Information`` and the like)."""
    columns: list[tuple[str, str]] = []
    for row in rows:
        name = (row[0] or "").strip() if row else ""
        if not name or name.startswith("#"):
            break
        columns.append((name, str(row[1] or "").strip()))
    return columns


def show_schemas(catalog: str) -> Statement:
    """``SHOW SCHEMAS IN catalog``: one row per schema, its name first."""
    return Statement(f"SHOW SCHEMAS IN {quote_identifier(catalog)}")


# -- inserts ------------------------------------------------------------------------------------


def insert_batches(
    table: TableName,
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Any]],
    *,
    principal: str,
    max_batch_bytes: int,
) -> list[Statement]:
    """One idempotent statement per batch of ``rows``, each batch ONE JSON parameter ``:rows``.

    ``columns`` are the table's real columns (audit columns included, as ``DESCRIBE`` shows
    them). ``rows`` are validated, JSON-ready values keyed by column name, each carrying its
    ``record_uuid`` when the table has that column. Batches are cut by the JSON size in
    UTF-8 bytes (``max_batch_bytes``), never inside a row; a row larger than the limit goes
    alone.

    With ``record_uuid`` in the table the statement is a ``MERGE ... WHEN NOT MATCHED THEN
    INSERT``: a row whose uuid is already there is skipped, so running a batch twice lands
    it once (the second run reports ``num_inserted_rows`` 0). Without ``record_uuid`` it is
    a plain ``INSERT INTO ... SELECT``. Audit values come from SQL, only for the audit
    columns the table has: ``is_deleted`` false, ``inserted_at`` ``current_timestamp()``,
    ``inserted_by`` ``:principal``, ``updated_*``/``deleted_*`` NULL. The count inserted is the
    warehouse's ``num_inserted_rows``.
    """
    if max_batch_bytes <= 0:
        raise ValueError("max_batch_bytes must be positive")
    by_name = _by_name(columns)
    data = [c for c in columns if c.name.lower() not in AUDIT_COLUMN_NAMES]
    dedupe = _has(by_name, "record_uuid")
    source = [*data, by_name["record_uuid"]] if dedupe else data
    if not source:
        raise ValueError(f"Table {table} has no columns to insert into")

    sql = _insert_sql(table, data, by_name, dedupe)
    audit_params = {"principal": principal} if _has(by_name, "inserted_by") else {}
    return [
        Statement(sql, {"rows": batch, **audit_params})
        for batch in _json_batches(source, rows, max_batch_bytes, require_uuid=dedupe)
    ]


def _insert_sql(table: TableName, data: Sequence[Column], by_name: Mapping[str, Column], dedupe: bool) -> str:
    source_columns = [*data, by_name["record_uuid"]] if dedupe else list(data)
    fields = [(c.name, _json_type(c)) for c in source_columns]
    select = ", ".join(
        f"{_from_json_field(quote_identifier(c.name), c)} AS {quote_identifier(c.name)}"
        for c in source_columns
    )
    audit_values = {
        "is_deleted": "false",
        "inserted_at": "current_timestamp()",
        "inserted_by": ":principal",
    }
    targets = [quote_identifier(c.name) for c in source_columns]
    values = [f"s.{quote_identifier(c.name)}" for c in source_columns]
    for audit in AUDIT_COLUMNS:
        column = by_name.get(audit.name)
        if column is None or audit.name == "record_uuid":
            continue
        targets.append(quote_identifier(column.name))
        values.append(audit_values.get(audit.name, f"CAST(NULL AS {_checked_type(column.data_type)})"))
    from_rows = f"SELECT {select} FROM {_inline('rows', fields)}"
    if dedupe:
        return (
            f"MERGE INTO {quote_table(table)} AS t USING ({from_rows}) AS s "
            "ON t.`record_uuid` = s.`record_uuid` "
            f"WHEN NOT MATCHED THEN INSERT ({', '.join(targets)}) VALUES ({', '.join(values)})"
        )
    return (
        f"INSERT INTO {quote_table(table)} ({', '.join(targets)}) "
        f"SELECT {', '.join(values)} FROM ({from_rows}) AS s"
    )


def _folded(row: Mapping[str, Any], name: str) -> Any:
    """``row``'s value for column ``name`` spelled in another case, or None (a missing value)."""
    lowered = name.lower()
    return next((value for key, value in row.items() if str(key).lower() == lowered), None)


def _json_batches(
    source: Sequence[Column], rows: Iterable[Mapping[str, Any]], max_batch_bytes: int, *, require_uuid: bool
) -> Iterable[str]:
    """JSON arrays of the rows' ``source`` fields, each at most ``max_batch_bytes`` (UTF-8)
    unless a single row is larger."""
    names = [c.name for c in source]
    batch: list[str] = []
    size = 2  # the brackets
    for index, row in enumerate(rows):
        values = {name: row[name] if name in row else _folded(row, name) for name in names}
        if require_uuid and not values[names[-1]]:
            raise ValueError(f"Row {index} has no record_uuid (assigned when the job is submitted)")
        text = to_json(values)
        length = len(text.encode("utf-8"))
        added = length + (1 if batch else 0)
        if batch and size + added > max_batch_bytes:
            yield "[" + ",".join(batch) + "]"
            batch, size, added = [], 2, length
        batch.append(text)
        size += added
    if batch:
        yield "[" + ",".join(batch) + "]"


# -- updates ------------------------------------------------------------------------------------


def _set_clause(
    updates: Mapping[str, Any], by_name: Mapping[str, Column], params: dict[str, Any], principal: str
) -> list[str]:
    """``col = <typed :uN>`` for each update, then ``updated_at``/``updated_by`` when the table has them."""
    if not updates:
        raise ValueError("No columns to update")
    assignments = []
    for index, (name, value) in enumerate(updates.items()):
        column = _column(by_name, name)
        if column.name.lower() in AUDIT_COLUMN_NAMES:
            raise ValueError(f"Column {column.name!r} is set by the service")
        parameter = f"u{index}"
        expression, params[parameter] = _single_value(parameter, column, value)
        assignments.append(f"{quote_identifier(column.name)} = {expression}")
    return assignments + _updated_audit(by_name, params, principal)


def _updated_audit(by_name: Mapping[str, Column], params: dict[str, Any], principal: str) -> list[str]:
    """``updated_at = current_timestamp()``, ``updated_by = :principal`` for those the table has."""
    assignments = []
    if _has(by_name, "updated_at"):
        assignments.append("`updated_at` = current_timestamp()")
    if _has(by_name, "updated_by"):
        assignments.append("`updated_by` = :principal")
        params["principal"] = principal
    return assignments


def _keys_condition(key_column: Column, keys: Sequence[Any], params: dict[str, Any]) -> str:
    """``key IN (SELECT ... FROM inline(from_json(:keys, ...)))``: all keys in ONE parameter."""
    subquery, params["keys"] = _values_subquery("keys", key_column, keys)
    return f"{quote_identifier(key_column.name)} IN ({subquery})"


def _update(
    table: TableName,
    conditions: list[str],
    updates: Mapping[str, Any],
    by_name: Mapping[str, Column],
    params: dict[str, Any],
    principal: str,
    exclude_deleted: bool,
) -> Statement:
    assignments = _set_clause(updates, by_name, params, principal)
    if exclude_deleted:
        conditions.append(_deleted_guard(by_name))
    return Statement(f"UPDATE {quote_table(table)} SET {', '.join(assignments)}{_where(conditions)}", params)


def _deleted_guard(by_name: Mapping[str, Column]) -> str:
    if not _has(by_name, "is_deleted"):
        raise ValueError("The table has no is_deleted column")
    return _not_deleted()


def update_by_keys(
    table: TableName,
    key_column: Column,
    keys: Sequence[Any],
    updates: Mapping[str, Any],
    columns: ColumnsArg,
    principal: str,
    *,
    exclude_deleted: bool = False,
) -> Statement:
    """``UPDATE ... SET`` the same ``updates`` on every row whose key is in ``keys``
    (a single ``key_value`` is a list of one).

    ``keys`` travel as ONE JSON parameter, so 10,000 keys are still one statement; each
    update value is one typed parameter. ``updated_at``/``updated_by`` are set when the table
    has them. ``columns`` are the table's columns. Soft-deleted rows are updated too (the
    original service's behaviour) unless ``exclude_deleted``. The count is the warehouse's
    ``num_affected_rows``.
    """
    by_name = _by_name(columns)
    params: dict[str, Any] = {}
    conditions = [_keys_condition(_column(by_name, key_column.name), keys, params)]
    return _update(table, conditions, updates, by_name, params, principal, exclude_deleted)


def update_by_filters(
    table: TableName,
    filters: Sequence[Mapping[str, Any]],
    updates: Mapping[str, Any],
    columns: ColumnsArg,
    principal: str,
    *,
    exclude_deleted: bool = False,
) -> Statement:
    """``UPDATE ... SET updates WHERE <filters>`` (see ``where_clause``); at least one filter
    is required, so a request can never update a whole table by accident."""
    if not filters:
        raise ValueError("An update by filters needs at least one filter")
    by_name = _by_name(columns)
    conditions, params = _filter_conditions(filters, by_name, "f")
    return _update(table, conditions, updates, by_name, params, principal, exclude_deleted)


def update_bulk(
    table: TableName,
    key_column: Column,
    items: Sequence[Mapping[str, Any]],
    columns: ColumnsArg,
    principal: str,
    *,
    exclude_deleted: bool = False,
) -> Statement:
    """ONE ``MERGE`` applying different ``updates`` per key: ``items`` are
    ``{"key_value", "updates"}``, all in ONE JSON parameter ``:items``.

    Each updated column has a per-row "is set" flag in the JSON, so a row keeps the values
    of the columns its item does not name (and can still set a column to NULL). Items for
    the same key are merged in order (a later item wins per column): a MERGE may not match
    one target row with two source rows. The count is ``num_updated_rows``
    (= ``num_affected_rows``): rows updated, which may exceed the keys when a key is not unique.
    """
    if not items:
        raise ValueError("No bulk updates")
    by_name = _by_name(columns)
    key = _column(by_name, key_column.name)
    merged: dict[str, tuple[Any, dict[str, Any]]] = {}
    targets: dict[str, Column] = {}
    for item in items:
        updates = item["updates"]
        if not updates:
            raise ValueError("A bulk update item has no updates")
        identity = to_json(item["key_value"])
        _, so_far = merged.setdefault(identity, (item["key_value"], {}))
        for name, value in updates.items():
            column = _column(by_name, name)
            if column.name.lower() in AUDIT_COLUMN_NAMES:
                raise ValueError(f"Column {column.name!r} is set by the service")
            targets.setdefault(column.name.lower(), column)
            so_far[column.name.lower()] = value
    ordered = list(targets.values())
    fields = [("k", _json_type(key))]
    select = [f"{_from_json_field('`k`', key)} AS `k`"]
    assignments = []
    for index, column in enumerate(ordered):
        flag, value = f"s{index}", f"v{index}"
        fields += [(flag, "BOOLEAN"), (value, _json_type(column))]
        select += [f"`{flag}`", f"{_from_json_field(f'`{value}`', column)} AS `{value}`"]
        name = quote_identifier(column.name)
        assignments.append(f"{name} = CASE WHEN s.`{flag}` THEN s.`{value}` ELSE t.{name} END")
    rows = []
    for key_value, updates in merged.values():
        row: dict[str, Any] = {"k": key_value}
        for index, column in enumerate(ordered):
            is_set = column.name.lower() in updates
            row[f"s{index}"] = is_set
            row[f"v{index}"] = updates.get(column.name.lower()) if is_set else None
        rows.append(row)
    params: dict[str, Any] = {"items": to_json(rows)}
    assignments += _updated_audit(by_name, params, principal)
    on = f"t.{quote_identifier(key.name)} = s.`k`"
    if exclude_deleted:
        _deleted_guard(by_name)
        on += f" AND {_not_deleted('t')}"
    source = f"SELECT {', '.join(select)} FROM {_inline('items', fields)}"
    return Statement(
        f"MERGE INTO {quote_table(table)} AS t USING ({source}) AS s ON {on} "
        f"WHEN MATCHED THEN UPDATE SET {', '.join(assignments)}",
        params,
    )


# -- existence ----------------------------------------------------------------------------------


def find_existing_keys(
    table: TableName, key_column: Column, keys: Sequence[Any], *, exclude_deleted: bool = False
) -> Statement:
    """One keyed lookup: which of ``keys`` are in the table (for ``not_found``).

    Each result row is ``(key,)``, the key exactly as it was sent (the JSON value, before any
    CAST: ``"2024-03-10T12:30:15+00:00"`` for a TIMESTAMP key, ``4201234567`` for a BIGINT),
    once per distinct existing key; ``keys_not_found`` turns the rows into the ``not_found``
    list. Run it before the update or delete: after a hard delete every key is gone.

    Soft-deleted rows count as existing unless ``exclude_deleted``. That default keeps
    ``count`` and ``not_found`` consistent: an update touches soft-deleted rows, and a
    soft delete of an already deleted key reports it neither deleted (count) nor missing,
    so a job that runs twice answers the same ``not_found`` both times.
    """
    params: dict[str, Any] = {}
    fields = [("v", _json_type(key_column))]
    source = (
        f"SELECT `v` AS `key`, {_from_json_field('`v`', key_column)} AS `v` FROM {_inline('keys', fields)}"
    )
    params["keys"] = to_json([{"v": key} for key in keys])
    lookup = f"SELECT {quote_identifier(key_column.name)} FROM {quote_table(table)}"
    if exclude_deleted:
        lookup += f" WHERE {_not_deleted()}"
    return Statement(f"SELECT DISTINCT k.`key` FROM ({source}) AS k WHERE k.`v` IN ({lookup})", params)


def keys_not_found(keys: Sequence[Any], rows: Iterable[Sequence[Any]]) -> list[Any]:
    """The ``keys`` (in request order, each once) absent from ``find_existing_keys``' rows."""
    present = {to_json(_plain(row[0])) for row in rows}
    missing: list[Any] = []
    seen: set[str] = set()
    for key in keys:
        identity = to_json(key)
        if identity not in present and identity not in seen:
            missing.append(key)
        seen.add(identity)
    return missing


def _plain(value: Any) -> Any:
    """A result value as the plain JSON value it was sent as (arrays come back as numpy)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


# -- deletes ------------------------------------------------------------------------------------


def _soft_delete(
    table: TableName,
    conditions: list[str],
    by_name: Mapping[str, Column],
    params: dict[str, Any],
    principal: str,
) -> Statement:
    conditions.append(_deleted_guard(by_name))
    assignments = ["`is_deleted` = true"]
    if _has(by_name, "deleted_at"):
        assignments.append("`deleted_at` = current_timestamp()")
    if _has(by_name, "deleted_by"):
        assignments.append("`deleted_by` = :principal")
        params["principal"] = principal
    assignments += _updated_audit(by_name, params, principal)
    return Statement(f"UPDATE {quote_table(table)} SET {', '.join(assignments)}{_where(conditions)}", params)


def soft_delete_by_keys(
    table: TableName,
    key_column: Column,
    keys: Sequence[Any],
    principal: str,
    *,
    columns: ColumnsArg | None = None,
) -> Statement:
    """Soft delete the rows whose key is in ``keys`` (ONE JSON parameter): ``is_deleted = true``,
    ``deleted_at/by`` and ``updated_at/by`` set, only on rows not already deleted (so the
    count, ``num_affected_rows``, is the rows this statement deleted). ``columns`` (the
    table's) limits the audit columns set to those it has; without it all 8 are assumed."""
    by_name = _by_name(AUDIT_COLUMNS if columns is None else columns)
    by_name.setdefault(key_column.name.lower(), key_column)
    params: dict[str, Any] = {}
    conditions = [_keys_condition(_column(by_name, key_column.name), keys, params)]
    return _soft_delete(table, conditions, by_name, params, principal)


def soft_delete_by_filters(
    table: TableName, filters: Sequence[Mapping[str, Any]], columns: ColumnsArg, principal: str
) -> Statement:
    """Soft delete the rows matching ``filters`` (at least one), as ``soft_delete_by_keys``."""
    if not filters:
        raise ValueError("A delete by filters needs at least one filter")
    by_name = _by_name(columns)
    conditions, params = _filter_conditions(filters, by_name, "f")
    return _soft_delete(table, conditions, by_name, params, principal)


def hard_delete_by_keys(table: TableName, key_column: Column, keys: Sequence[Any]) -> Statement:
    """``DELETE`` every row whose key is in ``keys`` (soft-deleted or not); ``num_affected_rows``."""
    params: dict[str, Any] = {}
    condition = _keys_condition(key_column, keys, params)
    return Statement(f"DELETE FROM {quote_table(table)} WHERE {condition}", params)


def hard_delete_by_filters(
    table: TableName, filters: Sequence[Mapping[str, Any]], columns: ColumnsArg
) -> Statement:
    """``DELETE`` every row matching ``filters`` (at least one: never a whole table by accident)."""
    if not filters:
        raise ValueError("A delete by filters needs at least one filter")
    conditions, params = _filter_conditions(filters, _by_name(columns), "f")
    return Statement(f"DELETE FROM {quote_table(table)}{_where(conditions)}", params)


# -- reads --------------------------------------------------------------------------------------


def _read_conditions(
    filters: Sequence[Mapping[str, Any]] | None, by_name: Mapping[str, Column], exclude_deleted: bool
) -> tuple[list[str], dict[str, Any]]:
    conditions, params = _filter_conditions(filters, by_name, "f")
    if exclude_deleted:
        conditions.append(_deleted_guard(by_name))
    return conditions, params


def _order_by(by_name: Mapping[str, Column]) -> str:
    """A total, stable order for LIMIT/OFFSET pages (see ``select_rows``)."""
    if _has(by_name, "record_uuid"):
        keys = ["`inserted_at`", "`record_uuid`"] if _has(by_name, "inserted_at") else ["`record_uuid`"]
    else:
        keys = [quote_identifier(c.name) for c in by_name.values() if _base_type(c) not in _COMPLEX_TYPES]
    return ", ".join(f"{key} ASC NULLS FIRST" for key in keys)


def select_rows(
    table: TableName,
    columns: Sequence[str] | None,
    filters: Sequence[Mapping[str, Any]] | None,
    limit: int,
    offset: int,
    *,
    exclude_deleted: bool,
    table_columns: ColumnsArg,
) -> Statement:
    """``SELECT columns FROM table WHERE <filters> ORDER BY ... LIMIT :limit OFFSET :offset``.

    ``columns`` ``None`` (or empty) means all (``*``); named columns must be in
    ``table_columns`` (the table's columns). ``exclude_deleted`` adds
    ``(is_deleted IS NULL OR is_deleted = false)``.

    Order: a Delta table has none, and LIMIT/OFFSET pages without a total order may repeat
    or skip rows. Tables with audit columns are read by ``inserted_at, record_uuid``: unique,
    so pages are disjoint, and rows inserted while a client pages through land after the
    rows it has seen. A table without ``record_uuid`` is ordered by all its non-complex
    columns (pages then only tie between fully identical rows). NULLs first, explicitly.
    """
    if not isinstance(limit, int) or not isinstance(offset, int) or limit < 0 or offset < 0:
        raise ValueError("limit and offset must be non-negative integers")
    by_name = _by_name(table_columns)
    selected = "*"
    if columns:
        selected = ", ".join(quote_identifier(_column(by_name, name).name) for name in columns)
    conditions, params = _read_conditions(filters, by_name, exclude_deleted)
    order = _order_by(by_name)
    order_by = f" ORDER BY {order}" if order else ""
    params |= {"limit": limit, "offset": offset}
    where = _where(conditions)
    return Statement(
        f"SELECT {selected} FROM {quote_table(table)}{where}{order_by} LIMIT :limit OFFSET :offset", params
    )


def count_rows(
    table: TableName,
    filters: Sequence[Mapping[str, Any]] | None,
    *,
    exclude_deleted: bool,
    table_columns: ColumnsArg,
) -> Statement:
    """``SELECT COUNT(*) AS total`` with the same WHERE as ``select_rows`` (the read's ``total``)."""
    by_name = _by_name(table_columns)
    conditions, params = _read_conditions(filters, by_name, exclude_deleted)
    return Statement(f"SELECT COUNT(*) AS `total` FROM {quote_table(table)}{_where(conditions)}", params)
