"""What the engine, the commands and the server share: a session, a parameter, a result.

The lowest module of the statement path: it imports none of the others but ``translate``
(for ``ParameterSpec``), so each of them can import it at the top.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from .translate import ParameterSpec

DEFAULT_CATALOG = "main"
DEFAULT_SCHEMA = "default"


@dataclass(frozen=True)
class ParameterValue:
    """One parameter as sent: its type, its string value, and the items of an ARRAY or MAP."""

    spec: ParameterSpec
    value: str | None
    argument_values: tuple[str | None, ...] = ()


@dataclass
class Session:
    catalog: str = DEFAULT_CATALOG
    schema: str = DEFAULT_SCHEMA
    configuration: dict[str, str] = field(default_factory=dict)

    @property
    def statement_timeout(self) -> float | None:
        value = self.configuration.get("STATEMENT_TIMEOUT") or self.configuration.get("statement_timeout")
        try:
            return float(value) if value and float(value) > 0 else None
        except ValueError:
            return None


@dataclass
class Outcome:
    """A statement's result: an Arrow table (possibly with no columns) and DML counts;
    ``staging``: the row tells the connector which HTTP request to make (``staging``)."""

    table: pa.Table
    duck_types: list[str]
    num_modified_rows: int | None = None
    staging: bool = False
