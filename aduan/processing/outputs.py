"""What one unit of a processor's work sends and counts.

Messages are queued on the publisher and acknowledged before the transaction commits (:meth:`Outputs.flush`);
every metric of the unit, the produced messages and dead letters included, is tallied and counted once the commit
succeeded (:meth:`Outputs.committed`), and forgotten when it failed (:meth:`Outputs.discard`), so a retried batch
counts once.
"""

from __future__ import annotations

from collections import Counter as Tally
from typing import Any, Callable, Iterable

from prometheus_client import Counter

from aduan.kernel.kafka_clients import Publishing
from aduan.kernel.metrics import DEAD_LETTERS, MESSAGES_PRODUCED
from aduan.kernel.stream_message import Message
from aduan.processing.dead_letter import (
    DEAD_LETTER,
    dead_letter_headers,
    dead_letter_record,
)
from schemas import DecodeError, codec

Decode = Callable[[bytes | None], Any]
UNDECODABLE = "undecodable"


class Outputs:
    """The messages and metrics of ``processor``'s current unit of work."""

    def __init__(self, processor: str, publisher: Publishing, dead_letter_topic: str) -> None:
        self.processor = processor
        self.publisher = publisher
        self.dead_letter_topic = dead_letter_topic
        self._tally: Tally[tuple[Counter, tuple[tuple[str, str], ...]]] = Tally()

    def send(self, topic: str, key: str, name: str, record: dict[str, Any],
             headers: Iterable[tuple[str, bytes]] = ()) -> None:
        """Queue ``record`` (message type ``name``) on ``topic``, keyed by ``key``; counted as produced."""
        self.publisher.send(topic, key.encode(), codec().encode(name, record), [("type", name.encode()), *headers])
        self.count(MESSAGES_PRODUCED, processor=self.processor, topic=topic.rsplit(".", 1)[-1], type=name)

    def dead_letter(self, message: Message, code: str, reason: str) -> None:
        """Queue ``message`` on the dead-letter topic with a machine code and a reason in words."""
        self.publisher.send(self.dead_letter_topic, message.key,
                            codec().encode(DEAD_LETTER, dead_letter_record(self.processor, message, code, reason)),
                            dead_letter_headers(self.processor, code))
        self.count(DEAD_LETTERS, processor=self.processor, reason=code)

    def decoded(self, messages: Iterable[Message], decode: Decode | None = None,
                code: str | None = UNDECODABLE) -> list[tuple[Message, Any]]:
        """Each message with what ``decode`` (default: the codec's) made of it; a message it refuses is
        dead-lettered with ``code`` and the decoder's own code and reason (``code`` None: the decoder's code)."""
        decode = decode or codec().decode
        found = []
        for message in messages:
            try:
                found.append((message, decode(message.value)))
            except DecodeError as exc:
                if code is None:
                    self.dead_letter(message, exc.code, exc.reason)
                else:
                    self.dead_letter(message, code, f"{exc.code}: {exc.reason}")
        return found

    def count(self, counter: Counter, amount: float = 1, **labels: str) -> None:
        """Count ``amount`` on ``counter`` (with ``labels``) once this unit of work committed."""
        self._tally[(counter, tuple(labels.items()))] += amount

    def flush(self) -> None:
        """Wait for the broker's acknowledgement of every queued message (raises when one fails)."""
        self.publisher.flush()

    def committed(self) -> None:
        """The unit of work committed: count its metrics."""
        tally, self._tally = self._tally, Tally()
        for (counter, labels), amount in tally.items():
            (counter.labels(**dict(labels)) if labels else counter).inc(amount)

    def discard(self) -> None:
        """The unit of work failed: it counts nothing (its retry will)."""
        self._tally = Tally()
