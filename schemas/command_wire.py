"""Commands on the wire: the record of :mod:`aduan.domain.command_records` in the Confluent wire format (Avro)."""

from __future__ import annotations

from aduan.domain.command_records import command_record
from aduan.domain.commands import Command
from schemas import codec


def encode_command(command: Command) -> bytes:
    """``command`` in the Confluent wire format."""
    return codec().encode(*command_record(command))
