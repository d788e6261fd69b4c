"""The deadline processor as a process on the real broker and PostgreSQL, driven through weeks of calendar by a
file clock: complaint events are written straight onto the log, the processor's answers are read back from it."""

from __future__ import annotations

import io
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from kafka import TopicPartition

from aduan.domain.directory import Directory
from aduan.domain.events import Event, event_id, new_header
from aduan.kernel import db, kafka_clients
from aduan.kernel.clock import CLOCK_FILE_ENV, FileClock
from aduan.kernel.topics import Topics
from projections.rebuild import rebuild
from schemas import codec
from streams.deadlines import PROCESSOR
from tests.support import wait_for
from tests.support.deadlines import DINKES, Story, end_of, wita
from tests.support.projection import project_all, query


class Log:
    """Writes complaint events onto the log and reads everything back; knows when the processor has settled."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.topic = Topics(settings.topic_prefix).complaint_events
        self.producer = kafka_clients.producer(settings)
        self.consumer = kafka_clients.consumer(settings, None)
        self.consumer.assign([TopicPartition(self.topic, p) for p in range(settings.partitions)])
        self.consumer.seek_to_beginning()
        self.records: list[tuple[str, dict[str, Any]]] = []

    def write(self, *events: tuple[str, dict[str, Any]]) -> None:
        futures = [self.producer.send(self.topic, key=record["header"]["complaint_id"].encode(),
                                      value=codec().encode(name, record)) for name, record in events]
        for future in futures:
            future.get(timeout=30)

    def settle(self, now: datetime) -> None:
        """Wait until the processor has applied everything on the log and fired everything due at ``now``.

        A barrier message on every partition, written once nothing is due, proves that every event published
        before it (the test's and the processor's own) was consumed; nothing due after that means nothing moves.
        """
        while True:
            wait_for(lambda: not self._due(now), 120, f"every alarm due at {now.isoformat()} to fire")
            barriers = self._barriers()
            wait_for(lambda: self._consumed(barriers), 120, f"{PROCESSOR} to consume the log up to {barriers}")
            if not self._due(now):
                self._read_until(barriers)
                return

    def events(self, complaint_id: str, *names: Event) -> list[tuple[str, dict[str, Any]]]:
        wanted = {name.value for name in names}
        return [(name, record) for name, record in self.records
                if record["header"]["complaint_id"] == complaint_id and (not wanted or name in wanted)]

    def _due(self, now: datetime) -> int:
        with db.connect(self.settings) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM deadline_clocks WHERE alarm_at <= %s", (now,))
            return cur.fetchone()[0]

    def _barriers(self) -> dict[int, int]:
        barrier_id = str(uuid.uuid4())
        header = new_header(event_id=barrier_id, complaint_id=f"barrier-{barrier_id}", tracking_id="-",
                            occurred_at=wita(1), actor={"kind": "SYSTEM", "id": "test", "agency": None},
                            correlation_id=barrier_id, causation_id=None)
        record = {"header": header, "stage": "CLOSURE", "agency": None, "due_at": wita(1), "deadline_id": "-"}
        futures = {p: self.producer.send(self.topic, partition=p, key=b"barrier",
                                         value=codec().encode(Event.DEADLINE_WARNING, record))
                   for p in range(self.settings.partitions)}
        return {p: future.get(timeout=30).offset for p, future in futures.items()}

    def _consumed(self, barriers: dict[int, int]) -> bool:
        with db.connect(self.settings) as conn, conn.cursor() as cur:
            cur.execute("SELECT partition, next_offset FROM consumer_offsets WHERE consumer = %s AND topic = %s",
                        (PROCESSOR, self.topic))
            applied = dict(cur.fetchall())
        return all(applied.get(p, 0) > offset for p, offset in barriers.items())

    def _read_until(self, barriers: dict[int, int]) -> None:
        def read() -> bool:
            for records in self.consumer.poll(timeout_ms=200, max_records=10000).values():
                for message in records:
                    decoded = codec().decode(message.value)
                    self.records.append((decoded.name, decoded.record))
            return all(self.consumer.position(TopicPartition(self.topic, p)) > offset
                       for p, offset in barriers.items())
        wait_for(read, 60, f"reading the log up to {barriers}")

    def close(self) -> None:
        self.producer.close()
        self.consumer.close()


@pytest.fixture
def clock(tmp_path, monkeypatch) -> FileClock:
    """The file clock every process started by the test reads (ADUAN_CLOCK_FILE)."""
    monkeypatch.setenv(CLOCK_FILE_ENV, str(tmp_path / "now"))
    return FileClock(tmp_path / "now")


@pytest.fixture
def log(settings, shared_topics):
    the_log = Log(settings)
    yield the_log
    the_log.close()


def _advance(clock: FileClock, log: Log, *instants: datetime) -> None:
    """Move the clock to each instant in turn and let the processor settle there."""
    for now in instants:
        clock.set(now)
        log.settle(now)


def _tell(clock: FileClock, log: Log, *events: tuple[str, dict[str, Any]]) -> None:
    """Write events and let the processor apply them before time moves on, as it would in real life."""
    log.write(*events)
    log.settle(clock.now())


def _alarms(log: Log, complaint_id: str) -> Counter:
    """How often each (alarm event, deadline id, escalation target) appears for the complaint."""
    return Counter((name.rsplit(".", 1)[-1], record["deadline_id"], record.get("to_agency"))
                   for name, record in log.events(complaint_id, Event.DEADLINE_WARNING, Event.DEADLINE_BREACHED,
                                                  Event.ESCALATED))


def _escalated_to(log: Log, deadline_id: str) -> list[tuple[str, str]]:
    return [(record["to_agency"], record["level"]) for name, record in log.records
            if name == Event.ESCALATED and record["deadline_id"] == deadline_id]


def test_a_complaint_nobody_answers_is_warned_breached_and_escalated_once_per_level_across_a_restart(
        settings, run_process, clock, log):
    story = Story(complaint_id=str(uuid.uuid4()))
    first_response, follow_up = f"{story.complaint_id}:FIRST_RESPONSE:1", f"{story.complaint_id}:FOLLOW_UP:1"
    chain = [(step.agency.code, step.level.value) for step in Directory.load().escalation_chain(DINKES)]
    assert [code for code, _ in chain] == ["pemkab-74-04", "pemprov-74", "lapor-admin", "ombudsman"]

    clock.set(wita(5, 9))
    processor = run_process("run", PROCESSOR)
    _tell(clock, log, story.submitted(wita(5, 9)), story.verified(wita(5, 10)), story.dispositioned(wita(5, 10)))
    assert _alarms(log, story.complaint_id) == Counter()

    _advance(clock, log, end_of(7))  # one working day before the first response is due (Thursday)
    assert _alarms(log, story.complaint_id) == Counter({("DeadlineWarning", first_response, None): 1})
    _advance(clock, log, wita(9, 0))  # Friday 00:00: the first response is late
    assert _escalated_to(log, first_response) == chain[:1]
    _advance(clock, log, wita(14, 0))  # three more working days: one level up
    assert _escalated_to(log, first_response) == chain[:2]

    processor.stop()
    clock.set(wita(17, 0))
    run_process("run", PROCESSOR)
    _advance(clock, log, wita(17, 0), wita(22, 0), wita(30, 9, month=11))

    assert _escalated_to(log, first_response) == chain
    assert _escalated_to(log, follow_up) == chain
    alarms = _alarms(log, story.complaint_id)
    assert set(alarms.values()) == {1}, alarms
    assert alarms[("DeadlineBreached", first_response, None)] == alarms[("DeadlineBreached", follow_up, None)] == 1
    escalations = [record for _, record in log.events(story.complaint_id, Event.ESCALATED)]
    assert {record["from_agency"] for record in escalations} == {"pemkab-74-04"}
    assert [record["header"]["event_id"] for record in escalations if record["deadline_id"] == first_response] == [
        event_id(first_response, Event.ESCALATED, step) for step in range(4)]
    ids = [record["header"]["event_id"] for _, record in log.events(story.complaint_id)]
    assert len(ids) == len(set(ids))


def test_a_complaint_answered_in_time_is_never_warned(settings, run_process, clock, log):
    story = Story(complaint_id=str(uuid.uuid4()))
    clock.set(wita(5, 9))
    run_process("run", PROCESSOR)
    _tell(clock, log, story.submitted(wita(5, 9)), story.verified(wita(5, 10)), story.dispositioned(wita(5, 10)))
    _advance(clock, log, wita(6, 11))
    _tell(clock, log, story.acknowledged(wita(6, 11)))
    _advance(clock, log, wita(7, 14))
    _tell(clock, log, story.follow_up_posted(wita(7, 14)))
    _advance(clock, log, wita(20, 12))  # every agency deadline long past, the closure warning not yet due

    assert _alarms(log, story.complaint_id) == Counter()
    completed = [(record["stage"], record["agency"], record["on_time"])
                 for _, record in log.events(story.complaint_id, Event.STAGE_COMPLETED)]
    assert completed == [("VERIFICATION", None, True), ("FIRST_RESPONSE", "pemkab-74-04", True),
                         ("FOLLOW_UP", "pemkab-74-04", True)]


def test_waiting_for_the_reporter_moves_the_deadline_by_the_paused_working_time(settings, run_process, clock, log):
    story = Story(complaint_id=str(uuid.uuid4()))
    follow_up = f"{story.complaint_id}:FOLLOW_UP:1"
    clock.set(wita(5, 10))
    run_process("run", PROCESSOR)
    _tell(clock, log, story.submitted(wita(5, 9)), story.verified(wita(5, 10)), story.dispositioned(wita(5, 10)),
          story.acknowledged(wita(6, 9)), story.information_requested(wita(7, 9)))  # Wednesday
    _advance(clock, log, wita(9, 9))
    _tell(clock, log, story.information_added(wita(9, 9)))  # Friday: two working days paused
    _advance(clock, log, wita(13, 1))  # after the unpaused deadline (Monday 12th): nothing, it moved
    assert not [key for key in _alarms(log, story.complaint_id) if key[1] == follow_up]

    _advance(clock, log, end_of(13), wita(15, 0))
    warnings = [record for _, record in log.events(story.complaint_id, Event.DEADLINE_WARNING)
                if record["deadline_id"] == follow_up]
    breaches = [record for _, record in log.events(story.complaint_id, Event.DEADLINE_BREACHED)
                if record["deadline_id"] == follow_up]
    assert [w["due_at"] for w in warnings] == [b["due_at"] for b in breaches] == [end_of(14)]  # Wednesday 14th


def _read_model_deadline(settings, story: Story) -> tuple[tuple, int]:
    """The complaint's current deadline in the read model, and how many DeadlineSet entries its timeline has."""
    [row] = query(settings, "SELECT deadline_stage, deadline_due_at, deadline_breached "
                            "FROM projection.complaint_status WHERE complaint_id = %s", (story.complaint_id,))
    [entries] = query(settings, "SELECT count(*) AS n FROM projection.complaint_timeline WHERE complaint_id = %s "
                                "AND event = 'DeadlineSet'", (story.complaint_id,))
    return (row["deadline_stage"], row["deadline_due_at"], row["deadline_breached"]), entries["n"]


def test_the_first_response_deadline_is_in_the_read_model_before_any_warning_and_once_across_a_restart(
        settings, run_process, clock, log):
    story = Story(complaint_id=str(uuid.uuid4()))
    clock.set(wita(5, 10))
    processor = run_process("run", PROCESSOR)
    _tell(clock, log, story.submitted(wita(5, 9)), story.verified(wita(5, 10)), story.dispositioned(wita(5, 10)))
    project_all(settings)
    assert _read_model_deadline(settings, story) == (("FIRST_RESPONSE", end_of(8), False), 3)
    assert not log.events(story.complaint_id, Event.DEADLINE_WARNING, Event.DEADLINE_BREACHED)

    processor.stop()
    run_process("run", PROCESSOR)
    _advance(clock, log, wita(6, 9))
    _tell(clock, log, story.acknowledged(wita(6, 9)))
    project_all(settings)
    announced = [(record["deadline_id"], record["reason"], record["due_at"])
                 for _, record in log.events(story.complaint_id, Event.DEADLINE_SET)]
    assert sorted(announced) == [(f"{story.complaint_id}:{stage}:1", "STARTED", due) for stage, due in (
        ("FIRST_RESPONSE", end_of(8)), ("FOLLOW_UP", end_of(12)), ("VERIFICATION", end_of(8)))]
    assert _read_model_deadline(settings, story) == (("FOLLOW_UP", end_of(12), False), 3)

    rebuild(settings, workers=1, stream=io.StringIO())
    assert _read_model_deadline(settings, story) == (("FOLLOW_UP", end_of(12), False), 3)
