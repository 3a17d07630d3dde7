"""The filesystem broker's messages appear in the queue folder whole: a worker scanning the
folder while a message is being written never takes it half-written (kombu's own transport
lets it take the empty file, and the worker dies on it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from queue import Empty
from typing import Any

import pytest
from django.conf import settings
from kombu import Connection
from kombu.transport import filesystem
from kombu.utils import json

from project import broker

QUEUE = "jobs"


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Any]:
    for name in ("queue", "control"):
        (tmp_path / name).mkdir()
    return {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "control_folder": str(tmp_path / "control"),
        "store_processed": False,
    }


@pytest.fixture
def connect(folders: dict[str, Any]) -> Iterator[Callable[[Any], Any]]:
    """A channel of a new connection on ``folders`` through the given transport."""
    connections: list[Connection] = []

    def channel(transport: Any) -> Any:
        connection = Connection("filesystem://", transport=transport, transport_options=folders)
        connections.append(connection)
        return connection.default_channel

    yield channel
    for connection in connections:
        connection.release()


def read_during_put(writer: Any, reader: Any, monkeypatch: pytest.MonkeyPatch, module: Any) -> list[Any]:
    """Put a message with ``writer`` while ``reader`` scans the queue in the middle of the
    put (while the message is being encoded); what the reader took then, and afterwards."""
    seen: list[Any] = []
    encode = json.dumps

    def encode_while_a_reader_scans(payload: Any) -> str:
        try:
            seen.append(reader._get(QUEUE))
        except Exception as error:  # Empty, or what a half-written message does to a reader
            seen.append(error)
        return encode(payload)

    monkeypatch.setattr(module, "dumps", encode_while_a_reader_scans)
    writer._put(QUEUE, {"job": 1})
    monkeypatch.setattr(module, "dumps", encode)
    try:
        seen.append(reader._get(QUEUE))
    except Exception as error:
        seen.append(error)
    return seen


def test_a_reader_never_takes_a_message_being_written(
    connect: Callable[[Any], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    during, after = read_during_put(connect(broker.Transport), connect(broker.Transport), monkeypatch, broker)
    assert isinstance(during, Empty), during
    assert after == {"job": 1}


def test_kombus_own_transport_hands_a_reader_the_empty_file(
    connect: Callable[[Any], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why ``project.broker`` exists: with kombu's transport the same interleaving makes the
    reader fail to decode the message, and the message is gone (if this ever passes, kombu has
    fixed it and ``project.broker`` can go)."""
    stock = filesystem.Transport
    during, after = read_during_put(connect(stock), connect(stock), monkeypatch, filesystem)
    assert isinstance(during, ValueError), during  # json.JSONDecodeError
    assert isinstance(after, Empty), after


def test_the_settings_use_it_for_a_filesystem_broker() -> None:
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        assert settings.CELERY_BROKER_TRANSPORT == broker.FILESYSTEM_TRANSPORT
    else:
        assert settings.CELERY_BROKER_TRANSPORT is None
