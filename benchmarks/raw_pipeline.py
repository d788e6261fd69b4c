"""A raw pipeline of the routing topology, the baseline of the routing figure: what the broker and client allow.

The same hops as intake -> lifecycle -> dispatcher, as three plain consume/produce loops (kafka-python consumers, the
processors' librdkafka publisher), each in a process of its own, committing after every flushed batch, and
no PostgreSQL, no decoding, no domain logic:

    intake topic --[intake]--> log (1 message) --[lifecycle]--> log (2 more) --[dispatcher]--> one agency inbox

Every stage reads what the engine's stage reads (the lifecycle and the dispatcher read the whole log) and writes as
many messages of the same size. ``python -m benchmarks.raw_pipeline STAGE`` runs one stage until SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import threading
import zlib

from aduan.domain.directory import Directory
from aduan.kernel import kafka_clients
from aduan.kernel.config import Settings
from aduan.kernel.rdkafka_publisher import RdkafkaPublisher
from aduan.kernel.topics import Topics

STAGES = ("intake", "lifecycle", "dispatcher")
HOP = "hop"


def _forward(stage: str, names: Topics, inboxes: list[str], record) -> list[tuple[str, bytes]]:  # noqa: ANN001
    """(topic, hop) of what ``stage`` writes for ``record``."""
    hop = dict(record.headers or []).get(HOP, b"0")
    if stage == "intake":
        return [(names.complaint_events, b"1")]
    if stage == "lifecycle":
        return [(names.complaint_events, b"2"), (names.complaint_events, b"3")] if hop == b"1" else []
    return [(inboxes[zlib.crc32(record.key) % len(inboxes)], b"4")] if hop == b"3" else []


def run(settings: Settings, stage: str, stopping: threading.Event) -> None:
    """Move messages through ``stage`` until ``stopping`` is set."""
    names = Topics(settings.topic_prefix)
    inboxes = [names.agency_inbox(agency.code) for agency in Directory.load().agencies()]
    source = names.intake if stage == "intake" else names.complaint_events
    consumer = kafka_clients.consumer(settings, f"{settings.topic_prefix}-raw-{stage}", source)
    publisher = RdkafkaPublisher(settings)
    try:
        while not stopping.is_set():
            polled = consumer.poll(timeout_ms=200, max_records=5000)
            for records in polled.values():
                for record in records:
                    for topic, hop in _forward(stage, names, inboxes, record):
                        publisher.send(topic, record.key, record.value, [(HOP, hop)])
            if polled:
                publisher.flush()
                consumer.commit()
    finally:
        consumer.close()
        publisher.close()


def main(argv: list[str]) -> None:
    stage = argv[0]
    if stage not in STAGES:
        raise SystemExit(f"usage: python -m benchmarks.raw_pipeline {{{','.join(STAGES)}}}")
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    run(Settings.from_env(), stage, stopping)


if __name__ == "__main__":
    main(sys.argv[1:])
