"""Commands as records: each command of :mod:`aduan.domain.commands` is an ``id.aduan.command.<Class>`` record.

The record has the dataclass's fields under the same names, made by :data:`aduan.domain.records.RECORDS`: ``actor``
is an ``id.aduan.Actor`` record, enums are their symbols, ``tags`` an array, times ``timestamp-millis``. Admin,
reporter and system commands go to ``<p>.commands``; agency officers' actions go to ``<p>.agency-actions`` inside a
signed envelope (:mod:`aduan.kernel.signing`). Both are keyed by complaint id, so they share the event log's
partitioning.

Usage::

    name, record = command_record(Verify(command_id=..., complaint_id=..., actor=..., issued_at=..., ...))
    command = command_from_record(name, record)    # back to the dataclass (KeyError for an unknown name)
"""

from __future__ import annotations

from typing import Any

from aduan.domain.commands import Command
from aduan.domain.lifecycle import ALLOWED_ACTORS
from aduan.domain.records import RECORDS

NAMESPACE = "id.aduan.command"
COMMAND_TYPES: dict[str, type[Command]] = {f"{NAMESPACE}.{kind.__name__}": kind for kind in ALLOWED_ACTORS}


def command_name(command: Command) -> str:
    """``id.aduan.command.Verify`` for a :class:`~aduan.domain.commands.Verify`."""
    return f"{NAMESPACE}.{type(command).__name__}"


def command_record(command: Command) -> tuple[str, dict[str, Any]]:
    """The message type name and the Avro record of ``command``."""
    return command_name(command), RECORDS.unstructure(command)


def command_from_record(name: str, record: dict[str, Any]) -> Command:
    """The command a decoded ``id.aduan.command.*`` record stands for.

    Raises KeyError for a message type that is not a command, ValueError for an enum symbol this version lacks.
    """
    kind = COMMAND_TYPES.get(name)
    if kind is None:
        raise KeyError(f"{name} is not a complaint command; commands are {', '.join(sorted(COMMAND_TYPES))}")
    return RECORDS.structure(record, kind)
