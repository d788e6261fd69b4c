"""The processors' publisher on librdkafka (confluent-kafka): the same promise as
:class:`aduan.kernel.kafka_clients.Publisher` (``acks='all'``, every send acknowledged with an offset before
:meth:`flush` returns, ordered per partition, a failed send raises there), at less than half the CPU per message.

Why a second client, with the figures, is in docs/design.md ("Two Kafka clients, one job each"). Keys go to the
partition kafka-python and the Java client choose (murmur2 of the key), so a complaint's events land on one
partition whichever process wrote them.
"""

from __future__ import annotations

import logging

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from aduan.kernel.config import Settings
from aduan.kernel.kafka_clients import PublishError, unstored

QUEUE_FULL_WAIT = 0.1  # seconds to let deliveries drain when librdkafka's local queue is full


class RdkafkaPublisher:
    """Sends messages through librdkafka and waits for every acknowledgement on :meth:`flush`."""

    def __init__(self, settings: Settings, client_id: str = "aduan", **overrides: object) -> None:
        """``overrides``: librdkafka settings by their dotted names, e.g. ``**{"message.timeout.ms": 5000}``."""
        idempotent = settings.idempotent_producers
        self._config = {
            "bootstrap.servers": settings.bootstrap,
            "client.id": client_id,
            "acks": "all",
            "enable.idempotence": idempotent,
            "max.in.flight.requests.per.connection": 5 if idempotent else 1,
            "partitioner": "murmur2_random",
            "linger.ms": 1,
            "batch.size": 1024 * 1024,
            "message.timeout.ms": 120_000,
            "request.timeout.ms": 30_000,
            "logger": logging.getLogger(__name__),  # librdkafka's own lines go through logging, not raw to stderr
        } | overrides
        self._producer = Producer(self._config)
        self._queued = 0
        self._failure: str | None = None

    def send(self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]] | None = None) -> None:
        """Queue one message."""
        while True:
            try:
                self._producer.produce(topic, value=value, key=key, headers=headers or [],
                                       on_delivery=self._delivered)
                break
            except BufferError:  # the local queue is full: serve deliveries, then try again
                self._producer.poll(QUEUE_FULL_WAIT)
            except KafkaException as exc:
                self._fail(repr(exc))
        self._queued += 1

    def _delivered(self, error: KafkaError | None, message: Message) -> None:
        if self._failure is not None:
            return
        if error is not None:
            self._failure = f"{message.topic()}: {error}"
        else:
            self._failure = unstored(message.topic(), message.partition(), message.offset())

    def flush(self, timeout: float = 60.0) -> int:
        """Wait until the broker acknowledged every queued message; returns how many were sent."""
        queued, self._queued = self._queued, 0
        left = self._producer.flush(timeout)
        if left:
            self._fail(f"{left} of {queued} messages not acknowledged in {timeout:.0f} s")
        if self._failure is not None:
            self._fail(self._failure)
        return queued

    def _fail(self, reason: str) -> None:
        """Nothing queued counts as sent; the next batch gets a new producer (as kafka_clients.renewed)."""
        self._queued, self._failure = 0, None
        self._producer.purge()
        self._producer = Producer(self._config)
        raise PublishError(f"the broker did not acknowledge a message: {reason}")

    def close(self) -> None:
        self._producer.flush(30)
