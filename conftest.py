"""Shared fixtures: a real local warehouse process for the whole test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from warehouse.local.testing import LocalWarehouseProcess


@pytest.fixture(scope="session")
def local_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWarehouseProcess]:
    """A local warehouse server on a free port, with its own data directory."""
    process = LocalWarehouseProcess(data_dir=tmp_path_factory.mktemp("warehouse"))
    process.start()
    yield process
    process.stop()
