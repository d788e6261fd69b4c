"""The deadline tracker's rules: which events start, stop, pause and restart stage clocks, and what a due clock
announces (warnings, breaches, escalation up the hierarchy, the system Close), each once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from aduan.domain.deadline_tracker import COMMANDS, Complaint, Deadline, Output
from aduan.domain.deadlines import Stage, StageClock
from aduan.domain.events import Event, event_id
from schemas import codec
from tests.support.deadlines import BUTON, DINKES, Story, end_of, tracker, wita


class Tracked:
    """Feeds events through the tracker and keeps its state, as the processor does with PostgreSQL."""

    def __init__(self) -> None:
        self.complaint: Complaint | None = None
        self.deadlines: dict[str, Deadline] = {}
        self.outputs: list[Output] = []

    def apply(self, *events: tuple[str, dict[str, Any]]) -> list[Output]:
        emitted = []
        for name, record in events:
            applied = tracker().apply(self.complaint, self.deadlines, name, record)
            self.complaint = applied.complaint
            self.deadlines.update(applied.changed)
            emitted += applied.outputs
        self.outputs += emitted
        return emitted

    def fire(self, now: datetime) -> list[Output]:
        emitted = []
        for deadline_id, deadline in sorted(self.deadlines.items()):
            assert self.complaint is not None
            fired = tracker().fire(self.complaint, deadline, now)
            self.deadlines[deadline_id] = fired.deadline
            emitted += [firing.output for firing in fired.firings]
        self.outputs += emitted
        return emitted

    def deadline(self, stage: Stage, round: int = 1) -> Deadline:
        return self.deadlines[f"c-1:{stage.value}:{round}"]

    def due(self, stage: Stage, round: int = 1) -> datetime | None:
        return self.deadline(stage, round).clock.due_at(tracker().calendar)


def names(outputs: list[Output]) -> list[str]:
    return [o.name.rsplit(".", 1)[-1] for o in outputs]


def completions(outputs: list[Output]) -> list[Output]:
    return [o for o in outputs if o.name == Event.STAGE_COMPLETED]


def deadlines_set(outputs: list[Output]) -> list[tuple[str, str, datetime | None]]:
    """(stage, reason, due_at) of every ``DeadlineSet`` among ``outputs``."""
    return [(o.record["stage"], o.record["reason"], o.record["due_at"]) for o in outputs
            if o.name == Event.DEADLINE_SET]


def dispositioned_complaint() -> tuple[Tracked, Story]:
    story, tracked = Story(), Tracked()
    tracked.apply(story.submitted(wita(5)), story.verified(wita(5, 10)), story.dispositioned(wita(5, 10)))
    return tracked, story


def test_story_events_fit_their_schemas():
    story = Story()
    for name, record in [story.submitted(wita(5)), story.verified(wita(5)), story.dispositioned(wita(5)),
                         story.forwarded(wita(5)), story.acknowledged(wita(5)), story.postponed(wita(5)),
                         story.information_requested(wita(5)), story.information_added(wita(5)),
                         story.follow_up_posted(wita(5)), story.reopened(wita(5)), story.closed(wita(5)),
                         story.withdrawn(wita(5)), story.rejected(wita(5))]:
        codec().encode(name, record)


def test_verification_runs_three_working_days_and_completes_on_time():
    story, tracked = Story(), Tracked()
    tracked.apply(story.submitted(wita(5)))  # Monday
    assert tracked.due(Stage.VERIFICATION) == end_of(8)  # Thursday
    verified = story.verified(wita(7, 15))
    [completed] = tracked.apply(verified)
    assert completed.name == Event.STAGE_COMPLETED
    assert completed.record["stage"] == "VERIFICATION" and completed.record["on_time"] is True
    assert completed.record["agency"] is None and completed.record["completed_at"] == wita(7, 15)
    assert completed.record["header"]["causation_id"] == verified[1]["header"]["event_id"]
    assert completed.record["header"]["event_id"] == event_id("c-1:VERIFICATION:1", Event.STAGE_COMPLETED)


def test_postponing_keeps_verification_running():
    story, tracked = Story(), Tracked()
    tracked.apply(story.submitted(wita(5)), story.postponed(wita(6)))
    assert tracked.due(Stage.VERIFICATION) == end_of(8)
    assert names(tracked.fire(end_of(8) + timedelta(milliseconds=1))) == ["DeadlineBreached", "ComplaintEscalated"]


def test_a_disposition_starts_first_response_and_follow_up_for_the_handling_agency():
    tracked, _ = dispositioned_complaint()
    first, follow = tracked.deadline(Stage.FIRST_RESPONSE), tracked.deadline(Stage.FOLLOW_UP)
    assert (first.agency, first.unit) == (follow.agency, follow.unit) == ("pemkab-74-04", DINKES)
    assert tracked.due(Stage.FIRST_RESPONSE) == end_of(8)  # Thursday
    assert tracked.due(Stage.FOLLOW_UP) == end_of(12)  # five working days: the weekend does not count


def test_a_clock_announces_its_deadline_the_moment_it_starts():
    story, tracked = Story(), Tracked()
    submitted = story.submitted(wita(5))
    [verification] = tracked.apply(submitted)
    assert deadlines_set([verification]) == [("VERIFICATION", "STARTED", end_of(8))]
    assert verification.record["header"]["event_id"] == event_id("c-1:VERIFICATION:1", Event.DEADLINE_SET, 0)
    assert verification.record["header"]["causation_id"] == submitted[1]["header"]["event_id"]
    assert verification.record["header"]["occurred_at"] == wita(5)
    assert (verification.record["deadline_id"], verification.record["agency"]) == ("c-1:VERIFICATION:1", None)
    assert (verification.record["working_days"], verification.record["policy_version"],
            verification.record["calendar_version"]) == (3, tracker().policies.version, tracker().calendar.version)
    out = tracked.apply(story.verified(wita(5, 10)), story.dispositioned(wita(5, 10)))
    assert deadlines_set(out) == [("FIRST_RESPONSE", "STARTED", end_of(8)), ("FOLLOW_UP", "STARTED", end_of(12))]
    assert {o.record["agency"] for o in out if o.name == Event.DEADLINE_SET} == {"pemkab-74-04"}
    for output in out:
        codec().encode(output.name, output.record)


def test_a_pause_announces_no_deadline_and_the_resume_the_moved_one():
    tracked, story = dispositioned_complaint()
    tracked.apply(story.acknowledged(wita(6)))
    paused = tracked.apply(story.information_requested(wita(7, 9)))
    assert deadlines_set(paused) == [("FOLLOW_UP", "PAUSED", None)]
    resumed = tracked.apply(story.information_added(wita(9, 9)))
    assert deadlines_set(resumed) == [("FOLLOW_UP", "RESUMED", end_of(14))]
    ids = [o.record["header"]["event_id"] for o in tracked.outputs if o.name == Event.DEADLINE_SET
           and o.record["stage"] == "FOLLOW_UP"]
    assert ids == [event_id("c-1:FOLLOW_UP:1", Event.DEADLINE_SET, change) for change in range(3)]


def test_a_forward_and_a_reply_to_the_follow_up_announce_restarted_rounds():
    tracked, story = dispositioned_complaint()
    out = tracked.apply(story.forwarded(wita(7)), story.dispositioned(wita(7), "kemenkes", None, round=2))
    assert deadlines_set(out) == [("FIRST_RESPONSE", "RESTARTED", end_of(12)), ("FOLLOW_UP", "RESTARTED", end_of(14))]
    assert {(o.record["deadline_id"], o.record["agency"]) for o in out if o.name == Event.DEADLINE_SET} == {
        ("c-1:FIRST_RESPONSE:2", "kemenkes"), ("c-1:FOLLOW_UP:2", "kemenkes")}
    tracked.apply(story.acknowledged(wita(8), "kemenkes"), story.follow_up_posted(wita(8), "kemenkes"))
    assert deadlines_set(tracked.outputs[-1:]) == [("CLOSURE", "STARTED", end_of(22))]
    assert deadlines_set(tracked.apply(story.information_added(wita(9)))) == [
        ("FOLLOW_UP", "RESTARTED", end_of(16))]


def test_the_same_event_on_the_same_clocks_announces_the_same_event_ids():
    tracked, story = dispositioned_complaint()
    request = story.information_requested(wita(7, 9))
    first = tracker().apply(tracked.complaint, tracked.deadlines, *request)
    again = tracker().apply(tracked.complaint, tracked.deadlines, *request)
    assert first.outputs == again.outputs and len(first.outputs) == 2


def test_a_complaint_nobody_answers_is_warned_breached_and_escalated_once_per_level():
    tracked, _ = dispositioned_complaint()
    assert tracked.fire(wita(7, 23)) == []
    warned = tracked.fire(end_of(7))  # one working day before the Thursday deadline
    assert [(n, o.record["stage"]) for n, o in zip(names(warned), warned)] == [("DeadlineWarning", "FIRST_RESPONSE")]
    assert warned[0].record["due_at"] == end_of(8) and warned[0].record["agency"] == "pemkab-74-04"
    assert tracked.fire(end_of(7)) == []

    breached = tracked.fire(wita(9, 0))  # Friday 00:00: the first millisecond after the deadline
    assert names(breached) == ["DeadlineBreached", "ComplaintEscalated"]
    assert breached[1].record["to_agency"] == "pemkab-74-04" and breached[1].record["level"] == "AGENCY_COORDINATOR"
    assert tracked.fire(wita(9, 12)) == []

    chain = [step.agency.code for step in tracker().directory.escalation_chain(DINKES)]
    assert chain == ["pemkab-74-04", "pemprov-74", "lapor-admin", "ombudsman"]
    # each further period of three working days climbs one level; the follow-up clock runs its own course
    later = [o for o in tracked.fire(wita(14, 0)) if o.record["stage"] == "FIRST_RESPONSE"]
    assert [(o.record["to_agency"], o.record["level"]) for o in later] == [("pemprov-74", "AGENCY_COORDINATOR")]
    tracked.fire(wita(30, 0))
    tracked.fire(wita(30, 0, month=12))
    escalated = [o.record for o in tracked.outputs
                 if o.name == Event.ESCALATED and o.record["stage"] == "FIRST_RESPONSE"]
    assert [e["to_agency"] for e in escalated] == chain
    assert [e["level"] for e in escalated] == ["AGENCY_COORDINATOR", "AGENCY_COORDINATOR", "NATIONAL_ADMIN",
                                               "OMBUDSMAN"]
    ids = [o.record["header"]["event_id"] for o in tracked.outputs]
    assert len(ids) == len(set(ids))
    assert tracker().alarm_at(tracked.deadline(Stage.FIRST_RESPONSE)) is None


def test_escalation_steps_are_one_policy_period_apart():
    tracked, _ = dispositioned_complaint()
    first = tracked.deadline(Stage.FIRST_RESPONSE)
    steps = [tracker().escalation_at(first, step) for step in range(4)]
    assert steps == [wita(9, 0), wita(14, 0), wita(17, 0), wita(22, 0)]


def test_a_complaint_answered_in_time_is_never_warned():
    tracked, story = dispositioned_complaint()
    tracked.apply(story.acknowledged(wita(6)), story.follow_up_posted(wita(7)))
    assert tracked.fire(end_of(7) + timedelta(hours=1)) == []
    completed = [o.record for o in tracked.outputs if o.name == Event.STAGE_COMPLETED]
    assert [(c["stage"], c["on_time"]) for c in completed] == [
        ("VERIFICATION", True), ("FIRST_RESPONSE", True), ("FOLLOW_UP", True)]


def test_a_late_answer_completes_the_stage_late():
    tracked, story = dispositioned_complaint()
    tracked.fire(wita(9, 1))
    [completed] = tracked.apply(story.acknowledged(wita(9, 10)))
    assert completed.record["on_time"] is False and completed.record["due_at"] == end_of(8)
    assert tracker().alarm_at(tracked.deadline(Stage.FIRST_RESPONSE)) is None


def test_a_warning_that_comes_too_late_is_replaced_by_the_breach():
    tracked, _ = dispositioned_complaint()
    fired = tracked.fire(wita(9, 8))
    assert "DeadlineWarning" not in [n for n, o in zip(names(fired), fired) if o.record["stage"] == "FIRST_RESPONSE"]
    assert names(fired)[:2] == ["DeadlineBreached", "ComplaintEscalated"]


def test_waiting_for_the_reporter_moves_the_deadline_by_the_paused_working_time():
    tracked, story = dispositioned_complaint()
    tracked.apply(story.acknowledged(wita(6)))
    tracked.apply(story.information_requested(wita(7, 9)))  # Wednesday
    assert tracked.due(Stage.FOLLOW_UP) is None
    assert tracker().alarm_at(tracked.deadline(Stage.FOLLOW_UP)) is None
    assert tracked.fire(wita(20)) == []  # nothing fires while paused
    tracked.apply(story.information_added(wita(9, 9)))  # Friday: two working days paused
    assert tracked.due(Stage.FOLLOW_UP) == end_of(14)  # Monday 12th + 2 working days
    [follow_up] = completions(tracked.apply(story.follow_up_posted(wita(14, 20))))
    assert follow_up.record["on_time"] is True
    assert follow_up.record["paused_ms"] == 2 * 24 * 3600 * 1000


def test_a_forward_restarts_the_agency_clocks_for_the_new_agency():
    tracked, story = dispositioned_complaint()
    out = completions(tracked.apply(story.forwarded(wita(7)),
                                    story.dispositioned(wita(7), "kemenkes", None, round=2)))
    assert [(o.record["stage"], o.record["agency"], o.record["on_time"]) for o in out] == [
        ("FIRST_RESPONSE", "pemkab-74-04", True), ("FOLLOW_UP", "pemkab-74-04", True)]
    second = tracked.deadline(Stage.FIRST_RESPONSE, round=2)
    assert second.agency == "kemenkes" and tracked.due(Stage.FIRST_RESPONSE, 2) == end_of(12)
    assert tracked.deadline(Stage.FOLLOW_UP, round=2).agency == "kemenkes"
    breached = tracked.fire(wita(13, 0))
    escalated = [o.record for o in breached if o.name == Event.ESCALATED]
    assert [(e["stage"], e["from_agency"], e["to_agency"]) for e in escalated] == [
        ("FIRST_RESPONSE", "kemenkes", "kemenkes")]


def test_an_unanswered_follow_up_closes_the_complaint_instead_of_breaching():
    tracked, story = dispositioned_complaint()
    tracked.apply(story.acknowledged(wita(6)), story.follow_up_posted(wita(7)))
    assert tracked.due(Stage.CLOSURE) == end_of(21)  # ten working days after Wednesday 7th
    assert names(tracked.fire(end_of(20))) == ["DeadlineWarning"]
    [close] = tracked.fire(wita(22, 0))
    assert close.topic == COMMANDS
    assert close.record["reason"] == "NO_REPLY_AFTER_FOLLOW_UP" and close.record["complaint_id"] == "c-1"
    assert tracked.fire(wita(30)) == []
    [completed] = tracked.apply(story.closed(wita(22, 1)))
    assert completed.record["stage"] == "CLOSURE" and completed.record["on_time"] is False


def test_a_reply_to_the_follow_up_stops_closure_and_the_agency_follows_up_again():
    tracked, story = dispositioned_complaint()
    tracked.apply(story.acknowledged(wita(6)), story.follow_up_posted(wita(7)))
    [closure] = completions(tracked.apply(story.information_added(wita(8))))
    assert closure.record["stage"] == "CLOSURE" and closure.record["on_time"] is True
    assert tracked.due(Stage.FOLLOW_UP, round=2) == end_of(15)


def test_a_withdrawn_complaint_stops_every_clock_without_completing_a_stage():
    tracked, story = dispositioned_complaint()
    assert tracked.apply(story.withdrawn(wita(6))) == []
    assert all(not d.running for d in tracked.deadlines.values())
    assert tracked.fire(wita(30, month=11)) == []


def test_a_rejected_report_completes_verification():
    story, tracked = Story(), Tracked()
    tracked.apply(story.submitted(wita(5)))
    [completed] = tracked.apply(story.rejected(wita(6)))
    assert completed.record["stage"] == "VERIFICATION"
    assert tracked.fire(wita(30)) == []


def test_a_reopened_complaint_gets_a_new_follow_up_round():
    tracked, story = dispositioned_complaint()
    tracked.apply(story.acknowledged(wita(6)), story.follow_up_posted(wita(7)))
    out = tracked.apply(story.reopened(wita(8)))
    assert [o.record["stage"] for o in completions(out)] == ["CLOSURE"]
    assert tracked.deadline(Stage.FOLLOW_UP, round=2).running


def test_verification_escalates_from_the_national_admin():
    story, tracked = Story(), Tracked()
    tracked.apply(story.submitted(wita(5)))
    tracked.fire(wita(30, month=11))
    escalated = [o.record for o in tracked.outputs if o.name == Event.ESCALATED]
    assert [(e["to_agency"], e["level"]) for e in escalated] == [("lapor-admin", "NATIONAL_ADMIN"),
                                                                 ("ombudsman", "OMBUDSMAN")]


def test_a_second_submission_and_events_of_unknown_complaints_change_nothing():
    story, tracked = Story(), Tracked()
    assert tracker().apply(None, {}, *story.verified(wita(5))).complaint is None
    tracked.apply(story.submitted(wita(5)))
    again = tracker().apply(tracked.complaint, tracked.deadlines, *story.submitted(wita(6)))
    assert again.changed == {} and again.outputs == []


def test_working_days_skip_national_holidays():
    story, tracked = Story(), Tracked()
    tracked.apply(story.submitted(wita(13, month=8)))  # Thursday before Independence Day (Monday 17 August)
    assert tracked.due(Stage.VERIFICATION) == end_of(19, month=8)  # Fri 14, (Mon 17 off), Tue 18, Wed 19


def test_a_complaint_without_an_official_region_is_timed_in_wib():
    story, tracked = Story(region_code=""), Tracked()
    tracked.apply(story.submitted(wita(5)))
    wib_end = datetime(2026, 10, 8, 23, 59, 59, 999000, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert tracked.due(Stage.VERIFICATION) == wib_end


@pytest.mark.parametrize("stage", list(Stage))
def test_every_stage_but_closure_escalates_up_to_the_ombudsman(stage):
    tracked, _ = dispositioned_complaint()
    assert tracked.complaint is not None
    clock = StageClock.start("c-1", tracker().policy(stage, tracked.complaint), BUTON, wita(5))
    chain = tracker().escalation_chain(Deadline(clock, "kemenkes", None, "cause"))
    expected = [] if stage is Stage.CLOSURE else ["ombudsman"]
    assert [step.agency.code for step in chain][-1:] == expected
