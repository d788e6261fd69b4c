"""What reaches which agency inbox, and that an anonymous reporter's identity never does."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from aduan.domain.calendar import WorkingCalendar
from aduan.domain.deadlines import DeadlinePolicies
from aduan.domain.events import Event, event_id, new_header
from aduan.domain.inbox import INBOX_ITEM, Dossier, inbox_items
from aduan.domain.records import DOCUMENTS
from schemas import codec
from streams.dispatcher import FollowUpDeadlines

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 WITA
REPORTER = {"name": "Wa Ode Sitti", "email": "sitti@example.id", "phone": "+6281234567890", "social_handle": "@sitti"}
SEALED = b"\x01SEALED-IDENTITY-BLOB"


def no_due(dossier: Dossier, agency: str, at: datetime) -> None:
    return None


def header(name: Event, n: int, actor_kind: str = "SYSTEM") -> dict[str, Any]:
    return new_header(event_id=event_id("cause", name, n), complaint_id="c-1", tracking_id="LPR-TEST1",
                      occurred_at=T0 + timedelta(hours=n), actor={"kind": actor_kind, "id": "x", "agency": None},
                      correlation_id="c-1", causation_id="cause")


def submitted(*, anonymous: bool, reporter: dict | None = REPORTER) -> dict[str, Any]:
    return {
        "header": header(Event.SUBMITTED, 0, "REPORTER"), "report_type": "COMPLAINT", "channel": "SMS",
        "channel_message_id": "sms-1", "title": "Puskesmas tutup", "description": "Puskesmas Pasarwajo closed at 10",
        "category": "health", "region_code": "74.04", "coordinates": {"lat": -5.5, "lon": 122.8},
        "address": "Pasarwajo", "attachments": [{"url": "https://x/1.jpg", "sha256": None, "name": "1.jpg"}],
        "privacy": {"anonymous": anonymous, "confidential": False}, "reporter": reporter,
        "reporter_sealed": SEALED if anonymous else None,
    }


def dispositioned(n: int, agency: str, copies: list[str], round_: int = 1) -> dict[str, Any]:
    return {"header": header(Event.DISPOSITIONED, n), "agency": agency, "unit": f"{agency}.dinkes", "copies": copies,
            "rule_id": "default.health.regency", "rule_reason": "category health at regency level",
            "directory_version": "2025.1+abc", "round": round_}


def fold(events: list[tuple[Event, dict]], due=no_due) -> tuple[Dossier | None, list]:
    dossier, deliveries = None, []
    for name, record in events:
        dossier, new = inbox_items(dossier, name.value, record, follow_up_due=due)
        deliveries += new
    return dossier, deliveries


def kinds(deliveries: list) -> list[tuple[str, str]]:
    return [(d.agency, d.record["kind"]) for d in deliveries]


def test_a_disposition_goes_to_the_handling_agency_and_copies_to_the_others() -> None:
    dossier, deliveries = fold([(Event.SUBMITTED, submitted(anonymous=False)),
                                (Event.DISPOSITIONED, dispositioned(1, "pln", ["pemkab-74-04"]))])
    assert kinds(deliveries) == [("pln", "NEW"), ("pemkab-74-04", "COPY")]
    item = deliveries[0].record
    assert (item["tracking_id"], item["title"], item["category"], item["region_code"]) == (
        "LPR-TEST1", "Puskesmas tutup", "health", "74.04")
    assert item["reporter"] == REPORTER
    assert "default.health.regency" in item["routing_reason"] and "2025.1+abc" in item["routing_reason"]
    assert dossier.handling_agency == "pln"


def test_events_before_the_disposition_and_the_agencys_own_actions_reach_no_inbox() -> None:
    _, deliveries = fold([
        (Event.SUBMITTED, submitted(anonymous=False)),
        (Event.POSTPONED, {"header": header(Event.POSTPONED, 1), "note": None, "until": None}),
        (Event.WITHDRAWN, {"header": header(Event.WITHDRAWN, 2), "reason": "solved"}),
    ])
    assert deliveries == []
    _, deliveries = fold([
        (Event.SUBMITTED, submitted(anonymous=False)),
        (Event.DISPOSITIONED, dispositioned(1, "pemkab-74-04", [])),
        (Event.ACKNOWLEDGED, {"header": header(Event.ACKNOWLEDGED, 2), "agency": "pemkab-74-04", "unit": None,
                              "note": None}),
    ])
    assert kinds(deliveries) == [("pemkab-74-04", "NEW")]


def test_a_deadline_set_reaches_no_inbox_and_leaves_the_dossier_as_it_was() -> None:
    dossier, _ = fold([(Event.SUBMITTED, submitted(anonymous=False)),
                       (Event.DISPOSITIONED, dispositioned(1, "pemkab-74-04", []))])
    announced = {"header": header(Event.DEADLINE_SET, 2), "stage": "FIRST_RESPONSE", "agency": "pemkab-74-04",
                 "deadline_id": "c-1:FIRST_RESPONSE:1", "reason": "STARTED", "due_at": T0 + timedelta(days=3),
                 "working_days": 3, "policy_version": "2026.1", "calendar_version": "test"}
    codec().encode(Event.DEADLINE_SET, announced)
    assert inbox_items(dossier, Event.DEADLINE_SET.value, announced, follow_up_due=no_due) == (dossier, [])


def test_later_events_reach_the_handling_agency_and_escalations_the_agency_chasing_it() -> None:
    _, deliveries = fold([
        (Event.SUBMITTED, submitted(anonymous=False)),
        (Event.VERIFIED, {"header": header(Event.VERIFIED, 1), "report_type": "COMPLAINT", "category": "health",
                          "region_code": "74.04.11", "tags": ["staff"], "automatic": False}),
        (Event.DISPOSITIONED, dispositioned(2, "pemkab-74-04", [])),
        (Event.ESCALATED, {"header": header(Event.ESCALATED, 3), "stage": "FIRST_RESPONSE",
                           "from_agency": "pemkab-74-04", "to_agency": "pemprov-74", "level": "AGENCY_COORDINATOR",
                           "deadline_id": "c-1:FIRST_RESPONSE:1"}),
        (Event.INFORMATION_ADDED, {"header": header(Event.INFORMATION_ADDED, 4), "text": "Puskesmas Wabula",
                                   "attachments": []}),
        (Event.DEADLINE_WARNING, {"header": header(Event.DEADLINE_WARNING, 5), "stage": "FOLLOW_UP",
                                  "agency": "pemkab-74-04", "due_at": T0 + timedelta(days=7),
                                  "deadline_id": "c-1:FOLLOW_UP:1"}),
        (Event.REOPENED, {"header": header(Event.REOPENED, 6), "reason": "closed again"}),
        (Event.RATED, {"header": header(Event.RATED, 7), "rating": 2, "comment": "slow"}),
    ])
    assert kinds(deliveries) == [("pemkab-74-04", "NEW"), ("pemprov-74", "ESCALATED"),
                                 ("pemkab-74-04", "REPORTER_REPLIED"), ("pemkab-74-04", "DEADLINE_WARNING"),
                                 ("pemkab-74-04", "REOPENED"), ("pemkab-74-04", "RATED")]
    new, escalated, replied, warning = (d.record for d in deliveries[:4])
    assert (new["region_code"], new["tags"]) == ("74.04.11", ["staff"])
    assert "FIRST_RESPONSE" in escalated["message"] and escalated["handling_agency"] == "pemkab-74-04"
    assert replied["message"] == "Puskesmas Wabula"
    assert (warning["due_stage"], warning["due_at"]) == ("FOLLOW_UP", T0 + timedelta(days=7))
    assert deliveries[-1].record["message"] == "rated 2/5: slow"


def test_a_forward_reaches_the_new_agency_as_forwarded_with_the_suggested_region() -> None:
    _, deliveries = fold([
        (Event.SUBMITTED, submitted(anonymous=False)),
        (Event.DISPOSITIONED, dispositioned(1, "pemkab-74-04", [])),
        (Event.FORWARDED, {"header": header(Event.FORWARDED, 2), "from_agency": "pemkab-74-04",
                           "reason": "WRONG_REGION", "suggested_agency": None, "suggested_category": None,
                           "suggested_region": "74.05", "note": None}),
        (Event.DISPOSITIONED, dispositioned(3, "pemkab-74-05", [], round_=2)),
    ])
    assert kinds(deliveries) == [("pemkab-74-04", "NEW"), ("pemkab-74-05", "FORWARDED")]
    assert (deliveries[1].record["region_code"], deliveries[1].record["round"]) == ("74.05", 2)


def test_a_repeated_event_gives_no_second_item() -> None:
    disposition = dispositioned(1, "pemkab-74-04", ["kemenkes"])
    _, deliveries = fold([(Event.SUBMITTED, submitted(anonymous=False)), (Event.DISPOSITIONED, disposition),
                          (Event.SUBMITTED, submitted(anonymous=False)), (Event.DISPOSITIONED, disposition)])
    assert kinds(deliveries) == [("pemkab-74-04", "NEW"), ("kemenkes", "COPY")]


def test_an_event_of_a_complaint_never_submitted_is_ignored() -> None:
    assert fold([(Event.DISPOSITIONED, dispositioned(1, "pemkab-74-04", []))]) == (None, [])


@pytest.mark.parametrize("reporter", [REPORTER, None])
def test_an_anonymous_reporter_never_reaches_an_inbox_not_even_in_the_bytes(reporter: dict | None) -> None:
    """Even when a faulty channel left the identity in clear, it is dropped before it is kept or sent."""
    dossier, deliveries = fold([(Event.SUBMITTED, submitted(anonymous=True, reporter=reporter)),
                                (Event.DISPOSITIONED, dispositioned(1, "pemkab-74-04", ["kemenkes"]))])
    assert dossier.reporter is None
    assert "SEALED" not in repr(DOCUMENTS.unstructure(dossier))
    assert len(deliveries) == 2
    for delivery in deliveries:
        assert delivery.record["reporter"] is None and delivery.record["anonymous"] is True
        raw = codec().encode(INBOX_ITEM, delivery.record)
        for secret in [*REPORTER.values(), "Sitti", "6281234567890"]:
            assert secret.encode() not in raw
        assert SEALED not in raw and b"SEALED" not in raw


def test_an_erasure_removes_the_contact_and_tells_every_agency_that_had_it() -> None:
    erased = {"header": header(Event.PERSONAL_DATA_ERASED, 3), "requested_by": "reporter", "note": None}
    info = {"header": header(Event.INFORMATION_ADDED, 4), "text": "more", "attachments": []}
    dossier, deliveries = fold([(Event.SUBMITTED, submitted(anonymous=False)),
                                (Event.DISPOSITIONED, dispositioned(1, "pln", ["pemkab-74-04"])),
                                (Event.PERSONAL_DATA_ERASED, erased), (Event.INFORMATION_ADDED, info)])
    assert kinds(deliveries)[2:] == [("pln", "PERSONAL_DATA_ERASED"), ("pemkab-74-04", "PERSONAL_DATA_ERASED"),
                                     ("pln", "REPORTER_REPLIED")]
    assert dossier.reporter is None and deliveries[-1].record["reporter"] is None
    _, anonymous = fold([(Event.SUBMITTED, submitted(anonymous=True)),
                         (Event.DISPOSITIONED, dispositioned(1, "pln", [])), (Event.PERSONAL_DATA_ERASED, erased)])
    assert kinds(anonymous) == [("pln", "NEW")]


def test_a_dossier_survives_its_round_trip_through_json() -> None:
    dossier, _ = fold([(Event.SUBMITTED, submitted(anonymous=False)),
                       (Event.DISPOSITIONED, dispositioned(1, "pln", ["pemkab-74-04"]))])
    assert DOCUMENTS.structure(DOCUMENTS.unstructure(dossier), Dossier) == dossier


def test_a_new_item_says_when_the_follow_up_is_due_in_the_regions_working_days() -> None:
    due = FollowUpDeadlines(DeadlinePolicies.load(), WorkingCalendar.load())
    _, deliveries = fold([(Event.SUBMITTED, submitted(anonymous=False)),
                          (Event.DISPOSITIONED, dispositioned(1, "pemkab-74-04", ["kemenkes"]))], due)
    new, copy = (d.record for d in deliveries)
    assert new["due_stage"] == "FOLLOW_UP"
    # dispositioned Monday 2 March 2026, 09:00 WITA: five working days later is Monday 9 March (WITA, UTC+8)
    assert new["due_at"].astimezone(timezone(timedelta(hours=8))).date().isoformat() == "2026-03-09"
    assert copy["due_at"] is None
