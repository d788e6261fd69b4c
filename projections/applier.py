"""Applying a batch of log messages to the read models in the caller's transaction, exactly once.

:meth:`BatchApplier.apply` first locks the schema's ``projection_offsets`` rows (which also makes a rebuild's
swap wait for the batch, and the next batch wait for the swap), then, per partition:

- if the stored next offset is beyond the high-water mark the messages were fetched with, the log is not the one
  the offsets belong to: :class:`aduan.kernel.log_guard.OffsetsBeyondLog` is raised and nothing is applied;
- if the stored next offset is not the one the caller expected (a rebuild swapped in other read models, or
  another projector moved on), nothing of that partition is applied: the result asks the caller to seek there;
- messages below the stored offset were applied before and are skipped;
- an event whose id is already in the timeline (republished by a processor that crashed after publishing) is
  skipped, so handlers are idempotent by event id too.

The new events are folded into the complaints' stored rows; timeline, stage completions, status rows, complaint
counts and the next offsets are written. The caller commits (after sending any dead letters).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import psycopg2.extensions
import psycopg2.extras

from aduan.kernel.log_guard import PROJECTOR, LogEnds, refuse_beyond_log
from aduan.kernel.stream_message import Message, highwaters
from projections.decode import EventDecoder
from projections.localities import Places
from projections.model import STATUS_COLUMNS, ComplaintRow, CountKey, Fold
from projections.pgcopy import copy_lines
from projections.schema import SCHEMA, checked
from projections.tables import STAGES, STATUS, TIMELINE, status_select_list
from schemas import DecodeError


@dataclass
class BatchResult:
    """What one batch did."""

    applied: int = 0
    duplicates: int = 0
    refused: list[tuple[Message, DecodeError]] = field(default_factory=list)
    rewind: dict[int, int] = field(default_factory=dict)
    next_offsets: dict[int, int] = field(default_factory=dict)


class BatchApplier:
    """Applies batches of one log topic to the read models in ``schema``."""

    def __init__(self, topic: str, *, schema: str = SCHEMA, places: Places | None = None,
                 decoder: EventDecoder | None = None) -> None:
        self.topic = topic
        self.schema = checked(schema)
        self.places = places or Places()
        self.decoder = decoder or EventDecoder()

    def stored_offsets(self, cur: psycopg2.extensions.cursor, *, lock: bool = False) -> dict[int, int]:
        """The next offset to apply per partition (partitions never applied are missing)."""
        cur.execute(f"SELECT partition, next_offset FROM {self.schema}.projection_offsets WHERE topic = %s"
                    + (" FOR UPDATE" if lock else ""), (self.topic,))
        return dict(cur.fetchall())

    def apply(self, cur: psycopg2.extensions.cursor, messages: list[Message], expected: dict[int, int],
              confirm: LogEnds | None = None) -> BatchResult:
        """Apply ``messages`` (in log order per partition), given the next offsets the caller believes stored;
        ``confirm`` gives fresh high-water marks before a partition is refused (see :mod:`aduan.kernel.log_guard`)."""
        result = BatchResult()
        stored = self.stored_offsets(cur, lock=True)
        judged = {(self.topic, p): o for p, o in stored.items() if expected.get(p, 0) == o}  # others rewind
        refuse_beyond_log(PROJECTOR, judged, highwaters(messages), confirm)
        fresh: list[Message] = []
        for message in messages:
            partition = message.partition
            start = stored.get(partition, 0)
            if expected.get(partition, 0) != start:
                result.rewind[partition] = start
            elif message.offset >= start:
                fresh.append(message)
                result.next_offsets[partition] = message.offset + 1
        events = self._decode(fresh, result)
        events = self._unseen(cur, events, result)
        if events:
            self._fold_and_write(cur, events)
        result.applied = len(events)
        if result.next_offsets:
            psycopg2.extras.execute_values(
                cur, f"INSERT INTO {self.schema}.projection_offsets (topic, partition, next_offset) VALUES %s "
                     "ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset",
                [(self.topic, p, o) for p, o in result.next_offsets.items()])
        return result

    def _decode(self, messages: list[Message], result: BatchResult) -> list[tuple[Message, str, dict]]:
        events = []
        for message in messages:
            try:
                name, record = self.decoder.decode(message.value)
            except DecodeError as exc:
                result.refused.append((message, exc))
                continue
            events.append((message, name, record))
        return events

    def _unseen(self, cur: psycopg2.extensions.cursor, events: list[tuple[Message, str, dict]],
                result: BatchResult) -> list[tuple[Message, str, dict]]:
        ids = [record["header"]["event_id"] for _, _, record in events]
        if not ids:
            return events
        cur.execute(f"SELECT event_id FROM {self.schema}.complaint_timeline WHERE event_id = ANY(%s)", (ids,))
        seen = {event_id for (event_id,) in cur.fetchall()}
        unseen = []
        for event, event_id in zip(events, ids):
            if event_id in seen:
                result.duplicates += 1
            else:
                seen.add(event_id)
                unseen.append(event)
        return unseen

    def _fold_and_write(self, cur: psycopg2.extensions.cursor, events: list[tuple[Message, str, dict]]) -> None:
        complaint_ids = list({record["header"]["complaint_id"] for _, _, record in events})
        cur.execute(f"SELECT {status_select_list()} FROM {self.schema}.complaint_status "
                    "WHERE complaint_id = ANY(%s)", (complaint_ids,))
        rows = {values[0]: ComplaintRow.from_values(values) for values in cur.fetchall()}
        keys_before = {complaint_id: row.count_key() for complaint_id, row in rows.items()}
        fold = Fold(self.places, rows)
        timeline, stages = [], []
        for message, name, record in events:
            entry, stage = fold.apply(name, record, message.partition, message.offset)
            timeline.append(entry)
            if stage is not None:
                stages.append(stage)
        TIMELINE.copy(cur, self.schema, TIMELINE.lines(timeline))
        if stages:
            STAGES.copy(cur, self.schema, STAGES.lines(stages))
        touched = [fold.rows[c] for c in complaint_ids if c in fold.rows]
        if touched:
            self._upsert_status(cur, touched)
        self._count(cur, keys_before, touched)

    def _upsert_status(self, cur: psycopg2.extensions.cursor, rows: list[ComplaintRow]) -> None:
        cur.execute(f"CREATE TEMP TABLE status_batch (LIKE {self.schema}.complaint_status)")
        copy_lines(cur, "status_batch", STATUS_COLUMNS, STATUS.lines(row.values() for row in rows))
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in STATUS_COLUMNS[1:])
        columns = ", ".join(STATUS_COLUMNS)
        cur.execute(f"INSERT INTO {self.schema}.complaint_status ({columns}) SELECT {columns} FROM status_batch "
                    f"ON CONFLICT (complaint_id) DO UPDATE SET {updates}")
        cur.execute("DROP TABLE status_batch")

    def _count(self, cur: psycopg2.extensions.cursor, keys_before: dict[str, CountKey],
               rows: list[ComplaintRow]) -> None:
        deltas: dict[CountKey, int] = defaultdict(int)
        for row in rows:
            before, after = keys_before.get(row.complaint_id), row.count_key()
            if before != after:
                if before is not None:
                    deltas[before] -= 1
                deltas[after] += 1
        changes = [(*key, delta) for key, delta in deltas.items() if delta]
        if not changes:
            return
        psycopg2.extras.execute_values(
            cur, f"INSERT INTO {self.schema}.complaint_counts (day, province_code, regency_code, category, "
                 "report_type, channel, complaints) VALUES %s ON CONFLICT ON CONSTRAINT complaint_counts_key "
                 "DO UPDATE SET complaints = complaint_counts.complaints + EXCLUDED.complaints",
            changes, template="(%s::date, %s, %s, %s, %s, %s, %s)", page_size=10000)
        cur.execute(f"DELETE FROM {self.schema}.complaint_counts WHERE complaints = 0")
