"""The deadline processor: the stage clocks of every open complaint, kept from the event log in PostgreSQL; the
``DeadlineSet``, warnings, breaches, escalations and ``StageCompleted`` that :mod:`aduan.domain.deadline_tracker` decides
go back onto the log, the system ``Close`` for an unanswered follow-up onto ``<p>.commands``.

Two parts share one faust worker (``aduan run deadlines``):

* :class:`DeadlineTracking` consumes the log in batches under the batch rule (docs/design.md): it loads the
  batch's complaints and clocks ``FOR UPDATE``, applies the events it has not applied before
  (``deadline_applied_events``, by event id, so a republished event moves nothing), sends the ``DeadlineSet`` and
  ``StageCompleted`` events of the clocks it changed and saves the clocks.
* :class:`DeadlineTimers` runs every ``TICK_SECONDS`` (a faust timer; the database work in an executor). It
  selects clocks whose next alarm is due ``FOR UPDATE SKIP LOCKED LIMIT TIMER_BATCH``, records each firing in
  ``deadline_firings`` (primary key deadline, alarm, step) with the clock's new state, publishes, waits for the
  acknowledgements and commits; a crash before the commit republishes the same ids, and two instances never
  fire the same clock. It only fires clocks of the log partitions this worker is assigned and has applied up to
  the fetch high-water mark, so an answer still unread after a restart never turns into a false breach.

Time comes from :func:`aduan.kernel.clock.clock_from_env`: ``ADUAN_CLOCK_FILE`` drives it in tests and demos.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter as Tally
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

import faust
import psycopg2.extensions
import psycopg2.extras

from aduan.domain.deadline_tracker import (
    ESCALATION,
    LOG,
    SYSTEM,
    TRACKED,
    Complaint,
    Deadline,
    DeadlineTracker,
    Firing,
    Output,
)
from aduan.domain.deadlines import Alarm, Stage, StageClock
from aduan.domain.records import DOCUMENTS
from aduan.kernel import kafka_clients
from aduan.kernel.clock import Clock, clock_from_env
from aduan.kernel.config import Settings
from aduan.kernel.metrics import (
    BATCH_FAILURES,
    DEADLINE_BREACHES,
    DEADLINE_CLOSES_REQUESTED,
    DEADLINE_TIMERS_OPEN,
    DEADLINE_WARNINGS,
    ESCALATIONS,
)
from aduan.kernel.rdkafka_publisher import RdkafkaPublisher
from aduan.kernel.stream_message import Message
from aduan.kernel.topics import Topics
from aduan.processing.app import batch_agent, create_app, run_worker
from aduan.processing.batch_rule import TransactionalBatches
from aduan.processing.outputs import Outputs
from aduan.processing.transaction import Transactions

log = logging.getLogger(__name__)

PROCESSOR = SYSTEM.id
TICK_SECONDS = 1.0
TIMER_BATCH = 500
OPEN_TIMERS_EVERY = 15.0  # seconds between two counts of the open timers for the gauge


# --- PostgreSQL -----------------------------------------------------------------------------------------------

_COMPLAINT_COLUMNS = ("complaint_id", "tracking_id", "correlation_id", "report_type", "category", "region_code",
                      "agency", "unit", "log_partition")
_DEADLINE_COLUMNS = ("deadline_id", "complaint_id", "stage", "round", "agency", "unit", "region_code", "policy",
                     "started_at", "started_by", "pauses", "paused_since", "stopped_at", "warned", "breached",
                     "escalations", "due_at", "alarm_at", "log_partition")


def load_complaints(cur: psycopg2.extensions.cursor, complaint_ids: Iterable[str], *,
                    lock: bool) -> dict[str, Complaint]:
    """The known complaints among ``complaint_ids``, locked until commit when ``lock``."""
    cur.execute(f"SELECT {', '.join(_COMPLAINT_COLUMNS)} FROM deadline_complaints WHERE complaint_id = ANY(%s)"
                + (" ORDER BY complaint_id FOR UPDATE" if lock else ""), (list(complaint_ids),))
    return {row[0]: Complaint(*row) for row in cur.fetchall()}


def load_deadlines(cur: psycopg2.extensions.cursor, complaint_ids: Iterable[str]) -> dict[str, dict[str, Deadline]]:
    """Every deadline of these complaints, by complaint and deadline id, locked until commit."""
    cur.execute(f"SELECT {', '.join(_DEADLINE_COLUMNS)} FROM deadline_clocks WHERE complaint_id = ANY(%s) "
                "ORDER BY deadline_id FOR UPDATE", (list(complaint_ids),))
    found: dict[str, dict[str, Deadline]] = {}
    for row in cur.fetchall():
        deadline = _deadline(dict(zip(_DEADLINE_COLUMNS, row)))
        found.setdefault(deadline.clock.complaint_id, {})[deadline.deadline_id] = deadline
    return found


def due_deadlines(cur: psycopg2.extensions.cursor, partitions: list[int], now: datetime,
                  limit: int) -> list[Deadline]:
    """Up to ``limit`` deadlines of ``partitions`` whose alarm is due, locked; rows another worker holds are skipped."""
    cur.execute(f"SELECT {', '.join(_DEADLINE_COLUMNS)} FROM deadline_clocks WHERE log_partition = ANY(%s) "
                "AND alarm_at <= %s ORDER BY alarm_at LIMIT %s FOR UPDATE SKIP LOCKED", (partitions, now, limit))
    return [_deadline(dict(zip(_DEADLINE_COLUMNS, row))) for row in cur.fetchall()]


def save_complaints(cur: psycopg2.extensions.cursor, complaints: Iterable[Complaint]) -> None:
    rows = [tuple(getattr(c, name) for name in _COMPLAINT_COLUMNS[:-1]) + (c.partition,) for c in complaints]
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in _COMPLAINT_COLUMNS[1:])
    psycopg2.extras.execute_values(
        cur, f"INSERT INTO deadline_complaints ({', '.join(_COMPLAINT_COLUMNS)}) VALUES %s "
             f"ON CONFLICT (complaint_id) DO UPDATE SET {updates}, updated_at = now()", rows, page_size=1000)


def save_deadlines(cur: psycopg2.extensions.cursor, deadlines: Iterable[Deadline], tracker: DeadlineTracker,
                   partitions: Mapping[str, int]) -> None:
    """Upsert ``deadlines`` with their deadline and next alarm; ``partitions`` maps complaint id to log partition."""
    rows = [_row(d, tracker, partitions[d.clock.complaint_id]) for d in deadlines]
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in _DEADLINE_COLUMNS[1:])
    psycopg2.extras.execute_values(
        cur, f"INSERT INTO deadline_clocks ({', '.join(_DEADLINE_COLUMNS)}) VALUES %s "
             f"ON CONFLICT (deadline_id) DO UPDATE SET {updates}, updated_at = now()", rows, page_size=1000)


def record_firings(cur: psycopg2.extensions.cursor, firings: list[Firing], now: datetime) -> set[tuple[str, str, int]]:
    """Write the firings; returns the keys written, leaving out any that fired before."""
    if not firings:
        return set()
    rows = [(f.deadline_id, f.alarm, f.step, f.output.message_id, f.to_agency, now) for f in firings]
    written = psycopg2.extras.execute_values(
        cur, "INSERT INTO deadline_firings (deadline_id, alarm, step, message_id, to_agency, fired_at) VALUES %s "
             "ON CONFLICT DO NOTHING RETURNING deadline_id, alarm, step", rows, page_size=1000, fetch=True)
    return {tuple(row) for row in written}


def _row(deadline: Deadline, tracker: DeadlineTracker, partition: int) -> tuple:
    """The ``deadline_clocks`` row of ``deadline``: policy and pauses as JSON, pauses as ISO 8601 pairs."""
    clock = deadline.clock
    document = DOCUMENTS.unstructure(clock)
    return (deadline.deadline_id, clock.complaint_id, clock.stage.value, clock.round, deadline.agency, deadline.unit,
            clock.region_code, json.dumps(document["policy"]), clock.started_at, deadline.started_by,
            json.dumps(document["pauses"]), clock.paused_since, clock.stopped_at, clock.warned, clock.breached,
            deadline.escalations, clock.due_at(tracker.calendar), tracker.alarm_at(deadline), partition)


def _deadline(row: dict[str, Any]) -> Deadline:
    """The deadline of a ``deadline_clocks`` row (by column name); its ``timestamptz`` columns come back in UTC."""
    columns = {name: value.astimezone(timezone.utc) if isinstance(value, datetime) else value
               for name, value in row.items()}
    clock = DOCUMENTS.structure(columns, StageClock)
    return Deadline(clock, row["agency"], row["unit"], row["started_by"], row["escalations"])


# --- the processes --------------------------------------------------------------------------------------------


def send(out: Outputs, topics: Topics, output: Output) -> None:
    """Queue ``output`` on its topic (the log or the commands), keyed by complaint id."""
    out.send(topics.complaint_events if output.topic == LOG else topics.commands, output.key, output.name,
             output.record)


class DeadlineTracking(TransactionalBatches):
    """Consumes the complaint log and keeps every complaint's stage clocks in PostgreSQL (see the module doc)."""

    consumer = PROCESSOR

    def __init__(self, settings: Settings, publisher: kafka_clients.Publishing,
                 tracker: DeadlineTracker | None = None) -> None:
        super().__init__(settings, publisher)
        self.topics = Topics(settings.topic_prefix)
        self.tracker = tracker or DeadlineTracker.load()

    def apply(self, cur: psycopg2.extensions.cursor, messages: list[Message]) -> None:
        events = self._fresh_events(cur, [(message, decoded.name, decoded.record)
                                          for message, decoded in self.out.decoded(messages)
                                          if decoded.name in TRACKED])
        if not events:
            return
        complaint_ids = {record["header"]["complaint_id"] for _, _, record in events}
        complaints: dict[str, Complaint | None] = dict(load_complaints(cur, complaint_ids, lock=True))
        deadlines = load_deadlines(cur, complaint_ids)
        changed_complaints: dict[str, Complaint] = {}
        changed: dict[str, Deadline] = {}
        for message, name, record in events:
            cid = record["header"]["complaint_id"]
            applied = self.tracker.apply(complaints.get(cid), deadlines.get(cid, {}), name, record,
                                         message.partition)
            if applied.complaint is None:
                log.warning("%s %s of unknown complaint %s: no submission on the log before it; ignored",
                            name, record["header"]["event_id"], cid)
                continue
            complaints[cid] = changed_complaints[cid] = applied.complaint
            deadlines.setdefault(cid, {}).update(applied.changed)
            changed.update(applied.changed)
            for output in applied.outputs:
                send(self.out, self.topics, output)
        save_complaints(cur, changed_complaints.values())
        partitions = {cid: c.partition for cid, c in changed_complaints.items()}
        save_deadlines(cur, changed.values(), self.tracker, partitions)
        psycopg2.extras.execute_values(
            cur, "INSERT INTO deadline_applied_events (event_id, complaint_id) VALUES %s ON CONFLICT DO NOTHING",
            [(record["header"]["event_id"], record["header"]["complaint_id"]) for _, _, record in events],
            page_size=1000)

    @staticmethod
    def _fresh_events(cur: psycopg2.extensions.cursor,
                      events: list[tuple[Message, str, dict[str, Any]]]) -> list[tuple[Message, str, dict[str, Any]]]:
        """``events`` without those applied before (a redelivered cause republishes the same event ids)."""
        ids = [record["header"]["event_id"] for _, _, record in events]
        cur.execute("SELECT event_id FROM deadline_applied_events WHERE event_id = ANY(%s)", (ids,))
        seen = {row[0] for row in cur.fetchall()}
        fresh = []
        for event in events:
            the_id = event[2]["header"]["event_id"]
            if the_id not in seen:
                seen.add(the_id)
                fresh.append(event)
        return fresh


class DeadlineTimers:
    """Fires the due alarms of stage clocks, in batches, exactly once (see the module doc)."""

    def __init__(self, settings: Settings, publisher: kafka_clients.Publishing, clock: Clock,
                 tracker: DeadlineTracker | None = None, batch_size: int = TIMER_BATCH) -> None:
        self.topics = Topics(settings.topic_prefix)
        self.out = Outputs(PROCESSOR, publisher, self.topics.dead_letter)
        self.transactions = Transactions(settings, self.out)
        self.clock = clock
        self.tracker = tracker or DeadlineTracker.load()
        self.batch_size = batch_size
        self._count_open_at = 0.0

    def fire_due(self, highwaters: Mapping[int, int]) -> int:
        """Fire every alarm due now on the log partitions in ``highwaters`` (partition -> fetch high-water mark)
        that the log consumer has read to the end; returns how many alarms fired."""
        now = self.clock.now()
        fired = 0
        while True:
            looked_at, firings = self._fire_batch(now, highwaters)
            fired += len(firings)
            if looked_at < self.batch_size or not firings:
                break
        if time.monotonic() >= self._count_open_at:
            self._count_open_timers()
            self._count_open_at = time.monotonic() + OPEN_TIMERS_EVERY
        return fired

    def _fire_batch(self, now: datetime, highwaters: Mapping[int, int]) -> tuple[int, list[Firing]]:
        with self.transactions.unit() as cur:
            ready = caught_up_partitions(cur, self.topics.complaint_events, highwaters)
            due = due_deadlines(cur, ready, now, self.batch_size) if ready else []
            complaints = load_complaints(cur, {d.clock.complaint_id for d in due}, lock=False)
            results = [self.tracker.fire(complaints[d.clock.complaint_id], d, now) for d in due]
            firings = [firing for result in results for firing in result.firings]
            written = record_firings(cur, firings, now)
            firings = [f for f in firings if (f.deadline_id, f.alarm, f.step) in written]
            for firing in firings:
                send(self.out, self.topics, firing.output)
            self._count(firings)
            save_deadlines(cur, [r.deadline for r in results], self.tracker,
                           {cid: c.partition for cid, c in complaints.items()})
        return len(due), firings

    def _count(self, firings: list[Firing]) -> None:
        """Count the firings in the deadline metrics (once they committed)."""
        for (alarm, agency, stage, level), n in Tally((f.alarm, f.agency or "none", f.stage.value, f.level)
                                                      for f in firings).items():
            if alarm == Alarm.WARNING:
                self.out.count(DEADLINE_WARNINGS, n, agency=agency, stage=stage)
            elif alarm == Alarm.BREACH:
                self.out.count(DEADLINE_BREACHES, n, agency=agency, stage=stage)
            elif alarm == ESCALATION:
                self.out.count(ESCALATIONS, n, agency=agency, stage=stage, level=level)
            else:
                self.out.count(DEADLINE_CLOSES_REQUESTED, n)

    def _count_open_timers(self) -> None:
        with self.transactions.unit() as cur:
            cur.execute("SELECT stage, count(*) FROM deadline_clocks WHERE alarm_at IS NOT NULL GROUP BY stage")
            open_timers = dict(cur.fetchall())
        for stage in Stage:
            DEADLINE_TIMERS_OPEN.labels(stage=stage.value).set(open_timers.get(stage.value, 0))

    def close(self) -> None:
        self.transactions.close()


def caught_up_partitions(cur: psycopg2.extensions.cursor, topic: str, highwaters: Mapping[int, int]) -> list[int]:
    """The partitions whose events the log consumer has applied exactly up to the given high-water marks.

    Applied beyond the mark means the log is not the one the offsets belong to (:mod:`aduan.kernel.log_guard`): its clocks
    cannot be trusted, so that partition fires nothing either."""
    cur.execute("SELECT partition, next_offset FROM consumer_offsets WHERE consumer = %s AND topic = %s",
                (PROCESSOR, topic))
    applied = dict(cur.fetchall())
    return sorted(p for p, highwater in highwaters.items() if applied.get(p, 0) == highwater)


def _highwaters(app: faust.App, topic: str) -> dict[int, int]:
    """Fetch high-water marks of the partitions of ``topic`` this worker is assigned (none before it joined)."""
    try:
        assigned = [tp for tp in app.consumer.assignment() if tp.topic == topic]
        marks = {tp.partition: app.consumer.highwater(tp) for tp in assigned}
    except Exception:  # the consumer is not started yet or is rebalancing: look again at the next tick
        return {}
    return {partition: mark for partition, mark in marks.items() if mark is not None}


def run(settings: Settings, *, clock: Clock | None = None, tick: float = TICK_SECONDS) -> None:
    """The ``deadlines`` process: consume the log and fire due alarms every ``tick`` seconds until SIGTERM."""
    app = create_app(PROCESSOR, settings)
    tracker = DeadlineTracker.load()
    log_topic = Topics(settings.topic_prefix).complaint_events
    # a producer each: a publisher replaces its producer after a failure (aduan.kernel.kafka_clients.renewed)
    tracking = DeadlineTracking(settings, RdkafkaPublisher(settings), tracker)
    timers = DeadlineTimers(settings, RdkafkaPublisher(settings), clock or clock_from_env(), tracker)
    batch_agent(app, PROCESSOR, [log_topic], tracking.handle)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{PROCESSOR}-timers")

    @app.timer(tick, name=f"{PROCESSOR}-timers")
    async def fire_due_deadlines() -> None:
        highwaters = _highwaters(app, log_topic)
        if not highwaters:
            return
        try:
            await asyncio.get_running_loop().run_in_executor(executor, timers.fire_due, highwaters)
        except Exception:
            BATCH_FAILURES.labels(processor=f"{PROCESSOR}-timers").inc()
            log.exception("firing due deadlines failed; trying again in %.1f s", tick)

    run_worker(app)
