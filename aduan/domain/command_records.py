"""Commands as records: each command of :mod:`aduan.domain.commands` is an ``id.aduan.command.<Class>`` record.

The record has the dataclass's fields under the same names: ``actor`` is an ``id.aduan.Actor`` record, enums are
their symbols, ``tags`` an array, times ``timestamp-millis``. Admin, reporter and system commands go to
``<p>.commands``; agency officers' actions go to ``<p>.agency-actions`` inside a signed envelope
(:mod:`aduan.kernel.signing`). Both are keyed by complaint id, so they share the event log's partitioning.

Usage::

    name, record = command_record(Verify(command_id=..., complaint_id=..., actor=..., issued_at=..., ...))
    command = command_from_record(name, record)    # back to the dataclass (KeyError for an unknown name)
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any

from aduan.domain.commands import Actor, ActorKind, Command
from aduan.domain.events import to_millis
from aduan.domain.lifecycle import ALLOWED_ACTORS

NAMESPACE = "id.aduan.command"
COMMAND_TYPES: dict[str, type[Command]] = {f"{NAMESPACE}.{kind.__name__}": kind for kind in ALLOWED_ACTORS}


def command_name(command: Command) -> str:
    """``id.aduan.command.Verify`` for a :class:`~aduan.domain.commands.Verify`."""
    return f"{NAMESPACE}.{type(command).__name__}"


def command_record(command: Command) -> tuple[str, dict[str, Any]]:
    """The message type name and the Avro record of ``command``."""
    record = {field.name: _to_wire(getattr(command, field.name)) for field in dataclasses.fields(command)}
    return command_name(command), record


def command_from_record(name: str, record: dict[str, Any]) -> Command:
    """The command a decoded ``id.aduan.command.*`` record stands for.

    Raises KeyError for a message type that is not a command, ValueError for an enum symbol this version lacks.
    """
    kind = COMMAND_TYPES.get(name)
    if kind is None:
        raise KeyError(f"{name} is not a complaint command; commands are {', '.join(sorted(COMMAND_TYPES))}")
    hints = _field_types(kind)
    values = {field.name: _from_wire(hints[field.name], record.get(field.name)) for field in dataclasses.fields(kind)}
    return kind(**values)


def _to_wire(value: Any) -> Any:
    if isinstance(value, Actor):
        return value.to_record()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_to_wire(item) for item in value]
    if isinstance(value, datetime):
        return to_millis(value)
    return value


def _from_wire(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    hint = _without_none(hint)
    if hint is Actor:
        return Actor(ActorKind(value["kind"]), value["id"], value.get("agency"))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if typing.get_origin(hint) is tuple:
        return tuple(value)
    return value


def _without_none(hint: Any) -> Any:
    """``X`` for ``X | None``."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        others = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return others[0] if len(others) == 1 else hint
    return hint


@cache
def _field_types(kind: type[Command]) -> dict[str, Any]:
    return typing.get_type_hints(kind)
