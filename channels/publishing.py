"""Publishing a report from an HTTP handler: the answer waits until the broker acknowledged it on the intake
topic (``acks=all``, idempotent producer); if it does not in time, :class:`Unavailable` and nothing was recorded."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from kafka import KafkaProducer

from aduan.kernel import kafka_clients
from channels.door import Door, Receipt

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 30.0


class Unavailable(Exception):
    """The broker did not acknowledge a report in time."""


class ReportPublisher:
    """Publishes intake reports of one door with one producer, from the event loop."""

    def __init__(self, door: Door, producer: KafkaProducer) -> None:
        self.door = door
        self.producer = producer

    async def publish(self, report: dict[str, Any]) -> Receipt:
        """Publish ``report`` and wait for the broker; its receipt, or :class:`Unavailable`."""
        key, value = self.door.message(report)
        loop = asyncio.get_running_loop()
        done: asyncio.Future = loop.create_future()

        def settle(outcome: Any, failed: bool) -> None:
            if not done.done():
                (done.set_exception if failed else done.set_result)(outcome)

        used = self.producer
        try:
            future = used.send(self.door.topic, key=key, value=value)
            future.add_callback(lambda metadata: loop.call_soon_threadsafe(settle, metadata, False))
            future.add_errback(lambda exc: loop.call_soon_threadsafe(settle, Unavailable(repr(exc)), True))
            kafka_clients.acknowledged(await asyncio.wait_for(done, PUBLISH_TIMEOUT))
        except Exception as exc:  # not reachable, not acknowledged (in time), or the producer failed
            log.error("the broker did not acknowledge report %s: %r", key.decode(), exc)
            if self.producer is used:  # a failed producer may refuse every later send (other requests may have
                self.producer = kafka_clients.renewed(used)  # failed with it and renewed it already)
            raise Unavailable(str(exc)) from exc
        self.door.published(report)
        return self.door.receipt(report)
