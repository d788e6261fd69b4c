"""How far the read models are behind the complaint event log.

The log's head per partition is the high-water mark of a fetch response (never ``end_offsets``, which the
embedded broker gets wrong); the read models' position is their ``projection_offsets``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition

from aduan.kernel import db, kafka_clients
from aduan.kernel.config import Settings
from aduan.kernel.topics import Topics
from projections.schema import SCHEMA


@dataclass(frozen=True)
class PartitionLag:
    """One partition of the log: the read models' next offset, the log's head and the events in between."""

    partition: int
    next_offset: int
    head: int

    @property
    def lag(self) -> int:
        return max(0, self.head - self.next_offset)


def log_partitions(consumer: KafkaConsumer, topic: str, timeout: float = 30.0) -> list[int]:
    """The partitions of ``topic``; waits up to ``timeout`` seconds for the topic to exist."""
    deadline = time.monotonic() + timeout
    while True:
        partitions = consumer.partitions_for_topic(topic)
        if partitions:
            return sorted(partitions)
        if time.monotonic() > deadline:
            raise RuntimeError(f"topic {topic} does not exist: create the topics with `aduan topics ensure`")
        time.sleep(0.5)


def log_heads(settings: Settings, topic: str | None = None, from_offsets: dict[int, int] | None = None,
              timeout: float = 30.0) -> dict[int, int]:
    """The head (high-water mark) of every partition of the log, from a fetch at ``from_offsets`` (default 0)."""
    topic = topic or Topics(settings.topic_prefix).complaint_events
    consumer = kafka_clients.consumer(settings, None, max_partition_fetch_bytes=1024, fetch_max_bytes=1 << 20)
    try:
        partitions = [TopicPartition(topic, p) for p in log_partitions(consumer, topic, timeout)]
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, (from_offsets or {}).get(tp.partition, 0))
        deadline = time.monotonic() + timeout
        while any(consumer.highwater(tp) is None for tp in partitions):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the broker at {settings.bootstrap} sent no high-water mark for {topic} within "
                                   f"{timeout:.0f} s: check that it is up")
            consumer.poll(timeout_ms=200, max_records=100_000)
        return {tp.partition: consumer.highwater(tp) for tp in partitions}
    finally:
        consumer.close()


def projection_lag(settings: Settings) -> list[PartitionLag]:
    """Per partition of the log: where the read models are and where the log's head is."""
    topic = Topics(settings.topic_prefix).complaint_events
    conn = db.connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT partition, next_offset FROM {SCHEMA}.projection_offsets WHERE topic = %s", (topic,))
            stored = dict(cur.fetchall())
        conn.rollback()
    finally:
        conn.close()
    heads = log_heads(settings, topic, stored)
    return [PartitionLag(p, stored.get(p, 0), head) for p, head in sorted(heads.items())]
