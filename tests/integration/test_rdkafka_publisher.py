"""The processors' librdkafka publisher on the real broker: a complaint's events land on the partition kafka-python
chooses for its key (channel adapters and agency clients write with kafka-python), every flushed message is
stored, and a send the broker did not take fails the batch instead of being counted as sent."""

from __future__ import annotations

import uuid

import pytest
from kafka import TopicPartition

from aduan.kernel import kafka_clients
from aduan.kernel.kafka_clients import PublishError
from aduan.kernel.rdkafka_publisher import RdkafkaPublisher
from aduan.runtime.embedded.broker import EmbeddedBroker
from aduan.runtime.embedded.process import free_port
from tests.support import wait_for


def _read_all(settings, topic: str, expected: int) -> dict[bytes, set[int]]:
    """Key -> partitions of every message of ``topic`` (waits until ``expected`` were read)."""
    consumer = kafka_clients.consumer(settings, None)
    consumer.assign([TopicPartition(topic, p) for p in range(settings.partitions)])
    seen: dict[bytes, set[int]] = {}
    count = 0

    def read() -> bool:
        nonlocal count
        for tp, records in consumer.poll(timeout_ms=500).items():
            for record in records:
                seen.setdefault(record.key, set()).add(tp.partition)
                count += 1
        return count >= expected

    wait_for(read, timeout=60, what=f"{expected} messages on {topic}")
    consumer.close()
    return seen


def test_each_key_lands_on_the_partition_kafka_python_chooses(settings, shared_topics):
    topic = shared_topics.complaint_events
    keys = [str(uuid.uuid4()).encode() for _ in range(60)]
    rdkafka = RdkafkaPublisher(settings)
    plain = kafka_clients.Publisher(kafka_clients.producer(settings))
    for key in keys:
        rdkafka.send(topic, key, b"from librdkafka", [("type", b"test")])
        plain.send(topic, key, b"from kafka-python", [("type", b"test")])
    assert rdkafka.flush() == len(keys)
    assert plain.flush() == len(keys)
    rdkafka.close()
    plain.close()

    partitions = _read_all(settings, topic, 2 * len(keys))
    assert set(partitions) == set(keys)
    assert all(len(found) == 1 for found in partitions.values()), "a key was written to two partitions"
    assert len(set().union(*partitions.values())) > 1, "every key on one partition: the test would prove nothing"


def test_a_broker_that_went_away_fails_the_flush_and_the_next_batch_works_once_it_is_back(settings, tmp_path):
    port = free_port()
    broker = EmbeddedBroker(port, tmp_path / "broker.log").start()
    own = settings.with_(kafka_bootstrap=broker.bootstrap)
    publisher = RdkafkaPublisher(own, **{"message.timeout.ms": 3000})  # give up on a send within seconds
    try:
        publisher.send("complaints", b"k", b"before")
        assert publisher.flush() == 1
        broker.stop()
        publisher.send("complaints", b"k", b"while the broker is away")
        with pytest.raises(PublishError):
            publisher.flush(timeout=20)
        broker = EmbeddedBroker(port, tmp_path / "broker-again.log").start()
        publisher.send("complaints", b"k", b"after")
        assert publisher.flush() == 1
    finally:
        publisher.close()
        broker.stop()
