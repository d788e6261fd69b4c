"""The fold from complaint events to status rows, timeline rows and stage completions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from aduan.domain.labels import EVENT_LABELS
from aduan.domain.lifecycle import evolve
from projections.model import (
    REPORTER_COLUMNS,
    STATUS_COLUMNS,
    TIMELINE_COLUMNS,
    ComplaintRow,
    Fold,
)
from tests.support.history import START, History, full_lifecycle


def fold_all(history: History) -> tuple[Fold, list[tuple], list[tuple]]:
    fold = Fold()
    timeline, stages = [], []
    for offset, (name, record) in enumerate(history.decoded()):
        entry, stage = fold.apply(name, record, 0, offset)
        timeline.append(dict(zip(TIMELINE_COLUMNS, entry)))
        if stage:
            stages.append(stage)
    return fold, timeline, stages


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def test_status_follows_the_lifecycle_state_machine_event_by_event() -> None:
    history = History()
    full_lifecycle(history)
    history.submit("74.71").reject()
    history.submit("74.71").verify().disposition("pemkab-74-71").withdraw()
    fold = Fold()
    states: dict = {}
    for offset, ((name, written), (_, read)) in enumerate(zip(history.events, history.decoded())):
        complaint_id = written["header"]["complaint_id"]
        states[complaint_id] = evolve(states.get(complaint_id), name, written)
        fold.apply(name, read, 0, offset)
        assert fold.rows[complaint_id].status == states[complaint_id].status.value, f"after event {offset} {name}"


def test_a_complaint_through_every_event_ends_as_expected() -> None:
    history = History()
    c = full_lifecycle(history)
    fold, timeline, stages = fold_all(history)
    row = fold.rows[c.complaint_id]
    assert (row.status, row.agency, row.unit, row.routing_round, row.forwards) == (
        "RESOLVED", "pemkab-74-04", "pemkab-74-04.dinkes", 2, 1)
    assert (row.region_code, row.regency_code, row.province_code, row.category) == ("74.04", "74.04", "74", "health")
    assert row.reopen_count == 1 and row.closed_at is None and row.resolved_at is not None
    first_ack = next(r for n, r in history.decoded() if n == "id.aduan.ComplaintAcknowledged")["header"]["occurred_at"]
    assert row.acknowledged_at == first_ack
    assert row.rating == 4 and row.missed_deadline and row.escalation_level == "AGENCY_COORDINATOR"
    assert row.deadline_stage is None and row.deadline_due_at is None, "the warned stage completed"
    assert row.personal_data_erased and all(getattr(row, c) is None for c in REPORTER_COLUMNS)
    assert row.events == len(history.events) == len(timeline)
    assert [s[2] for s in stages] == ["VERIFICATION", "FIRST_RESPONSE", "FOLLOW_UP"]
    assert [s[-1] for s in stages] == [True, False, True]


def test_the_timeline_keeps_the_words_but_never_the_reporter_ref() -> None:
    history = History()
    c = history.submit(title="Lampu jalan mati").verify().disposition("pemkab-74-04").acknowledge()
    c.request_information("Di mana tepatnya?").add_information("Depan pasar.")
    _, timeline, _ = fold_all(history)
    assert [t["event"] for t in timeline] == ["ComplaintSubmitted", "ComplaintVerified", "ComplaintDispositioned",
                                              "ComplaintAcknowledged", "InformationRequested", "InformationAdded"]
    assert [t["status"] for t in timeline] == ["SUBMITTED", "SUBMITTED", "DISPOSITIONED", "IN_PROGRESS",
                                               "WAITING_FOR_REPORTER", "IN_PROGRESS"]
    assert timeline[0]["detail"] == "Lampu jalan mati" and timeline[5]["detail"] == "Depan pasar."
    reporter_entries = [t for t in timeline if t["actor_kind"] == "REPORTER"]
    assert reporter_entries and all(t["actor_id"] is None for t in reporter_entries)
    assert timeline[3]["actor_id"] == "officer-3" and timeline[3]["agency"] == "pemkab-74-04"


def test_an_anonymous_reporter_is_never_stored_even_when_an_event_carries_the_identity() -> None:
    history = History()
    history.submit(anonymous=True)
    name, record = history.decoded()[0]
    record["reporter"] = {"name": "Bocor", "email": "bocor@example.id", "phone": "+62800", "social_handle": None}
    fold = Fold()
    fold.apply(name, record, 0, 0)
    row = next(iter(fold.rows.values()))
    assert row.anonymous and (row.reporter_name, row.reporter_email, row.reporter_phone) == (None, None, None)


def test_a_named_reporter_is_kept_until_erased() -> None:
    history = History()
    c = history.submit()
    fold, _, _ = fold_all(history)
    assert (fold.rows[c.complaint_id].reporter_name, fold.rows[c.complaint_id].reporter_ref) == (
        "Budi Santoso", "reporter-ref-1")


def test_escalation_keeps_the_highest_level_and_the_latest_agency() -> None:
    history = History()
    c = history.submit().verify().disposition("pemkab-74-04")
    c.escalate("FOLLOW_UP", "NATIONAL_ADMIN", "lapor-admin").escalate("FIRST_RESPONSE", "AGENCY_COORDINATOR",
                                                                      "pemprov-74")
    fold, _, _ = fold_all(history)
    row = fold.rows[c.complaint_id]
    assert (row.escalation_level, row.escalated_to) == ("NATIONAL_ADMIN", "pemprov-74")


def test_the_current_deadline_comes_from_warnings_and_breaches_and_ends_with_the_stage() -> None:
    history = History()
    due = START + timedelta(days=5)
    c = history.submit().verify().disposition("pemkab-74-04").acknowledge().warn("FOLLOW_UP", due)
    fold, _, _ = fold_all(history)
    row = fold.rows[c.complaint_id]
    assert (row.deadline_stage, row.deadline_due_at, row.deadline_breached, row.missed_deadline) == (
        "FOLLOW_UP", millis(due), False, False)
    c.breach("FOLLOW_UP", due)
    fold, _, _ = fold_all(history)
    assert (fold.rows[c.complaint_id].deadline_breached, fold.rows[c.complaint_id].missed_deadline) == (True, True)
    c.follow_up().complete_stage("FOLLOW_UP", on_time=False)
    fold, _, _ = fold_all(history)
    row = fold.rows[c.complaint_id]
    assert (row.deadline_stage, row.deadline_due_at, row.deadline_breached, row.missed_deadline) == (
        None, None, False, True)


def test_the_current_deadline_is_known_from_the_start_of_the_earliest_open_stage() -> None:
    history = History()
    c = history.submit().set_deadline("VERIFICATION", "STARTED", START + timedelta(days=3))

    def current() -> tuple:
        row = fold_all(history)[0].rows[c.complaint_id]
        return row.deadline_stage, row.deadline_due_at, row.deadline_breached, row.missed_deadline

    assert current() == ("VERIFICATION", millis(START + timedelta(days=3)), False, False)
    c.verify().complete_stage("VERIFICATION", on_time=True).disposition("pemkab-74-04")
    first, follow = START + timedelta(days=4), START + timedelta(days=6)
    c.set_deadline("FIRST_RESPONSE", "STARTED", first).set_deadline("FOLLOW_UP", "STARTED", follow)
    assert current() == ("FIRST_RESPONSE", millis(first), False, False)
    c.warn("FOLLOW_UP", follow)
    assert current() == ("FIRST_RESPONSE", millis(first), False, False), "first response is still owed"
    c.breach("FIRST_RESPONSE", first)
    assert current() == ("FIRST_RESPONSE", millis(first), True, True)
    c.set_deadline("FIRST_RESPONSE", "PAUSED", None).set_deadline("FOLLOW_UP", "PAUSED", None)
    assert current() == ("FIRST_RESPONSE", None, True, True), "a pause keeps the breach"
    later = first + timedelta(days=2)
    c.set_deadline("FIRST_RESPONSE", "RESUMED", later).set_deadline("FOLLOW_UP", "RESUMED", follow)
    assert current() == ("FIRST_RESPONSE", millis(later), True, True)
    c.acknowledge().complete_stage("FIRST_RESPONSE", on_time=False)
    assert current() == ("FOLLOW_UP", millis(follow), False, True)
    c.follow_up().complete_stage("FOLLOW_UP", on_time=True).set_deadline("CLOSURE", "STARTED", follow)
    c.add_information().complete_stage("CLOSURE", on_time=True)
    c.set_deadline("FOLLOW_UP", "RESTARTED", later + timedelta(days=9), round=2)
    assert current() == ("FOLLOW_UP", millis(later + timedelta(days=9)), False, True)
    c.withdraw()
    assert current() == (None, None, False, True)


def test_a_clock_announced_after_the_complaint_ended_opens_no_deadline() -> None:
    history = History()
    c = history.submit().withdraw().set_deadline("VERIFICATION", "STARTED", START + timedelta(days=3))
    c.warn("VERIFICATION", START + timedelta(days=3))
    row = fold_all(history)[0].rows[c.complaint_id]
    assert (row.deadline_stage, row.deadline_due_at, row.open_deadlines) == (None, None, {})


def test_a_deadline_set_is_a_readable_timeline_entry() -> None:
    history = History()
    c = history.submit().verify().disposition("pemkab-74-04")
    c.set_deadline("FIRST_RESPONSE", "STARTED", START + timedelta(days=3))
    _, timeline, _ = fold_all(history)
    entry = timeline[-1]
    assert (entry["event"], entry["stage"], entry["agency"], entry["detail"]) == (
        "DeadlineSet", "FIRST_RESPONSE", "pemkab-74-04", "started")
    assert entry["internal_detail"] == f"{c.complaint_id}:FIRST_RESPONSE:1: 3 working days: policy test"
    assert EVENT_LABELS[entry["event"]] == "Batas waktu ditetapkan"


def test_the_reporters_attachment_urls_are_kept_in_order() -> None:
    history = History()
    c = history.submit(urls=("https://foto.example.id/1.jpg",)).verify().disposition("pemkab-74-04")
    c.add_information(urls=("https://foto.example.id/2.jpg",))
    plain = history.submit()
    fold, _, _ = fold_all(history)
    assert fold.rows[c.complaint_id].attachment_urls == ["https://foto.example.id/1.jpg",
                                                         "https://foto.example.id/2.jpg"]
    assert fold.rows[plain.complaint_id].attachment_urls == []


def test_a_forward_counts_and_moves_the_complaint_to_the_suggested_category_and_region() -> None:
    history = History()
    c = history.submit("74.04").verify("health", "74.04").disposition("pemkab-74-04")
    c.forward("WRONG_REGION", suggested_category="transport", suggested_region="74.71")
    c.disposition("pemkot-74-71")
    fold, _, _ = fold_all(history)
    row = fold.rows[c.complaint_id]
    assert (row.forwards, row.routing_round, row.agency) == (1, 2, "pemkot-74-71")
    assert row.count_key()[1:4] == ("74", "74.71", "transport")


def test_places_and_local_days() -> None:
    history = History()
    late_utc = datetime(2026, 3, 2, 17, 0, tzinfo=timezone.utc)  # 01:00 WITA the next day, 00:00 WIB the next day
    a = history.submit("74.04.11", at=late_utc)
    b = history.submit("31", at=late_utc - timedelta(minutes=1))
    unknown = history.submit("", category=None, at=late_utc)
    fold, _, _ = fold_all(history)
    assert fold.rows[a.complaint_id].count_key() == ("2026-03-03", "74", "74.04", "health", "COMPLAINT", "WEB")
    assert fold.rows[b.complaint_id].count_key() == ("2026-03-02", "31", None, "health", "COMPLAINT", "WEB")
    assert fold.rows[unknown.complaint_id].count_key() == ("2026-03-03", None, None, None, "COMPLAINT", "WEB")


def test_events_of_an_unknown_complaint_go_to_the_timeline_only_and_a_second_submission_changes_nothing() -> None:
    history = History()
    c = history.submit().verify()
    history.repeat(0)
    fold, timeline, _ = fold_all(history)
    assert fold.rows[c.complaint_id].events == 2 and timeline[-1]["status"] == "SUBMITTED"
    orphan = Fold()
    entry, _ = orphan.apply(*history.decoded()[1], 3, 7)
    assert orphan.rows == {} and dict(zip(TIMELINE_COLUMNS, entry))["status"] is None


def test_rows_survive_a_round_trip_through_their_values() -> None:
    history = History()
    c = full_lifecycle(history)
    fold, _, _ = fold_all(history)
    row = fold.rows[c.complaint_id]
    again = ComplaintRow.from_values(row.values())
    assert again.values() == row.values() and len(row.values()) == len(STATUS_COLUMNS)
