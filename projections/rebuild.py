"""``aduan projections rebuild``: the read models replayed from the whole log and swapped in atomically.

1. Note the log's head per partition (fetch high-water marks) now: the replay goes up to there.
2. Create schema ``projection_rebuild`` from the same SQL as the live one (:func:`projections.schema.create_model`),
   load the reference data, and drop the big tables' indexes until the data is in.
3. Replay the partitions in one process per core, this one included (:mod:`projections.replay`; ``COPY`` in big
   chunks), with a progress bar on stderr.
4. Build the indexes, compute ``complaint_counts`` from the status rows, store the heads as the offsets, analyse.
5. Catch up with the live projection: events the live projector applied meanwhile are applied to the new schema
   too (the same batch code as the projector), the last ones inside the swap transaction, which holds the live
   offsets table locked, so the projector pauses and readers never go back in time.
6. Swap in one transaction: ``projection`` -> ``projection_retired``, ``projection_rebuild`` -> ``projection``.
   Readers querying ``projection.*`` see the old read models until the commit and the new ones after it; then the
   old schema is dropped (waiting politely for readers that still use it, never making them fail).

The live projector keeps running throughout: after the swap it finds other offsets than it expected and continues
from those. Objects of your own do not survive a rebuild: the new schema holds what ``projections/migrations``
creates, and dropping the old one drops views of yours built on its tables (re-create them after a rebuild).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, TextIO

import psycopg2.errors
import psycopg2.extensions
from kafka import TopicPartition

from aduan.kernel import db, kafka_clients
from aduan.kernel.config import Settings
from aduan.kernel.log_guard import PROJECTOR, mark_read_models_current
from aduan.kernel.stream_message import Message
from aduan.kernel.topics import Topics
from aduan.processing.batch_rule import next_offsets, unhandled
from aduan.processing.offsets import OffsetStore
from projections.applier import BatchApplier, Event
from projections.decode import EventDecoder
from projections.lag import log_heads
from projections.progress import ProgressBar
from projections.projector import projection_offsets
from projections.reference import load_reference
from projections.replay import (
    STALL_SECONDS,
    ReplayResult,
    replay_partitions,
    replay_worker,
)
from projections.schema import SCHEMA, create_model
from schemas import DecodeError

log = logging.getLogger(__name__)

SHADOW = "projection_rebuild"
RETIRED = "projection_retired"
REBUILD_LOCK = 4242017
DEFERRED_INDEX_TABLES = ("complaint_status", "complaint_timeline", "stage_completions")
ANALYSED_TABLES = DEFERRED_INDEX_TABLES + ("complaint_counts",)


@dataclass(frozen=True)
class RebuildReport:
    """What a rebuild did."""

    messages: int
    events: int
    duplicates: int
    undecodable: int
    complaints: int
    caught_up: int
    replay_seconds: float
    total_seconds: float

    @property
    def replay_rate(self) -> float:
        """Log messages replayed per second."""
        return self.messages / max(self.replay_seconds, 1e-9)


def rebuild(settings: Settings, *, workers: int | None = None, stream: TextIO | None = None) -> RebuildReport:
    """Rebuild every read model from the log and swap it in (see the module docstring)."""
    started = time.perf_counter()
    topic = Topics(settings.topic_prefix).complaint_events
    conn = db.connect(settings)
    try:
        with _phase("preparing the new schema"):
            _take_lock(conn)
            heads = log_heads(settings, topic)
            _drop_schema(conn, RETIRED)
            _drop_schema(conn, SHADOW)
            with conn.cursor() as cur:
                create_model(cur, SHADOW)
                load_reference(cur, SHADOW)
                deferred = _defer_indexes(cur)
            conn.commit()
        try:
            replayed, replay_seconds = _replay(settings, topic, heads, workers, stream or sys.stderr)
            with _phase("indexes, complaint counts, statistics"), conn.cursor() as cur:
                for statement in deferred:
                    cur.execute(statement)
                _count_complaints(cur)
                _store_offsets(cur, topic, heads)
                for table in ANALYSED_TABLES:
                    cur.execute(f"ANALYZE {SHADOW}.{table}")
                conn.commit()
            with _phase("catching up and swapping"):
                caught_up = _swap(settings, conn, topic, heads)
        except BaseException:
            _abandon(conn)
            raise
        with _phase("dropping the old read models"):
            _drop_retired(conn)
        return RebuildReport(messages=sum(heads.values()), events=replayed.events, duplicates=replayed.duplicates,
                             undecodable=replayed.undecodable, complaints=replayed.complaints, caught_up=caught_up,
                             replay_seconds=replay_seconds, total_seconds=time.perf_counter() - started)
    finally:
        conn.close()


@contextmanager
def _phase(what: str) -> Iterator[None]:
    """Log how long ``what`` took (``--log-level INFO``)."""
    started = time.perf_counter()
    yield
    log.info("rebuild: %s took %.2f s", what, time.perf_counter() - started)


def _take_lock(conn: psycopg2.extensions.connection) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s), to_regnamespace(%s) IS NOT NULL", (REBUILD_LOCK, SCHEMA))
        locked, migrated = cur.fetchone()
    conn.commit()
    if not locked:
        raise RuntimeError("another `aduan projections rebuild` is running on this database: wait for it to finish")
    if not migrated or any(m.component == "projections" for m in db.pending_migrations(conn)):
        raise RuntimeError(f"the read models in schema {SCHEMA} are not migrated to the newest version: run "
                           "`aduan migrate` first (the rebuild creates the newest version)")


def _drop_schema(conn: psycopg2.extensions.connection, schema: str, attempts: int = 600) -> bool:
    """Drop ``schema``; never makes a reader fail: each attempt waits at most 100 ms for the locks it needs (a
    reader waiting on it is released at once), then gives way and tries again. False if it never got them."""
    for _ in range(attempts):
        try:
            with conn.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '100ms'")
                cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            conn.commit()
            return True
        except psycopg2.errors.LockNotAvailable:
            conn.rollback()
            time.sleep(0.1)
    return False


def _abandon(conn: psycopg2.extensions.connection) -> None:
    """Drop the half-built schema after a failure (the live read models were never touched)."""
    try:
        conn.rollback()
        _drop_schema(conn, SHADOW)
    except psycopg2.Error:
        log.warning("could not drop the unfinished schema %s; the next rebuild drops it", SHADOW, exc_info=True)


def _drop_retired(conn: psycopg2.extensions.connection) -> None:
    if not _drop_schema(conn, RETIRED):
        log.warning("the old read models (schema %s) are still in use; the next rebuild drops them, or drop them "
                    "yourself: DROP SCHEMA %s CASCADE", RETIRED, RETIRED)


def _defer_indexes(cur: psycopg2.extensions.cursor) -> list[str]:
    """Drop the indexes and keys of the big tables in the new schema; returns the statements that recreate them."""
    cur.execute(
        "SELECT t.relname, i.relname, pg_get_indexdef(i.oid), k.conname, pg_get_constraintdef(k.oid) "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "LEFT JOIN pg_constraint k ON k.conindid = x.indexrelid AND k.conrelid = x.indrelid "
        "WHERE t.relnamespace = %s::regnamespace AND t.relname = ANY(%s) ORDER BY t.relname, i.relname",
        (SHADOW, list(DEFERRED_INDEX_TABLES)))
    recreate = []
    for table, index, index_sql, constraint, constraint_sql in cur.fetchall():
        if constraint:
            cur.execute(f"ALTER TABLE {SHADOW}.{table} DROP CONSTRAINT {constraint}")
            recreate.append(f"ALTER TABLE {SHADOW}.{table} ADD CONSTRAINT {constraint} {constraint_sql}")
        else:
            cur.execute(f"DROP INDEX {SHADOW}.{index}")
            recreate.append(index_sql)
    return recreate


def _count_complaints(cur: psycopg2.extensions.cursor) -> None:
    """``complaint_counts`` from the status rows: what the projector keeps incrementally."""
    key = "submitted_day, province_code, regency_code, category, report_type, channel"
    cur.execute(f"INSERT INTO {SHADOW}.complaint_counts (day, province_code, regency_code, category, report_type, "
                f"channel, complaints) SELECT {key}, count(*) FROM {SHADOW}.complaint_status GROUP BY {key}")


def _store_offsets(cur: psycopg2.extensions.cursor, topic: str, heads: dict[int, int]) -> None:
    cur.executemany(f"INSERT INTO {SHADOW}.projection_offsets (topic, partition, next_offset) VALUES (%s, %s, %s)",
                    [(topic, partition, head) for partition, head in heads.items()])


# --- the replay, one process per group of partitions -----------------------------------------------------------


def share(heads: dict[int, int], workers: int) -> list[dict[int, int]]:
    """Partitions split into at most ``workers`` groups of about equal size (largest partition first)."""
    groups: list[dict[int, int]] = [{} for _ in range(max(1, min(workers, len(heads))))]
    for partition, head in sorted(heads.items(), key=lambda item: -item[1]):
        min(groups, key=lambda g: sum(g.values()))[partition] = head
    return [group for group in groups if group]


def _replay(settings: Settings, topic: str, heads: dict[int, int], workers: int | None,
            stream: TextIO) -> tuple[ReplayResult, float]:
    """Replay every partition: the first share in this process, the others in worker processes."""
    started = time.perf_counter()
    groups = share({p: h for p, h in heads.items() if h > 0}, workers or os.cpu_count() or 1)
    context = multiprocessing.get_context(_start_method())
    results: Any = context.Queue()
    counters = [context.Value("q", 0, lock=False) for _ in groups[1:]]
    processes = [context.Process(target=replay_worker, name=f"aduan-replay-{i}", daemon=True,
                                 args=(settings, topic, SHADOW, group, counter, results))
                 for i, (group, counter) in enumerate(zip(groups[1:], counters), start=1)]
    for process in processes:
        process.start()
    progress = _Progress(ProgressBar(sum(heads.values()), "rebuild", stream), counters, processes)
    total = ReplayResult()
    try:
        if groups:
            total = replay_partitions(settings, topic, SHADOW, groups[0], progress)
        for _ in processes:
            _add(total, progress.next_result(results))
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
    seconds = time.perf_counter() - started
    progress.bar.finish(sum(heads.values()))
    return total, seconds


def _start_method() -> str:
    """``fork`` (workers start at once, modules already loaded) where that is safe: this process runs no other
    thread that could hold a lock at the moment of the fork; else ``spawn``."""
    return "fork" if threading.active_count() == 1 else "spawn"


class _Progress:
    """The counter of this process's own share: each update redraws the bar with the workers' counts too, and
    stops the rebuild as soon as a worker died."""

    def __init__(self, bar: ProgressBar, counters: list[Any], processes: list[Any]) -> None:
        self.bar = bar
        self._counters = counters
        self._processes = processes
        self._own = 0

    @property
    def value(self) -> int:
        return self._own

    @value.setter
    def value(self, read: int) -> None:
        self._own = read
        self._check_workers()
        self.bar.update(self._own + sum(counter.value for counter in self._counters))

    def next_result(self, results: Any) -> dict[str, int]:
        """The next worker's result; raises when one failed or died."""
        while True:
            self.value = self._own
            try:
                outcome, detail = results.get(timeout=0.1)
            except queue.Empty:
                continue
            if outcome == "error":
                raise RuntimeError(f"replay failed: {detail}")
            return detail

    def _check_workers(self) -> None:
        dead = [p for p in self._processes if p.exitcode not in (None, 0)]
        if dead:
            raise RuntimeError(f"replay worker {dead[0].name} died (exit code {dead[0].exitcode})")


def _add(total: ReplayResult, counts: dict[str, int]) -> None:
    for name, value in counts.items():
        setattr(total, name, getattr(total, name) + value)


# --- catching up with the live projection and swapping --------------------------------------------------------


def _swap(settings: Settings, conn: psycopg2.extensions.connection, topic: str, heads: dict[int, int]) -> int:
    """Bring the new schema up to the live one's offsets, then swap the schemas; returns the events caught up."""
    applier, offsets = BatchApplier(schema=SHADOW), projection_offsets(SHADOW)
    expected = dict(heads)
    consumer = kafka_clients.consumer(settings, None)
    try:
        consumer.assign([TopicPartition(topic, p) for p in heads])
        for partition, offset in heads.items():
            consumer.seek(TopicPartition(topic, partition), offset)
        caught_up = 0
        with conn.cursor() as cur:
            while _behind(cur, topic, expected):
                caught_up += _catch_up_batch(cur, consumer, applier, offsets, expected)
                conn.commit()
            cur.execute(f"LOCK TABLE {SCHEMA}.projection_offsets IN ACCESS EXCLUSIVE MODE")
            while _behind(cur, topic, expected):
                caught_up += _catch_up_batch(cur, consumer, applier, offsets, expected)
            cur.execute(f"ALTER SCHEMA {SCHEMA} RENAME TO {RETIRED}")
            cur.execute(f"ALTER SCHEMA {SHADOW} RENAME TO {SCHEMA}")
            mark_read_models_current(cur, settings.topic_prefix)
        conn.commit()
        return caught_up
    finally:
        consumer.close()


def _behind(cur: psycopg2.extensions.cursor, topic: str, expected: dict[int, int]) -> bool:
    cur.execute(f"SELECT partition, next_offset FROM {SCHEMA}.projection_offsets WHERE topic = %s", (topic,))
    return any(expected.get(partition, 0) < offset for partition, offset in cur.fetchall())


def _catch_up_batch(cur: psycopg2.extensions.cursor, consumer: Any, applier: BatchApplier, offsets: OffsetStore,
                    expected: dict[int, int]) -> int:
    """Apply the next polled batch to the new schema with its offsets (what the live projector refused, it
    dead-lettered already: it is left out here)."""
    deadline = time.monotonic() + STALL_SECONDS
    while True:
        polled = consumer.poll(timeout_ms=500, max_records=5000)
        if polled:
            break
        if time.monotonic() > deadline:
            raise RuntimeError("the broker delivered nothing while catching up with the live read models")
    messages = [Message(r.topic, r.partition, r.offset, r.key, r.value) for records in polled.values()
                for r in records]
    fresh = unhandled(PROJECTOR, offsets.lock(cur, ((m.topic, m.partition) for m in messages)), messages)
    result = applier.apply(cur, _decodable(fresh))
    ends = next_offsets(messages)
    offsets.save(cur, ends)
    expected.update({partition: offset for _, partition, offset in ends})
    return result.applied


def _decodable(messages: list[Message]) -> list[Event]:
    """The messages that are complaint events, decoded."""
    decoder = EventDecoder()
    events = []
    for message in messages:
        try:
            events.append((message, decoder.decode(message.value)))
        except DecodeError:
            continue
    return events
