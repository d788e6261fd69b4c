"""Batches from a faust stream that close as soon as the input is drained.

faust's ``Stream.take_events(max_, within)`` always waits ``within`` before it hands out a batch, and adds events
to the next batch only while it waits: a short ``within`` adds its length to every hop and makes small batches
under load, a long one adds more latency. :func:`take_batches` hands a batch out as soon as no event is waiting
in the stream's queue (or at ``max_`` events, or ``within`` after the previous one), so a lone report goes on at
once, and a backlog comes out in batches as large as what piled up while the previous batch was handled.

Like faust's own, it acknowledges a batch's events only after the consumer of the generator is done with it.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

import faust
from faust.types import EventT
from mode.utils.futures import notify


async def take_batches(stream: faust.StreamT, max_: int, within: float) -> AsyncIterator[list[EventT]]:
    """Yield lists of at most ``max_`` events of ``stream``: when its queue is drained, else ``within`` seconds
    after the previous batch, whichever comes first."""
    events: list[EventT] = []
    ready = asyncio.Event()
    room = asyncio.Event()
    handling: asyncio.Future | None = None
    source = aiter(stream.channel)  # the channel iterator the stream reads, as faust's take_events gets it

    async def add(value: object) -> object:
        nonlocal handling
        if handling is not None:  # the last batch is being handled: this event opens the next one
            try:
                await handling
            finally:
                handling = None
        event = stream.current_event
        if event is None:
            raise RuntimeError("a stream processor ran without a current event")
        events.append(event)
        if len(events) >= max_:
            ready.set()
            room.clear()
            await stream.wait(room)  # never more than max_ in one batch
        elif source.queue.empty():
            ready.set()
        return value

    acks_before, stream.enable_acks = stream.enable_acks, False  # acknowledged here, after the batch was handled
    stream.add_processor(add)
    stream._enable_passive(source)  # faust's own way to drain the stream into its processors, as take_events does
    try:
        while not stream.should_stop:
            await stream.wait_for_stopped(ready, timeout=within)
            if not events:
                continue
            handling = stream.loop.create_future()
            batch = list(events)
            try:
                yield batch
            finally:
                events.clear()
                for event in batch:
                    await stream.ack(event)
                notify(handling)
                ready.clear()
                room.set()
    finally:
        stream.enable_acks = acks_before
        stream._processors.remove(add)
