"""Applying a batch of complaint events to the read models in the caller's transaction, exactly once.

The processor runtime (:class:`aduan.processing.batch_rule.TransactionalBatches`, :mod:`projections.projector`)
has already locked the schema's ``projection_offsets`` rows (which also makes a rebuild's swap wait for the batch,
and the next batch wait for the swap), refused the batch if the log is not the one the offsets belong to, skipped
the messages below the stored offsets and decoded the rest; it writes the next offsets after. Here an event whose
id is already in the timeline (republished by a processor that crashed after publishing) is skipped, so handlers
are idempotent by event id too; the new events are folded into the complaints' stored rows, and timeline, stage
completions, status rows and complaint counts are written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import psycopg2.extensions
import psycopg2.extras

from aduan.kernel.stream_message import Message
from projections.localities import Places
from projections.model import STATUS_COLUMNS, ComplaintRow, CountKey, Fold
from projections.pgcopy import copy_lines
from projections.schema import SCHEMA, checked
from projections.tables import STAGES, STATUS, TIMELINE, status_select_list

Event = tuple[Message, tuple[str, dict]]  # a log message and its decoded (event name, record)


@dataclass
class BatchResult:
    """What one batch did to the read models."""

    applied: int = 0
    duplicates: int = 0


class BatchApplier:
    """Applies batches of complaint events to the read models in ``schema``."""

    def __init__(self, *, schema: str = SCHEMA, places: Places | None = None) -> None:
        self.schema = checked(schema)
        self.places = places or Places()

    def apply(self, cur: psycopg2.extensions.cursor, events: list[Event]) -> BatchResult:
        """Apply ``events`` (in log order per partition) that the offsets say were not applied yet."""
        result = BatchResult()
        unseen = self._unseen(cur, [(m, name, record) for m, (name, record) in events], result)
        if unseen:
            self._fold_and_write(cur, unseen)
        result.applied = len(unseen)
        return result

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
