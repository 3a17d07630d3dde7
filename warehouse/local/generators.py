"""Spark's generators (``explode``, ``posexplode``, ``inline`` and their ``_outer`` forms) on DuckDB.

In the select list, a generator makes one row per element, its columns named as Spark names
them: ``explode`` gives ``col`` (``key``, ``value`` for a MAP), ``posexplode`` ``pos`` and
``col``, ``inline`` one column per struct field; ``AS name`` / ``AS (a, b)`` rename them.
In the FROM clause (``FROM inline(...) AS t``) the generator is a subquery of that select.
Spark's rules hold: one generator per SELECT, not nested in an expression, nowhere else.
A MAP is recognized when the argument visibly is one (a ``map(...)`` call, a MAP parameter,
``from_json`` with a MAP schema); any other argument is read as an ARRAY.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from .errors import LocalWarehouseError, UnsupportedStatement
from .json_schema import parse_json_schema

_ARGUMENT = "__uc_generator_argument"


def rewrite_generators(tree: exp.Expr) -> exp.Expr:
    """``tree`` with every generator turned into DuckDB's UNNEST; raises what Spark refuses."""
    per_select: dict[int, list[exp.Expr]] = {}
    for node in list(tree.find_all(exp.Func)):
        if _kind(node) is None:
            continue
        place = _place(node)
        if isinstance(place, exp.Select):
            per_select.setdefault(id(place), []).append(node)
    for generators in per_select.values():
        if len(generators) > 1:
            found = ", ".join(f'"{g.sql(dialect="databricks")}"' for g in generators)
            raise _unsupported_generator(
                "MULTI_GENERATOR",
                f"only one generator allowed per SELECT clause but found {len(generators)}: {found}",
            )
    return tree.transform(_rewrite)


def _kind(node: exp.Expr) -> tuple[str, bool] | None:
    """(``explode``/``posexplode``/``inline``, whether the ``_outer`` form) of a generator."""
    if isinstance(node, exp.Posexplode):
        return "posexplode", isinstance(node, exp.ExplodeOuter)
    if isinstance(node, exp.Explode):
        return "explode", isinstance(node, exp.ExplodeOuter)
    if isinstance(node, exp.Inline):
        return "inline", False
    if isinstance(node, exp.Anonymous) and node.name.lower() == "inline_outer":
        return "inline", True
    return None


def _place(node: exp.Expr) -> exp.Expr:
    """The SELECT whose select list ``node`` is an item of, the FROM table or LATERAL VIEW it is."""
    parent = node.parent
    if isinstance(parent, exp.Table | exp.Lateral):
        return parent
    item = parent if isinstance(parent, exp.Alias | exp.Aliases) else node
    if isinstance(item.parent, exp.Select) and item.arg_key == "expressions":
        return item.parent
    for ancestor in _ancestors(node):
        if isinstance(ancestor.parent, exp.Select) and ancestor.arg_key == "expressions":
            raise _unsupported_generator(
                "NESTED_IN_EXPRESSIONS", f'nested in expressions "{ancestor.sql(dialect="databricks")}"'
            )
    raise _unsupported_generator(
        "OUTSIDE_SELECT", f'outside the SELECT clause, found: "{node.sql(dialect="databricks")}"'
    )


def _ancestors(node: exp.Expr) -> list[exp.Expr]:
    found = []
    while node.parent is not None:
        node = node.parent
        found.append(node)
    return found


def _unsupported_generator(subclass: str, detail: str) -> LocalWarehouseError:
    return LocalWarehouseError(
        f"UNSUPPORTED_GENERATOR.{subclass}", f"The generator is not supported: {detail}.", "42K0E"
    )


def _rewrite(node: exp.Expr) -> exp.Expr:
    generator = node.this if isinstance(node, exp.Alias | exp.Aliases | exp.Table) else node
    if generator is None or _kind(generator) is None:
        return node
    if isinstance(node, exp.Table):
        alias = node.args.get("alias")
        subquery = exp.select(_unnest(generator, [])).subquery(alias=generator.key)
        if alias is not None:
            subquery.set("alias", alias.copy())
        return subquery
    if isinstance(node, exp.Alias):
        return _unnest(generator, [node.alias])
    if isinstance(node, exp.Aliases):
        return _unnest(generator, [alias.name for alias in node.expressions])
    if isinstance(node.parent, exp.Select):
        return _unnest(generator, [])
    return node  # LATERAL VIEW: sqlglot's own translation


def _unnest(generator: exp.Expr, aliases: list[str]) -> exp.Expr:
    """The DuckDB select item of one generator, its columns named as Spark names them."""
    kind = _kind(generator)
    assert kind is not None  # noqa: S101 (only called on generators)
    name, outer = kind
    argument = generator.expressions[0] if isinstance(generator, exp.Anonymous) else generator.this
    is_map = name != "inline" and _is_map(argument)
    if name == "inline":
        if aliases:
            raise UnsupportedStatement("inline(...) AS (...): name the fields in the struct instead")
        return _template(f"UNNEST({_outer(_ARGUMENT, outer)}, max_depth := 2)", argument)
    columns = (["pos"] if name == "posexplode" else []) + (["key", "value"] if is_map else ["col"])
    if aliases and len(aliases) != len(columns):
        raise LocalWarehouseError(
            "UDTF_ALIAS_NUMBER_MISMATCH",
            f"The number of aliases supplied in the AS clause does not match the number of columns "
            f"output by the UDTF. Expected {len(columns)} aliases, but got {', '.join(aliases)}.",
            "42802",
        )
    names = [_string(alias) for alias in aliases or columns]
    if name == "explode" and not is_map:
        unnest = _template(f"UNNEST({_outer(_ARGUMENT, outer)})", argument)
        return exp.alias_(unnest, aliases[0] if aliases else "col")
    values = (["CAST(__i - 1 AS INT)"] if name == "posexplode" else []) + (
        ["__e.key", "__e.value"] if is_map else ["__e"]
    )
    struct = "{" + ", ".join(f"{n}: {v}" for n, v in zip(names, values, strict=True)) + "}"
    source = f"MAP_ENTRIES({_ARGUMENT})" if is_map else _ARGUMENT
    rows = f"LIST_TRANSFORM({source}, LAMBDA __e, __i : {struct})"
    return _template(f"UNNEST({_outer(rows, outer)}, max_depth := 2)", argument)


def _outer(list_sql: str, outer: bool) -> str:
    """An ``_outer`` generator makes one row of NULLs for a NULL or empty input."""
    return f"COALESCE(NULLIF({list_sql}, []), [NULL])" if outer else list_sql


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _template(sql: str, argument: exp.Expr) -> exp.Expr:
    tree = sqlglot.parse_one(sql, read="duckdb")
    for column in list(tree.find_all(exp.Column)):
        if column.name == _ARGUMENT:
            column.replace(argument.copy())
    return tree


def _is_map(argument: exp.Expr) -> bool:
    if isinstance(argument, exp.VarMap | exp.Map):
        return True
    if isinstance(argument, exp.Anonymous) and argument.name.upper() == "MAP":  # a MAP parameter
        return True
    schema = argument.expression if isinstance(argument, exp.FromJson) else None
    if isinstance(schema, exp.Literal) and schema.is_string:
        return parse_json_schema(schema.this).name == "MAP"
    return False
