"""The event catalogue and codec: round trips, golden bytes, backward compatibility, clear decode errors."""

from __future__ import annotations

import io
import json

import pytest
from fastavro import schemaless_reader

from schemas import SCHEMA_DIR, DecodeError, EncodeError, codec
from tests.golden.write_missing import golden_path
from tests.samples import sample

SUBJECTS = codec().registry.subjects()
LATEST = [codec().registry.latest(name) for name in codec().registry.names()]
EVENT_NAMES = [s.name for s in LATEST if 1 <= s.id <= 99]


@pytest.mark.parametrize("subject", LATEST, ids=lambda s: s.name)
def test_every_type_round_trips(subject):
    record = sample(subject.parsed)
    decoded = codec().decode(codec().encode(subject.name, record))
    assert decoded.name == subject.name
    assert decoded.schema_id == subject.id
    assert decoded.record == record


@pytest.mark.parametrize("subject", SUBJECTS, ids=lambda s: f"{s.id}-{s.name}-v{s.version}")
def test_every_registered_version_has_a_golden_sample_that_current_readers_read(subject):
    path = golden_path(subject.id, subject.name, subject.version)
    assert path.exists(), f"no golden sample for {subject.name} v{subject.version}: run python -m tests.golden.write_missing"
    decoded = codec().decode(path.read_bytes())
    assert decoded.name == subject.name
    assert decoded.record == sample(subject.parsed) or subject.version < codec().registry.latest(subject.name).version


@pytest.mark.parametrize("subject", LATEST, ids=lambda s: s.name)
def test_current_schema_still_writes_its_golden_bytes(subject):
    """A schema edited without registering a new version changes these bytes and fails here."""
    golden = golden_path(subject.id, subject.name, subject.version).read_bytes()
    assert codec().encode(subject.name, sample(subject.parsed)) == golden


def test_catalogue_covers_the_whole_life_of_a_complaint():
    expected = {
        "ComplaintSubmitted", "ComplaintVerified", "ComplaintRejected", "ComplaintPostponed",
        "ComplaintDispositioned", "ComplaintForwarded", "ComplaintAcknowledged", "InformationRequested",
        "InformationAdded", "FollowUpPosted", "ComplaintResolved", "ComplaintClosed", "ComplaintReopened",
        "ComplaintRated", "DeadlineWarning", "DeadlineBreached", "ComplaintEscalated", "ComplaintWithdrawn",
        "PersonalDataErased", "StageCompleted",
    }
    assert expected <= {name.rsplit(".", 1)[1] for name in EVENT_NAMES}


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_every_event_carries_the_common_header_and_documents_itself(name):
    schema = json.loads((SCHEMA_DIR / f"{name}.avsc").read_text())
    assert schema["doc"]
    assert schema["fields"][0] == {"name": "header", "type": "id.aduan.EventHeader"}
    header = json.loads((SCHEMA_DIR / "id.aduan.EventHeader.avsc").read_text())
    assert {f["name"] for f in header["fields"]} >= {
        "event_id", "complaint_id", "tracking_id", "occurred_at", "actor", "correlation_id", "causation_id",
        "schema_version"}


def test_a_plain_avro_reader_decodes_the_body_with_the_expanded_schema():
    subject = codec().registry.latest("id.aduan.ComplaintSubmitted")
    data = codec().encode(subject.name, sample(subject.parsed))
    record = schemaless_reader(io.BytesIO(data[5:]), subject.expanded(), None)
    assert record["title"] == "title-value"


@pytest.mark.parametrize(
    "data, code",
    [
        (None, "empty"),
        (b"\x00\x00", "too_short"),
        (b"{\"json\": true}", "bad_magic"),
        (b"\x00\x00\x00\x7f\xff" + b"\x02" * 20, "unknown_schema"),
        (b"\x00\x00\x00\x00\x01" + b"\x02abc", "corrupt"),
        (bytes(range(256)), "unknown_schema"),
        (b"\xff" * 64, "bad_magic"),
    ],
)
def test_bad_bytes_give_one_clear_error(data, code):
    with pytest.raises(DecodeError) as caught:
        codec().decode(data)
    assert caught.value.code == code
    assert caught.value.reason


def test_trailing_bytes_are_refused():
    subject = codec().registry.latest("id.aduan.ComplaintRated")
    data = codec().encode(subject.name, sample(subject.parsed))
    with pytest.raises(DecodeError) as caught:
        codec().decode(data + b"\x00\x01")
    assert caught.value.code == "trailing_bytes"


def test_a_record_that_does_not_fit_names_the_field():
    subject = codec().registry.latest("id.aduan.ComplaintRated")
    record = sample(subject.parsed) | {"rating": "five"}
    with pytest.raises(EncodeError, match="rating"):
        codec().encode(subject.name, record)


def test_an_unknown_type_name_is_refused():
    with pytest.raises(KeyError, match="no schema named"):
        codec().encode("id.aduan.NoSuchEvent", {})
