"""kombu's filesystem transport (the broker ``make run`` and the tests use when no Redis is
configured), with messages that appear in the queue folder whole."""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

# What settings.CELERY_BROKER_TRANSPORT names for a filesystem:// broker URL.
FILESYSTEM_TRANSPORT = "project.broker:Transport"


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]  # stubs differ
        """Put the message onto ``queue``.

        kombu's own ``_put`` creates the message file, then writes it: a worker scanning the
        folder in between takes the empty file, cannot decode it and exits ("Unrecoverable
        error: JSONDecodeError"), and the message is gone. Here the message is written under a
        name no reader looks for and then renamed, which is atomic within a folder.
        """
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = f"{final}.partial"  # readers take only names ending in ".<queue>.msg"
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
