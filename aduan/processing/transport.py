"""faust's Kafka transport with a configurable fetch wait.

faust hard-codes aiokafka's ``fetch_max_wait_ms`` to 1,500 ms, and the embedded broker answers a parked fetch only
at fixed points of that wait, not when data arrives: a message then waits ~400 ms per hop. :class:`App` gives its
consumer ``Settings.fetch_wait`` instead (see docs/configuration.md for the idle CPU it costs).
"""

from __future__ import annotations

import aiokafka
import faust
from faust.transport.drivers import aiokafka as driver


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: driver.Transport) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = self.app.fetch_wait_ms  # read by AIOKafkaConsumer.start(), not before
        return consumer


class _Consumer(driver.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(driver.Transport):
    Consumer = _Consumer


class App(faust.App):
    """A faust app whose consumer waits at most ``fetch_wait_ms`` for a fetch on an idle partition, and whose batch
    agents close a batch after ``batch_window`` seconds (``aduan.processing.app.batch_agent``)."""

    def __init__(self, *args: object, fetch_wait_ms: int, batch_window: float, **kwargs: object) -> None:
        self.fetch_wait_ms = fetch_wait_ms
        self.batch_window = batch_window
        super().__init__(*args, **kwargs)

    def _new_transport(self) -> _Transport:
        return _Transport(self.conf.broker_consumer, self)
