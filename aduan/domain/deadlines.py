"""Deadline policies per stage, and the stage clock that turns a policy into a deadline.

**Policies** come from ``aduan/data/deadline_policies.yaml`` (see the comments there). A policy says how many
working days a stage gets (directly or by a complaint-weight grade such as ``NORMATIVE``), how many working days
before the deadline to warn, and whether forwarding the complaint restarts the clock. Settings are looked up
field by field, most specific first: agency > category > report type > default::

    policies = DeadlinePolicies.load()
    policy = policies.for_stage(Stage.FOLLOW_UP, ReportType.COMPLAINT, category="health", agency="kemenkes")
    policy.working_days, policy.warning_lead_days, policy.restart_on_forward, policy.levels

**The stage clock** is an immutable value holding only facts (when it started, when it was paused and resumed,
when it stopped, which alarms were sent); every operation returns a new clock, and deadlines are recomputed
from those facts with a :class:`~aduan.domain.calendar.WorkingCalendar`, so a replay gives the same answer::

    clock = StageClock.start("LPR-1916449", policy, region_code="74.04", at=dispositioned_at)
    clock.deadline_id                        # "LPR-1916449:FOLLOW_UP:1": deterministic, the same on replay
    clock.due_at(calendar)                   # end of the 5th working day after the start day; None while paused
    clock = clock.pause(information_requested_at)   # waiting for the reporter
    clock = clock.resume(information_added_at)      # due_at moves later by the paused working time
    clock.next_alarm(calendar)               # ScheduledAlarm(Alarm.WARNING, at): when to set the timer
    clock.alarm_due(now, calendar)           # Alarm.WARNING / Alarm.BREACH to emit now, or None
    clock = clock.record(Alarm.WARNING)      # after DeadlineWarning was appended: it fires once
    clock = clock.stop(follow_up_posted_at)
    clock.on_time(calendar)                  # for StageCompleted.on_time
    if policy.restart_on_forward:
        clock = clock.restart(forwarded_at, new_agency_policy)  # round 2, a new deadline id

Timing rules: the deadline is inclusive (see ``aduan.domain.calendar``); the stage is late from the first
millisecond after ``due_at`` (events carry milliseconds). The warning comes when ``warning_lead_days`` working
days remain, never before the stage started. Pause time counts only from the end of the start day, because the
start day itself never counts towards the deadline. A clock keeps the policy in force when it started; a policy
edit applies to clocks started or restarted after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar

import yaml

from aduan.domain.calendar import WorkingCalendar, require_aware
from aduan.domain.commands import ReportType
from aduan.domain.directory_data import PACKAGED

DEFAULT_POLICY_PATH = PACKAGED / "deadline_policies.yaml"
OVERDUE_AFTER = timedelta(milliseconds=1)


class Stage(StrEnum):
    """A clocked stage; the symbols of the Avro enum ``id.aduan.Stage``."""

    VERIFICATION = "VERIFICATION"
    FIRST_RESPONSE = "FIRST_RESPONSE"
    FOLLOW_UP = "FOLLOW_UP"
    CLOSURE = "CLOSURE"


class Alarm(StrEnum):
    """What a deadline timer announces: ``DeadlineWarning`` or ``DeadlineBreached``."""

    WARNING = "WARNING"
    BREACH = "BREACH"


class ScheduledAlarm(NamedTuple):
    """The next alarm of a clock and the instant (UTC) it becomes due."""

    alarm: Alarm
    at: datetime


class PolicyError(ValueError):
    """The policy file has a bad entry; the message names the file and the entry."""


_Enum = TypeVar("_Enum", Stage, ReportType)


def _member(kind: type[_Enum], value: object, where: str, error: type[ValueError] = ValueError) -> _Enum:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(kind)
        raise error(f"{where}: unknown {kind.__name__} {value!r}; use one of {allowed}") from None


def deadline_id(complaint_id: str, stage: Stage | str, round: int) -> str:
    """The deterministic id of a deadline: ``"{complaint_id}:{stage}:{round}"``."""
    return f"{complaint_id}:{_member(Stage, stage, 'deadline_id')}:{round}"


@dataclass(frozen=True)
class StagePolicy:
    """The resolved policy of one stage; ``levels`` names where its settings came from, most specific first."""

    stage: Stage
    working_days: int
    warning_lead_days: int
    restart_on_forward: bool
    grade: str | None = None
    levels: tuple[str, ...] = ("default",)
    version: str = ""


@dataclass(frozen=True)
class _Rule:
    """The settings one level gives a stage; None means "not set here, ask a less specific level".

    ``working_days`` is set for a grade too (the grade's days), ``grade`` then keeps its name.
    """

    working_days: int | None = None
    grade: str | None = None
    warning_lead_days: int | None = None
    restart_on_forward: bool | None = None


_Rules = Mapping[Stage, _Rule]
_RULE_KEYS = {"days", "grade", "warning_lead_days", "restart_on_forward"}
_TOP_KEYS = {"version", "grades", "default", "report_types", "categories", "agencies"}


class DeadlinePolicies:
    """Every stage's policy, with overrides per report type, category and agency (see module doc)."""

    def __init__(self, version: str, grades: Mapping[str, int], rules: Mapping[str, _Rules]) -> None:
        """``rules`` is keyed by level: ``"default"``, ``"report_type:X"``, ``"category:X"``, ``"agency:X"``."""
        self.version = version
        self.grades = MappingProxyType(dict(grades))
        self._rules = MappingProxyType(dict(rules))

    @classmethod
    def load(cls, path: Path = DEFAULT_POLICY_PATH) -> DeadlinePolicies:
        """Read and check a policy file (by default the one shipped in ``aduan/data``)."""
        return cls.parse(path.read_text(encoding="utf-8"), source=str(path))

    @classmethod
    def parse(cls, text: str, source: str = "<policies>") -> DeadlinePolicies:
        """Read and check policy YAML; raises :class:`PolicyError` naming the bad entry."""
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise PolicyError(f"{source}: not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise PolicyError(f"{source}: expected a mapping with {', '.join(sorted(_TOP_KEYS))}")
        unknown = set(data) - _TOP_KEYS
        if unknown:
            raise PolicyError(f"{source}: unknown keys {sorted(unknown)}; allowed are {sorted(_TOP_KEYS)}")
        version = data.get("version")
        if not isinstance(version, str) or not version.strip():
            raise PolicyError(f'{source}: set a non-empty string version, e.g. version: "2026.1"')
        grades = {
            _code(name, f"{source}: grades"): _whole(days, f"{source}: grades.{name}", minimum=1)
            for name, days in _mapping(data.get("grades"), f"{source}: grades").items()
        }
        rules = {"default": _stage_rules(data.get("default"), f"{source}: default", grades)}
        missing = [f"{stage}.{field}" for stage, field in _unset_fields(rules["default"])]
        if missing:
            raise PolicyError(f"{source}: default must set every field of every stage; missing {', '.join(missing)}")
        for section, level in (("report_types", "report_type"), ("categories", "category"), ("agencies", "agency")):
            for code, stages in _mapping(data.get(section), f"{source}: {section}").items():
                where = f"{source}: {section}.{code}"
                if section == "report_types":
                    code = _member(ReportType, code, where, PolicyError)
                rules[f"{level}:{_code(code, f'{source}: {section}')}"] = _stage_rules(stages, where, grades)
        return cls(version.strip(), grades, rules)

    def for_stage(
        self,
        stage: Stage | str,
        report_type: ReportType | str,
        category: str | None = None,
        agency: str | None = None,
    ) -> StagePolicy:
        """The policy of ``stage`` for a complaint of this report type, category and handling agency."""
        stage = _member(Stage, stage, "for_stage")
        report_type = _member(ReportType, report_type, "for_stage")
        levels = [f"report_type:{report_type}", "default"]
        if category:
            levels.insert(0, f"category:{category}")
        if agency:
            levels.insert(0, f"agency:{agency}")
        found = [(level, self._rules[level][stage]) for level in levels if stage in self._rules.get(level, {})]
        duration_level, duration = next((lv, r) for lv, r in found if r.working_days is not None)
        lead_level, lead = next((lv, r.warning_lead_days) for lv, r in found if r.warning_lead_days is not None)
        restart_level, restart = next((lv, r.restart_on_forward) for lv, r in found if r.restart_on_forward is not None)
        used = {duration_level, lead_level, restart_level}
        return StagePolicy(
            stage=stage,
            working_days=duration.working_days,
            warning_lead_days=lead,
            restart_on_forward=restart,
            grade=duration.grade,
            levels=tuple(level for level, _ in found if level in used),
            version=self.version,
        )


def _mapping(value: object, where: str) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PolicyError(f"{where}: expected a mapping, got {value!r}")
    return value


def _code(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{where}: key {value!r} must be a text code; quote it, e.g. '{value}':")
    return value.strip()


def _whole(value: object, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise PolicyError(f"{where}: expected a whole number of at least {minimum}, got {value!r}")
    return value


def _stage_rules(value: object, where: str, grades: Mapping[str, int]) -> _Rules:
    return {
        _member(Stage, stage, where, PolicyError): _rule(rule, f"{where}.{stage}", grades)
        for stage, rule in _mapping(value, where).items()
    }


def _rule(value: object, where: str, grades: Mapping[str, int]) -> _Rule:
    value = _mapping(value, where)
    unknown = set(value) - _RULE_KEYS
    if unknown:
        raise PolicyError(f"{where}: unknown settings {sorted(unknown)}; allowed are {sorted(_RULE_KEYS)}")
    if "days" in value and "grade" in value:
        raise PolicyError(f"{where}: set days or grade, not both")
    grade = value.get("grade")
    if grade is not None and grade not in grades:
        raise PolicyError(f"{where}: unknown grade {grade!r}; use one of {', '.join(grades) or '(none defined)'}")
    restart = value.get("restart_on_forward")
    if restart is not None and not isinstance(restart, bool):
        raise PolicyError(f"{where}.restart_on_forward: expected true or false, got {restart!r}")
    days, lead = value.get("days"), value.get("warning_lead_days")
    if days is not None:
        days = _whole(days, f"{where}.days", minimum=1)
    return _Rule(
        working_days=grades[grade] if grade is not None else days,
        grade=grade,
        warning_lead_days=None if lead is None else _whole(lead, f"{where}.warning_lead_days", minimum=1),
        restart_on_forward=restart,
    )


def _unset_fields(rules: _Rules) -> list[tuple[Stage, str]]:
    """(stage, field) pairs that the default level leaves unset."""
    unset = []
    for stage in Stage:
        rule = rules.get(stage, _Rule())
        if rule.working_days is None:
            unset.append((stage, "days"))
        if rule.warning_lead_days is None:
            unset.append((stage, "warning_lead_days"))
        if rule.restart_on_forward is None:
            unset.append((stage, "restart_on_forward"))
    return unset


@dataclass(frozen=True)
class StageClock:
    """The clock of one round of one stage of a complaint; immutable, every change returns a new clock."""

    complaint_id: str
    region_code: str
    policy: StagePolicy
    started_at: datetime
    round: int = 1
    pauses: tuple[tuple[datetime, datetime], ...] = ()
    paused_since: datetime | None = None
    stopped_at: datetime | None = None
    warned: bool = False
    breached: bool = False

    @classmethod
    def start(
        cls, complaint_id: str, policy: StagePolicy, region_code: str, at: datetime, round: int = 1
    ) -> StageClock:
        """A running clock for ``policy.stage`` of a complaint in ``region_code``, started at ``at``."""
        if isinstance(round, bool) or not isinstance(round, int) or round < 1:
            raise ValueError(f"round must be a whole number of at least 1, got {round!r}")
        return cls(complaint_id, region_code, policy, require_aware(at, "start time"), round)

    @property
    def stage(self) -> Stage:
        """The stage this clock times."""
        return self.policy.stage

    @property
    def deadline_id(self) -> str:
        """``"{complaint_id}:{stage}:{round}"``; the id carried by this round's warning and breach."""
        return deadline_id(self.complaint_id, self.stage, self.round)

    def pause(self, at: datetime) -> StageClock:
        """Stop counting, e.g. while waiting for the reporter's answer."""
        at = self._check_change(at, "pause")
        if self.paused_since is not None:
            since = self.paused_since.isoformat()
            raise ValueError(f"{self.deadline_id} is already paused since {since}: resume it first")
        return replace(self, paused_since=at)

    def resume(self, at: datetime) -> StageClock:
        """Count again; the deadline moves later by the working time spent paused."""
        at = self._check_change(at, "resume")
        if self.paused_since is None:
            raise ValueError(f"{self.deadline_id} is not paused: pause it before resuming")
        return replace(self, pauses=(*self.pauses, (self.paused_since, at)), paused_since=None)

    def stop(self, at: datetime) -> StageClock:
        """The stage is done (or abandoned); an open pause ends here."""
        at = self._check_change(at, "stop")
        clock = self.resume(at) if self.paused_since is not None else self
        return replace(clock, stopped_at=at)

    def restart(self, at: datetime, policy: StagePolicy | None = None) -> StageClock:
        """The next round of the same stage from ``at`` (e.g. after a forward), under ``policy`` if given."""
        policy = policy or self.policy
        if policy.stage != self.stage:
            raise ValueError(f"{self.deadline_id} times {self.stage}, not {policy.stage}: start a new clock instead")
        at = require_aware(at, "restart time")
        if at < self.started_at:
            raise ValueError(f"restart at {at.isoformat()} is before {self.deadline_id} started")
        return StageClock.start(self.complaint_id, policy, self.region_code, at, self.round + 1)

    def record(self, alarm: Alarm) -> StageClock:
        """Note that ``alarm`` was announced, so it is not announced again (a breach also settles the warning)."""
        alarm = Alarm(alarm)
        return replace(self, warned=True, breached=self.breached or alarm is Alarm.BREACH)

    def paused_working_time(self, calendar: WorkingCalendar) -> timedelta:
        """Working time spent in finished pauses, counted from the end of the start day."""
        origin = calendar.count_start(self.started_at, self.region_code)
        return sum(
            (calendar.working_time_between(max(a, origin), max(b, origin), self.region_code) for a, b in self.pauses),
            timedelta(0),
        )

    def due_at(self, calendar: WorkingCalendar) -> datetime | None:
        """The deadline (UTC, inclusive) recomputed from the history; None while paused."""
        if self.paused_since is not None:
            return None
        base = calendar.add_working_days(self.started_at, self.policy.working_days, self.region_code)
        return calendar.extend(base, self.paused_working_time(calendar), self.region_code)

    def warn_at(self, calendar: WorkingCalendar) -> datetime | None:
        """When ``warning_lead_days`` working days remain (never before the start); None while paused."""
        due = self.due_at(calendar)
        return None if due is None else self._warning(due, calendar)

    def next_alarm(self, calendar: WorkingCalendar) -> ScheduledAlarm | None:
        """The alarm to set a timer for, or None when the clock is paused, stopped or already breached."""
        due = self.due_at(calendar)
        if due is None or self.stopped_at is not None or self.breached:
            return None
        if not self.warned:
            return ScheduledAlarm(Alarm.WARNING, self._warning(due, calendar))
        return ScheduledAlarm(Alarm.BREACH, due + OVERDUE_AFTER)

    def alarm_due(self, now: datetime, calendar: WorkingCalendar) -> Alarm | None:
        """The alarm to announce at ``now``: a breach replaces a warning that came too late to matter."""
        now = require_aware(now, "now")
        scheduled = self.next_alarm(calendar)
        if scheduled is None or now < scheduled.at:
            return None
        due = self.due_at(calendar)
        if due is not None and now >= due + OVERDUE_AFTER:
            return Alarm.BREACH
        return scheduled.alarm

    def on_time(self, calendar: WorkingCalendar) -> bool:
        """Whether the stopped stage finished by its deadline."""
        if self.stopped_at is None:
            raise ValueError(f"{self.deadline_id} is still running: stop it before asking whether it was on time")
        due = self.due_at(calendar)
        assert due is not None  # a stopped clock has no open pause
        return self.stopped_at < due + OVERDUE_AFTER

    def _warning(self, due: datetime, calendar: WorkingCalendar) -> datetime:
        lead = -timedelta(days=self.policy.warning_lead_days)
        return max(self.started_at, calendar.extend(due, lead, self.region_code))

    def _check_change(self, at: datetime, action: str) -> datetime:
        """``at`` in UTC, refused when the clock is stopped or ``at`` is earlier than its last fact."""
        at = require_aware(at, f"{action} time")
        if self.stopped_at is not None:
            raise ValueError(f"{self.deadline_id} is stopped: restart it (a new round) before you {action} it")
        latest = max([self.started_at, *(end for _, end in self.pauses), self.paused_since or self.started_at])
        if at < latest:
            raise ValueError(
                f"cannot {action} {self.deadline_id} at {at.isoformat()}: its last change was at {latest.isoformat()}"
            )
        return at
