"""Statements sqlglot does not translate, answered from the catalog metadata.

``CREATE/DROP CATALOG``, ``CREATE/DROP VOLUME``, ``SHOW CATALOGS``, ``SHOW SCHEMAS``,
``SHOW TABLES``, ``SHOW VOLUMES``, ``DESCRIBE [TABLE]`` and ``USE``, with the result columns
Databricks SQL warehouses return; and the staging ``PUT``/``GET``/``REMOVE`` (``staging``).
The engine finds the command (``find_command``) and runs it on itself (``Command.run``):
this module knows the engine only as the ``Catalogs`` it needs.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import duckdb
import pyarrow as pa

from warehouse.sql import IDENTIFIER_PATTERN

from . import metadata, staging
from .errors import LocalWarehouseError, UnsupportedStatement, table_not_found
from .session import DEFAULT_SCHEMA, Outcome, Session
from .translate import TableRef
from .volumes import VolumePath, VolumeStore

_NAME = rf"`?({IDENTIFIER_PATTERN})`?"
_LIKE = r"(?:\s+LIKE\s+'([^']*)')?"
_PATTERNS = {
    "create_catalog": re.compile(
        rf"^CREATE\s+CATALOG\s+(IF\s+NOT\s+EXISTS\s+)?{_NAME}(?:\s+COMMENT\s+'[^']*')?$", re.I
    ),
    "drop_catalog": re.compile(
        rf"^DROP\s+CATALOG\s+(IF\s+EXISTS\s+)?{_NAME}(\s+CASCADE|\s+RESTRICT)?$", re.I
    ),
    "show_catalogs": re.compile(rf"^SHOW\s+CATALOGS{_LIKE}$", re.I),
    "show_schemas": re.compile(rf"^SHOW\s+(?:SCHEMAS|DATABASES)(?:\s+(?:IN|FROM)\s+{_NAME})?{_LIKE}$", re.I),
    "show_tables": re.compile(rf"^SHOW\s+TABLES(?:\s+(?:IN|FROM)\s+(?:{_NAME}\.)?{_NAME})?{_LIKE}$", re.I),
    "describe": re.compile(rf"^DESC(?:RIBE)?\s+(?:TABLE\s+)?(?:{_NAME}\.)?(?:{_NAME}\.)?{_NAME}$", re.I),
    "use": re.compile(rf"^USE\s+(CATALOG\s+|SCHEMA\s+|DATABASE\s+)?(?:{_NAME}\.)?{_NAME}$", re.I),
    "create_volume": re.compile(
        rf"^CREATE\s+VOLUME\s+(IF\s+NOT\s+EXISTS\s+)?(?:{_NAME}\.)?(?:{_NAME}\.)?{_NAME}"
        r"(?:\s+COMMENT\s+'((?:[^'\\]|\\.)*)')?$",
        re.I,
    ),
    "drop_volume": re.compile(
        rf"^DROP\s+VOLUME\s+(IF\s+EXISTS\s+)?(?:{_NAME}\.)?(?:{_NAME}\.)?{_NAME}$", re.I
    ),
    # LIKE is optional before the pattern in SHOW VOLUMES.
    "show_volumes": re.compile(
        rf"^SHOW\s+VOLUMES(?:\s+(?:IN|FROM)\s+(?:{_NAME}\.)?{_NAME})?(?:\s+(?:LIKE\s+)?'([^']*)')?$", re.I
    ),
    **staging.PATTERNS,
}


class Catalogs(Protocol):
    """What the commands need of the engine: its catalogs, schemas and tables."""

    @property
    def db(self) -> duckdb.DuckDBPyConnection: ...

    def catalogs(self) -> list[str]: ...

    def create_catalog(self, catalog: str, if_not_exists: bool) -> None: ...

    def drop_catalog(self, catalog: str, if_exists: bool, cascade: bool) -> None: ...

    def require_catalog(self, catalog: str) -> None: ...

    def require_schema(self, catalog: str, schema: str) -> None: ...

    def require_table(self, ref: TableRef) -> None: ...

    @property
    def volumes(self) -> VolumeStore: ...

    def require_volume(self, path: VolumePath) -> None: ...

    def create_volume(self, path: VolumePath, if_not_exists: bool, comment: str | None) -> None: ...

    def drop_volume(self, path: VolumePath, if_exists: bool) -> None: ...


@dataclass(frozen=True)
class Command:
    """One of the commands above, recognized in a statement."""

    name: str
    match: re.Match[str]

    @property
    def kind(self) -> str:
        """How the statement counters name it: ``DESCRIBE`` (also for ``DESC``), ``SHOW``, ``USE``, ..."""
        return self.name.split("_")[0].upper()

    def run(self, engine: Catalogs, session: Session) -> Outcome:
        return _HANDLERS[self.name](engine, session, self.match)


def find_command(statement: str) -> Command | None:
    """The command ``statement`` is; ``None`` means translate it; other forms are refused."""
    text = statement.strip().rstrip(";").strip()
    for name, pattern in _PATTERNS.items():
        match = pattern.match(text)
        if match:
            return Command(name, match)
    if re.match(r"^DESC(?:RIBE)?\s+(?:TABLE\s+)?(?:EXTENDED|FORMATTED)\b", text, re.I):
        raise UnsupportedStatement(
            "DESCRIBE TABLE EXTENDED; information_schema.columns has each column's full_data_type "
            "and is_nullable"
        )
    if re.match(r"^CREATE\s+EXTERNAL\s+VOLUME\b", text, re.I):
        raise UnsupportedStatement("external volumes (CREATE EXTERNAL VOLUME); managed volumes only")
    if re.match(r"^(SHOW|DESC|DESCRIBE|USE|PUT|GET|REMOVE|LIST)\b", text, re.I) or re.match(
        r"^(CREATE|DROP)\s+(CATALOG|VOLUME)\b", text, re.I
    ):
        raise UnsupportedStatement(f"this form of {text.split()[0].upper()}: {text[:80]!r}")
    return None


def _strings(**columns: list[str]) -> Outcome:
    table = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
    return Outcome(table=table, duck_types=["VARCHAR"] * len(columns))


def _matching(names: list[str], pattern: str | None) -> list[str]:
    if not pattern:
        return names
    glob = pattern.replace("|", "\0")
    return [n for n in names if any(fnmatch.fnmatch(n, p.replace("\0", "")) for p in glob.split("\0"))]


def _create_catalog(engine: Catalogs, session: Session, match: re.Match[str]) -> Outcome:
    engine.create_catalog(match.group(2).lower(), if_not_exists=bool(match.group(1)))
    return _strings()


def _drop_catalog(engine: Catalogs, session: Session, match: re.Match[str]) -> Outcome:
    cascade = (match.group(3) or "").strip().upper() == "CASCADE"
    engine.drop_catalog(match.group(2).lower(), if_exists=bool(match.group(1)), cascade=cascade)
    return _strings()


def _show_catalogs(engine: Catalogs, session: Session, match: re.Match[str]) -> Outcome:
    return _strings(catalog=_matching(engine.catalogs(), match.group(1)))


def _show_schemas(engine: Catalogs, session: Session, match: re.Match[str]) -> Outcome:
    catalog = (match.group(1) or session.catalog).lower()
    engine.require_catalog(catalog)
    names = [*metadata.schemas(engine.db, catalog), "information_schema"]
    return _strings(databaseName=_matching(sorted(names), match.group(2)))


def _show_tables(engine: Catalogs, session: Session, match: re.Match[str]) -> Outcome:
    catalog = (match.group(1) or session.catalog).lower()
    schema = (match.group(2) or session.schema).lower()
    engine.require_schema(catalog, schema)
    names = _matching([t for _, t in metadata.tables(engine.db, catalog, schema)], match.group(3))
    table = pa.table(
        {
            "database": pa.array([schema] * len(names), pa.string()),
            "tableName": pa.array(names, pa.string()),
            "isTemporary": pa.array([False] * len(names), pa.bool_()),
        }
    )
    return Outcome(table=table, duck_types=["VARCHAR", "VARCHAR", "BOOLEAN"])


def _describe(engine: Catalogs, session: Session, match: re.Match[str]) -> Outcome:
    parts = [p.lower() for p in match.groups() if p]
    catalog, schema = session.catalog, session.schema
    if len(parts) == 3:
        catalog, schema, name = parts
    elif len(parts) == 2:
        schema, name = parts
    else:
        (name,) = parts
    ref = TableRef(catalog, schema, name)
    engine.require_table(ref)
    rows = metadata.columns(engine.db, catalog, schema, name)
    if not rows:
        raise table_not_found(str(ref))
    return _strings(
        col_name=[row["column_name"] for row in rows],
        data_type=[row["full_data_type"] for row in rows],
        comment=[None] * len(rows),  # type: ignore[list-item]
    )


def _use(engine: Catalogs, session: Session, match: re.Match[str]) -> Outcome:
    keyword = (match.group(1) or "").strip().upper()
    first, second = (match.group(2) or "").lower(), match.group(3).lower()
    if keyword == "CATALOG":
        if first:
            raise LocalWarehouseError("PARSE_SYNTAX_ERROR", "USE CATALOG takes one name.", "42601")
        engine.require_catalog(second)
        session.catalog, session.schema = second, DEFAULT_SCHEMA
    else:
        catalog = first or session.catalog
        engine.require_schema(catalog, second)
        session.catalog, session.schema = catalog, second
    return _strings()


def _volume_path(session: Session, parts: tuple[str | None, ...]) -> VolumePath:
    """A volume's one-, two- or three-part name, completed from the session's namespace."""
    names = [part.lower() for part in parts if part]
    catalog, schema = session.catalog, session.schema
    if len(names) == 3:
        catalog, schema, volume = names
    elif len(names) == 2:
        schema, volume = names
    else:
        (volume,) = names
    return VolumePath(catalog, schema, volume)


def _create_volume(engine: Catalogs, session: Session, match: re.Match[str]) -> Outcome:
    path = _volume_path(session, match.group(2, 3, 4))
    comment = re.sub(r"\\(.)", r"\1", match.group(5)) if match.group(5) is not None else None
    engine.create_volume(path, if_not_exists=bool(match.group(1)), comment=comment)
    return _strings()


def _drop_volume(engine: Catalogs, session: Session, match: re.Match[str]) -> Outcome:
    engine.drop_volume(_volume_path(session, match.group(2, 3, 4)), if_exists=bool(match.group(1)))
    return _strings()


def _show_volumes(engine: Catalogs, session: Session, match: re.Match[str]) -> Outcome:
    catalog = (match.group(1) or session.catalog).lower()
    schema = (match.group(2) or session.schema).lower()
    engine.require_schema(catalog, schema)
    # The pattern is trimmed and matched case-insensitively (names are kept lower case).
    pattern = match.group(3).strip().lower() if match.group(3) is not None else None
    names = _matching(engine.volumes.names(engine.db, catalog, schema), pattern)
    # The docs say ``volumeName``; a real warehouse answers ``volume_name`` (and JDBC reads that).
    return _strings(database=[schema] * len(names), volume_name=names)


def _staging(name: str) -> Callable[[Catalogs, Session, re.Match[str]], Outcome]:
    def handler(engine: Catalogs, session: Session, match: re.Match[str]) -> Outcome:
        return staging.run(engine, session, name, match)

    return handler


_HANDLERS = {
    "create_catalog": _create_catalog,
    "drop_catalog": _drop_catalog,
    "show_catalogs": _show_catalogs,
    "show_schemas": _show_schemas,
    "show_tables": _show_tables,
    "describe": _describe,
    "use": _use,
    "create_volume": _create_volume,
    "drop_volume": _drop_volume,
    "show_volumes": _show_volumes,
    **{name: _staging(name) for name in staging.PATTERNS},
}
