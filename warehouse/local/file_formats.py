"""Reading files in volumes as Spark's readers read them: Parquet, CSV and JSON on DuckDB.

``COPY INTO`` (its ``FORMAT_OPTIONS``) and ``read_files`` (its named arguments) take Spark's
reader options; ``reader_options`` checks them (option names are case-insensitive, as
Spark's are; an option this module does not implement is refused, never ignored) and
``relation`` turns files and options into a DuckDB ``SELECT`` over ``read_parquet``,
``read_csv`` or ``read_json`` with Spark's column names (``_c0``, ``_c1``, ... for CSV
without a header).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .errors import LocalWarehouseError, UnsupportedStatement

FORMATS = ("parquet", "csv", "json")

# The options each format takes here, with Spark's spelling; lower-cased to look them up.
# ``mergeSchema`` (one schema across files) is what DuckDB's union_by_name always does.
_OPTIONS = {
    "csv": (
        "header",
        "sep",
        "delimiter",
        "nullValue",
        "inferSchema",
        "multiLine",
        "quote",
        "escape",
        "mergeSchema",
    ),
    "json": ("multiLine", "inferSchema", "mergeSchema"),
    "parquet": ("mergeSchema",),
}


@dataclass(frozen=True)
class ReaderOptions:
    format: str
    header: bool = False
    sep: str = ","
    null_value: str = ""
    infer_schema: bool = False
    multi_line: bool = False
    quote: str = '"'
    escape: str = "\\"


def reader_options(
    file_format: str, options: Mapping[str, str], *, infer_schema: bool, where: str
) -> ReaderOptions:
    """Spark's reader ``options`` (values as text) for ``file_format``; ``infer_schema`` is the
    default of ``inferSchema`` (COPY INTO: false, read_files: true)."""
    file_format = file_format.lower()
    if file_format not in FORMATS:
        raise UnsupportedStatement(
            f"the file format {file_format.upper()} in {where} (PARQUET, CSV, JSON only)"
        )
    known = {name.lower(): name for name in _OPTIONS[file_format]}
    values: dict[str, str] = {}
    for key, value in options.items():
        if key.lower() not in known:
            raise UnsupportedStatement(f"the {file_format.upper()} option '{key}' in {where}")
        values[key.lower()] = value
    for key in ("header", "inferschema", "multiline", "mergeschema"):
        if key in values and values[key].lower() not in ("true", "false"):
            raise LocalWarehouseError(
                "INVALID_OPTION_VALUE",  # ours: Spark fails with an IllegalArgumentException
                f"The option '{known[key]}' takes true or false, not '{values[key]}'.",
                "42K06",
            )
    for key in ("sep", "delimiter", "quote", "escape"):
        if key in values and len(values[key]) != 1:
            raise UnsupportedStatement(f"a {known[key]} of other than one character in {where}")
    return ReaderOptions(
        format=file_format,
        header=values.get("header", "false").lower() == "true",
        sep=values.get("sep", values.get("delimiter", ",")),
        null_value=values.get("nullvalue", ""),
        infer_schema=values.get("inferschema", str(infer_schema)).lower() == "true",
        multi_line=values.get("multiline", "false").lower() == "true",
        quote=values.get("quote", '"'),
        escape=values.get("escape", "\\"),
    )


def relation(
    cursor: duckdb.DuckDBPyConnection, files: Sequence[Path], options: ReaderOptions
) -> tuple[str, list[tuple[str, str]]]:
    """A DuckDB ``SELECT`` over ``files`` and its columns (name, DuckDB type), named as Spark names them."""
    paths = "[" + ", ".join(_literal(str(path)) for path in files) + "]"
    if options.format == "parquet":
        call = f"read_parquet({paths}, union_by_name = true)"
    elif options.format == "json":
        # Spark reads JSON Lines unless multiLine: then each file is a document (or an array of them).
        layout = "auto" if options.multi_line else "newline_delimited"
        call = f"read_json({paths}, format = '{layout}', union_by_name = true)"
    else:
        call = (
            f"read_csv({paths}, header = {str(options.header).lower()}, delim = {_literal(options.sep)}, "
            f"quote = {_literal(options.quote)}, escape = {_literal(options.escape)}, "
            f"nullstr = {_literal(options.null_value)}, "
            f"all_varchar = {str(not options.infer_schema).lower()}, "
            "union_by_name = true)"
        )
    described = cursor.execute(f"DESCRIBE SELECT * FROM {call}").fetchall()
    columns = [(str(row[0]), str(row[1])) for row in described]
    if options.format == "csv" and not options.header:
        renamed = [(f"_c{index}", duck_type) for index, (_, duck_type) in enumerate(columns)]
        select = ", ".join(
            f"{quote(old)} AS {quote(new)}" for (old, _), (new, _) in zip(columns, renamed, strict=True)
        )
        return f"SELECT {select} FROM {call}", renamed
    return f"SELECT * FROM {call}", columns


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
