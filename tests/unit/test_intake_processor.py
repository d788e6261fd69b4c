"""The intake processor's pure parts: checking a message, the ComplaintSubmitted it makes, the replies."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from aduan.domain.events import Event, event_id
from aduan.domain.intake import INTAKE_REPORT, Rules
from aduan.domain.lifecycle import evolve
from aduan.domain.replies import (
    ACCEPTED,
    REJECTED_INPUT,
    notification,
    rejected_text,
    reply_address,
)
from aduan.domain.tracking import TrackingIds, complaint_id
from aduan.kernel.config import Settings
from aduan.kernel.privacy import Sealer
from aduan.kernel.stream_message import Message
from aduan.processing.batch_rule import next_offsets
from channels.door import Door
from schemas import codec
from streams.intake import Refused, Valid, check, complaint_submitted
from tests.samples import sample

NOW = datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc)
RULES = Rules()
IDS = TrackingIds("unit-test secret")
SEALER = Sealer("unit-test sealing key")
DOOR = Door(Settings(home=Path("/nonexistent")), rules=RULES, ids=IDS, sealer=SEALER)


def report(**changes) -> dict:
    fields = dict(channel="WEB", message_id="k-1", received_at=NOW, title="Puskesmas tutup",
                  description="Puskesmas tutup pada jam kerja tanpa pemberitahuan.", region_code="74.04.11",
                  category="health", reporter={"name": "Budi", "email": "budi@example.id"})
    fields.update(changes)
    return DOOR.report(**fields)


def message(value: bytes | None, offset: int = 0) -> Message:
    return Message("p.intake", 0, offset, b"web:k-1", value)


def encoded(record: dict) -> bytes:
    return codec().encode(INTAKE_REPORT, record)


@pytest.mark.parametrize("garbage", [b"\xff\xfe binary garbage", b"", b'{"json": true}', None,
                                     b"\x00\x00\x00\x00\x64" + b"\x99" * 7])
def test_garbage_is_refused_as_undecodable(garbage):
    outcome = check(message(garbage), RULES)
    assert isinstance(outcome, Refused) and outcome.code == "undecodable" and outcome.key is None


def test_another_message_type_on_the_intake_topic_is_refused():
    subject = codec().registry.latest("id.aduan.ComplaintRated")
    outcome = check(message(codec().encode(subject.name, sample(subject.parsed))), RULES)
    assert isinstance(outcome, Refused) and outcome.code == "wrong_type"


def test_a_report_breaking_the_rules_is_refused_with_every_reason_and_an_indonesian_reply():
    outcome = check(message(encoded(report(region_code="99.99", description="x" * 10_001))), RULES)
    assert isinstance(outcome, Refused) and outcome.code == "invalid" and outcome.key == "web:k-1"
    assert "unknown region code '99.99'" in outcome.reason and "at most 10,000 characters" in outcome.reason
    text = rejected_text(outcome.problems)
    assert "kode wilayah" in text and "uraian terlalu panjang" in text


def test_a_valid_report_becomes_a_complaint_submitted_with_derived_ids():
    outcome = check(message(encoded(report())), RULES)
    assert isinstance(outcome, Valid) and outcome.key == "web:k-1"
    tracking = IDS.tracking_id(outcome.key)
    event = complaint_submitted(outcome.report, outcome.key, tracking, IDS, RULES, SEALER)
    header = event["header"]
    assert header["complaint_id"] == complaint_id("web:k-1") and header["tracking_id"] == tracking
    assert header["event_id"] == event_id("web:k-1", Event.SUBMITTED)
    assert header["occurred_at"] == NOW
    assert header["actor"] == {"kind": "REPORTER", "id": IDS.reporter_ref("web:k-1"), "agency": None}
    assert event["category"] == "health" and event["region_code"] == "74.04.11"
    assert event["reporter"]["email"] == "budi@example.id" and event["reporter_sealed"] is None
    codec().encode(Event.SUBMITTED, event)
    state = evolve(None, Event.SUBMITTED, event)
    assert state.tracking_id == tracking and state.reporter_ref == IDS.reporter_ref("web:k-1")


def test_an_anonymous_report_never_carries_the_reporter_in_clear_even_from_a_careless_producer():
    careless = report(anonymous=True) | {"reporter": {"name": "Budi", "email": "budi@example.id", "phone": None,
                                                       "social_handle": None}, "reporter_sealed": None}
    outcome = check(message(encoded(careless)), RULES)
    event = complaint_submitted(outcome.report, outcome.key, "AAAAA-AAAAA", IDS, RULES, SEALER)
    assert event["reporter"] is None
    assert SEALER.unseal(event["reporter_sealed"])["email"] == "budi@example.id"


def test_no_category_no_region_and_a_bulk_import_are_carried_as_the_log_expects():
    historical = report(channel="BULK_IMPORT", category="uncategorised", region_code=None, reporter=None)
    outcome = check(message(encoded(historical)), RULES)
    event = complaint_submitted(outcome.report, outcome.key, "AAAAA-AAAAA", IDS, RULES, SEALER)
    assert event["category"] is None and event["region_code"] == ""
    assert event["header"]["actor"]["kind"] == "CHANNEL"


def test_replies_go_back_the_way_the_report_came():
    budi = {"name": "Budi", "email": "budi@example.id", "phone": "+628123", "social_handle": "x:@budi"}
    assert reply_address("SMS", budi) == ("SMS", "+628123")
    assert reply_address("SOCIAL_MEDIA", budi) == ("SOCIAL_MEDIA", "x:@budi")
    assert reply_address("WEB", budi) == ("EMAIL", "budi@example.id")
    assert reply_address("WEB", budi | {"email": None}) == ("SMS", "+628123")
    assert reply_address("BULK_IMPORT", budi) is None
    sealed = notification(kind=ACCEPTED, cause="sms:1", channel="SMS", reporter=None, reporter_sealed=b"\x01x",
                          text="t", created_at=NOW)
    assert sealed["address"] is None and sealed["channel"] == "SMS"
    again = notification(kind=ACCEPTED, cause="sms:1", channel="SMS", reporter=None, reporter_sealed=b"\x01x",
                         text="t", created_at=NOW)
    assert again["notification_id"] == sealed["notification_id"]
    assert notification(kind=REJECTED_INPUT, cause="web:1", channel="WEB", reporter=None, reporter_sealed=None,
                        text="t", created_at=NOW) is None
    codec().encode("id.aduan.ReporterNotification", sealed)


def test_next_offsets_follow_the_last_message_of_each_partition():
    batch = [Message("t", 0, 5, None, b""), Message("t", 1, 9, None, b""), Message("t", 0, 7, None, b"")]
    assert next_offsets(batch) == [("t", 0, 8), ("t", 1, 10)]
