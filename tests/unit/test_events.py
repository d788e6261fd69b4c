"""Event ids, headers and the event name catalogue."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

import schemas
from aduan.domain.events import Event, event_id, new_header, to_millis


def test_event_id_is_a_uuid_that_a_redelivered_cause_reproduces():
    first = event_id("cmd-1", Event.VERIFIED, 0)
    assert uuid.UUID(first).version == 5
    assert event_id("cmd-1", Event.VERIFIED, 0) == first


@pytest.mark.parametrize(
    "other",
    [("cmd-2", Event.VERIFIED, 0), ("cmd-1", Event.DISPOSITIONED, 0), ("cmd-1", Event.VERIFIED, 1)],
    ids=["other cause", "other event", "other index"],
)
def test_event_id_differs_when_any_part_differs(other):
    assert event_id(*other) != event_id("cmd-1", Event.VERIFIED, 0)


def test_event_names_are_exactly_the_complaint_events_of_the_catalogue():
    complaint_events = {
        name for name in schemas.codec().registry.names() if "header" in _field_names(name)
    }
    assert {e.value for e in Event} == complaint_events


def _field_names(name: str) -> set[str]:
    parsed = schemas.codec().registry.latest(name).parsed
    return {f["name"] for f in parsed.get("fields", [])}


def test_header_reads_back_from_the_log_exactly_as_written():
    occurred = datetime(2024, 3, 4, 16, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))  # WITA
    header = new_header(
        event_id=event_id("cmd-1", Event.WITHDRAWN),
        complaint_id="c-1",
        tracking_id="1916449",
        occurred_at=occurred,
        actor={"kind": "REPORTER", "id": "rep-1", "agency": None},
        correlation_id="corr-1",
        causation_id="cmd-1",
    )
    record = {"header": header, "reason": "sudah diperbaiki"}
    codec = schemas.codec()

    decoded = codec.decode(codec.encode(Event.WITHDRAWN, record))

    assert decoded.record == record
    assert decoded.record["header"]["occurred_at"] == datetime(2024, 3, 4, 8, 30, 15, 123000, tzinfo=timezone.utc)


def test_a_time_without_time_zone_is_refused():
    with pytest.raises(ValueError, match="aware datetime"):
        to_millis(datetime(2024, 3, 4, 9, 0))
