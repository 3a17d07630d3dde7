"""The warehouse the contract tests run on: the local one (``make test``), or the Databricks SQL
warehouse of DATABRICKS_HOST / DATABRICKS_WAREHOUSE_ID (``make test-databricks``, which sets
RECORDS_CONTRACT_WAREHOUSE=databricks). Every test works in one scratch schema, created for the
session and dropped with everything in it afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from records import sql
from records.tables import Column
from records.testing import WELLS_COLUMNS
from warehouse.client import StatementResult, WarehouseClient, _connect_kwargs
from warehouse.exceptions import WarehouseNotConfigured
from warehouse.sql import Statement, TableName

from ..sql.conftest import PRINCIPAL, well

TARGET_ENV = "RECORDS_CONTRACT_WAREHOUSE"
# On Databricks the scratch schema goes in this catalog (the identity needs USE CATALOG and
# CREATE SCHEMA on it); locally in a catalog of the tests' own.
CATALOG_ENV = "RECORDS_CONTRACT_CATALOG"
LOCAL_CATALOG = "contract_tests"
NOT_CONFIGURED = (
    "make test-databricks: no Databricks workspace is configured. Set DATABRICKS_WAREHOUSE_ID and"
    " DATABRICKS_HOST, with credentials for databricks-sdk's unified auth (DATABRICKS_TOKEN,"
    " DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET, or DATABRICKS_CONFIG_PROFILE), in the"
    " environment or .env"
)


@dataclass(frozen=True)
class ContractWarehouse:
    """Where the contract tests run: ``name`` is ``local`` or ``databricks``."""

    name: str
    client: WarehouseClient
    catalog: str
    schema: str

    def run(self, statement: Statement) -> StatementResult:
        return self.client.execute(statement.sql, statement.params)

    def table(self, prefix: str) -> TableName:
        """A name for a new table of one test in the scratch schema."""
        return TableName(self.catalog, self.schema, f"{prefix}_{uuid.uuid4().hex[:8]}")

    def rows(self, table: TableName, order: str = "api10") -> list[dict[str, Any]]:
        return self.client.execute(f"SELECT * FROM {table.quoted} ORDER BY {order}").as_dicts()

    def create(self, table: TableName, columns: tuple[Column, ...], rows: list[dict[str, Any]]) -> TableName:
        """``table`` made by ``create_table`` and holding ``rows`` (inserted by ``insert_batches``)."""
        self.run(sql.create_table(table, columns))
        budget = settings.RECORDS_MAX_PARAMETER_BYTES
        for statement in sql.insert_batches(
            table, sql.with_audit_columns(columns), rows, principal=PRINCIPAL, max_parameter_bytes=budget
        ):
            self.run(statement)
        return table


def _local_connect_kwargs(url: str) -> dict[str, Any]:
    # The service's own connection settings, aimed at the session's local warehouse whatever
    # DATABRICKS_WAREHOUSE_ID the environment has.
    with override_settings(DATABRICKS_WAREHOUSE_ID="", LOCAL_WAREHOUSE_URL=url):
        return _connect_kwargs()


def _databricks_client() -> WarehouseClient:
    """The service's client on the configured Databricks warehouse; the session is skipped when
    none is configured (refused credentials fail: they are a workspace that answered)."""
    if not settings.DATABRICKS_WAREHOUSE_ID:
        pytest.skip(NOT_CONFIGURED)
    client = WarehouseClient()
    try:
        client.ping()
    except WarehouseNotConfigured as error:
        if error.error_class == "CREDENTIALS_REFUSED":
            raise
        pytest.skip(f"{NOT_CONFIGURED} ({error.message})")
    return client


@pytest.fixture(scope="session")
def contract_warehouse(request: pytest.FixtureRequest) -> Iterator[ContractWarehouse]:
    """The chosen warehouse and its scratch schema, dropped at the end of the session."""
    target = os.environ.get(TARGET_ENV) or "local"
    if target == "local":
        local = request.getfixturevalue("local_warehouse")
        client = WarehouseClient(connect_kwargs=lambda: _local_connect_kwargs(local.url))
        catalog = LOCAL_CATALOG
        client.execute(f"CREATE CATALOG IF NOT EXISTS `{catalog}`")
    elif target == "databricks":
        client = _databricks_client()
        catalog = os.environ.get(CATALOG_ENV) or settings.DATABRICKS_CATALOG
    else:
        raise pytest.UsageError(f"{TARGET_ENV} must be local or databricks, not {target!r}")
    schema = f"records_contract_{uuid.uuid4().hex[:10]}"
    quoted = f"`{catalog}`.`{schema}`"
    client.execute(f"CREATE SCHEMA {quoted}")
    try:
        yield ContractWarehouse(target, client, catalog, schema)
    finally:
        client.execute(f"DROP SCHEMA IF EXISTS {quoted} CASCADE")
        client.reset()


@pytest.fixture
def warehouse(contract_warehouse: ContractWarehouse) -> ContractWarehouse:
    return contract_warehouse


@pytest.fixture
def wells(warehouse: ContractWarehouse) -> TableName:
    """A new wells table with 5 rows (api10 4201234001 to ...005, oileur 101,000 to 105,000)."""
    return warehouse.create(warehouse.table("wells"), WELLS_COLUMNS, [well(i) for i in range(1, 6)])
