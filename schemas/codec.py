"""Avro encode/decode in the Confluent wire format: magic byte 0, a 4-byte big-endian schema id, the Avro body."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from fastavro.validation import validate

from schemas.registry import SchemaRegistry

MAGIC = 0
_PREFIX = struct.Struct(">bI")


class DecodeError(ValueError):
    """A message could not be decoded; ``reason`` says why in words, ``code`` for machines."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class EncodeError(ValueError):
    """A record does not fit its schema; the message names the field."""


@dataclass(frozen=True)
class Decoded:
    """A decoded message: its type name, the writer's schema id and the record as the current schema reads it."""

    name: str
    schema_id: int
    record: dict[str, Any]


class Codec:
    """Encodes records with the newest schema of their type and decodes any registered version."""

    def __init__(self, registry: SchemaRegistry | None = None) -> None:
        self.registry = registry or SchemaRegistry()

    def encode(self, name: str, record: dict[str, Any]) -> bytes:
        """Encode ``record`` as the message type ``name`` (an Avro full name such as ``id.aduan.ComplaintSubmitted``)."""
        subject = self.registry.latest(name)
        buf = io.BytesIO()
        buf.write(_PREFIX.pack(MAGIC, subject.id))
        try:
            schemaless_writer(buf, subject.parsed, record)
        except Exception as exc:  # fastavro raises many types; the validator names the field
            detail = _validation_detail(subject.parsed, record) or str(exc)
            raise EncodeError(f"{name}: {detail}") from exc
        return buf.getvalue()

    def decode(self, data: bytes | None) -> Decoded:
        """Decode a message; any problem becomes a :class:`DecodeError` with the reason."""
        if data is None:
            raise DecodeError("empty", "the message has no value (a tombstone or an empty send)")
        if len(data) < _PREFIX.size:
            raise DecodeError("too_short", f"{len(data)} bytes is too short for the Confluent wire format (5-byte prefix)")
        magic, schema_id = _PREFIX.unpack_from(data)
        if magic != MAGIC:
            raise DecodeError("bad_magic", f"first byte is {magic}, not the Confluent magic byte 0: not an aduan Avro message")
        writer = self.registry.by_id(schema_id)
        if writer is None:
            raise DecodeError(
                "unknown_schema",
                f"schema id {schema_id} is not in schemas/registry.json: the producer is newer than this reader; "
                "upgrade aduan on this consumer",
            )
        reader = self.registry.latest(writer.name)
        buf = io.BytesIO(data)
        buf.seek(_PREFIX.size)
        try:
            if reader.id == writer.id:
                record = schemaless_reader(buf, writer.parsed, None)
            else:
                record = schemaless_reader(buf, writer.parsed, reader.parsed)
        except Exception as exc:
            raise DecodeError("corrupt", f"corrupt Avro body for {writer.name} (schema id {schema_id}): {exc!r}") from exc
        if buf.tell() != len(data):
            raise DecodeError(
                "trailing_bytes", f"{len(data) - buf.tell()} bytes left after the {writer.name} record: corrupt message"
            )
        return Decoded(name=writer.name, schema_id=schema_id, record=record)  # type: ignore[arg-type]


def _validation_detail(schema: Any, record: Any) -> str | None:
    try:
        validate(record, schema, raise_errors=True)
    except Exception as exc:
        return str(exc)
    return None


@lru_cache(maxsize=1)
def codec() -> Codec:
    """The process-wide codec over the packaged schemas, parsed once."""
    return Codec()
