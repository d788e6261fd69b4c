"""The deadline rules, pure: which complaint events start, stop, pause and restart stage clocks, and what a due
clock announces. :mod:`streams.deadlines` keeps the state in PostgreSQL and runs these rules.

**Which events move which clock** (a stage has one clock per round, its deadline id
``"{complaint_id}:{stage}:{round}"``):

================================  ====================================================================
ComplaintSubmitted                starts VERIFICATION
ComplaintVerified / Rejected      stop VERIFICATION (Rejected also abandons everything else)
ComplaintPostponed                nothing: postponing (tunda) keeps VERIFICATION running, because the
                                  report still waits on the admins, not on the reporter
ComplaintDispositioned            starts FIRST_RESPONSE and FOLLOW_UP for the handling agency; after a
                                  forward a running clock whose policy says ``restart_on_forward``
                                  stops (StageCompleted for the agency that forwarded) and round + 1
                                  starts for the new agency, otherwise it keeps running, now owed by
                                  the new agency; a stopped stage always starts a new round
ComplaintAcknowledged             stops FIRST_RESPONSE
InformationRequested              pauses every running clock
InformationAdded                  resumes paused clocks; as a reply to the follow-up it stops CLOSURE
                                  and starts a new FOLLOW_UP round (the agency must answer again)
FollowUpPosted                    stops FOLLOW_UP, starts CLOSURE
ComplaintReopened                 stops CLOSURE, starts a new FOLLOW_UP round
ComplaintClosed                   stops CLOSURE, abandons every other clock
ComplaintWithdrawn                abandons every clock
================================  ====================================================================

Stopping a clock emits ``StageCompleted`` with ``on_time`` (for CLOSURE, on time means the reporter answered
within the closure period); abandoning one (withdrawal, rejection, closure) emits nothing, so an abandoned stage
never counts as answered. Starting, pausing and resuming one emits ``DeadlineSet`` with the deadline from then on
(reason STARTED, RESTARTED for a round after the first, PAUSED with no deadline, RESUMED), so readers know a
stage's deadline from its first moment; a clock that keeps running for a new agency after a forward announces
nothing, its deadline stays.

**Alarms** (:meth:`DeadlineTracker.fire`), each at most once per deadline: ``DeadlineWarning`` when
``warning_lead_days`` working days remain (skipped when the deadline already passed); on the first millisecond
after the deadline ``DeadlineBreached`` and ``ComplaintEscalated`` to the first step of the escalation chain;
then one more ``ComplaintEscalated`` each further policy period (the stage's working days again) the stage stays
open, climbing the directory's chain (the handling agency's coordinator, its parent government, the national
admin, the Ombudsman) until the chain ends. VERIFICATION has no handling agency yet: it climbs from the national
admin to the Ombudsman. CLOSURE never breaches: when its period passes the answer is the system ``Close``
command (reason ``NO_REPLY_AFTER_FOLLOW_UP``) for ``<p>.commands``.

Event ids derive from the deadline id (``event_id(deadline_id, name, step)``; for ``DeadlineSet`` the step counts
the clock's changes: 0 when it starts, then 1, 2, ... for each pause and resume), so announcing the same alarm or
clock change again yields the same ids. A complaint whose region code is not an official one yet is timed in WIB
until verification sets its region.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Callable

from aduan.domain.calendar import WorkingCalendar
from aduan.domain.command_records import NAMESPACE as COMMAND_NAMESPACE
from aduan.domain.command_records import command_record
from aduan.domain.commands import Actor, ActorKind, Close, CloseReason
from aduan.domain.deadlines import (
    OVERDUE_AFTER,
    Alarm,
    DeadlinePolicies,
    Stage,
    StageClock,
    StagePolicy,
)
from aduan.domain.directory import Directory, EscalationStep, UnknownAgency
from aduan.domain.events import Event, event_id, new_header

log = logging.getLogger(__name__)

SYSTEM = Actor(ActorKind.SYSTEM, "deadlines")
CLOSE_COMMAND = f"{COMMAND_NAMESPACE}.{Close.__name__}"
# DKI Jakarta: the WIB region that times a complaint whose own region code is not official (yet).
FALLBACK_REGION = "31"

LOG, COMMANDS = "log", "commands"  # where an Output goes
ESCALATION, CLOSE = "ESCALATION", "CLOSE"  # firing kinds besides Alarm.WARNING and Alarm.BREACH
TRACKED = frozenset({
    Event.SUBMITTED, Event.VERIFIED, Event.REJECTED, Event.DISPOSITIONED, Event.FORWARDED, Event.ACKNOWLEDGED,
    Event.INFORMATION_REQUESTED, Event.INFORMATION_ADDED, Event.FOLLOW_UP_POSTED, Event.REOPENED, Event.CLOSED,
    Event.WITHDRAWN,
})
AGENCY_STAGES = (Stage.FIRST_RESPONSE, Stage.FOLLOW_UP)


class DeadlineSetReason(StrEnum):
    """Why a ``DeadlineSet`` was emitted; the symbols of the Avro enum ``id.aduan.DeadlineSetReason``."""

    STARTED = "STARTED"
    RESTARTED = "RESTARTED"
    PAUSED = "PAUSED"
    RESUMED = "RESUMED"


# --- what the tracker knows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Complaint:
    """What the deadline processor keeps of a complaint: enough to pick policies and to stamp its events."""

    complaint_id: str
    tracking_id: str
    correlation_id: str
    report_type: str
    category: str | None
    region_code: str
    agency: str | None = None
    unit: str | None = None
    partition: int = 0


@dataclass(frozen=True)
class Deadline:
    """One round of one stage: its clock, who owes the answer, and how many escalation steps were taken."""

    clock: StageClock
    agency: str | None
    unit: str | None
    started_by: str
    escalations: int = 0

    @property
    def deadline_id(self) -> str:
        return self.clock.deadline_id

    @property
    def stage(self) -> Stage:
        return self.clock.stage

    @property
    def running(self) -> bool:
        return self.clock.stopped_at is None


@dataclass(frozen=True)
class Output:
    """A message to publish: an event for the log or a command for the commands topic, keyed by complaint id."""

    topic: str
    name: str
    record: dict[str, Any]

    @property
    def key(self) -> str:
        """The complaint id: the Kafka key of both topics."""
        return self.record["header"]["complaint_id"] if self.topic == LOG else self.record["complaint_id"]

    @property
    def message_id(self) -> str:
        """The event id, or the command id of a command."""
        return self.record["header"]["event_id"] if self.topic == LOG else self.record["command_id"]


@dataclass(frozen=True)
class Firing:
    """One alarm of one deadline (``WARNING``, ``BREACH``, ``ESCALATION`` step n, ``CLOSE``) and what it sends."""

    deadline_id: str
    alarm: str
    step: int
    output: Output
    agency: str | None
    stage: Stage
    to_agency: str | None = None
    level: str | None = None


@dataclass(frozen=True)
class Applied:
    """The outcome of one complaint event: the complaint now, the deadlines it changed, the events to emit."""

    complaint: Complaint | None
    changed: dict[str, Deadline] = field(default_factory=dict)
    outputs: list[Output] = field(default_factory=list)


@dataclass(frozen=True)
class Fired:
    """The outcome of looking at a due deadline: its new state and the alarms it fired."""

    deadline: Deadline
    firings: list[Firing]


# --- the pure rules -------------------------------------------------------------------------------------------


class DeadlineTracker:
    """How complaint events move stage clocks, and what a due clock announces (see the module doc). Pure."""

    def __init__(self, policies: DeadlinePolicies, calendar: WorkingCalendar, directory: Directory) -> None:
        self.policies = policies
        self.calendar = calendar
        self.directory = directory

    @classmethod
    def load(cls) -> DeadlineTracker:
        """The tracker with the shipped policies, holiday calendar and agency directory."""
        return cls(DeadlinePolicies.load(), WorkingCalendar.load(), Directory.load())

    def apply(self, complaint: Complaint | None, deadlines: Mapping[str, Deadline], name: str,
              record: Mapping[str, Any], partition: int = 0) -> Applied:
        """What the complaint event ``name`` (an Avro full name) does to the complaint's ``deadlines``."""
        try:
            event = Event(name)
        except ValueError:
            return Applied(complaint)
        if event not in TRACKED:
            return Applied(complaint)
        if event is Event.SUBMITTED:
            if complaint is not None:
                return Applied(complaint)
            complaint = _submitted(record, partition)
        elif complaint is None:
            return Applied(None)
        else:
            complaint = _updated(complaint, event, record)
        step = _Step(self, complaint, deadlines, record["header"])
        _RULES[event](step)
        return Applied(complaint, step.changed, step.outputs)

    def fire(self, complaint: Complaint, deadline: Deadline, now: datetime) -> Fired:
        """The alarms ``deadline`` owes at ``now``, each at most once, and the deadline after them."""
        firings: list[Firing] = []
        alarm = deadline.clock.alarm_due(now, self.calendar)
        if alarm is not None:
            due = deadline.clock.due_at(self.calendar)
            assert due is not None  # a paused clock has no alarm
            firings.append(self._alarm(complaint, deadline, alarm, due, now))
            deadline = replace(deadline, clock=deadline.clock.record(alarm))
        chain = self.escalation_chain(deadline)
        while self._escalation_due(deadline, chain, now):
            firings.append(self._escalation(complaint, deadline, chain[deadline.escalations], now))
            deadline = replace(deadline, escalations=deadline.escalations + 1)
        return Fired(deadline, firings)

    def alarm_at(self, deadline: Deadline) -> datetime | None:
        """When the timer loop must look at ``deadline`` next; None when nothing more can fire."""
        if not deadline.running:
            return None
        scheduled = deadline.clock.next_alarm(self.calendar)
        if scheduled is not None:
            return scheduled.at
        if self._escalates(deadline, self.escalation_chain(deadline)):
            return self.escalation_at(deadline, deadline.escalations)
        return None

    def escalation_at(self, deadline: Deadline, step: int) -> datetime:
        """When escalation ``step`` is due: the breach for step 0, then one more policy period for each step."""
        due = deadline.clock.due_at(self.calendar)
        assert due is not None  # callers check the clock is not paused
        if step:
            policy = deadline.clock.policy
            due = self.calendar.add_working_days(due, step * policy.working_days, deadline.clock.region_code)
        return due + OVERDUE_AFTER

    def escalation_chain(self, deadline: Deadline) -> tuple[EscalationStep, ...]:
        """Who a late ``deadline`` climbs to: from the owing agency's coordinator up, or from the national admin."""
        if deadline.stage is Stage.CLOSURE:
            return ()
        if deadline.agency is not None:
            try:
                return self.directory.escalation_chain(deadline.agency)
            except UnknownAgency:
                log.warning("agency %s of %s is not in directory %s: escalating from the national admin",
                            deadline.agency, deadline.deadline_id, self.directory.version)
        return self.directory.escalation_chain(self.directory.national_admin.code)

    def policy(self, stage: Stage, complaint: Complaint) -> StagePolicy:
        """The policy of ``stage`` for the complaint as it is now (VERIFICATION has no agency yet)."""
        agency = None if stage is Stage.VERIFICATION else complaint.agency
        return self.policies.for_stage(stage, complaint.report_type, complaint.category, agency)

    def calendar_region(self, region_code: str) -> str:
        """The region whose time zone times the complaint: its own, or :data:`FALLBACK_REGION`."""
        try:
            self.calendar.timezone_for(region_code)
            return region_code
        except ValueError:
            return FALLBACK_REGION

    # alarms ------------------------------------------------------------------------------------------------

    def _escalates(self, deadline: Deadline, chain: tuple[EscalationStep, ...]) -> bool:
        clock = deadline.clock
        return (deadline.running and clock.breached and clock.paused_since is None
                and deadline.escalations < len(chain))

    def _escalation_due(self, deadline: Deadline, chain: tuple[EscalationStep, ...], now: datetime) -> bool:
        return self._escalates(deadline, chain) and now >= self.escalation_at(deadline, deadline.escalations)

    def _alarm(self, complaint: Complaint, deadline: Deadline, alarm: Alarm, due: datetime, now: datetime) -> Firing:
        if alarm is Alarm.BREACH and deadline.stage is Stage.CLOSURE:
            return Firing(deadline.deadline_id, CLOSE, 0, close_command(complaint, deadline, now),
                          deadline.agency, deadline.stage)
        name = Event.DEADLINE_WARNING if alarm is Alarm.WARNING else Event.DEADLINE_BREACHED
        body = {"stage": deadline.stage.value, "agency": deadline.agency, "due_at": due,
                "deadline_id": deadline.deadline_id}
        output = _event(complaint, name, event_id(deadline.deadline_id, name), now, deadline.started_by, body)
        return Firing(deadline.deadline_id, alarm.value, 0, output, deadline.agency, deadline.stage)

    def _escalation(self, complaint: Complaint, deadline: Deadline, to: EscalationStep, now: datetime) -> Firing:
        step = deadline.escalations
        body = {"stage": deadline.stage.value, "from_agency": deadline.agency, "to_agency": to.agency.code,
                "level": to.level.value, "deadline_id": deadline.deadline_id}
        output = _event(complaint, Event.ESCALATED, event_id(deadline.deadline_id, Event.ESCALATED, step), now,
                        deadline.started_by, body)
        return Firing(deadline.deadline_id, ESCALATION, step, output, deadline.agency, deadline.stage,
                      to.agency.code, to.level.value)


class _Step:
    """The clock changes one complaint event makes, collected for :meth:`DeadlineTracker.apply`."""

    def __init__(self, tracker: DeadlineTracker, complaint: Complaint, deadlines: Mapping[str, Deadline],
                 header: Mapping[str, Any]) -> None:
        self.tracker = tracker
        self.complaint = complaint
        self.deadlines = deadlines
        self.header = header
        self.changed: dict[str, Deadline] = {}
        self.outputs: list[Output] = []

    def current(self) -> list[Deadline]:
        return list({**self.deadlines, **self.changed}.values())

    def latest(self, stage: Stage) -> Deadline | None:
        rounds = [d for d in self.current() if d.stage is stage]
        return max(rounds, key=lambda d: d.clock.round) if rounds else None

    def running(self, stage: Stage) -> Deadline | None:
        latest = self.latest(stage)
        return latest if latest is not None and latest.running else None

    def put(self, deadline: Deadline) -> None:
        self.changed[deadline.deadline_id] = deadline

    def start(self, stage: Stage) -> None:
        """Start the next round of ``stage`` now, under the policy for the complaint as it is now."""
        latest = self.latest(stage)
        c = self.complaint
        clock = StageClock.start(c.complaint_id, self.tracker.policy(stage, c),
                                 self.tracker.calendar_region(c.region_code), self.header["occurred_at"],
                                 round=latest.clock.round + 1 if latest else 1)
        agency, unit = (None, None) if stage is Stage.VERIFICATION else (c.agency, c.unit)
        self.announce(Deadline(clock, agency, unit, self.header["event_id"]),
                      DeadlineSetReason.RESTARTED if latest else DeadlineSetReason.STARTED)

    def announce(self, deadline: Deadline, reason: DeadlineSetReason) -> None:
        """Keep the changed clock of ``deadline`` and emit its ``DeadlineSet``."""
        self.put(deadline)
        self.outputs.append(deadline_set(self.complaint, deadline, reason, self.header, self.tracker.calendar))

    def complete(self, stage: Stage) -> None:
        """Stop the running round of ``stage`` and emit ``StageCompleted``."""
        deadline = self.running(stage)
        if deadline is None:
            return
        deadline = self._stopped(deadline)
        self.put(deadline)
        self.outputs.append(stage_completed(self.complaint, deadline, self.header, self.tracker.calendar))

    def abandon_running(self) -> None:
        """Stop every running clock without a ``StageCompleted``: nobody answered, the complaint ended."""
        for deadline in self.current():
            if deadline.running:
                self.put(self._stopped(deadline))

    def pause_running(self) -> None:
        for deadline in self.current():
            if deadline.running and deadline.clock.paused_since is None:
                self.announce(replace(deadline, clock=deadline.clock.pause(self._at(deadline.clock))),
                              DeadlineSetReason.PAUSED)

    def resume_paused(self) -> None:
        for deadline in self.current():
            if deadline.running and deadline.clock.paused_since is not None:
                self.announce(replace(deadline, clock=deadline.clock.resume(self._at(deadline.clock))),
                              DeadlineSetReason.RESUMED)

    def _stopped(self, deadline: Deadline) -> Deadline:
        return replace(deadline, clock=deadline.clock.stop(self._at(deadline.clock)))

    def _at(self, clock: StageClock) -> datetime:
        """The event's time, never before the clock's last change (events of other writers may be skewed)."""
        latest = max([clock.started_at, clock.paused_since or clock.started_at, *(end for _, end in clock.pauses)])
        return max(self.header["occurred_at"], latest)


def _dispositioned(step: _Step) -> None:
    step.complete(Stage.VERIFICATION)
    for stage in AGENCY_STAGES:
        running = step.running(stage)
        if running is None:
            step.start(stage)
        elif running.clock.policy.restart_on_forward:
            step.complete(stage)
            step.start(stage)
        else:
            step.put(replace(running, agency=step.complaint.agency, unit=step.complaint.unit))


def _information_added(step: _Step) -> None:
    step.resume_paused()
    if step.running(Stage.CLOSURE) is not None:
        step.complete(Stage.CLOSURE)
        step.start(Stage.FOLLOW_UP)


def _follow_up_posted(step: _Step) -> None:
    step.complete(Stage.FOLLOW_UP)
    if step.running(Stage.CLOSURE) is None:
        step.start(Stage.CLOSURE)


def _reopened(step: _Step) -> None:
    step.complete(Stage.CLOSURE)
    if step.running(Stage.FOLLOW_UP) is None:
        step.start(Stage.FOLLOW_UP)


def _ended(*completed: Stage) -> Callable[[_Step], None]:
    def rule(step: _Step) -> None:
        for stage in completed:
            step.complete(stage)
        step.abandon_running()
    return rule


_RULES: dict[Event, Callable[[_Step], None]] = {
    Event.SUBMITTED: lambda step: step.start(Stage.VERIFICATION),
    Event.VERIFIED: lambda step: step.complete(Stage.VERIFICATION),
    Event.REJECTED: _ended(Stage.VERIFICATION),
    Event.DISPOSITIONED: _dispositioned,
    Event.FORWARDED: lambda step: None,
    Event.ACKNOWLEDGED: lambda step: step.complete(Stage.FIRST_RESPONSE),
    Event.INFORMATION_REQUESTED: _Step.pause_running,
    Event.INFORMATION_ADDED: _information_added,
    Event.FOLLOW_UP_POSTED: _follow_up_posted,
    Event.REOPENED: _reopened,
    Event.CLOSED: _ended(Stage.CLOSURE),
    Event.WITHDRAWN: _ended(),
}


def _submitted(record: Mapping[str, Any], partition: int) -> Complaint:
    header = record["header"]
    return Complaint(header["complaint_id"], header["tracking_id"], header["correlation_id"], record["report_type"],
                     record.get("category"), record["region_code"], partition=partition)


def _updated(complaint: Complaint, event: Event, record: Mapping[str, Any]) -> Complaint:
    """The complaint's policy-relevant facts after ``event``."""
    if event is Event.VERIFIED:
        return replace(complaint, report_type=record["report_type"], category=record["category"],
                       region_code=record["region_code"])
    if event is Event.FORWARDED:
        return replace(complaint, category=record.get("suggested_category") or complaint.category,
                       region_code=record.get("suggested_region") or complaint.region_code)
    if event is Event.DISPOSITIONED:
        return replace(complaint, agency=record["agency"], unit=record.get("unit"))
    return complaint


# --- what the tracker emits -----------------------------------------------------------------------------------


def _event(complaint: Complaint, name: Event, the_id: str, at: datetime, cause: str | None,
           body: dict[str, Any]) -> Output:
    header = new_header(event_id=the_id, complaint_id=complaint.complaint_id, tracking_id=complaint.tracking_id,
                        occurred_at=at, actor=SYSTEM.to_record(), correlation_id=complaint.correlation_id,
                        causation_id=cause)
    return Output(LOG, name.value, {"header": header, **body})


def stage_completed(complaint: Complaint, deadline: Deadline, cause: Mapping[str, Any],
                    calendar: WorkingCalendar) -> Output:
    """``StageCompleted`` of a stopped deadline, caused by the event ``cause`` (its header) that stopped it."""
    clock = deadline.clock
    assert clock.stopped_at is not None
    paused = sum((end - start for start, end in clock.pauses), timedelta(0))
    body = {
        "stage": clock.stage.value,
        "agency": deadline.agency,
        "started_at": clock.started_at,
        "due_at": clock.due_at(calendar),
        "completed_at": clock.stopped_at,
        "paused_ms": int(paused / timedelta(milliseconds=1)),
        "on_time": clock.on_time(calendar),
    }
    return _event(complaint, Event.STAGE_COMPLETED, event_id(deadline.deadline_id, Event.STAGE_COMPLETED),
                  cause["occurred_at"], cause["event_id"], body)


def deadline_set(complaint: Complaint, deadline: Deadline, reason: DeadlineSetReason, cause: Mapping[str, Any],
                 calendar: WorkingCalendar) -> Output:
    """``DeadlineSet`` of a clock that ``cause`` (an event's header) just started, paused or resumed."""
    clock = deadline.clock
    change = 2 * len(clock.pauses) + (clock.paused_since is not None)  # 0 at the start, then one per pause/resume
    body = {
        "stage": clock.stage.value,
        "agency": deadline.agency,
        "deadline_id": deadline.deadline_id,
        "reason": reason.value,
        "due_at": clock.due_at(calendar),
        "working_days": clock.policy.working_days,
        "policy_version": clock.policy.version,
        "calendar_version": calendar.version,
    }
    return _event(complaint, Event.DEADLINE_SET, event_id(deadline.deadline_id, Event.DEADLINE_SET, change),
                  cause["occurred_at"], cause["event_id"], body)


def close_command(complaint: Complaint, deadline: Deadline, now: datetime) -> Output:
    """The system ``Close`` command (``NO_REPLY_AFTER_FOLLOW_UP``) for a follow-up the reporter left unanswered.

    Its command id derives from the deadline id, so the lifecycle carries out a resent one only once.
    """
    name, record = command_record(Close(
        command_id=event_id(deadline.deadline_id, CLOSE_COMMAND),
        complaint_id=complaint.complaint_id,
        actor=SYSTEM,
        issued_at=now,
        reason=CloseReason.NO_REPLY_AFTER_FOLLOW_UP,
        note=f"no reply from the reporter by the closure deadline {deadline.deadline_id}",
    ))
    return Output(COMMANDS, name, record)
