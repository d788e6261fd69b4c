"""Fetch waits, batch windows and producer idempotence: read from the environment, carried to children, applied;
and what counts as an acknowledgement."""

from __future__ import annotations

import random

import pytest
from kafka.partitioner import DefaultPartitioner
from kafka.producer.future import RecordMetadata
from kafka.structs import TopicPartition

from aduan.kernel.config import Settings
from aduan.kernel.kafka_clients import KeyPartitioner, PublishError, acknowledged


def test_settings_survive_the_trip_to_a_child(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(kafka_bootstrap="k", fetch_wait_ms=7, batch_window_ms=3, producer_idempotence=False)
    for name, value in settings.to_env().items():
        monkeypatch.setenv(name, value)
    child = Settings.from_env()
    assert (child.fetch_wait_ms, child.batch_window_ms, child.producer_idempotence) == (7, 3, False)
    assert not child.idempotent_producers


def test_idempotence_is_on_unless_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADUAN_KAFKA_BOOTSTRAP", "k")
    monkeypatch.delenv("ADUAN_PRODUCER_IDEMPOTENCE", raising=False)
    assert Settings.from_env().idempotent_producers
    monkeypatch.setenv("ADUAN_PRODUCER_IDEMPOTENCE", "off")
    assert not Settings.from_env().idempotent_producers
    monkeypatch.setenv("ADUAN_PRODUCER_IDEMPOTENCE", "maybe")
    with pytest.raises(ValueError, match="on or off"):
        Settings.from_env()


class _Cluster:
    """The part of kafka-python's ClusterMetadata that partitioners read."""

    def __init__(self, partitions: dict[str, int]) -> None:
        self._partitions = {topic: set(range(count)) for topic, count in partitions.items()}

    def topics(self) -> set[str]:
        return set(self._partitions)

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return self._partitions.get(topic)

    available_partitions_for_topic = partitions_for_topic


def test_the_key_partitioner_chooses_what_kafka_pythons_default_does() -> None:
    cluster = _Cluster({"log": 6, "inbox": 1})
    ours, theirs = KeyPartitioner(), DefaultPartitioner()
    for _ in range(500):
        key = random.randbytes(16)
        for topic in ("log", "inbox"):
            assert ours.partition(topic, key, key, b"v", b"v", cluster) == \
                theirs.partition(topic, key, key, b"v", b"v", cluster)
    assert ours.partition("log", None, None, b"v", b"v", cluster) in range(6)
    with pytest.raises(ValueError):
        ours.partition("missing", b"k", b"k", b"v", b"v", cluster)


def test_the_fetch_wait_follows_the_embedded_storage_unless_set() -> None:
    assert Settings(broker_storage="memory").fetch_wait == 50
    assert Settings(broker_storage="durable").fetch_wait == 100
    assert Settings(broker_storage="durable", fetch_wait_ms=5).fetch_wait == 5
    assert "ADUAN_FETCH_WAIT_MS" not in Settings().to_env()


def _answer(offset: int) -> RecordMetadata:
    return RecordMetadata("aduan.intake", 3, TopicPartition("aduan.intake", 3), offset, 0, None, 10, 100, 0)


def test_an_answer_with_an_offset_is_an_acknowledgement() -> None:
    assert acknowledged(_answer(0)).offset == 0
    assert acknowledged(_answer(41)).offset == 41


def test_an_answer_without_an_offset_is_a_failed_send_naming_the_partition() -> None:
    with pytest.raises(PublishError, match=r"aduan.intake\[3\] without an offset"):
        acknowledged(_answer(-1))
