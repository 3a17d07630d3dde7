"""Unity Catalog volumes of the local warehouse: their metadata, their folders, their paths.

A managed volume is a row in its catalog file's hidden ``main.__uc_volumes`` (next to the
declared column types of ``metadata``) and a folder ``<data_dir>/volumes/<c>/<s>/<v>/``.
Paths are written as Databricks writes them, ``/Volumes/<c>/<s>/<v>/<path>``: the three names
are identifiers (case-insensitive, kept lower case), the rest a file path (case-sensitive).
``CREATE/DROP/SHOW VOLUMES`` (``commands``), the staging statements (``staging``), ``COPY
INTO`` (``copy_into``) and ``read_files`` (``translate``, ``file_formats``) all start here.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import duckdb

from .errors import LocalWarehouseError
from .translate import catalog_alias

TABLE = "__uc_volumes"
COLUMNS = "schema_name VARCHAR, volume_name VARCHAR, comment VARCHAR, created_at TIMESTAMP"

_PREFIX = re.compile(r"^(?:dbfs:)?/Volumes/", re.I)


@dataclass(frozen=True)
class VolumePath:
    """A path under ``/Volumes``: the volume's three names and the path inside it ('' = its root)."""

    catalog: str
    schema: str
    volume: str
    inner: str = ""

    @property
    def volume_name(self) -> str:
        return f"`{self.catalog}`.`{self.schema}`.`{self.volume}`"

    def __str__(self) -> str:
        root = f"/Volumes/{self.catalog}/{self.schema}/{self.volume}"
        return f"{root}/{self.inner}" if self.inner else root


def parse_path(text: str, *, operation: str, needs_file: bool) -> VolumePath:
    """The volume path ``text`` names; ``needs_file``: it must name a file in the volume (PUT,
    GET, REMOVE), not the volume itself. Anything else is refused, as Databricks refuses a
    staging path outside ``/Volumes/<c>/<s>/<v>/`` (class and wording ours: Databricks'
    own for a path outside a volume is not documented)."""
    if not _PREFIX.match(text):
        raise invalid_path(operation, text)
    parts = _PREFIX.sub("", text).split("/")
    if len(parts) < 3 or not all(parts[:3]):
        raise invalid_path(operation, text)
    inner = [part for part in parts[3:] if part not in ("", ".")]
    if ".." in parts[3:] or (needs_file and (not inner or text.endswith("/"))):
        raise invalid_path(operation, text)
    catalog, schema, volume = (part.lower() for part in parts[:3])
    return VolumePath(catalog, schema, volume, "/".join(inner))


def invalid_path(operation: str, text: str) -> LocalWarehouseError:
    return LocalWarehouseError(
        "INVALID_STAGING_PATH_IN_STAGING_ACCESS_QUERY",
        f"Invalid staging path in staging {operation} query: {text}. A path must be "
        "/Volumes/<catalog>/<schema>/<volume>/<path>.",
        "42604",
    )


def volume_not_found(path: VolumePath) -> LocalWarehouseError:
    # The wording Databricks answers for a volume that does not exist (seen on reads and writes).
    return LocalWarehouseError(
        "UC_VOLUME_NOT_FOUND",
        f"Volume {path.volume_name} does not exist. Please use 'SHOW VOLUMES' to list available volumes.",
        "42704",
    )


def volume_already_exists(path: VolumePath) -> LocalWarehouseError:
    return LocalWarehouseError(
        "VOLUME_ALREADY_EXISTS",
        f"Cannot create volume {path.volume_name} because it already exists.\nChoose a different name, "
        "drop or replace the existing object, or add the IF NOT EXISTS clause to tolerate pre-existing "
        "objects.",
        "42000",
    )


def path_not_found(path: VolumePath | str) -> LocalWarehouseError:
    return LocalWarehouseError("PATH_NOT_FOUND", f"Path does not exist: {path}.", "42K03")


class VolumeStore:
    """The volumes' rows (in each catalog file) and folders (under ``root``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def folder(self, path: VolumePath) -> Path:
        return self.root / path.catalog / path.schema / path.volume

    def local(self, path: VolumePath) -> Path:
        """Where the file or folder ``path`` names lives on this machine."""
        folder = self.folder(path)
        return folder.joinpath(*PurePosixPath(path.inner).parts) if path.inner else folder

    @staticmethod
    def names(database: duckdb.DuckDBPyConnection, catalog: str, schema: str | None = None) -> list[str]:
        rows = database.execute(
            f"SELECT volume_name FROM {catalog_alias(catalog)}.main.{TABLE} "
            "WHERE (? IS NULL OR schema_name = ?) ORDER BY volume_name",
            [schema, schema],
        ).fetchall()
        return [row[0] for row in rows]

    def exists(self, database: duckdb.DuckDBPyConnection, path: VolumePath) -> bool:
        return path.volume in self.names(database, path.catalog, path.schema)

    def create(self, cursor: duckdb.DuckDBPyConnection, path: VolumePath, comment: str | None) -> None:
        cursor.execute(
            f"INSERT INTO {catalog_alias(path.catalog)}.main.{TABLE} VALUES (?, ?, ?, now()::TIMESTAMP)",
            [path.schema, path.volume, comment],
        )
        self.folder(path).mkdir(parents=True, exist_ok=True)

    def drop(self, cursor: duckdb.DuckDBPyConnection, path: VolumePath) -> None:
        """Forget the volume and delete its files (Databricks purges a managed volume's files;
        they are unreachable from the moment it is dropped)."""
        cursor.execute(
            f"DELETE FROM {catalog_alias(path.catalog)}.main.{TABLE} "
            "WHERE schema_name = ? AND volume_name = ?",
            [path.schema, path.volume],
        )
        _remove_tree(self.folder(path))

    def drop_schema(self, cursor: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> None:
        cursor.execute(f"DELETE FROM {catalog_alias(catalog)}.main.{TABLE} WHERE schema_name = ?", [schema])
        _remove_tree(self.root / catalog / schema)

    def drop_catalog(self, catalog: str) -> None:
        _remove_tree(self.root / catalog)


def data_files(location: Path) -> list[Path]:
    """The files a reader reads at ``location``: the file itself, or every file under the folder
    (recursively), without the hidden ones Spark skips (names starting with ``_`` or ``.``,
    which is also what an upload in progress is called)."""
    if location.is_file():
        return [location]
    found = []
    for candidate in sorted(location.rglob("*")):
        relative = candidate.relative_to(location).parts
        if candidate.is_file() and not any(part.startswith(("_", ".")) for part in relative):
            found.append(candidate)
    return found


def _remove_tree(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
