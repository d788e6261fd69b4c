"""Decoding complaint events for projection, faster than the general codec: schemas are resolved once per
schema id and timestamps stay integer milliseconds since the epoch (UTC), which the fold compares and writes
without building datetime objects.
"""

from __future__ import annotations

import io
from typing import Any

from fastavro import parse_schema, schemaless_reader

from aduan.domain.events import Event
from schemas import DecodeError, SchemaRegistry, codec

COMPLAINT_EVENTS = frozenset(event.value for event in Event)
_PREFIX = 5


def _without_logical_types(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _without_logical_types(v) for k, v in schema.items() if k != "logicalType"}
    if isinstance(schema, list):
        return [_without_logical_types(item) for item in schema]
    return schema


class EventDecoder:
    """Turns a log message value into ``(event name, record)``; raises :class:`schemas.DecodeError`."""

    def __init__(self, registry: SchemaRegistry | None = None) -> None:
        self._registry = registry or codec().registry
        self._readers: dict[int, tuple[str, Any, Any]] = {}

    def decode(self, value: bytes | None) -> tuple[str, dict[str, Any]]:
        """The event name (Avro full name) and its record, timestamps as int milliseconds."""
        if value is None or len(value) < _PREFIX or value[0] != 0:
            codec().decode(value)  # raises the codec's own DecodeError saying what is wrong
        schema_id = int.from_bytes(value[1:_PREFIX], "big")
        reader = self._readers.get(schema_id) or self._reader(schema_id)
        name, writer_schema, reader_schema = reader
        buffer = io.BytesIO(value)
        buffer.seek(_PREFIX)
        try:
            record = schemaless_reader(buffer, writer_schema, reader_schema)
        except Exception as exc:
            raise DecodeError("corrupt", f"corrupt Avro body for {name} (schema id {schema_id}): {exc!r}") from exc
        if buffer.tell() != len(value):
            raise DecodeError("trailing_bytes",
                              f"{len(value) - buffer.tell()} bytes left after the {name} record: corrupt message")
        return name, record  # type: ignore[return-value]

    def _reader(self, schema_id: int) -> tuple[str, Any, Any]:
        writer = self._registry.by_id(schema_id)
        if writer is None:
            raise DecodeError("unknown_schema", f"schema id {schema_id} is not in schemas/registry.json: the "
                                                "producer is newer than this projector; upgrade aduan here")
        if writer.name not in COMPLAINT_EVENTS:
            raise DecodeError("wrong_type", f"{writer.name} on the complaint event log: only complaint events "
                                            "belong there; publish it to its own topic")
        latest = self._registry.latest(writer.name)
        writer_schema = parse_schema(_without_logical_types(writer.expanded()))
        reader_schema = None if latest.id == writer.id else parse_schema(_without_logical_types(latest.expanded()))
        self._readers[schema_id] = (writer.name, writer_schema, reader_schema)
        return self._readers[schema_id]
