"""Thin kafka-python factories with the project's delivery guarantees, and lag from fetch high-water marks.

Producers use ``acks='all'``, idempotent unless ``Settings.producer_idempotence`` is off (then with one request in
flight, which keeps each partition in order); consumers commit manually and wait at most
``Settings.fetch_wait`` for a fetch on an idle partition. Lag is never computed from
``end_offsets`` (the embedded broker reports a wrong "latest offset"): use :func:`lag`.
"""

from __future__ import annotations

import random
import threading
from typing import Iterable, Protocol

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.partitioner import Partitioner
from kafka.partitioner.default import murmur2
from kafka.producer.future import RecordMetadata

from aduan.kernel.config import Settings


class KeyPartitioner(Partitioner):
    """kafka-python's default choice (murmur2 of the key, else a random available partition) without building the
    set of every known topic name on each send, which costs a dispatcher writing to hundreds of inboxes ~6%."""

    def partition(self, topic, key, serialized_key, value, serialized_value, cluster):  # noqa: ANN001, ANN201
        partitions = cluster.partitions_for_topic(topic)
        if not partitions:
            raise ValueError(f"topic {topic} not found in the cluster metadata")
        if len(partitions) == 1:
            return next(iter(partitions))
        ordered = sorted(partitions)
        if serialized_key is not None:
            return ordered[(murmur2(serialized_key) & 0x7FFFFFFF) % len(ordered)]
        return random.choice(sorted(cluster.available_partitions_for_topic(topic)) or ordered)


def producer(settings: Settings, **overrides: object) -> KafkaProducer:
    """A producer with ``acks='all'`` and retries, ordered per partition; idempotent as the settings say."""
    idempotent = settings.idempotent_producers
    options: dict[str, object] = dict(
        bootstrap_servers=settings.bootstrap,
        acks="all",
        enable_idempotence=idempotent,
        linger_ms=5,
        batch_size=256 * 1024,
        max_in_flight_requests_per_connection=5 if idempotent else 1,
        partitioner=KeyPartitioner(),
        retries=2**31 - 1,
        request_timeout_ms=30000,
        client_id="aduan",
    )
    options.update(overrides)
    return KafkaProducer(**options)


def consumer(settings: Settings, group: str | None, *topics: str, **overrides: object) -> KafkaConsumer:
    """A consumer with manual commits and the short group timeouts that make joins quick."""
    options: dict[str, object] = dict(
        bootstrap_servers=settings.bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=max(500, settings.session_timeout_ms // 3),
        max_poll_records=5000,
        fetch_max_bytes=32 * 1024 * 1024,
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_wait_ms=settings.fetch_wait,
        client_id="aduan",
    )
    options.update(overrides)
    return KafkaConsumer(*topics, **options)


def lag(kafka_consumer: KafkaConsumer, partitions: Iterable[TopicPartition] | None = None) -> dict[TopicPartition, int]:
    """Messages behind the head per partition, from the high-water marks the last fetches returned.

    A partition that has not been fetched yet has no known high-water mark and is left out.
    """
    result: dict[TopicPartition, int] = {}
    for tp in partitions if partitions is not None else kafka_consumer.assignment():
        highwater = kafka_consumer.highwater(tp)
        if highwater is None:
            continue
        result[tp] = max(0, highwater - kafka_consumer.position(tp))
    return result


CLOSE_SECONDS = 30.0


def renewed(old: KafkaProducer) -> KafkaProducer:
    """A new producer with ``old``'s settings, ``old`` closed. After a failed send a kafka-python producer can stay
    in a fatal state (an idempotent one after an unknown broker error, e.g. while the broker's disk was full) and
    fail every later send; a new one works again as soon as the broker does."""
    config = {key: value for key, value in old.config.items() if key in KafkaProducer.DEFAULT_CONFIG}
    # closing waits for what it still holds (close(timeout=0) raises then): let it take its time elsewhere
    threading.Thread(target=old.close, kwargs={"timeout": CLOSE_SECONDS}, daemon=True,
                     name="aduan-producer-close").start()
    return KafkaProducer(**config)


class PublishError(RuntimeError):
    """The broker did not acknowledge a message; nothing may be marked as done."""


def acknowledged(metadata: RecordMetadata) -> RecordMetadata:
    """``metadata`` of a send the broker stored; :class:`PublishError` for an answer without an offset.

    tansu on its S3 storage can answer a produce request around a restart with no error and offset -1 for a
    record it does not always store (seen here: four runs of five producers, four ``kill -9`` restarts each, lost
    1, 2, 5 and 12 of 15,400 acknowledged records, every one answered that way; none once such answers failed).
    With ``acks='all'`` an offset is part of every real acknowledgement, so such an answer is a failed send: the
    caller retries or refuses, and the report is never answered as accepted.
    """
    if (problem := unstored(metadata.topic, metadata.partition, metadata.offset)) is not None:
        raise PublishError(problem)
    return metadata


def unstored(topic: str, partition: int, offset: int | None) -> str | None:
    """Why an acknowledgement of a send to ``topic[partition]`` with ``offset`` does not prove the message was
    stored (see :func:`acknowledged`); None when it does."""
    if offset is None or offset < 0:
        return (f"the broker answered a send to {topic}[{partition}] without an offset (offset {offset}): "
                "it was not stored")
    return None


class Publishing(Protocol):
    """What a unit of work sends through: :class:`Publisher` (kafka-python) or, in the processors,
    :class:`aduan.kernel.rdkafka_publisher.RdkafkaPublisher`."""

    def send(self, topic: str, key: bytes | None, value: bytes,
             headers: list[tuple[str, bytes]] | None = None) -> None: ...

    def flush(self, timeout: float = 60.0) -> int: ...

    def close(self) -> None: ...


class Publisher:
    """Sends messages and waits for every acknowledgement on :meth:`flush`; a failed send raises there."""

    def __init__(self, kafka_producer: KafkaProducer) -> None:
        self._producer = kafka_producer
        self._pending: list = []

    def send(self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]] | None = None) -> None:
        """Queue one message."""
        try:
            self._pending.append(self._producer.send(topic, key=key, value=value, headers=headers or []))
        except Exception as exc:
            self._fail(exc)

    def flush(self, timeout: float = 60.0) -> int:
        """Wait until the broker acknowledged every queued message; returns how many were sent."""
        pending, self._pending = self._pending, []
        try:
            self._producer.flush(timeout)
            for future in pending:
                acknowledged(future.get(timeout=timeout))
        except Exception as exc:
            self._fail(exc)
        return len(pending)

    def _fail(self, exc: Exception) -> None:
        """Nothing queued counts as sent; the next batch gets a new producer (see :func:`renewed`)."""
        self._pending = []
        self._producer = renewed(self._producer)
        raise PublishError(f"the broker did not acknowledge a message: {exc!r}") from exc

    def close(self) -> None:
        self._producer.close()
