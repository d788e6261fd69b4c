"""``aduan up --demo``: a paced, realistic stream of complaints from all over the country.

The demo process publishes reports through the intake door (every channel, category and regency), and plays the
agencies: each complaint dispositioned to an agency is acknowledged, followed up and resolved after a random
delay, some of them late, and some reporters rate the answer. Every process of a demo stack reads time from a
clock file that the demo moves forward fast (two simulated hours per real second), so deadlines are
warned, breached and escalated within a minute or two of starting.
"""

from __future__ import annotations

import heapq
import logging
import random
import signal
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from aduan.cli.synthetic import complaints
from aduan.clients.agency import signed_command
from aduan.clients.command_sender import CommandSender
from aduan.domain.commands import (
    Acknowledge,
    Actor,
    ActorKind,
    Command,
    PostFollowUp,
    Rate,
    Resolve,
)
from aduan.domain.events import Event
from aduan.kernel import kafka_clients
from aduan.kernel.clock import CLOCK_FILE_ENV, FileClock
from aduan.kernel.config import Settings
from aduan.kernel.signing import AgencyCredential, AgencyKeys, master_secret
from aduan.kernel.topics import Topics
from channels.door import Door
from schemas import DecodeError, codec

log = logging.getLogger(__name__)

CLOCK_FILE = "demo-clock"
SIMULATED_PER_REAL = timedelta(hours=2)   # how far the demo clock moves per real second
REPORTS_PER_SECOND = 4.0


def environment(settings: Settings) -> dict[str, str]:
    """What every process of a demo stack gets: the demo clock (set to now) and automatic verification."""
    path = settings.home / CLOCK_FILE
    FileClock(path).set(datetime.now(timezone.utc))
    return {CLOCK_FILE_ENV: str(path), "ADUAN_AUTO_VERIFY_CHANNELS": "*"}


@dataclass(order=True)
class _Due:
    at: datetime
    command: Command = field(compare=False)


class Demo:
    """The demo's reporters and agencies."""

    def __init__(self, settings: Settings, seed: int = 1708) -> None:
        self.settings = settings
        self.rng = random.Random(seed)
        self.clock = FileClock(settings.home / CLOCK_FILE)
        self.door = Door(settings)
        self.topics = Topics(settings.topic_prefix)
        self.publisher = kafka_clients.Publisher(kafka_clients.producer(settings))
        self.commands = CommandSender(settings)
        self.keys = AgencyKeys(master_secret(settings))
        self.log = kafka_clients.consumer(settings, f"{settings.topic_prefix}-demo", self.topics.complaint_events)
        self.stream = complaints(None, seed=seed)
        self.reporters: dict[str, str] = {}
        self.due: list[_Due] = []
        self.sent = 0

    def submit(self, count: int) -> None:
        """Publish ``count`` new reports through the intake door."""
        now = self.clock.now()
        for _ in range(count):
            spec = next(self.stream)
            report = self.door.report(
                channel=spec.channel, message_id=f"demo-{uuid.uuid4()}", received_at=now, title=spec.title,
                description=spec.description, report_type=spec.report_type, category=spec.category,
                region_code=spec.region_code, anonymous=spec.anonymous, confidential=spec.confidential,
                reporter={"name": "Warga Demo", "phone": "+6281234567890", "email": "warga@example.id"})
            receipt = self.door.receipt(report)
            self.reporters[receipt.complaint_id] = self.door.ids.reporter_ref(receipt.key)
            key, value = self.door.message(report)
            self.publisher.send(self.door.topic, key, value)
            self.sent += 1
        self.publisher.flush()

    def plan(self) -> None:
        """Read new dispositions and plan the agency's answers (some of them after the deadline)."""
        for records in self.log.poll(timeout_ms=100, max_records=2000).values():
            for record in records:
                try:
                    decoded = codec().decode(record.value)
                except DecodeError:
                    continue
                if decoded.name == Event.DISPOSITIONED:
                    self._plan_answers(decoded.record)
        self.log.commit()

    def _plan_answers(self, event: dict) -> None:
        header, agency = event["header"], event["agency"]
        complaint, at = header["complaint_id"], header["occurred_at"]
        officer = Actor(ActorKind.AGENCY_OFFICER, "petugas-demo", agency)
        late = self.rng.random() < 0.3
        first = at + timedelta(hours=self.rng.uniform(2, 150 if late else 40))
        follow_up = first + timedelta(hours=self.rng.uniform(4, 200 if late else 60))
        common = {"complaint_id": complaint, "actor": officer}
        self._schedule(first, Acknowledge(command_id=str(uuid.uuid4()), issued_at=first, note=None, **common))
        self._schedule(follow_up, PostFollowUp(command_id=str(uuid.uuid4()), issued_at=follow_up,
                                              text="Petugas sudah meninjau lokasi dan menjadwalkan perbaikan.",
                                              **common))
        if self.rng.random() < 0.7:
            resolved = follow_up + timedelta(hours=self.rng.uniform(1, 48))
            self._schedule(resolved, Resolve(command_id=str(uuid.uuid4()), issued_at=resolved,
                                             resolution="Sudah diperbaiki.", **common))
            reporter = self.reporters.get(complaint)
            if reporter and self.rng.random() < 0.6:
                rated = resolved + timedelta(hours=self.rng.uniform(1, 24))
                self._schedule(rated, Rate(command_id=str(uuid.uuid4()), complaint_id=complaint, issued_at=rated,
                                           actor=Actor(ActorKind.REPORTER, reporter), rating=self.rng.randint(1, 5),
                                           comment=None))

    def _schedule(self, at: datetime, command: Command) -> None:
        heapq.heappush(self.due, _Due(at, command))

    def act(self) -> None:
        """Send every planned action whose time has come on the demo clock."""
        now = self.clock.now()
        while self.due and self.due[0].at <= now:
            command = heapq.heappop(self.due).command
            if command.actor.kind is ActorKind.AGENCY_OFFICER:
                credential = AgencyCredential(command.actor.agency, self.keys.key(command.actor.agency))
                self.publisher.send(self.topics.agency_actions, command.complaint_id.encode(),
                                    signed_command(credential, command))
            else:
                self.commands.send(command)
        self.publisher.flush()

    def close(self) -> None:
        self.log.close()
        self.commands.close()
        self.publisher.close()


def run(settings: Settings) -> None:
    """The demo process: submit, plan, act and move the clock until SIGTERM (a paced loop, 4 turns a second)."""
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    demo = Demo(settings)
    last = time.monotonic()
    reported = last
    try:
        while not stopping:
            now = time.monotonic()
            elapsed, last = now - last, now
            demo.clock.set(demo.clock.now() + SIMULATED_PER_REAL * elapsed)
            demo.submit(demo.rng.randint(0, int(2 * REPORTS_PER_SECOND * elapsed) + 1))
            demo.plan()
            demo.act()
            if now - reported > 15:
                reported = now
                log.warning("demo: %d reports sent, %d answers planned, demo clock %s", demo.sent, len(demo.due),
                            demo.clock.now().isoformat(timespec="minutes"))
            time.sleep(0.25)
    finally:
        demo.close()
