"""The OPEN311 channel symbol (id.aduan.Channel, second versions of the four types that carry it): older readers
read it as the enum's default, and every first-version sample still decodes with the current readers."""

from __future__ import annotations

import io

import pytest
from fastavro import schemaless_reader

from schemas import codec
from tests.golden.write_missing import golden_path
from tests.samples import sample

CARRIERS = ["id.aduan.ComplaintSubmitted", "id.aduan.intake.Report", "id.aduan.ReporterNotification",
            "id.aduan.agency.InboxItem"]


def _versions(name: str) -> list:
    return [s for s in codec().registry.subjects() if s.name == name]


@pytest.mark.parametrize("name", CARRIERS)
def test_a_reader_of_the_first_version_reads_open311_as_other(name):
    old, new = _versions(name)[0], codec().registry.latest(name)
    record = sample(new.parsed) | {"channel": "OPEN311"}
    data = codec().encode(name, record)
    body = io.BytesIO(data[5:])
    assert schemaless_reader(body, new.parsed, old.parsed)["channel"] == "OTHER"
    assert codec().decode(data).record["channel"] == "OPEN311"


@pytest.mark.parametrize("name", CARRIERS)
def test_first_version_bytes_still_decode_unchanged(name):
    old = _versions(name)[0]
    assert old.version == 1 and codec().registry.latest(name).version == 2
    decoded = codec().decode(golden_path(old.id, name, 1).read_bytes())
    assert decoded.schema_id == old.id and decoded.record == sample(old.parsed)


def test_an_open311_reporter_is_answered_by_email_or_sms_and_one_without_a_contact_not_at_all():
    from aduan.domain.replies import reply_address

    assert reply_address("OPEN311", {"email": "a@b.id", "phone": "+6281234567890"}) == ("EMAIL", "a@b.id")
    assert reply_address("OPEN311", {"email": None, "phone": "+6281234567890"}) == ("SMS", "+6281234567890")
    assert reply_address("OPEN311", {"email": None, "phone": None}) is None


def test_open311_is_a_channel_the_lifecycle_can_verify_automatically():
    from streams.lifecycle_config import load_config

    config = load_config({"ADUAN_AUTO_VERIFY_CHANNELS": "OPEN311"})
    assert config.auto_verify_channels == frozenset({"OPEN311"})


def test_a_notification_to_an_anonymous_open311_reporter_is_encoded_and_routed_by_the_sealed_identity():
    from datetime import datetime, timezone

    from aduan.domain.replies import (
        REJECTED_INPUT,
        REPORTER_NOTIFICATION,
        notification,
        reply_address,
    )
    from aduan.kernel.privacy import Sealer

    sealer = Sealer("unit-test sealing key")
    identity = {"name": "Siti", "email": "siti@example.id", "phone": None, "social_handle": None}
    record = notification(kind=REJECTED_INPUT, cause="OPEN311:fms:abc", channel="OPEN311", reporter=None,
                          reporter_sealed=sealer.seal(identity), text="Laporan Anda belum dapat kami terima",
                          created_at=datetime(2026, 12, 1, tzinfo=timezone.utc))
    decoded = codec().decode(codec().encode(REPORTER_NOTIFICATION, record)).record
    assert (decoded["channel"], decoded["address"]) == ("OPEN311", None)
    assert reply_address(decoded["channel"], sealer.unseal(decoded["reporter_sealed"])) == ("EMAIL",
                                                                                            "siti@example.id")
