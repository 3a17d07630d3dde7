"""A client's ``schema_definition`` as columns (``records.validation.schema``)."""

from __future__ import annotations

import pytest

from records.tables import Column
from records.testing import WELLS_DEFINITION
from records.validation.identifiers import InvalidIdentifier
from records.validation.schema import InvalidSchemaDefinition, parse_schema_definition
from records.validation.types import InvalidDataType


def test_the_seed_schema_definition_becomes_columns() -> None:
    """The wells definition parses into nine columns with their nullability."""
    columns = parse_schema_definition(WELLS_DEFINITION)

    assert columns[0] == Column("api10", "BIGINT", nullable=False)
    assert columns[-1] == Column("wellspacing", "DOUBLE", nullable=True)
    assert len(columns) == 9


def test_nullable_defaults_to_true_and_types_are_normalized() -> None:
    """A column without nullable may be null; its type is spelled canonically."""
    assert parse_schema_definition([{"name": "amount", "data_type": "decimal(10, 2)"}]) == (
        Column("amount", "DECIMAL(10,2)", nullable=True),
    )


def test_duplicate_column_names_are_rejected_case_insensitively() -> None:
    """Api10 and api10 are the same Databricks column."""
    items = [{"name": "api10", "data_type": "BIGINT"}, {"name": "Api10", "data_type": "STRING"}]

    with pytest.raises(InvalidSchemaDefinition) as caught:
        parse_schema_definition(items)

    assert caught.value.message == "Duplicate column name: 'Api10'"


@pytest.mark.parametrize("name", ["record_uuid", "is_deleted", "inserted_at", "Updated_By", "deleted_at"])
def test_audit_columns_cannot_be_defined_by_the_client(name: str) -> None:
    """The service adds the audit columns itself."""
    with pytest.raises(InvalidSchemaDefinition) as caught:
        parse_schema_definition([{"name": name, "data_type": "STRING"}])

    assert "audit column" in caught.value.message


def test_an_unknown_type_in_a_definition_names_the_column() -> None:
    """The error says which column has the bad type."""
    with pytest.raises(InvalidDataType) as caught:
        parse_schema_definition([{"name": "x", "data_type": "NUMBER"}])

    assert caught.value.message == "Unknown data type: NUMBER"
    assert caught.value.details["column"] == "x"


def test_an_invalid_column_name_in_a_definition_is_an_invalid_identifier() -> None:
    """Column names follow the identifier rule like table names."""
    with pytest.raises(InvalidIdentifier) as caught:
        parse_schema_definition([{"name": "bad name", "data_type": "INT"}])

    assert caught.value.message == "Invalid identifier: bad name"


def test_an_empty_definition_is_rejected() -> None:
    """A table needs at least one column."""
    with pytest.raises(InvalidSchemaDefinition):
        parse_schema_definition([])
