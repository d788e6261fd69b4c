"""Each deadline fires once, on the real broker and PostgreSQL, with the processor's parts run in the test: replaying
the whole log changes nothing, two timer loops racing over the same due clocks fire each alarm once, and an
unanswered follow-up sends one system Close command."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from kafka import TopicPartition
from prometheus_client import REGISTRY

from aduan.domain.deadline_tracker import CLOSE_COMMAND
from aduan.domain.events import Event
from aduan.kernel import db, kafka_clients
from aduan.kernel.clock import FileClock
from aduan.kernel.stream_message import Message
from schemas import codec
from streams.deadlines import PROCESSOR, DeadlineTimers, DeadlineTracking
from tests.support import wait_for
from tests.support.deadlines import Story, tracker, wita


class CountingPublisher(kafka_clients.Publisher):
    """The real publisher, counting what it was asked to send."""

    def __init__(self, settings) -> None:
        super().__init__(kafka_clients.producer(settings))
        self.sent: list[str] = []

    def send(self, topic, key, value, headers=None) -> None:
        self.sent.append(codec().decode(value).name)
        super().send(topic, key, value, headers)


def read_all(settings, topic: str, at_least: int = 0) -> list[Message]:
    """Every message of ``topic`` up to the fetch high-water marks (and at least ``at_least`` of them)."""
    consumer = kafka_clients.consumer(settings, None)
    partitions = [TopicPartition(topic, p) for p in range(settings.partitions)]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    messages: list[Message] = []

    def at_the_end() -> bool:
        for records in consumer.poll(timeout_ms=200, max_records=10000).values():
            messages.extend(Message(r.topic, r.partition, r.offset, r.key, r.value) for r in records)
        behind = kafka_clients.lag(consumer, partitions)
        return len(behind) == len(partitions) and not any(behind.values()) and len(messages) >= at_least

    try:
        wait_for(at_the_end, 60, f"the end of {topic}")
    finally:
        consumer.close()
    return sorted(messages, key=lambda m: (m.partition, m.offset))


def metric(name: str, **labels: str) -> float:
    """The current value of a metric of this process."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def highwaters(messages: list[Message], partitions: int) -> dict[int, int]:
    ends = {p: 0 for p in range(partitions)}
    for m in messages:
        ends[m.partition] = max(ends[m.partition], m.offset + 1)
    return ends


def write(settings, topic: str, events: list[tuple[str, dict[str, Any]]]) -> None:
    producer = kafka_clients.producer(settings)
    for name, record in events:
        producer.send(topic, key=record["header"]["complaint_id"].encode(), value=codec().encode(name, record))
    producer.flush()
    producer.close()


def clock_at(path, now: datetime) -> FileClock:
    clock = FileClock(path)
    clock.set(now)
    return clock


def unanswered(count: int) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for _ in range(count):
        story = Story(complaint_id=str(uuid.uuid4()))
        events += [story.submitted(wita(5, 9)), story.verified(wita(5, 10)), story.dispositioned(wita(5, 10))]
    return events


def test_replaying_the_whole_log_emits_nothing_twice(settings, shared_topics, tmp_path):
    log_topic = shared_topics.complaint_events
    write(settings, log_topic, unanswered(3))
    tracking = DeadlineTracking(settings, CountingPublisher(settings), tracker())
    late = clock_at(tmp_path / "now", wita(30, month=11))
    timers = DeadlineTimers(settings, CountingPublisher(settings), late, tracker())
    first = read_all(settings, log_topic, at_least=9)
    tracking.handle(first)
    assert timers.fire_due(highwaters(first, settings.partitions)) == 3 * 2 * 5  # FIRST_RESPONSE, FOLLOW_UP
    everything = read_all(settings, log_topic, at_least=len(first) + 3 + 9 + 30)

    with db.connect(settings) as conn, conn.cursor() as cur:  # forget every consumed offset: a full replay
        cur.execute("DELETE FROM consumer_offsets WHERE consumer = %s", (PROCESSOR,))
    tracking.handle(everything)
    assert timers.fire_due(highwaters(everything, settings.partitions)) == 0
    assert Counter(tracking.out.publisher.sent) == {Event.STAGE_COMPLETED: 3, Event.DEADLINE_SET: 3 * 3}
    assert Counter(timers.out.publisher.sent) == {Event.DEADLINE_BREACHED: 6, Event.ESCALATED: 24}
    assert len(read_all(settings, log_topic)) == len(everything)
    tracking.close()
    timers.close()


def test_two_timer_loops_racing_over_the_same_clocks_fire_each_alarm_once(settings, shared_topics, tmp_path):
    log_topic = shared_topics.complaint_events
    complaints = 12
    write(settings, log_topic, unanswered(complaints))
    tracking = DeadlineTracking(settings, CountingPublisher(settings), tracker())
    consumed = read_all(settings, log_topic, at_least=3 * complaints)
    tracking.handle(consumed)
    ends = highwaters(consumed, settings.partitions)
    early_clock = clock_at(tmp_path / "early", wita(5, 11))
    early = DeadlineTimers(settings, CountingPublisher(settings), early_clock, tracker())
    assert early.fire_due(ends) == 0
    assert [metric("aduan_deadline_timers_open", stage=stage) for stage in ("VERIFICATION", "FIRST_RESPONSE")] == [
        0, complaints]
    breaches_before = metric("aduan_deadline_breaches_total", agency="pemkab-74-04", stage="FOLLOW_UP")
    clock = clock_at(tmp_path / "now", wita(30, month=11))
    loops = [DeadlineTimers(settings, CountingPublisher(settings), clock, tracker(), batch_size=3) for _ in range(2)]
    start = threading.Barrier(2)
    fired = [0, 0]

    def race(index: int) -> None:
        start.wait()
        fired[index] = loops[index].fire_due(ends)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    expected = complaints * 2 * 5  # two agency stages, each a breach and four escalation steps
    assert sum(fired) == expected
    alarms = [codec().decode(m.value).record for m in read_all(settings, log_topic, len(consumed) + expected)
              if codec().decode(m.value).name in (Event.DEADLINE_BREACHED, Event.ESCALATED)]
    assert len(alarms) == expected
    assert len({a["header"]["event_id"] for a in alarms}) == expected
    breaches = metric("aduan_deadline_breaches_total", agency="pemkab-74-04", stage="FOLLOW_UP") - breaches_before
    assert breaches == complaints
    early.close()
    for loop in loops:
        loop.close()
    tracking.close()


def test_an_unanswered_follow_up_sends_one_close_command(settings, shared_topics, tmp_path):
    story = Story(complaint_id=str(uuid.uuid4()))
    write(settings, shared_topics.complaint_events, [
        story.submitted(wita(5, 9)), story.verified(wita(5, 10)), story.dispositioned(wita(5, 10)),
        story.acknowledged(wita(6, 9)), story.follow_up_posted(wita(7, 9))])
    tracking = DeadlineTracking(settings, CountingPublisher(settings), tracker())
    consumed = read_all(settings, shared_topics.complaint_events, at_least=5)
    tracking.handle(consumed)
    after_closure = clock_at(tmp_path / "now", wita(22, 0))  # ten working days after the follow-up
    timers = DeadlineTimers(settings, CountingPublisher(settings), after_closure, tracker())
    ends = highwaters(consumed, settings.partitions)
    assert timers.fire_due(ends) == 1
    assert timers.fire_due(ends) == 0

    [command] = [codec().decode(m.value) for m in read_all(settings, shared_topics.commands, at_least=1)]
    assert command.name == CLOSE_COMMAND
    assert command.record["complaint_id"] == story.complaint_id
    assert command.record["reason"] == "NO_REPLY_AFTER_FOLLOW_UP"
    assert command.record["actor"] == {"kind": "SYSTEM", "id": PROCESSOR, "agency": None}
    assert command.record["issued_at"] == wita(22, 0)
    timers.close()
    tracking.close()
