"""The consumed-message value that processors work on, independent of the client library that read it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Message:
    """One consumed Kafka message."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    timestamp_ms: int | None = None
    highwater: int | None = None  # the partition's high-water mark in the fetch that returned it, where known

    def header(self, name: str) -> bytes | None:
        """The first header called ``name``, or None."""
        return next((v for k, v in self.headers if k == name), None)


def highwaters(batch: list[Message]) -> dict[tuple[str, int], int]:
    """The highest known high-water mark per (topic, partition) of ``batch``."""
    marks: dict[tuple[str, int], int] = {}
    for m in batch:
        if m.highwater is not None:
            marks[(m.topic, m.partition)] = max(m.highwater, marks.get((m.topic, m.partition), 0))
    return marks
