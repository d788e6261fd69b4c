"""One converter between the domain's frozen dataclasses and plain values: Avro records and JSON documents.

A dataclass becomes a dict of its fields under the same names, in field order; an enum becomes its value, a tuple
a list, a nested dataclass a dict, ``X | None`` None or X; str, int, float, bool, ``Any`` and ``dict[str, Any]``
stay as they are. The two converters differ only in times:

* :data:`RECORDS` (Avro records for fastavro): a time stays a datetime, cut to the UTC millisecond that
  ``timestamp-millis`` keeps (:func:`aduan.domain.events.to_millis`), and is read back as it is.
* :data:`DOCUMENTS` (JSON for PostgreSQL): a time is ISO 8601 text with its offset (``datetime.isoformat``), read
  back from that text, or as it is when a ``timestamptz`` column already gave a datetime.

Reading ignores keys the dataclass has no field for and leaves a missing field at its default, so a document
written before a field was added still loads. Each type's plan is made once from its type hints and cached; a
type the converter cannot handle raises TypeError when its plan is made, naming the type.

Usage::

    document = DOCUMENTS.unstructure(state)      # {"complaint_id": ..., "submitted_at": "2024-05-06T01:02:03+00:00"}
    state = DOCUMENTS.structure(document, ComplaintState)
"""

from __future__ import annotations

import dataclasses
import operator
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from aduan.domain.events import to_millis

T = TypeVar("T")
# Turns one value into another; None in a plan means "as it is".
Step = Callable[[Any], Any]

_AS_IS = (str, int, float, bool, Any)


class Converter:
    """Dataclasses to plain values and back; ``dump_time`` and ``load_time`` say what becomes of a datetime."""

    def __init__(self, dump_time: Step, load_time: Step) -> None:
        self._dump_time = dump_time
        self._load_time = load_time
        self._dumps: dict[Any, Step | None] = {}
        self._loads: dict[Any, Step | None] = {}

    def unstructure(self, value: Any) -> dict[str, Any]:
        """The plain dict of the dataclass instance ``value``."""
        return typing.cast(Step, self._dump(_dataclass(type(value))))(value)

    def structure(self, document: Mapping[str, Any], kind: type[T]) -> T:
        """The ``kind`` that :meth:`unstructure` made ``document`` of."""
        return typing.cast(Step, self._load(_dataclass(kind)))(document)

    def _dump(self, hint: Any) -> Step | None:
        if hint not in self._dumps:
            self._dumps[hint] = self._plan(hint, dumping=True)
        return self._dumps[hint]

    def _load(self, hint: Any) -> Step | None:
        if hint not in self._loads:
            self._loads[hint] = self._plan(hint, dumping=False)
        return self._loads[hint]

    def _plan(self, hint: Any, *, dumping: bool) -> Step | None:
        step = self._dump if dumping else self._load
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if hint in _AS_IS:
            return None
        if hint is datetime:
            return self._dump_time if dumping else self._load_time
        if isinstance(hint, type) and issubclass(hint, Enum):
            return operator.attrgetter("value") if dumping else hint
        if dataclasses.is_dataclass(hint):
            return _dump_dataclass(hint, step) if dumping else _load_dataclass(hint, step)
        if origin in (types.UnionType, typing.Union) and len(args) == 2 and type(None) in args:
            inner = step(next(arg for arg in args if arg is not type(None)))
            return None if inner is None else (lambda value: None if value is None else inner(value))
        if origin is tuple:
            return _sequence([step(arg) for arg in args if arg is not Ellipsis], list if dumping else tuple,
                             homogeneous=args[-1:] == (Ellipsis,))
        if origin is dict and all(step(arg) is None for arg in args):
            return None
        raise TypeError(f"no conversion for {hint!r}: use a dataclass, an enum, a tuple, a datetime, X | None, "
                        "str, int, float, bool or dict[str, Any]")


def _dataclass(kind: type[T]) -> type[T]:
    if not dataclasses.is_dataclass(kind):
        raise TypeError(f"{kind!r} is not a dataclass: the converter starts from a dataclass")
    return kind


def _dump_dataclass(kind: type, step: Callable[[Any], Step | None]) -> Step:
    hints = typing.get_type_hints(kind)
    plan = [(field.name, step(hints[field.name])) for field in dataclasses.fields(kind)]

    def dump(value: Any) -> dict[str, Any]:
        return {name: getattr(value, name) if each is None else each(getattr(value, name)) for name, each in plan}
    return dump


def _load_dataclass(kind: type, step: Callable[[Any], Step | None]) -> Step:
    hints = typing.get_type_hints(kind)
    plan = {field.name: step(hints[field.name]) for field in dataclasses.fields(kind)}

    def load(document: Mapping[str, Any]) -> Any:
        values = {}
        for name, value in document.items():
            if name in plan:
                each = plan[name]
                values[name] = value if each is None or value is None else each(value)
        return kind(**values)
    return load


def _sequence(items: list[Step | None], container: type, *, homogeneous: bool) -> Step:
    if homogeneous:
        (each,) = items
        if each is None:
            return container
        return lambda values: container(map(each, values))
    return lambda values: container(value if each is None else each(value) for each, value in zip(items, values))


def _time_from_text(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


RECORDS = Converter(dump_time=to_millis, load_time=lambda value: value)
DOCUMENTS = Converter(dump_time=datetime.isoformat, load_time=_time_from_text)
