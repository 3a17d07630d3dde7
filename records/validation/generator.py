"""Python source generated once per schema that checks rows against it (``generate``).

The schema is interpreted when the source is built, so each row runs straight-line type
checks with no lookups by type name. A row that gives every column of a schema of scalar
types, spelled as declared, is first tried against one condition made of the same checks
(``_fast_check``): when it holds, the row comes out as one dict display; otherwise the
column-by-column checks run and name the first bad value.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..tables import Column
from .runtime import RUNTIME, decimal_checker
from .types import DOUBLE_MAX, FLOAT_MAX, INTEGER_RANGES, DataType, table_type


class _Source:
    """Python source being generated, and the names it refers to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = dict(RUNTIME)
        self.count = itertools.count(1)

    def line(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def local(self, prefix: str) -> str:
        return f"{prefix}{next(self.count)}"

    def constant(self, value: Any) -> str:
        name = self.local("_k")
        self.namespace[name] = value
        return name


@dataclass(frozen=True)
class _Where:
    """Where a value sits, as source: the row's column and the steps inside it."""

    column: str
    steps: tuple[str, ...] = ()

    def then(self, kind: str, step: str) -> _Where:
        return _Where(self.column, (*self.steps, repr(kind), step))

    def fail(self, problem: str) -> str:
        """A raise statement; ``problem`` is an expression evaluated only when it runs."""
        steps = "".join(f"{step}, " for step in self.steps)
        return f"raise _Invalid(_i, {self.column!r}, ({steps}), {problem})"

    def check(self, failed: str, helper: str, expects: str, value: str) -> str:
        """``if <failed>: raise`` with the message ``helper(expects, value)`` builds."""
        return f"if {failed}: {self.fail(f'{helper}({expects!r}, {value})')}"


# Each emitter writes code checking the local ``value`` (never None) and returns the
# expression of its JSON form.
Emitter = Callable[["_Source", DataType, str, _Where, int], str]


def _emit(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    if kind.opaque:
        return value
    return _EMITTERS[kind.name](src, kind, value, where, depth)


def _emit_integer(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    low, high = INTEGER_RANGES[kind.name]
    src.line(depth, where.check(f"type({value}) is not int", "_got_type", "integer", value))
    expects = f"{kind.name} between {low} and {high}"
    src.line(depth, where.check(f"not {low} <= {value} <= {high}", "_got_value", expects, value))
    return value


def _emit_number(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    limit, expects = (
        (FLOAT_MAX, "finite FLOAT (at most 3.4e38)")
        if kind.name == "FLOAT"
        else (DOUBLE_MAX, "finite number")
    )
    src.line(
        depth,
        where.check(f"type({value}) is not float and type({value}) is not int", "_got_type", "number", value),
    )
    src.line(depth, where.check(f"not {-limit!r} <= {value} <= {limit!r}", "_got_value", expects, value))
    return value


def _emit_string(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    expects = f"string of at most {kind.args[0]} characters" if kind.args else "string"
    src.line(depth, where.check(f"type({value}) is not str", "_got_type", expects, value))
    if kind.args:
        src.line(depth, where.check(f"len({value}) > {kind.args[0]}", "_got_length", expects, value))
    return value


def _emit_boolean(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    src.line(depth, where.check(f"type({value}) is not bool", "_got_type", "boolean", value))
    return value


def _emit_decimal(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    precision, scale = kind.args
    out, checker = src.local("d"), src.constant(decimal_checker(precision, scale))
    src.line(depth, f"{out} = {checker}({value})")
    src.line(depth, where.check(f"{out} is _BAD", "_got_value", f"decimal({precision},{scale})", value))
    return out


_PARSED_STRINGS = {
    "DATE": ("_date", "date (YYYY-MM-DD)"),
    "TIMESTAMP": ("_timestamp", "timestamp (ISO 8601)"),
    "TIMESTAMP_NTZ": ("_timestamp_ntz", "timestamp without time zone (ISO 8601)"),
    "BINARY": ("_base64", "base64 string"),
}


def _emit_parsed_string(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    helper, expects = _PARSED_STRINGS[kind.name]
    out = src.local("s")
    src.line(depth, where.check(f"type({value}) is not str", "_got_type", expects, value))
    src.line(depth, f"{out} = {helper}({value})")
    src.line(depth, where.check(f"{out} is _BAD", "_got_value", expects, value))
    return out


def _emit_array(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    out, index, item = src.local("a"), src.local("i"), src.local("e")
    src.line(depth, where.check(f"type({value}) is not list", "_got_type", "array", value))
    src.line(depth, f"{out} = []")
    src.line(depth, f"for {index}, {item} in enumerate({value}):")
    src.line(depth + 1, f"if {item} is None:")
    src.line(depth + 2, f"{out}.append(None)")
    src.line(depth + 1, "else:")
    element = _emit(src, kind.fields[0][1], item, where.then("element", index), depth + 2)
    src.line(depth + 2, f"{out}.append({element})")
    return out


# A JSON object's keys are strings: these turn them into the value a key type checks.
_KEY_CONVERSIONS = {
    **dict.fromkeys(INTEGER_RANGES, "_int_key"),
    "DOUBLE": "_number_key",
    "FLOAT": "_number_key",
    "BOOLEAN": "_bool_key",
}


def _emit_map(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    (_, key_kind), (_, value_kind) = kind.fields
    out, key, item = src.local("m"), src.local("k"), src.local("v")
    src.line(depth, where.check(f"type({value}) is not dict", "_got_type", "map (object)", value))
    src.line(depth, f"{out} = {{}}")
    src.line(depth, f"for {key}, {item} in {value}.items():")
    converted = key
    if key_kind.name in _KEY_CONVERSIONS:
        converted = src.local("c")
        src.line(depth + 1, f"{converted} = {_KEY_CONVERSIONS[key_kind.name]}({key})")
    new_key = _emit(src, key_kind, converted, where.then("key", key), depth + 1)
    if not (key_kind.name in ("STRING", "VARCHAR", "CHAR") or key_kind.opaque):
        # Keys that normalize ("1" and "01" of an INT key) may collide.
        text = src.local("t")
        src.line(depth + 1, f"{text} = _key_text({new_key})")
        src.line(depth + 1, f"if {text} in {out}: {where.then('key', key).fail(repr('repeats another key'))}")
        new_key = text
    src.line(depth + 1, f"if {item} is None:")
    src.line(depth + 2, f"{out}[{new_key}] = None")
    src.line(depth + 1, "else:")
    checked = _emit(src, value_kind, item, where.then("value", key), depth + 2)
    src.line(depth + 2, f"{out}[{new_key}] = {checked}")
    return out


def _emit_struct(src: _Source, kind: DataType, value: str, where: _Where, depth: int) -> str:
    out, obj, problem = src.local("r"), src.local("o"), src.local("p")
    names = src.constant(frozenset(name for name, _ in kind.fields))
    by_lower = src.constant({name.lower(): name for name, _ in kind.fields})
    src.line(depth, where.check(f"type({value}) is not dict", "_got_type", "struct (object)", value))
    src.line(depth, f"{obj} = {value}")
    src.line(depth, f"if not {obj}.keys() <= {names}:")
    src.line(depth + 1, f"{obj}, {problem} = _fold({obj}, {by_lower})")
    src.line(depth + 1, f"if {obj} is None: {where.fail(problem)}")
    src.line(depth, f"{out} = {{}}")
    for name, field_kind in kind.fields:
        item = src.local("f")
        src.line(depth, f"if {name!r} in {obj}:")
        src.line(depth + 1, f"{item} = {obj}[{name!r}]")
        src.line(depth + 1, f"if {item} is None:")
        src.line(depth + 2, f"{out}[{name!r}] = None")
        src.line(depth + 1, "else:")
        checked = _emit(src, field_kind, item, where.then("field", repr(name)), depth + 2)
        src.line(depth + 2, f"{out}[{name!r}] = {checked}")
    return out


_EMITTERS: dict[str, Emitter] = {
    **dict.fromkeys(INTEGER_RANGES, _emit_integer),
    "DOUBLE": _emit_number,
    "FLOAT": _emit_number,
    "DECIMAL": _emit_decimal,
    "STRING": _emit_string,
    "VARCHAR": _emit_string,
    "CHAR": _emit_string,
    "BOOLEAN": _emit_boolean,
    **dict.fromkeys(_PARSED_STRINGS, _emit_parsed_string),
    "ARRAY": _emit_array,
    "MAP": _emit_map,
    "STRUCT": _emit_struct,
}


# The checks of a scalar type as one condition on a value, never true for None, and the
# expression of its JSON form when it holds: exactly what the emitters above check and answer.
# The complex types have none (they are checked column by column).
FastCheck = Callable[["_Source", DataType, str], tuple[str, str]]


def _fast_integer(src: _Source, kind: DataType, value: str) -> tuple[str, str]:
    low, high = INTEGER_RANGES[kind.name]
    return f"type({value}) is int and {low} <= {value} <= {high}", value


def _fast_number(src: _Source, kind: DataType, value: str) -> tuple[str, str]:
    limit = FLOAT_MAX if kind.name == "FLOAT" else DOUBLE_MAX
    number = f"(type({value}) is float or type({value}) is int)"
    return f"{number} and {-limit!r} <= {value} <= {limit!r}", value


def _fast_string(src: _Source, kind: DataType, value: str) -> tuple[str, str]:
    if kind.args:
        return f"type({value}) is str and len({value}) <= {kind.args[0]}", value
    return f"type({value}) is str", value


def _fast_boolean(src: _Source, kind: DataType, value: str) -> tuple[str, str]:
    return f"type({value}) is bool", value


def _fast_decimal(src: _Source, kind: DataType, value: str) -> tuple[str, str]:
    out, checker = src.local("d"), src.constant(decimal_checker(*kind.args))
    return f"({out} := {checker}({value})) is not _BAD", out


def _fast_parsed_string(src: _Source, kind: DataType, value: str) -> tuple[str, str]:
    out = src.local("s")
    return f"type({value}) is str and ({out} := {_PARSED_STRINGS[kind.name][0]}({value})) is not _BAD", out


_FAST_CHECKS: dict[str, FastCheck] = {
    **dict.fromkeys(INTEGER_RANGES, _fast_integer),
    "DOUBLE": _fast_number,
    "FLOAT": _fast_number,
    "DECIMAL": _fast_decimal,
    "STRING": _fast_string,
    "VARCHAR": _fast_string,
    "CHAR": _fast_string,
    "BOOLEAN": _fast_boolean,
    **dict.fromkeys(_PARSED_STRINGS, _fast_parsed_string),
}


def _fast_check(src: _Source, columns: tuple[Column, ...], names: str) -> None:
    """``if`` a row gives every column, spelled as declared, and the one condition holds:
    its checked form, and on to the next row. Nothing for a schema with a complex type."""
    kinds = [table_type(column.data_type) for column in columns]
    if not columns or not all(kind.opaque or kind.name in _FAST_CHECKS for kind in kinds):
        return
    values = [f"v{index}" for index in range(len(columns))]
    conditions: list[str] = []
    items: list[str] = []
    for column, kind, value in zip(columns, kinds, values, strict=True):
        if kind.opaque:  # any value; a null only where the column takes one
            if not column.nullable:
                conditions.append(f"{value} is not None")
            items.append(f"{column.name!r}: {value}")
            continue
        condition, out = _FAST_CHECKS[kind.name](src, kind, value)  # never holds for None
        if column.nullable:
            conditions.append(f"({value} is None or {condition})")
            out = value if out == value else f"(None if {value} is None else {out})"
        else:  # a null is "is required" (or "cannot be null" in an update): said below
            conditions.append(f"({condition})")
        items.append(f"{column.name!r}: {out}")
    src.line(2, f"if type(row) is dict and len(row) == {len(columns)} and row.keys() <= {names}:")
    for column, value in zip(columns, values, strict=True):
        src.line(3, f"{value} = row[{column.name!r}]")
    src.line(3, f"if {' and '.join(conditions) or 'True'}:")
    src.line(4, f"checked.append({{{', '.join(items)}}})")
    src.line(4, "continue")


def _emit_column(src: _Source, column: Column, *, partial: bool) -> None:
    name, where = column.name, _Where(column.name)
    if column.nullable or partial:
        src.line(2, f"if {name!r} in row:")
        src.line(3, f"v = row[{name!r}]")
        src.line(3, "if v is None:")
        if column.nullable:
            src.line(4, f"out[{name!r}] = None")
        else:
            src.line(4, where.fail(repr("cannot be null")))
        src.line(3, "else:")
        depth = 4
    else:
        src.line(2, f"v = row.get({name!r})")
        src.line(2, f"if v is None: {where.fail(repr('is required'))}")
        depth = 2
    checked = _emit(src, table_type(column.data_type), "v", where, depth)
    src.line(depth, f"out[{name!r}] = {checked}")


def generate(
    columns: tuple[Column, ...], *, partial: bool, fast_path: bool = True
) -> tuple[str, Callable[[Sequence[Any], int], list[Any]]]:
    """The source of ``check_rows(rows, start)`` for ``columns``, and that function.

    It answers the normalized rows from index ``start`` on, or raises ``InvalidValue`` for the
    first bad value (its ``index`` says where to start again to find the next). Without
    ``fast_path`` every row takes the column-by-column checks (the tests compare the two)."""
    src = _Source()
    names = src.constant(frozenset(column.name for column in columns))
    by_lower = src.constant({column.name.lower(): column.name for column in columns})
    src.line(0, "def check_rows(rows, start):")
    src.line(1, "checked = []")
    src.line(1, "for _i in range(start, len(rows)):")
    src.line(2, "row = rows[_i]")
    if fast_path:
        _fast_check(src, columns, names)
    src.line(2, "if type(row) is not dict: raise _Invalid(_i, None, (), _got_type('an object', row))")
    src.line(2, f"if not row.keys() <= {names}: row = _fold_row(_i, row, {by_lower})")
    src.line(2, "out = {}")
    for column in columns:
        _emit_column(src, column, partial=partial)
    src.line(2, "checked.append(out)")
    src.line(1, "return checked")
    source = "\n".join(src.lines) + "\n"
    # Safe to exec: the source is built here from the schema alone. Names appear only as
    # repr() literals, numbers are ints from the type parser, and no row value is ever in it.
    exec(compile(source, "<row validator>", "exec"), src.namespace)  # noqa: S102
    return source, src.namespace["check_rows"]
