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

    def header(self, name: str) -> bytes | None:
        """The first header called ``name``, or None."""
        return next((v for k, v in self.headers if k == name), None)
