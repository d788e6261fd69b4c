"""The ``projector`` process: the complaint event log -> read models in PostgreSQL, exactly once.

A kafka-python consumer with manual partition assignment (no consumer group: Kafka's group offsets play no
part) reads every partition of the log from the offsets stored in ``projection.projection_offsets``. Each batch
is applied in one PostgreSQL transaction together with the next offsets (:class:`projections.applier.BatchApplier`),
so a crash at any point, a ``kill -9`` in the middle of a batch included, leaves the read models exactly at the
last committed batch; the restarted projector continues from there. Messages that are not complaint events go to
the dead-letter topic (sent and acknowledged before the batch commits).

Metrics on ``settings.metrics_port`` (interface ``ADUAN_METRICS_HOST``, default 127.0.0.1):
``aduan_projection_lag_events`` per partition (from fetch high-water marks), ``aduan_projection_events_total`` by
outcome, and the shared batch metrics.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

import psycopg2.extensions
from kafka import KafkaConsumer, TopicPartition
from prometheus_client import start_http_server

from aduan.kernel import db, kafka_clients
from aduan.kernel.config import Settings
from aduan.kernel.log_guard import OffsetsBeyondLog, clear_refusals, fetched_highwaters
from aduan.kernel.metrics import (
    BATCH_FAILURES,
    BATCH_SECONDS,
    LAST_COMMIT,
    MESSAGES_CONSUMED,
    metrics_host,
)
from aduan.kernel.stream_message import Message
from aduan.kernel.topics import Topics
from aduan.processing.dead_letter import dead_letter
from projections.applier import BatchApplier, BatchResult
from projections.lag import log_partitions
from projections.metrics import PROJECTION_EVENTS, PROJECTION_LAG, PROJECTION_REWINDS
from projections.reference import load_reference

log = logging.getLogger(__name__)

PROCESSOR = "projector"
PARTITION_CHECK_SECONDS = 30.0


class Projector:
    """Applies the log to the read models batch by batch; :meth:`run` until :meth:`stop`."""

    def __init__(self, settings: Settings, *, batch_size: int = 5000) -> None:
        self.settings = settings
        self.topics = Topics(settings.topic_prefix)
        self.applier = BatchApplier(self.topics.complaint_events)
        self.batch_size = batch_size
        self._stopping = threading.Event()
        self._conn: psycopg2.extensions.connection | None = None
        self._consumer: KafkaConsumer | None = None
        self._publisher: kafka_clients.Publisher | None = None
        self._expected: dict[int, int] = {}
        self._partitions_checked = 0.0

    @property
    def topic(self) -> str:
        return self.applier.topic

    def start(self) -> None:
        """Load the reference data, assign every partition of the log and seek to the stored offsets."""
        conn = self._connection()
        with conn.cursor() as cur:
            load_reference(cur)
        conn.commit()
        self._consumer = kafka_clients.consumer(self.settings, None)
        self._assign()

    def stop(self) -> None:
        """Ask :meth:`run` to finish the batch in hand and return."""
        self._stopping.set()

    def run(self) -> None:
        """Apply batches until :meth:`stop`; a failed batch (database or broker away) is retried with back-off."""
        delay = 0.5
        while not self._stopping.is_set():
            try:
                if self._consumer is None:
                    self.start()
                self.step()
                delay = 0.5
            except Exception as exc:
                BATCH_FAILURES.labels(processor=PROCESSOR).inc()
                if isinstance(exc, OffsetsBeyondLog):  # never skipped: refused until an operator mends the log
                    exc.export()
                else:
                    log.exception("projector: batch failed; retrying from the stored offsets in %.1f s", delay)
                self._drop_connection()
                self._stopping.wait(delay)
                delay = min(delay * 2, 30.0)
                if self._consumer is not None:
                    self._reseek_quietly()
        self.close()

    def step(self, timeout_ms: int = 200) -> BatchResult | None:
        """Read one batch and apply it in one transaction; None when nothing arrived."""
        assert self._consumer is not None, "call start() first"
        if time.monotonic() - self._partitions_checked > PARTITION_CHECK_SECONDS:
            self._assign()
        polled = self._consumer.poll(timeout_ms=timeout_ms, max_records=self.batch_size)
        messages = [Message(r.topic, r.partition, r.offset, r.key, r.value, highwater=self._consumer.highwater(tp))
                    for tp, records in polled.items() for r in records]
        if not messages:
            self._export_lag()
            return None
        started = time.perf_counter()
        result = self._apply(messages)
        clear_refusals()
        BATCH_SECONDS.labels(processor=PROCESSOR).observe(time.perf_counter() - started)
        LAST_COMMIT.labels(processor=PROCESSOR).set(time.time())
        self._count(messages, result)
        self._export_lag()
        return result

    def close(self) -> None:
        """Close the consumer, producer and database connection."""
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None
        self._drop_connection()

    def _apply(self, messages: list[Message]) -> BatchResult:
        conn = self._connection()
        try:
            with conn.cursor() as cur:
                result = self.applier.apply(cur, messages, self._expected,
                                            lambda partitions: fetched_highwaters(self.settings, partitions))
                if result.refused:
                    self._dead_letter(result)
            conn.commit()
        except Exception:
            if not conn.closed:
                conn.rollback()
            raise
        self._expected.update(result.next_offsets)
        for partition, offset in result.rewind.items():
            log.info("projector: partition %d of %s is at offset %d in the database; reading from there",
                     partition, self.topic, offset)
            self._consumer.seek(TopicPartition(self.topic, partition), offset)  # type: ignore[union-attr]
            self._expected[partition] = offset
            PROJECTION_REWINDS.inc()
        return result

    def _dead_letter(self, result: BatchResult) -> None:
        if self._publisher is None:
            self._publisher = kafka_clients.Publisher(kafka_clients.producer(self.settings))
        for message, error in result.refused:
            dead_letter(self._publisher, self.topics.dead_letter, PROCESSOR, message, error.code, error.reason)
        self._publisher.flush()

    def _assign(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        partitions = log_partitions(consumer, self.topic)
        self._partitions_checked = time.monotonic()
        if len(partitions) == len(consumer.assignment()):
            return
        consumer.assign([TopicPartition(self.topic, p) for p in partitions])
        self._reseek()

    def _reseek(self) -> None:
        """Seek every assigned partition to the offset stored in the database."""
        conn = self._connection()
        with conn.cursor() as cur:
            stored = self.applier.stored_offsets(cur)
        conn.rollback()
        for tp in self._consumer.assignment():  # type: ignore[union-attr]
            self._expected[tp.partition] = stored.get(tp.partition, 0)
            self._consumer.seek(tp, self._expected[tp.partition])  # type: ignore[union-attr]

    def _reseek_quietly(self) -> None:
        try:
            self._reseek()
        except Exception:
            log.warning("projector: cannot read the stored offsets yet (database away?)", exc_info=True)
            self._drop_connection()

    def _connection(self) -> psycopg2.extensions.connection:
        if self._conn is None or self._conn.closed:
            self._conn = db.connect(self.settings)
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                log.debug("closing a broken connection failed", exc_info=True)
            self._conn = None

    def _count(self, messages: list[Message], result: BatchResult) -> None:
        MESSAGES_CONSUMED.labels(processor=PROCESSOR, topic=self.topic).inc(len(messages))
        PROJECTION_EVENTS.labels(outcome="applied").inc(result.applied)
        PROJECTION_EVENTS.labels(outcome="duplicate").inc(result.duplicates)
        PROJECTION_EVENTS.labels(outcome="refused").inc(len(result.refused))

    def _export_lag(self) -> None:
        for tp, behind in kafka_clients.lag(self._consumer).items():  # type: ignore[arg-type]
            PROJECTION_LAG.labels(partition=str(tp.partition)).set(behind)


def run(settings: Settings) -> None:
    """The ``projector`` process: runs until SIGINT or SIGTERM, metrics on ``settings.metrics_port``."""
    start_http_server(settings.metrics_port, addr=metrics_host())
    projector = Projector(settings)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: projector.stop())
    projector.run()
