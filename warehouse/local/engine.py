"""The local warehouse's execution engine: Unity Catalog names on DuckDB.

Each catalog is one DuckDB database file in the data directory, attached under an alias
(``uc__<name>``); its volumes' files are under ``<data_dir>/volumes/<catalog>/`` (``volumes``).
Statements from every session share one DuckDB instance; writes (DML, DDL, COPY INTO) are
serialized by a lock, reads run concurrently on their own cursors.
"""

from __future__ import annotations

import logging
import shutil
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from duckdb.func import FunctionNullHandling, PythonUDFType

from . import copy_into, file_formats, metadata, volumes
from .commands import Command, find_command
from .copy_into import CopyInto, find_copy
from .duckdb_errors import translate_duckdb_error
from .errors import LocalWarehouseError, catalog_not_found, schema_not_found, table_not_found
from .json_reader import JsonReader, udf
from .session import DEFAULT_SCHEMA, Outcome, ParameterValue, Session
from .stats import StatementStats
from .translate import Binding, Plan, ReadFiles, TableRef, catalog_alias, translate
from .volumes import VolumePath, VolumeStore

logger = logging.getLogger(__name__)

_WIDE_INTEGERS = {"HUGEINT", "UHUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT"}


@dataclass(frozen=True)
class PlannedStatement:
    """A translated statement and the parameters it binds."""

    plan: Plan
    parameters: tuple[ParameterValue, ...]

    @property
    def kind(self) -> str:
        return self.plan.kind


# A statement ready to run; its ``kind`` is what the statement counters call it.
Prepared = Command | CopyInto | PlannedStatement


class Engine:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # The root connection; every thread works on a cursor of its own (``self.db``): a
        # DuckDB connection refuses a second concurrent call instead of waiting.
        self.database = duckdb.connect(":memory:")
        self._threads = threading.local()
        # Databricks TIMESTAMP values are instants shown in the session time zone, UTC by default.
        self.database.execute("SET GLOBAL TimeZone = 'UTC'")
        self.write_lock = threading.RLock()
        self.stats = StatementStats()
        self.volumes = VolumeStore(self.data_dir / "volumes")
        self._readers: set[str] = set()  # the from_json functions registered on the database
        self._readers_lock = threading.Lock()
        for path in sorted(self.data_dir.glob("*.duckdb")):
            self._attach(path.stem)

    @property
    def db(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the shared DuckDB instance."""
        cursor = getattr(self._threads, "cursor", None)
        if cursor is None:
            cursor = self._threads.cursor = self.database.cursor()
        return cursor

    def close(self) -> None:
        with self.write_lock:
            for catalog in self.catalogs():
                self.database.execute(f"CHECKPOINT {catalog_alias(catalog)}")
            self.database.close()

    # -- catalogs ----------------------------------------------------------------------------

    def catalogs(self) -> list[str]:
        rows = self.db.execute(
            "SELECT database_name FROM duckdb_databases() WHERE starts_with(database_name, 'uc__')"
        ).fetchall()
        return sorted(row[0][4:] for row in rows)

    def _attach(self, catalog: str) -> None:
        alias = catalog_alias(catalog)
        self.db.execute(f"ATTACH '{self.data_dir / f'{catalog}.duckdb'}' AS {alias}")
        self.db.execute(f"CREATE TABLE IF NOT EXISTS {alias}.main.{metadata.TABLE} ({metadata.COLUMNS})")
        self.db.execute(f"CREATE TABLE IF NOT EXISTS {alias}.main.{volumes.TABLE} ({volumes.COLUMNS})")
        self.db.execute(
            f"CREATE TABLE IF NOT EXISTS {alias}.main.{copy_into.LOG_TABLE} ({copy_into.LOG_COLUMNS})"
        )

    def create_catalog(self, catalog: str, if_not_exists: bool) -> None:
        with self.write_lock:
            if catalog in self.catalogs():
                if if_not_exists:
                    return
                raise LocalWarehouseError(
                    "CATALOG_ALREADY_EXISTS",
                    f"Cannot create catalog `{catalog}` because it already exists.",
                    "42P04",
                )
            self._attach(catalog)
            self.db.execute(f"CREATE SCHEMA IF NOT EXISTS {catalog_alias(catalog)}.{DEFAULT_SCHEMA}")

    def drop_catalog(self, catalog: str, if_exists: bool, cascade: bool) -> None:
        with self.write_lock:
            if catalog not in self.catalogs():
                if if_exists:
                    return
                raise catalog_not_found(f"`{catalog}`")
            if not cascade and (metadata.tables(self.db, catalog) or self.volumes.names(self.db, catalog)):
                raise LocalWarehouseError(
                    "SCHEMA_NOT_EMPTY",
                    f"Cannot drop catalog `{catalog}` because it is not empty. Use CASCADE.",
                    "2BP01",
                )
            self.db.execute(f"DETACH {catalog_alias(catalog)}")
            for path in self.data_dir.glob(f"{catalog}.duckdb*"):
                path.unlink() if path.is_file() else shutil.rmtree(path)
            self.volumes.drop_catalog(catalog)

    def require_catalog(self, catalog: str) -> None:
        if catalog not in self.catalogs():
            raise catalog_not_found(f"`{catalog}`")

    def require_schema(self, catalog: str, schema: str) -> None:
        self.require_catalog(catalog)
        if schema not in metadata.schemas(self.db, catalog):
            raise schema_not_found(f"`{catalog}`.`{schema}`")

    def require_table(self, ref: TableRef) -> None:
        if ref.catalog not in self.catalogs() or not metadata.table_exists(self.db, ref):
            raise table_not_found(str(ref))

    # -- volumes -----------------------------------------------------------------------------

    def require_volume(self, path: VolumePath) -> None:
        self.require_schema(path.catalog, path.schema)
        if not self.volumes.exists(self.db, path):
            raise volumes.volume_not_found(path)

    def volume_exists(self, path: VolumePath) -> bool:
        return path.catalog in self.catalogs() and self.volumes.exists(self.db, path)

    def create_volume(self, path: VolumePath, if_not_exists: bool, comment: str | None) -> None:
        with self.write_lock:
            self.require_schema(path.catalog, path.schema)
            if self.volumes.exists(self.db, path):
                if if_not_exists:
                    return
                raise volumes.volume_already_exists(path)
            self.volumes.create(self.db, path, comment)

    def drop_volume(self, path: VolumePath, if_exists: bool) -> None:
        with self.write_lock:
            if if_exists and not self.volume_exists(path):
                return
            self.require_volume(path)
            self.volumes.drop(self.db, path)

    # -- statements --------------------------------------------------------------------------

    def execute(self, session: Session, statement: str, parameters: Sequence[ParameterValue]) -> Outcome:
        return self.run(session, self.prepare(session, statement, parameters))

    def prepare(self, session: Session, statement: str, parameters: Sequence[ParameterValue]) -> Prepared:
        """Recognize a command or translate the statement; raises what the statement cannot be.

        The limits on a statement (``limits``) are the server's to check, on what it received.
        """
        command = find_command(statement)
        if command is not None:
            return command
        copy = find_copy(statement)
        if copy is not None:
            return copy
        plan = translate(statement, tuple(p.spec for p in parameters), session.catalog, session.schema)
        return PlannedStatement(plan, tuple(parameters))

    def run(self, session: Session, statement: Prepared) -> Outcome:
        if isinstance(statement, Command | CopyInto):
            return statement.run(self, session)
        plan = statement.plan
        values = _binding_values(plan.bindings, statement.parameters)
        if plan.writes:
            with self.write_lock:
                return self._run_plan(session, plan, values)
        return self._run_plan(session, plan, values)

    def _run_plan(self, session: Session, plan: Plan, values: dict[str, Any]) -> Outcome:
        for catalog in plan.needs_catalogs:
            self.require_catalog(catalog)
        for catalog, schema in plan.needs_schemas:
            self.require_schema(catalog, schema)
        for ref in plan.reads:
            self.require_table(ref)
        if plan.dropped and plan.dropped[0] == "SCHEMA" and not plan.cascade:
            self._require_empty_schema(*plan.dropped[1])  # type: ignore[misc]
        for reader in plan.json_readers:
            self._register(reader)
        cursor = self.db.cursor()
        try:
            for catalog, view, name in plan.info_schema:
                self.require_catalog(catalog)
                cursor.register(name, metadata.information_schema(self.db, catalog, view))
            for source in plan.read_files:
                self._read_files_view(cursor, source)
            return self._run_sql(cursor, session, plan, values)
        except duckdb.Error as error:
            translated = translate_duckdb_error(error, plan)
            if translated.error_class == "INTERNAL_ERROR":
                # What DuckDB was given, to tell a translation bug from an engine one.
                logger.warning("DuckDB failed %s: %s (parameters %s)", plan.sql[:2000], error, sorted(values))
            raise translated from error
        finally:
            cursor.close()

    def _require_empty_schema(self, catalog: str, schema: str) -> None:
        """DROP SCHEMA without CASCADE of a schema that has tables or volumes fails, as on Databricks."""
        if catalog not in self.catalogs() or schema not in metadata.schemas(self.db, catalog):
            return  # the drop itself reports it (or IF EXISTS tolerates it)
        if metadata.tables(self.db, catalog, schema) or self.volumes.names(self.db, catalog, schema):
            raise LocalWarehouseError(
                "SCHEMA_NOT_EMPTY",
                f"Cannot drop a schema `{catalog}`.`{schema}` because it contains objects.\n"
                "Use DROP SCHEMA ... CASCADE to drop the schema and all its objects.",
                "2BP01",
            )

    def _read_files_view(self, cursor: duckdb.DuckDBPyConnection, source: ReadFiles) -> None:
        """The files of one ``read_files(...)`` as the temporary view its statement reads."""
        path = volumes.parse_path(source.path, operation="read_files", needs_file=False)
        self.require_volume(path)
        location = self.volumes.local(path)
        if not location.exists():
            raise volumes.path_not_found(path)
        options = file_formats.reader_options(
            source.file_format, dict(source.options), infer_schema=True, where="read_files"
        )
        files = volumes.data_files(location)
        if not files:
            raise LocalWarehouseError(
                "UNABLE_TO_INFER_SCHEMA",
                f"Unable to infer schema for {options.format.upper()}. It must be specified manually.",
                "42KD9",
            )
        select, _ = file_formats.relation(cursor, files, options)
        # read_files adds the rescued-data column to an inferred schema, for every format; here
        # no value is ever rescued (a value that does not fit fails instead).
        cursor.execute(
            f"CREATE TEMPORARY VIEW {source.view} AS "
            f"SELECT *, CAST(NULL AS VARCHAR) AS _rescued_data FROM ({select})"
        )

    def _register(self, reader: JsonReader) -> None:
        """Make the DuckDB function of a ``from_json`` schema and mode exist (once per instance).

        Under the write lock: a new function changes DuckDB's catalog, and a write prepared
        before and executed after such a change is re-bound by DuckDB, which we do not
        want to depend on (a CI run once met a MERGE whose ``$p0`` was bound as a column).
        """
        name = reader.function_name
        if name in self._readers:
            return
        with self.write_lock, self._readers_lock:
            if name in self._readers:
                return
            self.database.create_function(
                name,
                udf(reader),
                [duckdb.sqltype("VARCHAR")],
                duckdb.sqltype(reader.json_type.duckdb),
                type=PythonUDFType.ARROW,
                null_handling=FunctionNullHandling.SPECIAL,  # it returns NULL for some documents
                side_effects=False,
            )
            self._readers.add(name)

    def _run_sql(
        self, cursor: duckdb.DuckDBPyConnection, session: Session, plan: Plan, values: dict[str, Any]
    ) -> Outcome:
        timer = None
        if session.statement_timeout:
            timer = threading.Timer(session.statement_timeout, cursor.interrupt)
            timer.daemon = True
            timer.start()
        try:
            if plan.kind == "SELECT":
                return _select(cursor, plan.sql, values)
            rows = cursor.execute(plan.sql, values).fetchall()
        except duckdb.InterruptException as error:
            raise LocalWarehouseError(
                "QUERY_EXECUTION_TIMEOUT_EXCEEDED",
                "The query was cancelled because it ran longer than STATEMENT_TIMEOUT "
                f"({session.statement_timeout:g} s).",
                "57KD0",
            ) from error
        finally:
            if timer:
                timer.cancel()
        if plan.kind == "CREATE" and plan.created_table:
            metadata.record_columns(
                cursor, plan.created_table, plan.declared_columns, replace=not plan.if_exists
            )
        if plan.kind == "DROP" and plan.dropped:
            metadata.forget(cursor, plan.dropped)
            copy_into.forget(cursor, plan.dropped)
            if plan.dropped[0] == "SCHEMA":
                self.volumes.drop_schema(cursor, *plan.dropped[1])  # type: ignore[misc]
        return dml_outcome(plan.kind, rows)


def _binding_values(bindings: tuple[Binding, ...], parameters: Sequence[ParameterValue]) -> dict[str, Any]:
    by_key = {p.spec.key: p for p in parameters}
    values: dict[str, Any] = {}
    for binding in bindings:
        parameter = by_key[binding.key]
        if binding.argument is None:
            values[binding.duck_name] = parameter.value
        else:
            values[binding.duck_name] = parameter.argument_values[binding.argument]
    return values


def _select(cursor: duckdb.DuckDBPyConnection, sql: str, values: dict[str, Any]) -> Outcome:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DuckDB warns that DB-API Arrow output copies; it is small here.
        cursor.execute(sql, values or None)
        duck_types = [str(column[1]) for column in cursor.description or []]
        table = cursor.to_arrow_table()
    assert table is not None, "a SELECT always has a result"  # noqa: S101
    columns = []
    for index, duck_type in enumerate(duck_types):
        column = table.column(index)
        if duck_type.upper() in _WIDE_INTEGERS:
            column = column.cast(pa.int64())
        columns.append(column)
    names = [description[0] for description in cursor.description or []]
    return Outcome(table=pa.table(columns, names=names) if columns else table, duck_types=duck_types)


def dml_outcome(kind: str, rows: list[tuple[Any, ...]]) -> Outcome:
    """The result row Databricks returns for a DML statement, and its modified-row count."""
    if kind == "MERGE":
        actions = [row[0] for row in rows]
        counts = {
            "num_affected_rows": len(actions),
            "num_updated_rows": actions.count("UPDATE"),
            "num_deleted_rows": actions.count("DELETE"),
            "num_inserted_rows": actions.count("INSERT"),
        }
    elif kind in ("INSERT", "UPDATE", "DELETE"):
        count = int(rows[0][0]) if rows else 0
        counts = {"num_affected_rows": count}
        if kind == "INSERT":
            counts["num_inserted_rows"] = count
    else:
        return Outcome(table=pa.table({}), duck_types=[])
    table = pa.table({name: pa.array([value], pa.int64()) for name, value in counts.items()})
    return Outcome(
        table=table, duck_types=["BIGINT"] * len(counts), num_modified_rows=counts["num_affected_rows"]
    )
