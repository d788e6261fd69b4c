"""Agency keys and signed actions: only the agency's key makes an action the lifecycle accepts as that agency's."""

from __future__ import annotations

import stat
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from aduan.domain.command_records import (
    COMMAND_TYPES,
    command_from_record,
    command_record,
)
from aduan.domain.commands import (
    Acknowledge,
    Actor,
    ActorKind,
    AddInformation,
    Close,
    CloseReason,
    Forward,
    ForwardReason,
    PostFollowUp,
    Postpone,
    Rate,
    Reject,
    RejectionReason,
    Reopen,
    ReportType,
    RequestInformation,
    Resolve,
    Verify,
    Withdraw,
)
from aduan.kernel.config import Settings
from aduan.kernel.signing import (
    SECRET_FILE,
    SIGNED_ACTION,
    AgencyCredential,
    AgencyKeys,
    is_authentic,
    master_secret,
    signed_action,
)
from aduan.kernel.stream_message import Message
from aduan.kernel.topics import Topics
from schemas import codec
from schemas.command_wire import encode_command
from streams.lifecycle import Incoming, Unacceptable, read

AT = datetime(2026, 3, 2, 1, 30, 15, 123000, tzinfo=timezone.utc)
NAMES = Topics("unit")
KEYS = AgencyKeys("master-secret-for-tests")


def officer(agency: str) -> Actor:
    return Actor(ActorKind.AGENCY_OFFICER, "budi", agency)


def acknowledge(agency: str = "pemkab-74-04", complaint_id: str = "c-1") -> Acknowledge:
    return Acknowledge(command_id="cmd-1", complaint_id=complaint_id, actor=officer(agency), issued_at=AT, note="ok")


def envelope_message(envelope: dict, *, key: bytes = b"c-1", topic: str = NAMES.agency_actions) -> Message:
    return Message(topic, 0, 7, key, codec().encode(SIGNED_ACTION, envelope))


def signed_by(agency: str, command: Acknowledge, keys: AgencyKeys = KEYS) -> dict:
    return signed_action(agency, keys.key(agency), encode_command(command))


# --- keys -------------------------------------------------------------------------------------------------------


def test_each_agency_has_its_own_key_that_only_the_master_secret_determines() -> None:
    assert KEYS.key("pemkab-74-04") == AgencyKeys("master-secret-for-tests").key("pemkab-74-04")
    assert KEYS.key("pemkab-74-04") != KEYS.key("pemkab-74-05")
    assert KEYS.key("pemkab-74-04") != AgencyKeys("another-master").key("pemkab-74-04")
    assert len(KEYS.key("kemenkes")) == 32


def test_without_a_configured_secret_one_is_made_once_and_readable_only_by_its_owner(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    first = master_secret(settings)
    assert master_secret(settings) == first
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600
    assert master_secret(settings.with_(agency_signing_secret="configured")) == "configured"


def test_an_empty_master_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="ADUAN_AGENCY_SIGNING_SECRET"):
        AgencyKeys("")


def test_an_agency_client_takes_its_key_from_a_file_or_the_environment(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(home=tmp_path, agency_signing_secret="master-secret-for-tests")
    key_file = tmp_path / "key"
    key_file.write_text(KEYS.key("pln").hex() + "\n")
    assert AgencyCredential.resolve("pln", settings, key_file).key == KEYS.key("pln")
    monkeypatch.setenv("ADUAN_AGENCY_KEY", KEYS.key("ojk").hex())
    assert AgencyCredential.resolve("ojk", settings).key == KEYS.key("ojk")
    monkeypatch.delenv("ADUAN_AGENCY_KEY")
    assert AgencyCredential.resolve("pln", settings).key == KEYS.key("pln")
    key_file.write_text("not hex")
    with pytest.raises(ValueError, match="aduan agency key pln"):
        AgencyCredential.resolve("pln", settings, key_file)


# --- signatures ---------------------------------------------------------------------------------------------------


def test_a_signature_holds_only_for_the_exact_action_and_the_signing_agency() -> None:
    envelope = signed_by("pemkab-74-04", acknowledge())
    assert is_authentic(KEYS, envelope)
    assert not is_authentic(KEYS, {**envelope, "agency": "pemkab-74-05"})
    tampered = encode_command(replace(acknowledge(), note="changed"))
    assert not is_authentic(KEYS, {**envelope, "action": tampered})
    assert not is_authentic(AgencyKeys("another-master"), envelope)


def test_the_lifecycle_takes_a_genuine_signed_action() -> None:
    item = read(envelope_message(signed_by("pemkab-74-04", acknowledge())), NAMES, KEYS)
    assert isinstance(item, Incoming)
    assert item.command == acknowledge()


def test_a_forged_signature_is_refused_as_bad_signature() -> None:
    forger = AgencyKeys("a-guessed-master")
    item = read(envelope_message(signed_by("pemkab-74-04", acknowledge(), forger)), NAMES, KEYS)
    assert isinstance(item, Unacceptable) and item.code == "bad_signature"


def test_an_agency_cannot_act_as_another_by_naming_it_in_the_body() -> None:
    """Signed with its own key, agency 74-05 claims to act for 74-04 inside the action."""
    envelope = signed_action("pemkab-74-05", KEYS.key("pemkab-74-05"), encode_command(acknowledge("pemkab-74-04")))
    item = read(envelope_message(envelope), NAMES, KEYS)
    assert isinstance(item, Unacceptable) and item.code == "forbidden_actor"
    assert "pemkab-74-05" in item.reason and "pemkab-74-04" in item.reason


def test_an_unsigned_action_on_the_agency_topic_is_refused() -> None:
    message = Message(NAMES.agency_actions, 0, 1, b"c-1", encode_command(acknowledge()))
    item = read(message, NAMES, KEYS)
    assert isinstance(item, Unacceptable) and item.code == "bad_signature"


def test_an_agency_action_on_the_unsigned_commands_topic_is_refused() -> None:
    message = Message(NAMES.commands, 0, 1, b"c-1", encode_command(acknowledge()))
    item = read(message, NAMES, KEYS)
    assert isinstance(item, Unacceptable) and item.code == "forbidden_actor"
    assert NAMES.agency_actions in item.reason


def test_an_action_keyed_by_something_else_than_its_complaint_is_refused() -> None:
    item = read(envelope_message(signed_by("pemkab-74-04", acknowledge()), key=b"c-2"), NAMES, KEYS)
    assert isinstance(item, Unacceptable) and item.code == "invalid_command"


# --- the wire format of every command ----------------------------------------------------------------------------


def every_command() -> list:
    admin = Actor(ActorKind.ADMIN, "admin-1")
    reporter = Actor(ActorKind.REPORTER, "ref-1")
    agency = officer("pemkab-74-04")
    common = {"complaint_id": "c-1", "issued_at": AT}
    return [
        Verify(command_id="1", actor=admin, category="health", region_code="74.04",
               report_type=ReportType.ASPIRATION, tags=("puskesmas", "staff"), **common),
        Postpone(command_id="2", actor=admin, note="photo", until=AT, **common),
        Reject(command_id="3", actor=admin, reason=RejectionReason.DUPLICATE, duplicate_of="LPR-1", **common),
        Acknowledge(command_id="4", actor=agency, note=None, **common),
        RequestInformation(command_id="5", actor=agency, question="Which one?", **common),
        PostFollowUp(command_id="6", actor=agency, text="Done", **common),
        Forward(command_id="7", actor=agency, reason=ForwardReason.WRONG_REGION, suggested_agency="kemenkes",
                suggested_category="health.insurance", suggested_region="74.05", note="n", **common),
        Resolve(command_id="8", actor=agency, resolution="Fixed", **common),
        AddInformation(command_id="9", actor=reporter, text="More", **common),
        Rate(command_id="10", actor=reporter, rating=4, comment="good", **common),
        Reopen(command_id="11", actor=reporter, reason="Broken again", **common),
        Withdraw(command_id="12", actor=reporter, reason=None, **common),
        Close(command_id="13", actor=Actor(ActorKind.SYSTEM, "deadlines"), reason=CloseReason.NO_REPLY_AFTER_FOLLOW_UP,
              note="no reply", **common),
    ]


def test_every_command_has_a_wire_schema_and_comes_back_unchanged() -> None:
    commands = every_command()
    assert {type(c) for c in commands} == set(COMMAND_TYPES.values())
    for command in commands:
        decoded = codec().decode(encode_command(command))
        assert decoded.name == command_record(command)[0]
        assert command_from_record(decoded.name, decoded.record) == command


def test_the_deadline_processors_close_record_is_a_close_command() -> None:
    record = {"command_id": "x", "complaint_id": "c-1", "actor": {"kind": "SYSTEM", "id": "deadlines", "agency": None},
              "issued_at": AT, "reason": "NO_REPLY_AFTER_FOLLOW_UP", "note": "no reply by the closure deadline"}
    decoded = codec().decode(codec().encode("id.aduan.command.Close", record))
    command = command_from_record(decoded.name, decoded.record)
    assert isinstance(command, Close) and command.reason is CloseReason.NO_REPLY_AFTER_FOLLOW_UP
