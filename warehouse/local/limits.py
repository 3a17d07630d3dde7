"""Databricks' limits on one statement, enforced before anything of the statement runs.

Measured on the statement as the connector sends it (``TExecuteStatementReq``):

- the statement text: at most 16 MiB in UTF-8 (the Statement Execution API's cap);
- the parameters: at most 256;
- the parameter values: at most 1 MiB together, counted as the UTF-8 bytes of each
  ``TSparkParameter.value.stringValue`` plus the values of its ``arguments`` (the items of an
  ARRAY or MAP parameter, nested ones included). Names and types do not count; a NULL
  (VOID) parameter travels without a value and counts 0.

There is no switch to relax them: the local warehouse is never kinder than Databricks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from databricks.sql.thrift_api.TCLIService import ttypes

# Databricks' limits, defined once for the service's builders and for this warehouse.
from warehouse.sql import MAX_PARAMETER_BYTES, MAX_PARAMETERS, MAX_STATEMENT_BYTES

from .errors import LocalWarehouseError

# SQLSTATE class 54: "program limit exceeded".
_LIMIT_EXCEEDED = "54000"


@dataclass(frozen=True)
class StatementSize:
    """What the limits measure of one statement."""

    parameters: int
    parameter_bytes: int
    statement_bytes: int


def measure(statement: str, parameters: Sequence[ttypes.TSparkParameter]) -> StatementSize:
    values = sum(_value_bytes(p.value.stringValue if p.value else None) for p in parameters)
    return StatementSize(
        parameters=len(parameters),
        parameter_bytes=values + sum(_argument_bytes(p.arguments) for p in parameters),
        statement_bytes=len(statement.encode("utf-8", errors="surrogatepass")),
    )


def _value_bytes(value: str | None) -> int:
    return len(value.encode("utf-8", errors="surrogatepass")) if value else 0


def _argument_bytes(arguments: Sequence[Any] | None) -> int:
    """The values of ``TSparkParameterValueArg`` items, and of the items nested in them."""
    return sum(_value_bytes(a.value) + _argument_bytes(a.arguments) for a in arguments or ())


def check(size: StatementSize) -> None:
    """Raise the error Databricks answers for a statement beyond its limits (text, count, bytes)."""
    if size.statement_bytes > MAX_STATEMENT_BYTES:
        raise LocalWarehouseError(
            "STATEMENT_TOO_LARGE",
            f"The statement text is {size.statement_bytes} bytes (UTF-8) "
            f"but the limit is {MAX_STATEMENT_BYTES} bytes (16 MiB).",
            _LIMIT_EXCEEDED,
        )
    if size.parameters > MAX_PARAMETERS:
        raise LocalWarehouseError(
            "TOO_MANY_PARAMETERS",
            f"Too many parameters: {size.parameters} parameters were given "
            f"but the limit is {MAX_PARAMETERS}.",
            "54023",
        )
    if size.parameter_bytes > MAX_PARAMETER_BYTES:
        raise LocalWarehouseError(
            "PARAMETER_VALUES_TOO_LARGE",
            f"The parameter values of the statement are {size.parameter_bytes} bytes together "
            f"but the limit is {MAX_PARAMETER_BYTES} bytes (1 MiB).",
            _LIMIT_EXCEEDED,
        )
