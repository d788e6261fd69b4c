"""Replaying log partitions from offset 0 up to given heads into a fresh read-model schema, as fast as possible.

A replay reads its partitions with aiokafka (its C record parser reads about twice as fast as kafka-python's),
decodes with fastavro, folds the events in memory (:class:`projections.model.Fold`), streams timeline rows to
PostgreSQL with ``COPY`` in chunks of 50,000 and at the end copies its complaints' status rows and stage
completions, all in one transaction. A complaint's events are all on one partition (the log is keyed by complaint
id), so replays of different partitions never share a complaint and run in parallel processes. (Folding in one
thread while fetching or copying in another measured no faster: the work is CPU-bound under one GIL.) Repeated
event ids (events a processor republished) are skipped, as the live projector skips them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from aduan.kernel import db
from aduan.kernel.config import Settings
from projections.decode import EventDecoder
from projections.model import Fold
from projections.tables import STAGES, STATUS, TIMELINE
from schemas import DecodeError

COPY_CHUNK = 50_000
STALL_SECONDS = 60.0


@dataclass
class ReplayResult:
    """What a replay did."""

    events: int = 0
    duplicates: int = 0
    undecodable: int = 0
    complaints: int = 0


class Replayer:
    """Folds log messages in memory and writes the rows with COPY."""

    def __init__(self) -> None:
        self.fold = Fold()
        self.decoder = EventDecoder()
        self.result = ReplayResult()
        self.read = 0
        self._seen: set[str] = set()
        self._timeline: list[str] = []
        self._stages: list[tuple] = []

    def add(self, partition: int, records: list[Any], head: int) -> bool:
        """Fold ``records`` (with ``offset`` and ``value``) of ``partition`` below ``head``; True once at the head."""
        decode, apply, seen, line = self.decoder.decode, self.fold.apply, self._seen, TIMELINE.line
        timeline, stages, result = self._timeline, self._stages, self.result
        for record in records:
            offset = record.offset
            if offset >= head:
                return True
            self.read += 1
            try:
                name, event = decode(record.value)
            except DecodeError:
                result.undecodable += 1
                continue
            event_id = event["header"]["event_id"]
            if event_id in seen:
                result.duplicates += 1
                continue
            seen.add(event_id)
            entry, stage = apply(name, event, partition, offset)
            timeline.append(line(entry))
            if stage is not None:
                stages.append(stage)
        return bool(records) and records[-1].offset + 1 >= head

    @property
    def pending(self) -> int:
        """Timeline rows not taken yet."""
        return len(self._timeline)

    def take_timeline(self) -> list[str]:
        """The timeline lines folded since the last call, to COPY."""
        lines, self._timeline = self._timeline, []
        self.result.events += len(lines)
        return lines

    def finish(self, cur: Any, schema: str) -> ReplayResult:
        """COPY what only the end knows: stage completions and the complaints' status rows."""
        STAGES.copy(cur, schema, STAGES.lines(self._stages))
        STATUS.copy(cur, schema, STATUS.lines(row.values() for row in self.fold.rows.values()))
        self.result.complaints = len(self.fold.rows)
        return self.result


def replay_partitions(settings: Settings, topic: str, schema: str, heads: dict[int, int],
                      progress: Any = None) -> ReplayResult:
    """Replay ``heads`` (partition -> offset to stop at) of ``topic`` into ``schema`` and commit; ``progress.value``
    (a shared counter, when given) follows the number of messages read."""
    return asyncio.run(_replay(settings, topic, schema, heads, progress))


def replay_worker(settings: Settings, topic: str, schema: str, heads: dict[int, int], progress: Any,
                  results: Any) -> None:
    """The body of a replay worker process: :func:`replay_partitions`, its result or its failure put on ``results``
    (a multiprocessing queue) as ``("ok", counts)`` or ``("error", words)``. Kept here, apart from the rebuild, so
    that a spawned worker imports only what a replay needs."""
    try:
        results.put(("ok", asdict(replay_partitions(settings, topic, schema, heads, progress))))
    except BaseException as exc:  # reported to the coordinator, which stops the rebuild
        results.put(("error", f"{type(exc).__name__}: {exc}"))


async def _replay(settings: Settings, topic: str, schema: str, heads: dict[int, int], progress: Any) -> ReplayResult:
    """Fetch, fold, COPY the timeline every 50,000 rows; at the head of every partition COPY the rest; commit."""
    remaining = {p: head for p, head in heads.items() if head > 0}
    replayer = Replayer()
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, group_id=None, enable_auto_commit=False,
                                client_id="aduan-replay", fetch_max_bytes=64 << 20,
                                max_partition_fetch_bytes=16 << 20)
    await consumer.start()
    conn = db.connect(settings)
    try:
        consumer.assign([TopicPartition(topic, p) for p in remaining])
        for p in remaining:
            consumer.seek(TopicPartition(topic, p), 0)
        last_read = time.monotonic()
        with conn.cursor() as cur:
            while remaining:
                batches = await consumer.getmany(timeout_ms=1000, max_records=20_000)
                if batches:
                    last_read = time.monotonic()
                elif time.monotonic() - last_read > STALL_SECONDS:
                    raise RuntimeError(f"the broker delivered nothing for {STALL_SECONDS:.0f} s while partitions "
                                       f"{sorted(remaining)} of {topic} were not read up to their heads")
                for tp, records in batches.items():
                    if tp.partition in remaining and replayer.add(tp.partition, records, remaining[tp.partition]):
                        del remaining[tp.partition]
                        consumer.pause(tp)
                if replayer.pending >= COPY_CHUNK:
                    TIMELINE.copy(cur, schema, replayer.take_timeline())
                if progress is not None:
                    progress.value = replayer.read
            TIMELINE.copy(cur, schema, replayer.take_timeline())
            result = replayer.finish(cur, schema)
        conn.commit()
        return result
    finally:
        conn.close()
        await consumer.stop()
