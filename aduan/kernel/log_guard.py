"""The log guard: offsets stored in PostgreSQL belong to one log, and no processor skips what it did not handle.

Every processor skips messages below the next offset it stored (docs/design.md, "the batch rule"). That is right
only while the log is the one those offsets were read from. If the broker's log is lost or replaced (a memory
broker restarted, a data folder removed, a cluster rebuilt), the stored offsets point past messages never seen,
and the batch rule would silently drop new reports. Two facts catch that:

- **identity**: the topic ``<prefix>.log-identity`` holds one record, written once, naming the log; the database
  records the name it saw first (table ``log_identity``). A different name, or none on a log while the database
  has one, means the log was replaced;
- **length**: a stored next offset above a partition's high-water mark (from a fetch, never ``end_offsets``,
  which tansu gets wrong) means the log is shorter than what was handled.

:func:`verify` checks both for every consumer before ``aduan up`` starts processors; each batch checks the length
rule again for its own partitions (:func:`refuse_beyond_log`), and the batch is refused (retried, never
skipped) while it fails. :func:`reset_to_log_start` is the documented recovery when the log really is gone.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable, Mapping

import psycopg2.errors
import psycopg2.extensions
from kafka import TopicPartition

from aduan.kernel import db, kafka_clients
from aduan.kernel.config import Settings
from aduan.kernel.metrics import LOG_MISMATCH
from aduan.kernel.topics import Topics

log = logging.getLogger(__name__)

RECOVERY = ("If the log really was lost or replaced, run `aduan offsets reset --to-log-start --yes` and then "
            "`aduan projections rebuild`; otherwise restore the broker's data (README, \"Backup and restore\") "
            "or point ADUAN_KAFKA_BOOTSTRAP at the cluster these offsets came from.")
PROJECTOR = "projector"
FETCH_SECONDS = 30.0


class LogMismatch(RuntimeError):
    """The log is not the one the stored offsets belong to; nothing may be skipped or handled."""


@dataclass
class OffsetsBeyondLog(LogMismatch):
    """A consumer stored a next offset beyond the end of a partition of the log."""

    consumer: str
    topic: str
    partition: int
    stored: int
    log_end: int

    def __str__(self) -> str:
        return (f"consumer {self.consumer!r} has handled {self.topic} partition {self.partition} up to offset "
                f"{self.stored}, but the log there ends at offset {self.log_end}: the broker's log is shorter than "
                f"what was handled, so new messages would be skipped. aduan refuses to go on. {RECOVERY}")

    def export(self) -> None:
        """Show the refusal in the metrics (``aduan health`` reads them) and in the log."""
        LOG_MISMATCH.labels(processor=self.consumer, topic=self.topic, partition=str(self.partition)).set(
            self.stored - self.log_end)
        log.error("%s", self)


def clear_refusals() -> None:
    """A batch went through: this process refuses nothing any more."""
    LOG_MISMATCH.clear()


Partitions = Iterable[tuple[str, int]]
LogEnds = Callable[[Partitions], Mapping[tuple[str, int], int]]


def refuse_beyond_log(consumer: str, stored: Mapping[tuple[str, int], int],
                      highwaters: Mapping[tuple[str, int], int], confirm: LogEnds | None = None) -> None:
    """Raise :class:`OffsetsBeyondLog` for the first partition whose stored next offset is above its high-water
    mark; partitions without a known high-water mark are not judged.

    The marks a batch was fetched with can be older than the stored offsets in one legitimate case: another worker
    took the partition in a rebalance and moved on. ``confirm`` (fresh marks from a new fetch) rules that out
    before anything is refused.
    """
    suspects = {tp: offset for tp, offset in stored.items()
                if highwaters.get(tp) is not None and offset > highwaters[tp]}
    if suspects and confirm is not None:
        highwaters = confirm(sorted(suspects))
    for (topic, partition), offset in sorted(suspects.items()):
        end = highwaters.get((topic, partition))
        if end is not None and offset > end:
            raise OffsetsBeyondLog(consumer, topic, partition, offset, end)


# --- identity -------------------------------------------------------------------------------------------------


def read_log_name(settings: Settings) -> str | None:
    """The name in the log's identity record, or None when the identity topic is empty."""
    topic = Topics(settings.topic_prefix).log_identity
    consumer = kafka_clients.consumer(settings, None)
    try:
        if not consumer.partitions_for_topic(topic):
            raise RuntimeError(f"the topic {topic} is missing on {settings.kafka_bootstrap}: run `aduan topics ensure`")
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        deadline = time.monotonic() + FETCH_SECONDS
        while time.monotonic() < deadline:
            records = consumer.poll(timeout_ms=200, max_records=1).get(tp, [])
            if records:
                return json.loads(records[0].value)["log"]
            if consumer.highwater(tp) == 0:
                return None
        raise RuntimeError(f"the broker did not answer a fetch of {topic} within {FETCH_SECONDS:.0f} s")
    finally:
        consumer.close()


def write_log_name(settings: Settings) -> str:
    """Write an identity record (acknowledged by every replica); the first record on the topic wins a race."""
    record = {"log": str(uuid.uuid4()), "created_at": datetime.now(timezone.utc).isoformat()}
    producer = kafka_clients.producer(settings)
    try:
        kafka_clients.acknowledged(producer.send(Topics(settings.topic_prefix).log_identity, key=b"log",
                                         value=json.dumps(record).encode(), partition=0).get(timeout=FETCH_SECONDS))
    finally:
        producer.close()
    name = read_log_name(settings)
    assert name is not None, "the identity record was acknowledged but is not on the log"
    return name


def recorded_log_name(cur: psycopg2.extensions.cursor, prefix: str) -> str | None:
    """The log name the database recorded for this topic prefix."""
    cur.execute("SELECT log_name FROM log_identity WHERE topic_prefix = %s", (prefix,))
    row = cur.fetchone()
    return row[0] if row else None


def record_log_name(cur: psycopg2.extensions.cursor, prefix: str, name: str, *, stale: bool = False) -> None:
    """Record (or replace) the log these offsets belong to; ``stale`` marks the read models as needing a rebuild."""
    cur.execute("INSERT INTO log_identity (topic_prefix, log_name, read_models_stale_since) "
                "VALUES (%s, %s, CASE WHEN %s THEN now() END) ON CONFLICT (topic_prefix) DO UPDATE SET "
                "log_name = EXCLUDED.log_name, recorded_at = now(), read_models_stale_since = "
                "COALESCE(log_identity.read_models_stale_since, EXCLUDED.read_models_stale_since)",
                (prefix, name, stale))


def read_models_stale_since(cur: psycopg2.extensions.cursor) -> datetime | None:
    """When a reset made the read models stale (None: they are current)."""
    cur.execute("SELECT min(read_models_stale_since) FROM log_identity")
    return cur.fetchone()[0]


def stale_notice(since: datetime) -> str:
    """What to tell an operator while the read models are stale."""
    return (f"the read models are stale since the offsets were reset at {since:%Y-%m-%d %H:%M %Z}: run "
            "`aduan projections rebuild`")


def mark_read_models_current(cur: psycopg2.extensions.cursor, prefix: str) -> None:
    """A rebuild replayed the whole log: the read models are current again."""
    cur.execute("UPDATE log_identity SET read_models_stale_since = NULL WHERE topic_prefix = %s", (prefix,))


# --- stored offsets against the log ---------------------------------------------------------------------------


def stored_offsets(cur: psycopg2.extensions.cursor) -> dict[str, dict[tuple[str, int], int]]:
    """Every consumer's stored next offsets, the projector's included."""
    cur.execute("SELECT consumer, topic, partition, next_offset FROM consumer_offsets")
    found: dict[str, dict[tuple[str, int], int]] = {}
    for consumer, topic, partition, offset in cur.fetchall():
        found.setdefault(consumer, {})[(topic, partition)] = offset
    cur.execute("SELECT topic, partition, next_offset FROM projection.projection_offsets")
    for topic, partition, offset in cur.fetchall():
        found.setdefault(PROJECTOR, {})[(topic, partition)] = offset
    return found


def fetched_highwaters(settings: Settings, partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """The high-water mark of each partition, from fetch responses (a partition that does not exist: 0)."""
    wanted = sorted(set(partitions))
    if not wanted:
        return {}
    consumer = kafka_clients.consumer(settings, None, max_partition_fetch_bytes=1024)
    try:
        existing = {topic: consumer.partitions_for_topic(topic) or set() for topic, _ in wanted}
        marks = {(t, p): 0 for t, p in wanted if p not in existing[t]}
        tps = [TopicPartition(t, p) for t, p in wanted if p in existing[t]]
        if tps:
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            deadline = time.monotonic() + FETCH_SECONDS
            while any(consumer.highwater(tp) is None for tp in tps):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the broker did not answer fetches within {FETCH_SECONDS:.0f} s")
                consumer.poll(timeout_ms=200, max_records=1)
                for tp in tps:  # one fetch per partition is enough: keep the answered ones from refetching
                    if consumer.highwater(tp) is not None and tp not in consumer.paused():
                        consumer.pause(tp)
            marks.update({(tp.topic, tp.partition): consumer.highwater(tp) for tp in tps})
        return marks
    finally:
        consumer.close()


def verify(settings: Settings, say: Callable[[str], None] = lambda _: None, *, adopt: bool = True) -> str | None:
    """Check that the stored offsets belong to the broker's log and none is beyond its end; returns the log's name.

    With ``adopt``, a database that recorded no log yet adopts the broker's (whose identity record is written first
    if it has none); without, nothing is written and the name may be None. Raises :class:`LogMismatch` saying what
    differs and what to do.
    """
    prefix = settings.topic_prefix
    conn = db.connect(settings)
    try:
        try:
            with conn.cursor() as cur:  # the database first: a process adopting the log at the same time is seen
                recorded = recorded_log_name(cur, prefix)
                offsets = stored_offsets(cur)
        except psycopg2.errors.UndefinedTable:
            raise RuntimeError("the database has no log_identity or offset tables yet: run `aduan migrate`") from None
        conn.rollback()
        name_on_log = read_log_name(settings)
        if recorded is not None and name_on_log != recorded:
            found = f"log {name_on_log}" if name_on_log else "a log with no identity record (a new, empty log)"
            raise LogMismatch(f"the database's offsets belong to log {recorded}, but the broker at "
                              f"{settings.kafka_bootstrap} holds {found}: the log was lost or replaced. {RECOVERY}")
        highwaters = fetched_highwaters(settings, (tp for stored in offsets.values() for tp in stored))
        for consumer, stored in sorted(offsets.items()):
            try:
                refuse_beyond_log(consumer, stored, highwaters)
            except OffsetsBeyondLog as exc:
                raise LogMismatch(str(exc)) from None
        if recorded is None and adopt:
            name_on_log = name_on_log or write_log_name(settings)
            with conn.cursor() as cur:
                record_log_name(cur, prefix, name_on_log)
            conn.commit()
            say(f"log         {name_on_log} recorded as the log of this database")
        return name_on_log
    finally:
        conn.close()


def reset_to_log_start(settings: Settings, groups: Iterable[str]) -> str:
    """Forget every offset stored in PostgreSQL and the consumer ``groups``' offsets on the broker, so that every
    processor reads the broker's log from its start; adopt that log; mark the read models stale (``aduan projections
    rebuild``). Run with every processor stopped (a group with members is not deleted)."""
    from kafka.admin import KafkaAdminClient

    name = read_log_name(settings) or write_log_name(settings)
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap, client_id="aduan-offsets")
    try:
        admin.delete_groups(list(groups))
    except Exception as exc:  # a group that never committed is unknown to the broker: nothing to forget there
        log.info("deleting the consumer groups: %r", exc)
    finally:
        admin.close()
    conn = db.connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM consumer_offsets")
            cur.execute("DELETE FROM projection.projection_offsets")
            record_log_name(cur, settings.topic_prefix, name, stale=True)
        conn.commit()
    finally:
        conn.close()
    return name
