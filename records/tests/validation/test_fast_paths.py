"""The shortcuts of a large write agree with the long way: the row validator's one condition per
row with its column-by-column checks, and ``check_rows_fit``'s orjson estimate with measuring
every row by ``to_json``."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from pytest_django import Settings

from common.errors import ApiError
from records.jobs.budget import check_rows_fit
from records.sql.insert import batch_row
from records.tables import Column
from records.validation.generator import generate
from records.validation.runtime import InvalidValue
from warehouse.sql import to_json, value_bytes

# Per type: values it accepts (some normalized), and values it refuses.
VALUES: dict[str, list[Any]] = {
    "BIGINT": [0, -(2**63), 2**63 - 1, 2**63, 1.0, True, "1"],
    "TINYINT": [127, 128, -129],
    "DOUBLE": [1.5, 7, -1e308, math.inf, math.nan, 10**400, False, "1.5"],
    "FLOAT": [3.4e38, 3.5e38, 1],
    "DECIMAL(5,2)": ["1.5", "-123.45", 12, 1.25, "1234.5", "1e2", "x", True],
    "STRING": ["", "é", 5, [], {}],
    "VARCHAR(3)": ["abc", "abcd"],
    "BOOLEAN": [True, False, 0, "true"],
    "DATE": ["2024-02-29", "2023-02-29", "2024-1-1", 20240101],
    "TIMESTAMP": ["2024-01-15T10:30:00", "2024-01-15T10:30:00+02:00", "yesterday", 5],
    "TIMESTAMP_NTZ": ["2024-01-15T10:30:00", "2024-01-15T10:30:00Z"],
    "BINARY": ["YWJj", "YWJ", 1],
    "VARIANT": [{"any": [1]}, "x", math.inf],
}


def outcome(check: Any, rows: list[Any], start: int = 0) -> Any:
    try:
        checked = check(rows, start)
    except InvalidValue as error:
        return ("invalid", error.index, error.column, error.path, error.problem)
    return [(list(row), row) for row in checked]  # the values and the order of the keys


@pytest.mark.parametrize("partial", [False, True])
def test_the_row_validators_condition_agrees_with_its_column_checks(partial: bool) -> None:
    chance = random.Random(9)
    names = list(VALUES)
    for _ in range(300):
        types = chance.sample(names, chance.randint(1, 5))
        columns = tuple(Column(f"c{i}", kind, nullable=chance.random() < 0.5) for i, kind in enumerate(types))
        fast, slow = (generate(columns, partial=partial, fast_path=flag)[1] for flag in (True, False))
        rows: list[Any] = []
        for _ in range(20):
            row = {c.name: chance.choice([*VALUES[c.data_type], None]) for c in columns}
            if chance.random() < 0.1:
                row.pop(chance.choice(list(row)))  # an absent column: the long way
            if chance.random() < 0.05:
                row = {name.upper(): value for name, value in row.items()}  # spelled otherwise
            rows.append(row)
        # Clean rows first, then the rows with their bad values: the first bad value is named.
        clean = [row for row in rows if isinstance(outcome(slow, [row]), list)]
        assert outcome(fast, clean) == outcome(slow, clean)
        for start in range(len(rows)):
            assert outcome(fast, rows, start) == outcome(slow, rows, start)


def test_the_fast_path_copies_rows() -> None:
    """The checked rows are new dicts: submit adds record_uuid to them."""
    columns = (Column("a", "BIGINT"), Column("b", "STRING"))
    row = {"b": "x", "a": 1}

    checked = generate(columns, partial=False)[1]([row, row], 0)

    assert checked == [row, row] and list(checked[0]) == ["a", "b"]
    assert checked[0] is not row and checked[0] is not checked[1]


SOURCE = (
    Column("a", "BIGINT"),
    Column("s", "STRING"),
    Column("d", "DOUBLE"),
    Column("l", "ARRAY<DOUBLE>"),
    Column("record_uuid", "STRING"),
)


def measured_one_by_one(
    source: tuple[Column, ...], rows: list[dict[str, Any]], principal: str, limit: int
) -> Any:
    """What ``check_rows_fit`` answered when it measured every row with ``to_json``."""
    capacity = limit - value_bytes(principal) - 2
    try:
        for index, row in enumerate(rows):
            size = len(to_json(batch_row(source, row)).encode())
            if size > capacity:
                return ("too large", index, size)
    except Exception as error:
        return (type(error).__name__, str(error))
    return "fits"


def checked(source: tuple[Column, ...], rows: list[dict[str, Any]], principal: str) -> Any:
    try:
        check_rows_fit(source, rows, principal)
    except ApiError as error:
        return ("too large", error.details["record"], error.details["bytes"])
    except Exception as error:
        return (type(error).__name__, str(error))
    return "fits"


def a_value(chance: random.Random) -> Any:
    if chance.random() < 0.7:
        return chance.random() * 10 ** chance.randint(-12, 20)  # floats with and without exponents
    return chance.choice([None, 7, 10**25, "é\n\x01\u2028", "x" * chance.randint(0, 3000), True, -0.0, 6e-09])


@pytest.mark.parametrize("limit", [1024, 2500, 6000, 900_000])
def test_check_rows_fit_answers_what_measuring_every_row_answers(settings: Settings, limit: int) -> None:
    settings.RECORDS_MAX_PARAMETER_BYTES = limit
    chance = random.Random(limit)
    answers = set()
    for _ in range(60):
        rows = []
        for _ in range(chance.randint(1, 400)):
            row: dict[str, Any] = {}
            for column in SOURCE:
                if chance.random() < 0.95:
                    name = column.name if chance.random() < 0.98 else column.name.upper()
                    row[name] = [a_value(chance) for _ in range(3)] if column.name == "l" else a_value(chance)
            rows.append(row)
        if chance.random() < 0.1:
            rows[chance.randrange(len(rows))]["s"] = "\ud800"  # a lone surrogate: UnicodeEncodeError
        expected = measured_one_by_one(SOURCE, rows, "bench", limit)
        assert checked(SOURCE, rows, "bench") == expected
        answers.add(expected if isinstance(expected, str) else expected[0])
    assert "too large" in answers or limit == 900_000


def test_rows_of_a_type_the_validator_does_not_check_are_all_measured(settings: Settings) -> None:
    """orjson writes infinity as null; to_json refuses it, as before."""
    source = (Column("v", "VARIANT"), Column("record_uuid", "STRING"))
    rows = [{"v": [1.5], "record_uuid": "u"}, {"v": [math.inf], "record_uuid": "u"}]

    assert checked(source, rows, "bench") == measured_one_by_one(source, rows, "bench", 900_000)
    assert checked(source, rows, "bench")[0] == "ValueError"
