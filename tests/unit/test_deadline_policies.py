"""Deadline policies (precedence, grades, bad files) and the stage clock (pause, alarms, rounds)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from aduan.domain.calendar import WITA, WorkingCalendar
from aduan.domain.commands import ReportType
from aduan.domain.deadlines import (
    Alarm,
    DeadlinePolicies,
    PolicyError,
    Stage,
    StageClock,
    StagePolicy,
    deadline_id,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
KENDARI = "74.71"
COMPLAINT = "LPR-1916449"

POLICIES = """
version: "test-1"
grades: {LIGHT: 2, NORMATIVE: 5, NON_SUPERVISORY: 14, REQUIRING_EXAMINATION: 60}
default:
  VERIFICATION: {days: 3, warning_lead_days: 1, restart_on_forward: false}
  FIRST_RESPONSE: {days: 3, warning_lead_days: 1, restart_on_forward: true}
  FOLLOW_UP: {days: 5, warning_lead_days: 1, restart_on_forward: true}
  CLOSURE: {days: 10, warning_lead_days: 1, restart_on_forward: false}
report_types:
  ASPIRATION:
    FOLLOW_UP: {days: 7}
categories:
  health:
    FOLLOW_UP: {grade: NON_SUPERVISORY, warning_lead_days: 2}
agencies:
  kemenkes:
    FOLLOW_UP: {grade: LIGHT}
"""


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar.load()


@pytest.fixture(scope="module")
def policies() -> DeadlinePolicies:
    return DeadlinePolicies.parse(POLICIES, source="test-policies")


def follow_up(days: int = 5, lead: int = 1) -> StagePolicy:
    return StagePolicy(Stage.FOLLOW_UP, working_days=days, warning_lead_days=lead, restart_on_forward=True)


def wita(*args: int) -> datetime:
    return datetime(*args, tzinfo=WITA)


def end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, 999000, tzinfo=WITA)


MONDAY_10 = wita(2025, 11, 17, 10, 0)  # five working days end on Monday Nov 24
MONDAY_24_END = end_of(date(2025, 11, 24))


def test_stages_match_the_avro_enum() -> None:
    symbols = json.loads((SCHEMAS / "id.aduan.Stage.avsc").read_text())["symbols"]
    assert [stage.value for stage in Stage] == symbols


def test_shipped_policies_give_the_lapor_defaults() -> None:
    shipped = DeadlinePolicies.load()
    days = {stage: shipped.for_stage(stage, ReportType.COMPLAINT).working_days for stage in Stage}
    assert days == {Stage.VERIFICATION: 3, Stage.FIRST_RESPONSE: 3, Stage.FOLLOW_UP: 5, Stage.CLOSURE: 10}
    assert dict(shipped.grades) == {"LIGHT": 2, "NORMATIVE": 5, "NON_SUPERVISORY": 14, "REQUIRING_EXAMINATION": 60}
    assert shipped.for_stage(Stage.FOLLOW_UP, ReportType.INFORMATION_REQUEST).working_days == 10
    assert shipped.for_stage(Stage.FOLLOW_UP, ReportType.COMPLAINT).restart_on_forward
    assert not shipped.for_stage(Stage.VERIFICATION, ReportType.COMPLAINT).restart_on_forward


@pytest.mark.parametrize(
    ("stage", "report_type", "category", "agency", "days", "lead", "levels"),
    [
        (Stage.FOLLOW_UP, "COMPLAINT", None, None, 5, 1, ("default",)),
        (Stage.FOLLOW_UP, "ASPIRATION", None, None, 7, 1, ("report_type:ASPIRATION", "default")),
        (Stage.FOLLOW_UP, "ASPIRATION", "health", None, 14, 2, ("category:health", "default")),
        (Stage.FOLLOW_UP, "ASPIRATION", "health", "kemenkes", 2, 2, ("agency:kemenkes", "category:health", "default")),
        (Stage.FOLLOW_UP, "COMPLAINT", None, "kemenkes", 2, 1, ("agency:kemenkes", "default")),
        (Stage.VERIFICATION, "ASPIRATION", "health", "kemenkes", 3, 1, ("default",)),
        (Stage.FOLLOW_UP, "COMPLAINT", "UNKNOWN", "NOBODY", 5, 1, ("default",)),
    ],
)
def test_most_specific_setting_wins(policies, stage, report_type, category, agency, days, lead, levels) -> None:
    policy = policies.for_stage(stage, report_type, category=category, agency=agency)
    assert (policy.working_days, policy.warning_lead_days, policy.levels) == (days, lead, levels)
    assert policy.version == "test-1"


def test_a_policy_refers_to_a_weight_grade_by_name(policies: DeadlinePolicies) -> None:
    policy = policies.for_stage(Stage.FOLLOW_UP, ReportType.COMPLAINT, category="health")
    assert (policy.grade, policy.working_days) == ("NON_SUPERVISORY", 14)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("kemenkes:\n    FOLLOW_UP: {grade: LIGHT}", "kemenkes:\n    FOLLOWUP: {days: 2}"), "unknown Stage 'FOLLOWUP'"),
        (("{grade: LIGHT}", "{grade: LIGHT, days: 3}"), "days or grade, not both"),
        (("{grade: LIGHT}", "{grade: HEAVY}"), "unknown grade 'HEAVY'"),
        (("ASPIRATION:\n    FOLLOW_UP: {days: 7}", "ASPIRATION:\n    FOLLOW_UP: {days: 0}"), r"days: expected a whole"),
        (("ASPIRATION:", "PETITION:"), "unknown ReportType 'PETITION'"),
        (("{days: 7}", "{days: 7, hours: 3}"), r"unknown settings \['hours'\]"),
        (("{days: 3, warning_lead_days: 1, restart_on_forward: false}", "{days: 3}"), "VERIFICATION.warning_lead_days"),
        (("restart_on_forward: true}", 'restart_on_forward: "yes"}'), "expected true or false"),
        (('version: "test-1"', ""), "version"),
    ],
)
def test_bad_policy_entries_are_named(change: tuple[str, str], message: str) -> None:
    old, new = change
    with pytest.raises(PolicyError, match=message):
        DeadlinePolicies.parse(POLICIES.replace(old, new, 1), source="test-policies")


def test_deadline_id_is_complaint_stage_and_round() -> None:
    assert deadline_id(COMPLAINT, Stage.FOLLOW_UP, 1) == "LPR-1916449:FOLLOW_UP:1"
    clock = StageClock.start(COMPLAINT, follow_up(), KENDARI, MONDAY_10)
    assert clock.deadline_id == "LPR-1916449:FOLLOW_UP:1"
    assert clock.restart(wita(2025, 11, 18, 9, 0)).deadline_id == "LPR-1916449:FOLLOW_UP:2"


def test_clock_due_at_counts_working_days_from_the_start(calendar: WorkingCalendar) -> None:
    clock = StageClock.start(COMPLAINT, follow_up(), KENDARI, MONDAY_10)
    assert clock.due_at(calendar) == MONDAY_24_END


def test_pause_over_a_weekend_moves_the_deadline_by_one_working_day(calendar: WorkingCalendar) -> None:
    clock = StageClock.start(COMPLAINT, follow_up(), KENDARI, MONDAY_10)
    clock = clock.pause(wita(2025, 11, 21, 12, 0)).resume(wita(2025, 11, 24, 12, 0))  # Friday noon to Monday noon
    assert clock.paused_working_time(calendar) == timedelta(hours=24)
    assert clock.due_at(calendar) == end_of(date(2025, 11, 25))


def test_pause_moves_the_deadline_by_exactly_the_paused_working_time(calendar: WorkingCalendar) -> None:
    running = StageClock.start(COMPLAINT, follow_up(), KENDARI, MONDAY_10)
    paused = running.pause(wita(2025, 11, 18, 10, 0))
    assert paused.due_at(calendar) is None
    assert paused.next_alarm(calendar) is None
    resumed = paused.resume(wita(2025, 11, 19, 16, 0))  # Tuesday 10:00 to Wednesday 16:00: 30 hours
    before, after = running.due_at(calendar), resumed.due_at(calendar)
    assert resumed.paused_working_time(calendar) == timedelta(hours=30)
    assert calendar.working_time_between(before, after, KENDARI) == timedelta(hours=30)
    assert after == wita(2025, 11, 26, 5, 59, 59, 999000)


def test_a_pause_within_the_start_day_does_not_move_the_deadline(calendar: WorkingCalendar) -> None:
    clock = StageClock.start(COMPLAINT, follow_up(), KENDARI, MONDAY_10)
    clock = clock.pause(wita(2025, 11, 17, 11, 0)).resume(wita(2025, 11, 17, 15, 0))
    assert clock.due_at(calendar) == MONDAY_24_END


def test_stopping_a_paused_clock_ends_the_pause(calendar: WorkingCalendar) -> None:
    clock = StageClock.start(COMPLAINT, follow_up(), KENDARI, MONDAY_10).pause(wita(2025, 11, 18, 0, 0))
    stopped = clock.stop(wita(2025, 11, 19, 0, 0))
    assert stopped.paused_since is None
    assert stopped.due_at(calendar) == end_of(date(2025, 11, 25))
    assert stopped.on_time(calendar)
    assert stopped.next_alarm(calendar) is None


def test_warning_then_breach_each_fire_once(calendar: WorkingCalendar) -> None:
    clock = StageClock.start(COMPLAINT, follow_up(), KENDARI, MONDAY_10)
    warning = clock.next_alarm(calendar)
    assert warning == (Alarm.WARNING, end_of(date(2025, 11, 21)))  # one working day left
    assert clock.alarm_due(warning.at - timedelta(milliseconds=1), calendar) is None
    assert clock.alarm_due(warning.at, calendar) is Alarm.WARNING
    clock = clock.record(Alarm.WARNING)
    breach = clock.next_alarm(calendar)
    assert breach == (Alarm.BREACH, MONDAY_24_END + timedelta(milliseconds=1))
    assert clock.alarm_due(MONDAY_24_END, calendar) is None
    assert clock.alarm_due(breach.at, calendar) is Alarm.BREACH
    clock = clock.record(Alarm.BREACH)
    assert clock.next_alarm(calendar) is None
    assert clock.alarm_due(breach.at + timedelta(days=3), calendar) is None


def test_a_late_check_reports_the_breach_not_the_stale_warning(calendar: WorkingCalendar) -> None:
    clock = StageClock.start(COMPLAINT, follow_up(), KENDARI, MONDAY_10)
    assert clock.alarm_due(wita(2025, 11, 26, 9, 0), calendar) is Alarm.BREACH
    assert clock.record(Alarm.BREACH).next_alarm(calendar) is None


def test_warning_never_comes_before_the_start(calendar: WorkingCalendar) -> None:
    clock = StageClock.start(COMPLAINT, follow_up(days=2, lead=5), KENDARI, MONDAY_10)
    assert clock.warn_at(calendar) == MONDAY_10


def test_on_time_includes_the_last_millisecond_of_the_deadline(calendar: WorkingCalendar) -> None:
    clock = StageClock.start(COMPLAINT, follow_up(), KENDARI, MONDAY_10)
    assert clock.stop(MONDAY_24_END).on_time(calendar)
    assert not clock.stop(MONDAY_24_END + timedelta(milliseconds=1)).on_time(calendar)
    with pytest.raises(ValueError, match="stop it"):
        clock.on_time(calendar)


def test_restart_starts_a_fresh_round_under_the_new_policy(calendar: WorkingCalendar) -> None:
    clock = StageClock.start(COMPLAINT, follow_up(), KENDARI, MONDAY_10).record(Alarm.WARNING)
    forwarded_at = wita(2025, 11, 20, 9, 0)  # Thursday
    restarted = clock.restart(forwarded_at, follow_up(days=2))
    assert (restarted.round, restarted.warned, restarted.started_at) == (2, False, forwarded_at)
    assert restarted.due_at(calendar) == end_of(date(2025, 11, 24))
    with pytest.raises(ValueError, match="start a new clock"):
        clock.restart(forwarded_at, StagePolicy(Stage.CLOSURE, 10, 1, False))


def test_clock_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        StageClock.start(COMPLAINT, follow_up(), KENDARI, datetime(2025, 11, 17, 10, 0))
    clock = StageClock.start(COMPLAINT, follow_up(), KENDARI, MONDAY_10)
    with pytest.raises(ValueError, match="naive"):
        clock.pause(datetime(2025, 11, 18, 10, 0))


def test_clock_refuses_changes_out_of_order() -> None:
    clock = StageClock.start(COMPLAINT, follow_up(), KENDARI, MONDAY_10)
    with pytest.raises(ValueError, match="not paused"):
        clock.resume(wita(2025, 11, 18, 10, 0))
    with pytest.raises(ValueError, match="last change"):
        clock.pause(wita(2025, 11, 17, 9, 0))
    paused = clock.pause(wita(2025, 11, 18, 10, 0))
    with pytest.raises(ValueError, match="already paused"):
        paused.pause(wita(2025, 11, 18, 11, 0))
    with pytest.raises(ValueError, match="restart it"):
        clock.stop(wita(2025, 11, 18, 10, 0)).pause(wita(2025, 11, 18, 11, 0))
