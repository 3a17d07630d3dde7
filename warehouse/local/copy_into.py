"""``COPY INTO <table> FROM '/Volumes/...'``: Databricks' idempotent bulk load, on DuckDB.

As on Databricks: the target table must exist and the source be a file or folder in an
existing volume; the files' columns are matched to the table's by name (case-insensitive),
target columns no file has are NULL (a NOT NULL one fails the statement), a file column the
table lacks fails it (no ``mergeSchema`` here), values are cast to the column types (a value
that cannot be cast fails it, with Databricks' class). Files already loaded into the table
are skipped, even if they changed since (``'force' = 'true'`` loads them again): the load
log is a table per catalog file (``main.__uc_copy_log``, keyed by the table and the file's
``/Volumes`` path, as Delta keys them in the table's log). Rows and log entries are written
in one DuckDB transaction, under the engine's write lock: a failure leaves both as they were.
The answer is Databricks' one row ``num_affected_rows, num_inserted_rows,
num_skipped_corrupt_files`` (BIGINT; corrupt files are never skipped here: they fail).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp

from . import file_formats
from .duckdb_errors import translate_duckdb_error
from .errors import LocalWarehouseError, UnsupportedStatement
from .session import Outcome, Session
from .translate import Plan, TableRef, catalog_alias, syntax_error
from .volumes import VolumePath, VolumeStore, data_files, parse_path, path_not_found

LOG_TABLE = "__uc_copy_log"
LOG_COLUMNS = "schema_name VARCHAR, table_name VARCHAR, file_path VARCHAR, loaded_at TIMESTAMP"
MAX_FILES = 1000  # Databricks' limit on FILES = (...)
RESULT_COLUMNS = ("num_affected_rows", "num_inserted_rows", "num_skipped_corrupt_files")
_COPY = re.compile(r"^\s*COPY\s+INTO\b", re.I)


class CopyEngine(Protocol):
    @property
    def db(self) -> duckdb.DuckDBPyConnection: ...

    @property
    def volumes(self) -> VolumeStore: ...

    @property
    def write_lock(self) -> threading.RLock: ...

    def require_table(self, ref: TableRef) -> None: ...

    def require_volume(self, path: VolumePath) -> None: ...


@dataclass(frozen=True)
class CopyInto:
    """One COPY INTO statement, parsed; its counters' kind is ``COPY``."""

    target: tuple[str, ...]  # the table's name as written: one to three parts
    source: str
    file_format: str
    files: tuple[str, ...] | None
    pattern: str | None
    format_options: tuple[tuple[str, str], ...]
    force: bool

    kind = "COPY"

    def run(self, engine: CopyEngine, session: Session) -> Outcome:
        ref = _table_ref(self.target, session)
        engine.require_table(ref)
        source = parse_path(self.source, operation="COPY INTO", needs_file=False)
        engine.require_volume(source)
        options = file_formats.reader_options(
            self.file_format, dict(self.format_options), infer_schema=False, where="COPY INTO"
        )
        with engine.write_lock:
            cursor = engine.db.cursor()
            try:
                return self._load(cursor, engine.volumes, ref, source, options)
            finally:
                cursor.close()

    def _load(
        self,
        cursor: duckdb.DuckDBPyConnection,
        store: VolumeStore,
        ref: TableRef,
        source: VolumePath,
        options: file_formats.ReaderOptions,
    ) -> Outcome:
        files = self._source_files(store, source)
        log = f"{catalog_alias(ref.catalog)}.main.{LOG_TABLE}"
        loaded = {
            row[0]
            for row in cursor.execute(
                f"SELECT file_path FROM {log} WHERE schema_name = ? AND table_name = ?",
                [ref.schema, ref.table],
            ).fetchall()
        }
        todo = [(key, path) for key, path in files if self.force or key not in loaded]
        if not todo:
            return _result(0)
        plan = Plan(kind="COPY", sql="", writes=True)  # how DuckDB's errors are worded
        cursor.execute("BEGIN TRANSACTION")
        try:
            select, columns = file_formats.relation(cursor, [path for _, path in todo], options)
            insert = _insert_sql(cursor, ref, select, columns)
            row = cursor.execute(insert).fetchone()
            inserted = int(row[0]) if row else 0
            keys = [key for key, _ in todo]
            cursor.execute(
                f"DELETE FROM {log} WHERE schema_name = ? AND table_name = ? AND list_contains(?, file_path)",
                [ref.schema, ref.table, keys],
            )
            cursor.executemany(
                f"INSERT INTO {log} VALUES (?, ?, ?, now()::TIMESTAMP)",
                [[ref.schema, ref.table, k] for k in keys],
            )
            cursor.execute("COMMIT")
        except BaseException as error:
            cursor.execute("ROLLBACK")
            if isinstance(error, duckdb.Error):
                raise translate_duckdb_error(error, plan) from error
            raise
        return _result(inserted)

    def _source_files(self, store: VolumeStore, source: VolumePath) -> list[tuple[str, Path]]:
        """The files to read, each with its key in the load log (its ``/Volumes`` path)."""
        location = store.local(source)
        if not location.exists():
            raise path_not_found(source)
        if self.files is not None:
            chosen = []
            for name in self.files:
                inner = parse_path(f"{source}/{name}", operation="COPY INTO", needs_file=True)
                if not store.local(inner).is_file():
                    raise path_not_found(inner)
                chosen.append((str(inner), store.local(inner)))
            return chosen
        found = data_files(location)
        if self.pattern is not None and location.is_dir():
            matcher = _glob(self.pattern)
            found = [path for path in found if matcher.fullmatch(path.relative_to(location).as_posix())]
        base = str(source).rstrip("/")
        if location.is_file():
            return [(base, location)]
        return [(f"{base}/{path.relative_to(location).as_posix()}", path) for path in found]


def find_copy(statement: str) -> CopyInto | None:
    """The COPY INTO ``statement`` is, or None when it is not one."""
    if not _COPY.match(statement):
        return None
    try:
        tree = sqlglot.parse_one(statement.strip().rstrip(";"), read="databricks")
    except sqlglot.errors.ParseError as error:
        raise syntax_error(statement, str(error).splitlines()[0]) from error
    if not isinstance(tree, exp.Copy) or not isinstance(tree.this, exp.Table):
        raise UnsupportedStatement("this form of COPY INTO (a column list, BY POSITION)")
    sources = tree.args.get("files") or []
    if len(sources) != 1 or not isinstance(sources[0], exp.Literal) or not sources[0].is_string:
        raise UnsupportedStatement("COPY INTO from a query or with credentials (a '/Volumes/...' path only)")
    params = {param.this.name.upper(): param for param in tree.args.get("params") or []}
    unknown = set(params) - {"FILEFORMAT", "FILES", "PATTERN", "FORMAT_OPTIONS", "COPY_OPTIONS"}
    if unknown:
        raise UnsupportedStatement(f"COPY INTO with {', '.join(sorted(unknown))}")
    if "FILEFORMAT" not in params:
        raise syntax_error(statement, "COPY INTO needs FILEFORMAT = <format>")
    if "FILES" in params and "PATTERN" in params:
        raise syntax_error(statement, "FILES and PATTERN cannot be used together")
    files = None
    if "FILES" in params:
        value = params["FILES"].expression
        items = value.expressions if isinstance(value, exp.Tuple) else [value]
        files = tuple(item.name for item in items)
        if len(files) > MAX_FILES:
            raise syntax_error(statement, f"FILES takes at most {MAX_FILES} names")
    copy_options = {key.lower(): value for key, value in _options(params.get("COPY_OPTIONS")).items()}
    if set(copy_options) - {"force", "mergeschema"}:
        raise UnsupportedStatement(f"the COPY_OPTIONS {sorted(copy_options)}")
    if copy_options.get("mergeschema", "false").lower() == "true":
        raise UnsupportedStatement("COPY INTO with 'mergeSchema' = 'true' (the table's columns are kept)")
    table = tree.this
    parts = tuple(p.name for p in (table.args.get("catalog"), table.args.get("db"), table.this) if p)
    return CopyInto(
        target=parts,
        source=sources[0].name,
        file_format=params["FILEFORMAT"].expression.name,
        files=files,
        pattern=params["PATTERN"].expression.name if "PATTERN" in params else None,
        format_options=tuple(_options(params.get("FORMAT_OPTIONS")).items()),
        force=copy_options.get("force", "false").lower() == "true",
    )


def _options(param: exp.Expression | None) -> dict[str, str]:
    if param is None:
        return {}
    return {
        prop.this.name: prop.args["value"].name
        for prop in param.expressions
        if isinstance(prop, exp.Property)
    }


def _table_ref(parts: tuple[str, ...], session: Session) -> TableRef:
    names = [part.lower() for part in parts]
    if len(names) == 3:
        return TableRef(*names)
    if len(names) == 2:
        return TableRef(session.catalog, names[0], names[1])
    return TableRef(session.catalog, session.schema, names[0])


def _insert_sql(
    cursor: duckdb.DuckDBPyConnection, ref: TableRef, select: str, columns: list[tuple[str, str]]
) -> str:
    target = cursor.execute(
        "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
        "WHERE database_name = ? AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [catalog_alias(ref.catalog), ref.schema, ref.table],
    ).fetchall()
    by_name = {name.lower(): name for name, _ in columns}
    known = {name.lower() for name, _, _ in target}
    extra = [name for name, _ in columns if name.lower() not in known]
    if extra:
        raise LocalWarehouseError(
            "DELTA_METADATA_MISMATCH",
            f"A schema mismatch detected when writing to the Delta table {ref}: the data has the "
            f"columns {extra} the table does not. To enable schema migration, set "
            "COPY_OPTIONS ('mergeSchema' = 'true').",
            "42KDG",
        )
    values = []
    for name, duck_type, nullable in target:
        source = by_name.get(name.lower())
        if source is None and not nullable:
            raise LocalWarehouseError(
                "DELTA_MISSING_NOT_NULL_COLUMN_VALUE",
                f"Column {name}, which has a NOT NULL constraint, is missing from the data being "
                "written into the table.",
                "23502",
            )
        value = "NULL" if source is None else file_formats.quote(source)
        values.append(f"CAST({value} AS {duck_type})")
    names = ", ".join(file_formats.quote(name) for name, _, _ in target)
    table = f"{catalog_alias(ref.catalog)}.{file_formats.quote(ref.schema)}.{file_formats.quote(ref.table)}"
    return f"INSERT INTO {table} ({names}) SELECT {', '.join(values)} FROM ({select})"


def _glob(pattern: str) -> re.Pattern[str]:
    """A Hadoop glob (``*``, ``?``, ``[...]``, ``{a,b}``) as a regular expression; ``*`` stays
    within one folder."""
    out, depth, index = [], 0, 0
    while index < len(pattern):
        char = pattern[index]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", index + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = pattern[index + 1 : end]
                out.append("[" + ("^" + body[1:] if body.startswith("^") else body) + "]")
                index = end
        elif char == "{":
            depth += 1
            out.append("(?:")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        elif char == "," and depth:
            out.append("|")
        elif char == "\\" and index + 1 < len(pattern):
            index += 1
            out.append(re.escape(pattern[index]))
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out))


def _result(inserted: int) -> Outcome:
    counts = (inserted, inserted, 0)
    table = pa.table(
        {name: pa.array([value], pa.int64()) for name, value in zip(RESULT_COLUMNS, counts, strict=True)}
    )
    return Outcome(table=table, duck_types=["BIGINT"] * len(RESULT_COLUMNS), num_modified_rows=inserted)


def forget(cursor: duckdb.DuckDBPyConnection, dropped: tuple[str, object]) -> None:
    """A dropped table (or schema) takes its load log with it: a new table of that name is a new
    Delta table, which has loaded nothing."""
    kind, target = dropped
    if kind == "SCHEMA":
        catalog, schema = cast(tuple[str, str], target)
        cursor.execute(
            f"DELETE FROM {catalog_alias(catalog)}.main.{LOG_TABLE} WHERE schema_name = ?", [schema]
        )
    elif isinstance(target, TableRef):
        cursor.execute(
            f"DELETE FROM {catalog_alias(target.catalog)}.main.{LOG_TABLE} "
            "WHERE schema_name = ? AND table_name = ?",
            [target.schema, target.table],
        )
