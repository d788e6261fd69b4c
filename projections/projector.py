"""The ``projector`` process: the complaint event log -> read models in PostgreSQL, exactly once.

It runs on the processor runtime like every stream processor (``aduan.processing.app.batch_agent``): each batch is
applied in one PostgreSQL transaction together with its next offsets, which live beside the read models in
``projection.projection_offsets`` (so that ``aduan projections rebuild`` swaps read models and offsets at once; a
projector that finds offsets beyond its batch after a swap skips what they cover, one that finds them behind
reads again from there). A crash at any point, a ``kill -9`` in the middle of a batch included, leaves the read
models exactly at the last committed batch. Messages that are not complaint events go to the dead-letter topic
(acknowledged before the batch commits). The reference data is loaded once at start.

Metrics: the shared ones of the runtime (``aduan_consumer_lag_messages{processor="projector"}`` per partition
among them) and ``aduan_projection_events_total`` by outcome, counted once the batch committed.
"""

from __future__ import annotations

import psycopg2.extensions

from aduan.kernel import kafka_clients
from aduan.kernel.config import Settings
from aduan.kernel.log_guard import PROJECTOR
from aduan.kernel.rdkafka_publisher import RdkafkaPublisher
from aduan.kernel.stream_message import Message
from aduan.kernel.topics import Topics
from aduan.processing.app import batch_agent, create_app, run_worker
from aduan.processing.batch_rule import TransactionalBatches
from aduan.processing.offsets import OffsetStore
from projections.applier import BatchApplier, BatchResult
from projections.decode import EventDecoder
from projections.metrics import PROJECTION_EVENTS
from projections.reference import load_reference
from projections.schema import SCHEMA, checked

PROCESSOR = PROJECTOR


def projection_offsets(schema: str = SCHEMA) -> OffsetStore:
    """The projector's offsets in ``schema``, beside the read models they belong to."""
    return OffsetStore(PROCESSOR, f"{checked(schema)}.projection_offsets")


class Projection(TransactionalBatches):
    """Applies batches of the complaint event log to the read models in ``schema``."""

    consumer = PROCESSOR

    def __init__(self, settings: Settings, publisher: kafka_clients.Publishing, *, schema: str = SCHEMA) -> None:
        super().__init__(settings, publisher, projection_offsets(schema))
        self.topic = Topics(settings.topic_prefix).complaint_events
        self.schema = schema
        self.applier = BatchApplier(schema=schema)
        self.decoder = EventDecoder()

    def start(self) -> None:
        """Load the reference data (regions, agencies, categories) into the read models."""
        with self.transactions.unit() as cur:
            load_reference(cur, self.schema)

    def apply(self, cur: psycopg2.extensions.cursor, messages: list[Message]) -> BatchResult:
        events = self.out.decoded(messages, self.decoder.decode, code=None)
        result = self.applier.apply(cur, events)
        self.out.count(PROJECTION_EVENTS, result.applied, outcome="applied")
        self.out.count(PROJECTION_EVENTS, result.duplicates, outcome="duplicate")
        self.out.count(PROJECTION_EVENTS, len(messages) - len(events), outcome="refused")
        return result


def run(settings: Settings) -> None:
    """The ``projector`` process: runs until SIGINT or SIGTERM, metrics on ``settings.metrics_port``."""
    app = create_app(PROCESSOR, settings)
    projection = Projection(settings, RdkafkaPublisher(settings))
    batch_agent(app, PROCESSOR, [projection.topic], projection.handle, start=projection.start)
    run_worker(app)
