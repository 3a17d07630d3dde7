"""A job's stored request: one typed payload per operation, and the one codec between them and JSON.

``Job.payload`` holds ``payload.to_json()``; ``decode_payload`` reads it back, at run time and
for a validated request at submit time (update and delete requests have the stored shape
plus the table's name). Nothing else reads ``Job.payload`` by key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..tables import Column


@dataclass
class WritePayload:
    """Rows to insert, each carrying its ``record_uuid``; ``columns`` is the
    ``schema_definition`` when one was given (used with ``auto_create``)."""

    rows: list[dict[str, Any]]
    auto_create: bool = False
    columns: tuple[Column, ...] | None = None

    @property
    def item_count(self) -> int | None:
        return len(self.rows)

    def to_json(self) -> dict[str, Any]:
        columns = [[c.name, c.data_type, c.nullable] for c in self.columns] if self.columns else None
        return {"auto_create": self.auto_create, "columns": columns, "rows": self.rows}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> WritePayload:
        columns = raw.get("columns")
        return cls(
            rows=raw["rows"],
            auto_create=bool(raw.get("auto_create")),
            columns=tuple(Column(name, data_type, nullable) for name, data_type, nullable in columns)
            if columns
            else None,
        )


@dataclass
class UpsertPayload:
    """Rows to merge by ``key_columns`` (the table's real names), each carrying its
    ``record_uuid`` (kept only by the rows inserted); ``match_deleted`` revives soft-deleted
    matches. ``auto_create`` and ``columns`` as for a write."""

    rows: list[dict[str, Any]]
    key_columns: list[str]
    match_deleted: bool = False
    auto_create: bool = False
    columns: tuple[Column, ...] | None = None

    @property
    def item_count(self) -> int | None:
        return len(self.rows)

    def to_json(self) -> dict[str, Any]:
        write = WritePayload(self.rows, self.auto_create, self.columns).to_json()
        return {**write, "key_columns": self.key_columns, "match_deleted": self.match_deleted}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> UpsertPayload:
        write = WritePayload.from_json(raw)
        return cls(
            rows=write.rows,
            key_columns=list(raw["key_columns"]),
            match_deleted=bool(raw.get("match_deleted")),
            auto_create=write.auto_create,
            columns=write.columns,
        )


@dataclass
class KeyedPayload:
    """The rows an update or delete chooses: by ``key_value`` (``keys`` of one), ``key_values``,
    per-key ``bulk_updates`` (updates only) or ``filters``. ``method`` names the choice."""

    method: str
    key_column: str | None = None
    keys: list[Any] | None = None
    filters: list[dict[str, Any]] | None = None

    def requested_keys(self) -> list[Any] | None:
        """The keys asked for, in request order (``None`` for filters): what ``not_found`` reports."""
        return self.keys

    @property
    def item_count(self) -> int | None:
        keys = self.requested_keys()
        return None if keys is None else len(keys)

    def _selection_json(self) -> dict[str, Any]:
        raw: dict[str, Any] = {"method": self.method}
        if self.key_column is not None:
            raw["key_column"] = self.key_column
        if self.method == "key_value":
            raw["key_value"] = (self.keys or [None])[0]
        elif self.method == "key_values":
            raw["key_values"] = self.keys
        elif self.method == "filters":
            raw["filters"] = self.filters
        return raw

    @staticmethod
    def _selection(raw: dict[str, Any]) -> dict[str, Any]:
        method = raw["method"]
        keys = [raw["key_value"]] if method == "key_value" else raw.get("key_values")
        return {
            "method": method,
            "key_column": raw.get("key_column"),
            "keys": keys if method in ("key_value", "key_values") else None,
            "filters": raw.get("filters") if method == "filters" else None,
        }


@dataclass
class UpdatePayload(KeyedPayload):
    """``updates`` for every chosen row, or ``bulk_updates``: ``[{"key_value", "updates"}]``."""

    updates: dict[str, Any] | None = None
    bulk_updates: list[dict[str, Any]] | None = field(default=None)

    def requested_keys(self) -> list[Any] | None:
        if self.bulk_updates is not None:
            return [item["key_value"] for item in self.bulk_updates]
        return self.keys

    def to_json(self) -> dict[str, Any]:
        raw = self._selection_json()
        if self.bulk_updates is not None:
            raw["bulk_updates"] = self.bulk_updates
        else:
            raw["updates"] = self.updates
        return raw

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> UpdatePayload:
        bulk = raw.get("bulk_updates") if raw["method"] == "bulk_updates" else None
        return cls(
            **cls._selection(raw),
            updates=None if bulk is not None else raw.get("updates"),
            bulk_updates=[dict(item) for item in bulk] if bulk is not None else None,
        )


@dataclass
class DeletePayload(KeyedPayload):
    """``soft``: mark rows deleted (the default, undoable) or remove them."""

    soft: bool = True

    def to_json(self) -> dict[str, Any]:
        return {**self._selection_json(), "soft": self.soft}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> DeletePayload:
        return cls(**cls._selection(raw), soft=bool(raw.get("soft", True)))


@dataclass
class IngestPayload:
    """An uploaded file's rows to insert: the file itself waits in ``RECORDS_INGEST_DIR``
    under the job's id (``records.jobs.ingest.ingest_file``); this says how to read it.
    ``rows`` and ``bytes`` are what submit counted; ``auto_create`` and ``columns`` as for a write."""

    file_format: str
    rows: int
    bytes: int
    header: bool = True
    delimiter: str = ","
    null_value: str = ""
    auto_create: bool = False
    columns: tuple[Column, ...] | None = None

    @property
    def item_count(self) -> int | None:
        return self.rows

    def to_json(self) -> dict[str, Any]:
        columns = [[c.name, c.data_type, c.nullable] for c in self.columns] if self.columns else None
        return {
            "file_format": self.file_format,
            "rows": self.rows,
            "bytes": self.bytes,
            "header": self.header,
            "delimiter": self.delimiter,
            "null_value": self.null_value,
            "auto_create": self.auto_create,
            "columns": columns,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> IngestPayload:
        write = WritePayload.from_json({**raw, "rows": []})
        return cls(
            file_format=raw["file_format"],
            rows=int(raw["rows"]),
            bytes=int(raw["bytes"]),
            header=bool(raw.get("header", True)),
            delimiter=str(raw.get("delimiter", ",")),
            null_value=str(raw.get("null_value", "")),
            auto_create=write.auto_create,
            columns=write.columns,
        )


Payload = WritePayload | UpsertPayload | UpdatePayload | DeletePayload | IngestPayload
_PAYLOADS: dict[str, type[Payload]] = {
    "write": WritePayload,
    "ingest": IngestPayload,
    "upsert": UpsertPayload,
    "update": UpdatePayload,
    "delete": DeletePayload,
}


def decode_payload(operation: str, raw: dict[str, Any]) -> Payload:
    """The typed payload of ``operation`` from its JSON (a stored payload or a validated request)."""
    return _PAYLOADS[operation].from_json(raw)
