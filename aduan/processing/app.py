"""The faust app factory and the batch agent every processor is built on.

Processors consume raw bytes in batches (:func:`aduan.processing.batches.take_batches`) and hand each batch to a
plain function that runs in a worker thread under the batch rule (docs/design.md). A batch is acknowledged to faust
only after the function returned, so delivery is at-least-once and processors are idempotent by event id and by
their stored offsets.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Awaitable, Callable

import faust
from faust.types import TP
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from aduan.kernel.config import Settings
from aduan.kernel.health import faust_healthz
from aduan.kernel.log_guard import OffsetsBeyondLog, clear_refusals
from aduan.kernel.metrics import (
    BATCH_FAILURES,
    BATCH_SECONDS,
    CONSUMER_LAG,
    LAST_COMMIT,
    MESSAGES_CONSUMED,
    metrics_host,
)
from aduan.kernel.stream_message import Message
from aduan.processing.batch_rule import OffsetGap, accept_holes
from aduan.processing.batches import take_batches
from aduan.processing.transport import App

log = logging.getLogger(__name__)

BatchHandler = Callable[[list[Message]], None]
MAX_DELAY = 30.0  # seconds: the longest back-off between two attempts
LAG_SECONDS = 5.0


def create_app(name: str, settings: Settings, *, web_port: int | None = None) -> App:
    """A faust app for processor ``name``: raw bytes, short group timeouts, batches, /metrics on its web port."""
    datadir = settings.home / "faust" / f"{settings.topic_prefix}-{name}"
    datadir.mkdir(parents=True, exist_ok=True)
    session_timeout = settings.session_timeout_ms / 1000
    app = App(
        f"{settings.topic_prefix}-{name}",
        fetch_wait_ms=settings.fetch_wait,
        batch_window=settings.batch_window_ms / 1000,
        broker=f"kafka://{settings.bootstrap}",
        store="memory://",
        datadir=str(datadir),
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.partitions,
        topic_allow_declare=False,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=session_timeout,
        broker_heartbeat_interval=max(0.5, session_timeout / 3),
        broker_rebalance_timeout=max(10.0, session_timeout * 2),
        broker_commit_interval=0.5,
        broker_max_poll_records=10000,
        stream_buffer_maxsize=32768,
        web_enabled=True,
        web_bind=metrics_host(),
        web_port=web_port or settings.metrics_port,
        web_transport="tcp://",
    )

    @app.page("/metrics")
    async def metrics(web, request):  # noqa: ANN001 - faust view signature
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    app.page("/healthz")(faust_healthz())
    return app


def batch_agent(
    app: App,
    processor: str,
    topics: list[str],
    handler: BatchHandler,
    *,
    start: Callable[[], None] | None = None,
    max_batch: int = 5000,
    within: float | None = None,
) -> None:
    """Register an agent that feeds batches of ``topics`` to ``handler`` in a worker thread, in order.

    ``start`` (if given) runs once in that thread before the first batch, retried like a batch. A batch closes as
    soon as no event is waiting, at ``max_batch`` events, or ``within`` seconds after the previous one was handed
    out (default: ``Settings.batch_window_ms``), whichever comes first.

    A batch whose handler raises is retried with back-off until it succeeds: a failure there means the
    database or the broker is unavailable, or the log is not the one the stored offsets belong to
    (:class:`aduan.kernel.log_guard.OffsetsBeyondLog`), never a bad message (handlers dead-letter those). A
    batch that starts beyond the stored offsets (:class:`aduan.processing.batch_rule.OffsetGap`) is dropped and its
    partitions are read again from the stored offsets, so that nothing the consumer skipped is lost.

    The consumer lag of every assigned partition of ``topics`` (fetch high-water mark minus the next offset to
    handle) is exported after each batch and every ``LAG_SECONDS``, idle partitions included.
    """
    channel = app.topic(*topics)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=processor)
    lag = _Lag(app, processor, set(topics))

    async def run(stream: faust.StreamT) -> None:
        loop = asyncio.get_running_loop()
        if start is not None:
            await _retrying(processor, "starting", lambda: loop.run_in_executor(executor, start))
        last_gap: OffsetGap | None = None
        async for events in take_batches(stream, max_batch, within or app.batch_window):
            delay = 0.5
            while True:  # faust acknowledges the whole batch when this loop ends, however it ends
                started = time.perf_counter()
                try:
                    batch = _messages(app, events)
                    await loop.run_in_executor(executor, handler, batch)
                    clear_refusals()
                    break
                except OffsetGap as gap:
                    if gap.same_as(last_gap):  # read again from the stored offsets: the log has a hole there
                        log.warning("%s: the log holds no message between %s and %s; going on from there",
                                    processor, gap.gaps, gap.firsts)
                        accept_holes(gap)
                        last_gap = None
                        continue
                    last_gap = gap
                    BATCH_FAILURES.labels(processor=processor).inc()
                    log.warning("%s: %s; reading those partitions again from there", processor, gap)
                    rewind = {(m.topic, m.partition): m.offset for m in reversed(batch)} | gap.gaps
                    for (topic, partition), offset in rewind.items():  # the rest of the batch is read again too
                        await app.consumer.seek(TP(topic, partition), offset)
                    break
                except Exception as exc:
                    _failed(processor, exc, f"batch of {len(events)}", delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, MAX_DELAY)
            BATCH_SECONDS.labels(processor=processor).observe(time.perf_counter() - started)
            LAST_COMMIT.labels(processor=processor).set(time.time())
            _count_consumed(processor, batch)
            lag.handled(batch)
            await lag.export()

    app.agent(channel, name=f"{processor}-agent")(run)
    app.timer(LAG_SECONDS, name=f"{processor}-lag")(lag.export)


def _failed(processor: str, exc: Exception, what: str, delay: float) -> None:
    """Count and report a failed attempt that will be retried in ``delay`` seconds."""
    BATCH_FAILURES.labels(processor=processor).inc()
    if isinstance(exc, OffsetsBeyondLog):  # never skipped: refused until an operator mends the log
        exc.export()
    else:
        log.error("%s: %s failed; retrying in %.1f s", processor, what, delay, exc_info=exc)


async def _retrying(processor: str, what: str, attempt: Callable[[], Awaitable[None]]) -> None:
    """Await ``attempt()`` until it succeeds, with the batches' back-off."""
    delay = 0.5
    while True:
        try:
            return await attempt()
        except Exception as exc:
            _failed(processor, exc, what, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY)


def _messages(app: faust.App, events: list[faust.EventT]) -> list[Message]:
    """The batch as :class:`Message` objects, each with its partition's fetch high-water mark."""
    marks: dict[tuple[str, int], int | None] = {}
    batch = []
    for event in events:
        m = event.message
        if (m.topic, m.partition) not in marks:
            marks[(m.topic, m.partition)] = _highwater(app, m.topic, m.partition)
        headers = list(m.headers.items()) if isinstance(m.headers, dict) else list(m.headers or [])
        batch.append(Message(
            topic=m.topic,
            partition=m.partition,
            offset=m.offset,
            key=m.key,
            value=m.value,
            headers=[(k, v) for k, v in headers],
            timestamp_ms=int(m.timestamp * 1000) if m.timestamp else None,
            highwater=marks[(m.topic, m.partition)],
        ))
    return batch


def _highwater(app: faust.App, topic: str, partition: int) -> int | None:
    """The partition's fetch high-water mark; None when unknown (not fetched yet, or just taken away)."""
    try:
        return app.consumer.highwater(TP(topic, partition))
    except (AssertionError, KeyError):  # aiokafka asserts the partition is still assigned
        return None


def _count_consumed(processor: str, batch: list[Message]) -> None:
    per_topic: dict[str, int] = {}
    for message in batch:
        per_topic[message.topic] = per_topic.get(message.topic, 0) + 1
    for topic, count in per_topic.items():
        MESSAGES_CONSUMED.labels(processor=processor, topic=topic).inc(count)


class _Lag:
    """``aduan_consumer_lag_messages`` of one agent: per assigned partition of its topics, the fetch high-water
    mark minus the next offset to handle (the one after the last handled batch; before any, the consumer's
    position)."""

    def __init__(self, app: faust.App, processor: str, topics: set[str]) -> None:
        self.app = app
        self.processor = processor
        self.topics = topics
        self._next: dict[TP, int] = {}

    def handled(self, batch: list[Message]) -> None:
        for message in batch:
            self._next[TP(message.topic, message.partition)] = message.offset + 1

    async def export(self) -> None:
        try:
            assigned = [tp for tp in self.app.consumer.assignment() if tp.topic in self.topics]
        except Exception:  # not started yet, or rebalancing: the next tick
            return
        self._next = {tp: offset for tp, offset in self._next.items() if tp in assigned}
        for tp in assigned:
            highwater = _highwater(self.app, tp.topic, tp.partition)
            position = self._next.get(tp)
            if position is None:
                try:
                    position = await self.app.consumer.position(tp)
                except Exception:  # just taken away
                    continue
            if highwater is not None and position is not None:
                CONSUMER_LAG.labels(processor=self.processor, topic=tp.topic, partition=str(tp.partition)).set(
                    max(0, highwater - position))


class _Worker(faust.Worker):
    """faust's worker without its terminal spinner, which sets the root logger to DEBUG: every debug record of
    faust, aiokafka and kafka-python would then be built (caller lookup included) and dropped by the handler, ~5% of
    a busy processor's CPU."""

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        self.spinner = None


def run_worker(app: faust.App) -> None:
    """Run ``app`` until SIGINT or SIGTERM, logging at ``ADUAN_LOG_LEVEL`` (default warning)."""
    worker = _Worker(app, loglevel=os.environ.get("ADUAN_LOG_LEVEL", "warning").lower(), quiet=True)
    worker.execute_from_commandline()
