"""The batch rule every stateful processor follows (docs/design.md): one PostgreSQL transaction per batch that
locks the processor's offset rows, refuses the batch when a stored offset is beyond the log's end
(:mod:`aduan.kernel.log_guard`), skips what it already handled, applies the rest and records the next offsets."""

from __future__ import annotations

from typing import Any

import psycopg2.extensions

from aduan.kernel.config import Settings
from aduan.kernel.kafka_clients import Publishing
from aduan.kernel.log_guard import (
    LogEnds,
    Partitions,
    fetched_highwaters,
    refuse_beyond_log,
)
from aduan.kernel.stream_message import Message, highwaters
from aduan.kernel.topics import Topics
from aduan.processing.offsets import OffsetStore
from aduan.processing.outputs import Outputs
from aduan.processing.transaction import Transactions


class OffsetGap(RuntimeError):
    """A batch starts beyond the stored next offset of a partition: the messages in between never reached this
    processor (the consumer skipped them), so handling the batch would lose them. ``gaps``: (topic, partition) ->
    the stored next offset to read from again; ``firsts``: the offset the batch started at there."""

    def __init__(self, gaps: dict[tuple[str, int], int], firsts: dict[tuple[str, int], int]) -> None:
        super().__init__(f"messages never delivered before {gaps}")
        self.gaps = gaps
        self.firsts = firsts

    def same_as(self, other: "OffsetGap | None") -> bool:
        """Whether ``other`` was the same gap: read again from the stored offsets, the log still starts later."""
        return other is not None and (self.gaps, self.firsts) == (other.gaps, other.firsts)


# (topic, partition) -> (stored next offset, first offset the log holds after it): offsets the log does not hold,
# found by reading again from the stored offset (a Kafka log may have holes; tansu leaves one where it answered a
# send without storing it). Kept by the batch agent of this process (:func:`accept_holes`).
_HOLES: dict[tuple[str, int], tuple[int, int]] = {}


def accept_holes(gap: OffsetGap) -> None:
    """The log holds nothing between the stored offsets and the first offsets of ``gap``: go on from there."""
    for tp, stored in gap.gaps.items():
        _HOLES[tp] = (stored, gap.firsts[tp])


def unhandled(consumer: str, start: dict[tuple[str, int], int], batch: list[Message],
              confirm: LogEnds | None = None) -> list[Message]:
    """The messages of ``batch`` at or above ``consumer``'s stored next offsets ``start``.

    Raises :class:`aduan.kernel.log_guard.OffsetsBeyondLog` when a stored offset is beyond the partition's high-water mark
    (the one the batch was fetched with, then ``confirm``'s fresh one): the log is not the one the offsets came
    from, and skipping would drop what was never seen. Raises :class:`OffsetGap` when a partition's first message
    lies beyond its stored offset (a partition never handled, at 0, may start later; a hole the batch agent found
    in the log, :func:`accept_holes`, is no gap).
    """
    refuse_beyond_log(consumer, start, highwaters(batch), confirm)
    first: dict[tuple[str, int], int] = {}
    for m in batch:
        first.setdefault((m.topic, m.partition), m.offset)
    gaps = {tp: start[tp] for tp, offset in first.items()
            if 0 < start[tp] < offset and _HOLES.get(tp) != (start[tp], offset)}
    if gaps:
        raise OffsetGap(gaps, {tp: first[tp] for tp in gaps})
    return [m for m in batch if m.offset >= start[(m.topic, m.partition)]]


def next_offsets(batch: list[Message]) -> list[tuple[str, int, int]]:
    """(topic, partition, next offset) after ``batch``."""
    last: dict[tuple[str, int], int] = {}
    for m in batch:
        last[(m.topic, m.partition)] = max(m.offset, last.get((m.topic, m.partition), -1))
    return [(topic, partition, offset + 1) for (topic, partition), offset in sorted(last.items())]


class TransactionalBatches:
    """Handles each batch in one PostgreSQL transaction together with the offsets it consumed.

    A processor declares its ``consumer`` name (and, if not the shared table, its :class:`OffsetStore`) and its
    :meth:`apply`; ``handle`` locks the offset rows, passes the messages not handled yet to :meth:`apply`, records
    the next offsets, waits for the acknowledgement of what :attr:`out` queued, commits, and only then counts the
    batch's metrics. Any exception rolls everything back and propagates (``batch_agent`` retries).
    """

    consumer = ""

    def __init__(self, settings: Settings, publisher: Publishing, offsets: OffsetStore | None = None) -> None:
        self.settings = settings
        self.offsets = offsets or OffsetStore(self.consumer)
        self.out = Outputs(self.consumer, publisher, Topics(settings.topic_prefix).dead_letter)
        self.transactions = Transactions(settings, self.out)

    def handle(self, batch: list[Message]) -> None:
        """Handle one batch in one transaction; raises (and changes nothing) when PostgreSQL or the broker fails."""
        with self.transactions.unit() as cur:
            fresh = self.fresh(cur, batch)
            result = self.apply(cur, fresh) if fresh else None
            self.offsets.save(cur, next_offsets(batch))
        self.committed(result)

    def fresh(self, cur: psycopg2.extensions.cursor, batch: list[Message]) -> list[Message]:
        """The messages not handled yet, their offset rows locked (a processor may lock more rows)."""
        return unhandled(self.consumer, self.offsets.lock(cur, ((m.topic, m.partition) for m in batch)), batch,
                         self.log_ends)

    def log_ends(self, partitions: Partitions) -> dict[tuple[str, int], int]:
        """Fresh high-water marks of ``partitions`` (from a fetch), to confirm a refusal."""
        return fetched_highwaters(self.settings, partitions)

    def apply(self, cur: psycopg2.extensions.cursor, messages: list[Message]) -> Any:
        """Do the batch's work inside the transaction, sending through :attr:`out` and counting there."""
        raise NotImplementedError

    def committed(self, result: Any) -> None:
        """After the commit, with what :meth:`apply` returned (None when nothing was fresh)."""

    def close(self) -> None:
        self.transactions.close()
