"""The one converter (aduan.domain.records): forms stored by the code before it load and are written back unchanged."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from aduan.domain.command_records import COMMAND_TYPES, command_from_record
from aduan.domain.commands import Verify
from aduan.domain.inbox import Dossier
from aduan.domain.lifecycle import ComplaintState, Status
from aduan.domain.records import DOCUMENTS, RECORDS
from schemas import codec
from schemas.command_wire import encode_command
from tests.golden.write_missing import golden_path

# Written by the hand-written converters this one replaced (state_to_json, Dossier.to_json).
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
