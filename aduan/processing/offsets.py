"""Where a processor keeps the next offsets it consumed: rows of a PostgreSQL table, locked and written in the
transaction of the batch they belong to (docs/design.md, "the batch rule")."""

from __future__ import annotations

from typing import Iterable

import psycopg2.extensions
import psycopg2.extras

CONSUMER_OFFSETS = "consumer_offsets"


class OffsetStore:
    """The next offsets of ``consumer``: its rows of the shared table ``consumer_offsets`` or, given ``table``, a
    table of its own (columns topic, partition, next_offset). The projector keeps its offsets beside its read
    models (``projection.projection_offsets``), so that a rebuild swaps read models and offsets at once."""

    def __init__(self, consumer: str, table: str | None = None) -> None:
        self.consumer = consumer
        self.table = table or CONSUMER_OFFSETS
        self._shared = table is None
        self._key = "consumer, topic, partition" if self._shared else "topic, partition"
        self._mine = (consumer,) if self._shared else ()

    def lock(self, cur: psycopg2.extensions.cursor,
             partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """Lock the rows of these (topic, partition) until commit; the next offset of each (0 when new).

        The lock fences a second worker that got the same partitions in a rebalance: it waits, then skips.
        """
        rows = sorted(set(partitions))
        psycopg2.extras.execute_values(
            cur, f"INSERT INTO {self.table} ({self._key}, next_offset) VALUES %s ON CONFLICT ({self._key}) DO NOTHING",
            [(*self._mine, topic, partition, 0) for topic, partition in rows])
        mine = "consumer = %s AND " if self._shared else ""
        cur.execute(f"SELECT topic, partition, next_offset FROM {self.table} WHERE {mine}(topic, partition) IN %s "
                    "ORDER BY topic, partition FOR UPDATE", (*self._mine, tuple(rows)))
        return {(topic, partition): offset for topic, partition, offset in cur.fetchall()}

    def save(self, cur: psycopg2.extensions.cursor, next_offsets: Iterable[tuple[str, int, int]]) -> None:
        """Record (topic, partition, next offset) inside the caller's transaction; an offset never goes back."""
        touched = ", updated_at = now()" if self._shared else ""
        psycopg2.extras.execute_values(
            cur, f"INSERT INTO {self.table} AS stored ({self._key}, next_offset) VALUES %s ON CONFLICT ({self._key}) "
                 f"DO UPDATE SET next_offset = GREATEST(stored.next_offset, EXCLUDED.next_offset){touched}",
            [(*self._mine, topic, partition, offset) for topic, partition, offset in next_offsets])
