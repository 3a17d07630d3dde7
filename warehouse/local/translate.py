"""Databricks SQL to DuckDB SQL.

sqlglot does most of the work (backticks, ``:name`` markers, DML, MERGE, type names);
this module adds what it does not know: typed parameter binding, name resolution onto the
attached catalog databases, ``from_json`` as Spark reads JSON (``json_reader``), generators
(``generators``), declared VARCHAR/CHAR lengths, ``<catalog>.information_schema`` views, and
the refusal of functions Databricks does not have. The result is a ``Plan`` that depends only
on the statement text, the parameter types and the session's namespace, so it is cached:
translating a statement with hundreds of markers costs tens of ms.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import exp

from warehouse.sql import TableName

from .errors import LocalWarehouseError, UnsupportedStatement, unresolved_routine
from .generators import rewrite_generators
from .json_reader import JsonReader, from_json_call
from .spark_functions import SPARK_BUILTINS
from .types import declared_length, duckdb_type, with_spark_defaults

CATALOG_PREFIX = "uc__"
INFO_SCHEMA_VIEWS = ("columns", "tables", "schemata")

DML_KINDS = {exp.Insert: "INSERT", exp.Update: "UPDATE", exp.Delete: "DELETE", exp.Merge: "MERGE"}


def catalog_alias(catalog: str) -> str:
    """The DuckDB database name of a catalog (DuckDB reserves ``main``, ``system``, ``temp``)."""
    return CATALOG_PREFIX + catalog.lower()


@dataclass(frozen=True)
class ParameterSpec:
    """The type of one bound parameter as the connector sent it (name or ordinal position)."""

    key: str | int
    type: str
    argument_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Binding:
    """Where the DuckDB parameter ``$duck_name`` takes its value from."""

    duck_name: str
    key: str | int
    argument: int | None = None


@dataclass(frozen=True)
class ReadFiles:
    """One ``read_files(path, option => value, ...)`` in FROM: the engine makes it the temporary
    view ``view`` over the files (which it lists when the statement runs, not here)."""

    view: str
    path: str
    file_format: str
    options: tuple[tuple[str, str], ...]


class TableRef(TableName):
    """A table as the local warehouse's messages name it: each part backticked, as Databricks does."""

    def __str__(self) -> str:
        return f"`{self.catalog}`.`{self.schema}`.`{self.table}`"


@dataclass
class Plan:
    """A translated statement and what must hold before it runs."""

    kind: str
    sql: str
    bindings: tuple[Binding, ...] = ()
    reads: tuple[TableRef, ...] = ()  # tables that must exist
    needs_schemas: tuple[tuple[str, str], ...] = ()  # (catalog, schema) that must exist
    needs_catalogs: tuple[str, ...] = ()
    info_schema: tuple[tuple[str, str, str], ...] = ()  # (catalog, view, registered name)
    created_table: TableRef | None = None
    declared_columns: tuple[tuple[str, str], ...] = ()
    dropped: tuple[str, TableRef | tuple[str, str]] | None = None
    if_exists: bool = False
    writes: bool = True
    json_readers: tuple[JsonReader, ...] = ()  # the from_json functions the SQL calls
    read_files: tuple[ReadFiles, ...] = ()
    cascade: bool = False  # DROP SCHEMA ... CASCADE


def translate(statement: str, parameters: tuple[ParameterSpec, ...], catalog: str, schema: str) -> Plan:
    """Translate one Databricks statement; raises ``LocalWarehouseError`` on what it rejects."""
    return _translate_cached(statement, parameters, catalog.lower(), schema.lower())


@lru_cache(maxsize=1024)
def _translate_cached(
    statement: str, parameters: tuple[ParameterSpec, ...], catalog: str, schema: str
) -> Plan:
    tree = _parse(statement)
    translator = _Translator(parameters, catalog, schema)
    return translator.run(tree)


def _parse(statement: str) -> exp.Expression:
    try:
        trees = sqlglot.parse(statement, read="databricks")
    except sqlglot.errors.ParseError as error:
        raise syntax_error(statement, str(error).splitlines()[0]) from error
    trees = [tree for tree in trees if tree is not None]
    if len(trees) != 1:
        raise syntax_error(statement, "expected exactly one statement")
    tree: exp.Expression = trees[0]  # type: ignore[assignment]
    if isinstance(tree, exp.Command):
        raise UnsupportedStatement(f"the statement {statement.strip().split()[0].upper()} ...")
    if isinstance(tree, exp.Insert) and tree.args.get("overwrite"):
        raise UnsupportedStatement("INSERT OVERWRITE")
    return tree


def syntax_error(statement: str, detail: str) -> LocalWarehouseError:
    return LocalWarehouseError(
        "PARSE_SYNTAX_ERROR", f"Syntax error in statement: {detail}. Statement: {statement[:200]}", "42601"
    )


class _Translator:
    def __init__(self, parameters: tuple[ParameterSpec, ...], catalog: str, schema: str) -> None:
        self.parameters = {spec.key: spec for spec in parameters}
        self.catalog = catalog
        self.schema = schema
        self.bindings: list[Binding] = []
        self.reads: list[TableRef] = []
        self.info_schema: list[tuple[str, str, str]] = []
        self.json_readers: list[JsonReader] = []
        self.read_files: list[ReadFiles] = []
        self.ordinal = 0

    def run(self, tree: exp.Expression) -> Plan:
        with_spark_defaults(tree)
        self._bind_parameters(tree)
        if isinstance(tree, exp.Create):
            return self._create(tree)
        if isinstance(tree, exp.Drop):
            return self._drop(tree)
        if isinstance(tree, exp.Describe):
            raise UnsupportedStatement("this form of DESCRIBE")
        self._rewrite_read_files(tree)
        _refuse_unknown_functions(tree, self.catalog, self.schema)
        # Two passes (a node replaced by transform() is not walked again); generators first,
        # while a from_json argument still shows its schema.
        query = rewrite_generators(tree).transform(self._rewrite_from_json)
        self._resolve_tables(query, target=None)
        _unqualify_set_targets(query)
        kind = next((name for cls, name in DML_KINDS.items() if isinstance(query, cls)), None)
        if kind is None and not isinstance(query, exp.Query):
            raise UnsupportedStatement(f"statements of type {type(query).__name__.upper()}")
        sql = query.sql(dialect="duckdb")
        if kind == "MERGE":
            # Databricks reports inserted/updated/deleted counts separately; DuckDB tells us
            # which action each row took.
            sql += " RETURNING merge_action"
        return Plan(
            kind=kind or "SELECT",
            sql=sql,
            bindings=tuple(self.bindings),
            reads=tuple(self.reads),
            needs_schemas=tuple({(ref.catalog, ref.schema) for ref in self.reads}),
            info_schema=tuple(self.info_schema),
            writes=kind is not None,
            json_readers=tuple(self.json_readers),
            read_files=tuple(self.read_files),
        )

    # -- parameters ------------------------------------------------------------------------

    def _bind_parameters(self, tree: exp.Expression) -> None:
        # Parameters the statement does not mention are ignored, as Databricks does.
        for placeholder in list(tree.find_all(exp.Placeholder)):
            placeholder.replace(self._parameter_expression(placeholder))

    def _parameter_expression(self, placeholder: exp.Placeholder) -> exp.Expression:
        key: str | int
        if placeholder.name and placeholder.name != "?":
            key = placeholder.name
        else:
            key = self.ordinal
            self.ordinal += 1
        spec = self.parameters.get(key)
        if spec is None:
            raise LocalWarehouseError(
                "UNBOUND_SQL_PARAMETER",
                f"Found the unbound parameter: {key}. Please, fix `args` and provide a mapping "
                "of the parameter to either a SQL literal or collection constructor functions.",
                "42P02",
            )
        kind = spec.type.upper()
        if kind == "VOID":
            return exp.Null()
        if kind in ("ARRAY", "MAP"):
            items = [
                self._typed(spec.key, arg_type, index) for index, arg_type in enumerate(spec.argument_types)
            ]
            if kind == "ARRAY":
                return exp.Array(expressions=items)
            return exp.Anonymous(
                this="MAP",
                expressions=[exp.Array(expressions=items[0::2]), exp.Array(expressions=items[1::2])],
            )
        return self._typed(spec.key, spec.type, None)

    def _typed(self, key: str | int, type_text: str, argument: int | None) -> exp.Expression:
        if type_text.upper() == "VOID":
            return exp.Null()
        duck_name = f"p{len(self.bindings)}"
        self.bindings.append(Binding(duck_name=duck_name, key=key, argument=argument))
        target = exp.DataType.build(duckdb_type(type_text), dialect="duckdb")
        return exp.Cast(this=exp.Parameter(this=exp.Var(this=duck_name)), to=target)

    # -- functions ---------------------------------------------------------------------------

    def _rewrite_from_json(self, node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.FromJson):
            return node
        call, reader = from_json_call(node)
        self.json_readers.append(reader)
        return call

    def _rewrite_read_files(self, tree: exp.Expr) -> None:
        """``read_files(...)`` in FROM becomes a view the engine makes of its files."""
        for table in list(tree.find_all(exp.Table)):
            call = table.this
            if not (isinstance(call, exp.Anonymous) and call.name.lower() == "read_files"):
                continue
            arguments = list(call.expressions)
            if not arguments or not (isinstance(arguments[0], exp.Literal) and arguments[0].is_string):
                raise UnsupportedStatement("read_files without a '/Volumes/...' path literal first")
            options: dict[str, str] = {}
            for argument in arguments[1:]:
                if not isinstance(argument, exp.Kwarg):
                    raise UnsupportedStatement("read_files options other than name => value")
                value = argument.expression
                if not isinstance(value, exp.Literal | exp.Boolean):
                    raise UnsupportedStatement("read_files option values other than literals")
                text = str(value.this).lower() if isinstance(value, exp.Boolean) else value.name
                options[argument.this.name] = text
            file_format = next((v for k, v in options.items() if k.lower() == "format"), None)
            if file_format is None:
                raise UnsupportedStatement("read_files without format => 'parquet' | 'csv' | 'json'")
            view = f"__uc_read_files_{len(self.read_files)}"
            others = tuple((k, v) for k, v in options.items() if k.lower() != "format")
            self.read_files.append(ReadFiles(view, arguments[0].name, file_format, others))
            table.replace(exp.to_table(view).as_(table.alias or "read_files"))

    # -- names -------------------------------------------------------------------------------

    def _qualify(self, table: exp.Table) -> TableRef:
        parts = [part.name.lower() for part in (table.args.get("catalog"), table.args.get("db")) if part]
        if len(parts) == 2:
            catalog, schema = parts
        elif len(parts) == 1:
            catalog, schema = self.catalog, parts[0]
        else:
            catalog, schema = self.catalog, self.schema
        return TableRef(catalog, schema, table.name.lower())

    def _resolve_tables(self, tree: exp.Expr, target: exp.Table | None) -> None:
        cte_names = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        cte_names |= {source.view for source in self.read_files}
        for table in list(tree.find_all(exp.Table)):
            if not isinstance(table.this, exp.Identifier) or table is target:
                continue
            if not table.args.get("db") and table.name.lower() in cte_names:
                continue
            ref = self._qualify(table)
            if ref.schema == "information_schema":
                self._info_schema_view(table, ref)
                continue
            self.reads.append(ref)
            self._point_at(table, ref)

    def _point_at(self, table: exp.Table, ref: TableRef) -> None:
        table.set("catalog", exp.to_identifier(catalog_alias(ref.catalog)))
        table.set("db", exp.to_identifier(ref.schema))
        table.set("this", exp.to_identifier(ref.table))

    def _info_schema_view(self, table: exp.Table, ref: TableRef) -> None:
        if ref.table not in INFO_SCHEMA_VIEWS:
            raise UnsupportedStatement(f"information_schema.{ref.table}")
        registered = f"__uc_info_{ref.catalog}_{ref.table}"
        self.info_schema.append((ref.catalog, ref.table, registered))
        alias = table.alias or ref.table
        table.replace(exp.to_table(registered).as_(alias))

    # -- DDL ---------------------------------------------------------------------------------

    def _create(self, tree: exp.Create) -> Plan:
        kind = (tree.args.get("kind") or "").upper()
        if kind == "SCHEMA":
            catalog, schema = self._schema_name(tree.this)
            if_not_exists = "IF NOT EXISTS " if tree.args.get("exists") else ""
            sql = f"CREATE SCHEMA {if_not_exists}{catalog_alias(catalog)}.{schema}"
            return Plan(kind="CREATE", sql=sql, needs_catalogs=(catalog,))
        if kind != "TABLE":
            raise UnsupportedStatement(f"CREATE {kind}")
        schema_node = tree.this
        if not isinstance(schema_node, exp.Schema):
            raise UnsupportedStatement("CREATE TABLE ... AS SELECT")
        target = schema_node.this
        ref = self._qualify(target)
        declared = []
        for column in schema_node.expressions:
            if not isinstance(column, exp.ColumnDef):
                continue
            declared_text = column.args["kind"].sql(dialect="databricks")
            declared.append((column.name, declared_text))  # as declared, as Databricks keeps it
            self._column_for_duckdb(column, declared_text)
        tree.set("properties", None)
        self._point_at(target, ref)
        return Plan(
            kind="CREATE",
            sql=tree.sql(dialect="duckdb"),
            bindings=tuple(self.bindings),
            needs_schemas=((ref.catalog, ref.schema),),
            created_table=ref,
            declared_columns=tuple(declared),
            if_exists=bool(tree.args.get("exists")),
        )

    def _schema_name(self, target: exp.Expression) -> tuple[str, str]:
        """(catalog, schema) of ``CREATE/DROP SCHEMA [catalog.]schema`` (sqlglot puts them in db/catalog)."""
        if not isinstance(target, exp.Table) or not target.args.get("db"):
            raise UnsupportedStatement("this schema name")
        catalog = target.args["catalog"].name if target.args.get("catalog") else self.catalog
        return catalog.lower(), target.args["db"].name.lower()

    @staticmethod
    def _column_for_duckdb(column: exp.ColumnDef, declared_text: str) -> None:
        column.set("kind", exp.DataType.build(duckdb_type(declared_text), dialect="duckdb"))
        constraints = [
            c
            for c in column.args.get("constraints") or []
            if not isinstance(c.kind, exp.CommentColumnConstraint)
        ]
        length = declared_length(declared_text)
        if length:
            check = exp.LTE(
                this=exp.Length(this=exp.column(column.name)), expression=exp.Literal.number(length[1])
            )
            constraints.append(exp.ColumnConstraint(kind=exp.CheckColumnConstraint(this=check)))
        column.set("constraints", constraints)

    def _drop(self, tree: exp.Drop) -> Plan:
        kind = (tree.args.get("kind") or "").upper()
        tables = tree.args.get("tables") or []
        if len(tables) > 1:
            raise UnsupportedStatement("DROP of several objects in one statement")
        target = tree.this or (tables[0] if tables else None)
        if not isinstance(target, exp.Table):
            raise UnsupportedStatement(f"this form of DROP {kind}")
        if_exists = bool(tree.args.get("exists"))
        cascade = " CASCADE" if tree.args.get("cascade") else ""
        if kind == "SCHEMA":
            catalog, schema = self._schema_name(target)
            sql = f"DROP SCHEMA {'IF EXISTS ' if if_exists else ''}{catalog_alias(catalog)}.{schema}{cascade}"
            return Plan(
                kind="DROP",
                sql=sql,
                needs_catalogs=(catalog,),
                dropped=("SCHEMA", (catalog, schema)),
                if_exists=if_exists,
                cascade=bool(cascade),
            )
        if kind not in ("TABLE", "VIEW"):
            raise UnsupportedStatement(f"DROP {kind}")
        ref = self._qualify(target)
        self._point_at(target, ref)
        return Plan(
            kind="DROP",
            sql=tree.sql(dialect="duckdb"),
            needs_schemas=() if if_exists else ((ref.catalog, ref.schema),),
            reads=() if if_exists else (ref,),
            dropped=(kind, ref),
            if_exists=if_exists,
        )


def _refuse_unknown_functions(tree: exp.Expr, catalog: str, schema: str) -> None:
    """A function that is neither sqlglot's nor a Spark built-in is unknown to Databricks too,
    even when DuckDB has one of that name."""
    for node in tree.find_all(exp.Anonymous):
        if node.name.lower() not in SPARK_BUILTINS:
            qualified = isinstance(node.parent, exp.Dot) and node.parent.expression is node
            prefix = (node.parent.this.name,) if qualified and node.parent else ()
            raise unresolved_routine((*prefix, node.name), catalog, schema)


def _unqualify_set_targets(tree: exp.Expr) -> None:
    """``SET t.col = ...`` becomes ``SET col = ...``: DuckDB rejects qualified SET targets."""
    for update in tree.find_all(exp.Update):
        for assignment in update.expressions:
            if isinstance(assignment, exp.EQ) and isinstance(assignment.this, exp.Column):
                assignment.this.set("table", None)
