"""Errors of the local warehouse, worded like Databricks' (``[ERROR_CLASS] message``)."""

from __future__ import annotations


class LocalWarehouseError(Exception):
    """A statement failed; the client sees ``[error_class] message`` as Databricks prints it."""

    def __init__(self, error_class: str, message: str, sqlstate: str = "42000") -> None:
        self.error_class = error_class
        self.sqlstate = sqlstate
        super().__init__(f"[{error_class}] {message} SQLSTATE: {sqlstate}")


class UnsupportedStatement(LocalWarehouseError):
    """SQL that Databricks accepts but the local warehouse does not implement."""

    def __init__(self, what: str) -> None:
        super().__init__(
            "UNSUPPORTED_FEATURE.LOCAL_WAREHOUSE",
            f"The local warehouse does not support {what}. "
            "It implements the subset of Databricks SQL this service uses; see the README.",
            "0A000",
        )


def table_not_found(name: str) -> LocalWarehouseError:
    return LocalWarehouseError(
        "TABLE_OR_VIEW_NOT_FOUND",
        f"The table or view {name} cannot be found. Verify the spelling and correctness of the "
        "schema and catalog.",
        "42P01",
    )


def schema_not_found(name: str) -> LocalWarehouseError:
    return LocalWarehouseError(
        "SCHEMA_NOT_FOUND",
        f"The schema {name} cannot be found. Verify the spelling and correctness of the schema and catalog.",
        "42704",
    )


def catalog_not_found(name: str) -> LocalWarehouseError:
    return LocalWarehouseError("CATALOG_NOT_FOUND", f"The catalog {name} cannot be found.", "42P08")


def unresolved_routine(name: tuple[str, ...], catalog: str, schema: str) -> LocalWarehouseError:
    """A function Databricks does not know (``name``: its parts as written)."""
    written = ".".join(f"`{part}`" for part in name)
    return LocalWarehouseError(
        "UNRESOLVED_ROUTINE",
        f"Cannot resolve function {written} on search path "
        f"[`system`.`builtin`, `system`.`session`, `{catalog}`.`{schema}`].",
        "42883",
    )
