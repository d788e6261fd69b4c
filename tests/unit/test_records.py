"""The one converter (aduan.domain.records): forms stored by the code before it load and are written back unchanged."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from aduan.domain.command_records import COMMAND_TYPES, command_from_record
from aduan.domain.commands import Verify
from aduan.domain.deadline_tracker import DeadlineTracker
from aduan.domain.deadlines import Stage
from aduan.domain.inbox import Dossier
from aduan.domain.lifecycle import ComplaintState, Status
from aduan.domain.records import DOCUMENTS, RECORDS
from schemas import codec
from schemas.command_wire import encode_command
from streams.deadlines import _DEADLINE_COLUMNS, _deadline, _row
from tests.golden.write_missing import golden_path

# Written by the hand-written converters this one replaced (state_to_json, Dossier.to_json, deadlines._row).
OLD_STATE = (
    '{"complaint_id": "c-1", "tracking_id": "K7Q2M-9XH4D", "correlation_id": "corr-1", "submitted_event_id": "e-1", '
    '"status": "DISPOSITIONED", "report_type": "COMPLAINT", "channel": "WEB", "category": "kesehatan.puskesmas", '
    '"region_code": "74.04", "reporter_ref": "r-1", "anonymous": false, "confidential": true, '
    '"submitted_at": "2025-03-04T05:06:07.123000+00:00", "last_event_at": "2025-03-06T01:00:00+00:00", '
    '"tags": ["puskesmas", "staff"], "agency": "pemkab-74-04", "unit": null, "copies": ["kemenkes"], '
    '"declined_agencies": ["pln"], "routing_round": 2, "personal_data_erased": false, "postponed_until": null, '
    '"follow_up_posted_at": "2025-03-07T02:03:04.005000+00:00", "resolved_at": null, "closed_at": null, '
    '"rating": null, "reopen_count": 1, "events_applied": 7}'
)
OLD_DOSSIER = (
    '{"complaint_id": "c-1", "tracking_id": "K7Q2M-9XH4D", "report_type": "COMPLAINT", "channel": "SMS", '
    '"submitted_at": "2025-03-04T05:06:07.123000+00:00", "title": "Jalan rusak", "description": "Lubang besar", '
    '"category": null, "region_code": "74.04", "address": "Jl. Merdeka 1", '
    '"coordinates": {"latitude": -3.99, "longitude": 122.5}, '
    '"attachments": [{"uri": "s3://a/1.jpg", "media_type": "image/jpeg", "size_bytes": 1200}], '
    '"anonymous": false, "confidential": false, '
    '"reporter": {"name": "Sitti", "phone": "6281234567890", "email": null}, "tags": ["jalan"], '
    '"handling_agency": "pemkab-74-04", "unit": "dinas-pupr", "copies": ["kemenkes"], "round": 1, '
    '"routing_reason": "rule r1", "dispatched": ["e-2", "e-3"]}'
)
OLD_POLICY = ('{"stage": "FOLLOW_UP", "working_days": 5, "warning_lead_days": 1, "restart_on_forward": true, '
              '"grade": null, "levels": ["agency:pemkab-74-04", "default"], "version": "2025-01"}')
OLD_PAUSES = '[["2025-03-05T00:00:00+00:00", "2025-03-06T08:30:00.250000+00:00"]]'
WITA = timezone(timedelta(hours=8))


def jsonb(text: str) -> dict:
    """What psycopg2 gives for a jsonb column: the parsed document, keys in jsonb's order, not the writer's."""
    return dict(sorted(json.loads(text).items(), key=lambda item: (len(item[0]), item[0])))


def test_a_lifecycle_state_stored_by_the_old_code_loads_and_is_written_back_unchanged() -> None:
    state = DOCUMENTS.structure(jsonb(OLD_STATE), ComplaintState)
    assert state.status is Status.DISPOSITIONED and state.tags == ("puskesmas", "staff")
    assert state.follow_up_posted_at == datetime(2025, 3, 7, 2, 3, 4, 5000, tzinfo=timezone.utc)
    assert state.postponed_until is None
    assert json.dumps(DOCUMENTS.unstructure(state)) == OLD_STATE


def test_a_state_stored_before_a_field_existed_gets_its_default() -> None:
    document = jsonb(OLD_STATE)
    del document["reopen_count"], document["declined_agencies"]
    state = DOCUMENTS.structure({**document, "retired_field": 1}, ComplaintState)
    assert state.reopen_count == 0 and state.declined_agencies == ()


def test_a_dossier_stored_by_the_old_code_loads_and_is_written_back_unchanged() -> None:
    dossier = DOCUMENTS.structure(jsonb(OLD_DOSSIER), Dossier)
    assert dossier.submitted_at == datetime(2025, 3, 4, 5, 6, 7, 123000, tzinfo=timezone.utc)
    assert dossier.attachments == ({"uri": "s3://a/1.jpg", "media_type": "image/jpeg", "size_bytes": 1200},)
    assert dossier.dispatched == ("e-2", "e-3")
    assert json.dumps(DOCUMENTS.unstructure(dossier)) == OLD_DOSSIER


def test_a_deadline_row_stored_by_the_old_code_loads_and_is_written_back_unchanged() -> None:
    started = datetime(2025, 3, 4, 13, 6, 7, 123000, tzinfo=WITA)  # timestamptz in the session's time zone
    row = dict(zip(_DEADLINE_COLUMNS, (
        "c-1:FOLLOW_UP:2", "c-1", "FOLLOW_UP", 2, "pemkab-74-04", "dinas-pupr", "74.04", json.loads(OLD_POLICY),
        started, "e-1", json.loads(OLD_PAUSES), None, None, True, False, 1, None, None, 3)))
    deadline = _deadline(row)
    clock = deadline.clock
    assert clock.policy.stage is Stage.FOLLOW_UP and clock.policy.levels == ("agency:pemkab-74-04", "default")
    assert clock.started_at == started and clock.started_at.tzinfo is timezone.utc
    assert clock.pauses == ((datetime(2025, 3, 5, tzinfo=timezone.utc),
                             datetime(2025, 3, 6, 8, 30, 0, 250000, tzinfo=timezone.utc)),)
    assert (deadline.agency, deadline.unit, deadline.started_by, deadline.escalations) == (
        "pemkab-74-04", "dinas-pupr", "e-1", 1)
    written = dict(zip(_DEADLINE_COLUMNS, _row(deadline, DeadlineTracker.load(), 3)))
    assert (written["policy"], written["pauses"]) == (OLD_POLICY, OLD_PAUSES)
    stored = [name for name in _DEADLINE_COLUMNS if name not in ("policy", "pauses", "due_at", "alarm_at")]
    assert [written[name] for name in stored] == [row[name] for name in stored]


@pytest.mark.parametrize("name", sorted(COMMAND_TYPES))
def test_a_commands_golden_bytes_come_back_byte_for_byte_through_the_dataclass(name: str) -> None:
    subject = codec().registry.latest(name)
    golden = golden_path(subject.id, subject.name, subject.version).read_bytes()
    decoded = codec().decode(golden)
    assert encode_command(command_from_record(decoded.name, decoded.record)) == golden


def test_an_enum_symbol_this_version_lacks_is_a_value_error() -> None:
    record = {"command_id": "1", "complaint_id": "c-1", "actor": {"kind": "ROBOT", "id": "x", "agency": None},
              "issued_at": datetime(2025, 1, 1, tzinfo=timezone.utc), "category": "c", "region_code": "74",
              "report_type": None, "tags": []}
    with pytest.raises(ValueError, match="ROBOT"):
        RECORDS.structure(record, Verify)


def test_a_type_the_converter_cannot_handle_is_named() -> None:
    @dataclass(frozen=True)
    class Odd:
        choice: int | str

    with pytest.raises(TypeError, match=re.escape("int | str")):
        RECORDS.unstructure(Odd(1))
    with pytest.raises(TypeError, match="not a dataclass"):
        DOCUMENTS.structure({}, dict)
