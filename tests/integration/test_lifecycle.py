"""The lifecycle processor on the real broker and PostgreSQL: admin, agency and reporter commands carried out or
refused with their reason, and two workers that share the complaints and survive a SIGKILL without losing or
doubling a disposition."""

from __future__ import annotations

import urllib.request
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest

from aduan.clients.agency import ActionSender
from aduan.clients.command_sender import CommandSender, await_outcome
from aduan.domain.commands import (
    Acknowledge,
    Actor,
    ActorKind,
    Rate,
    Resolve,
    Verify,
    Withdraw,
)
from aduan.domain.directory import Directory
from aduan.domain.events import Event
from aduan.domain.lifecycle import Status
from aduan.kernel import db, kafka_clients
from aduan.kernel.config import Settings
from aduan.kernel.signing import (
    SIGNED_ACTION,
    AgencyCredential,
    AgencyKeys,
    signed_action,
)
from aduan.kernel.topics import Topics
from aduan.runtime.embedded.process import free_port
from schemas import codec
from schemas.command_wire import encode_command
from streams.lifecycle import DirectoryRoute
from streams.lifecycle_config import load_config
from tests.support import wait_for
from tests.support.lifecycle import (
    NOW,
    REPORTER,
    dispatched_agencies,
    inbox,
    publish_submissions,
    read_to_end,
    run_cli,
    start_lifecycle,
    state_of,
    submitted,
)

# --- helpers ------------------------------------------------------------------------------------------------------


def events_of(settings: Settings, complaint_id: str) -> list[str]:
    """The names of a complaint's events on the log, in order."""
    return [d.name for d in read_to_end(settings, Topics(settings.topic_prefix).complaint_events)
            if d.record["header"]["complaint_id"] == complaint_id]


def statuses(settings: Settings) -> dict[str, str]:
    with db.connect(settings, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT complaint_id, status FROM lifecycle_complaints")
        return dict(cur.fetchall())


def expected_agency(category: str, region_code: str) -> str:
    return DirectoryRoute(Directory.load())(category, region_code, exclude=frozenset()).agency


# --- tests ---------------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("small_directory")
def test_a_complaint_goes_through_verification_the_agency_and_the_reporter(settings, shared_topics, run_process,
                                                                            monkeypatch, capsys):
    start_lifecycle(run_process, settings, auto_verify=False, monkeypatch=monkeypatch)
    run_process("run", "dispatcher", with_settings=settings.with_(metrics_port=free_port()))
    record = submitted("health", "74.04.11")
    publish_submissions(settings, [record])
    complaint_id, tracking_id = record["header"]["complaint_id"], record["header"]["tracking_id"]
    assert wait_for(lambda: state_of(settings, complaint_id), 60, "the submission").status is Status.SUBMITTED

    def cli(*argv: str) -> str:
        status, out = run_cli(settings, monkeypatch, capsys, *argv)
        assert status == 0, out
        assert out.startswith("accepted"), out
        return out

    cli("admin", "verify", tracking_id, "--category", "health", "--region", "74.04.11", "--tag", "puskesmas")
    assert state_of(settings, complaint_id).agency == "pemkab-74-04"
    cli("agency", "act", "pemkab-74-04", "acknowledge", tracking_id, "--note", "Dinkes is checking")
    cli("agency", "act", "pemkab-74-04", "request-info", tracking_id, "--question", "Which puskesmas?")
    cli("reporter", "add-info", tracking_id, "--text", "Puskesmas Wabula")
    cli("agency", "act", "pemkab-74-04", "follow-up", tracking_id, "--text", "Opening hours restored")
    cli("agency", "act", "pemkab-74-04", "resolve", tracking_id, "--resolution", "Staff added")
    out = cli("reporter", "rate", tracking_id, "5", "--comment", "Fast", "--command-id", "rating-1")
    again = cli("reporter", "rate", tracking_id, "4", "--command-id", "rating-1")  # resent: carried out once
    assert "rating-1" in out and "rating-1" in again

    final = state_of(settings, complaint_id)
    assert (final.status, final.rating, final.tags) == (Status.RESOLVED, 5, ("puskesmas",))
    assert events_of(settings, complaint_id) == [
        Event.SUBMITTED, Event.VERIFIED, Event.DISPOSITIONED, Event.ACKNOWLEDGED, Event.INFORMATION_REQUESTED,
        Event.INFORMATION_ADDED, Event.FOLLOW_UP_POSTED, Event.RESOLVED, Event.RATED]

    wait_for(lambda: len(inbox(settings, "pemkab-74-04")) >= 3, 60, "the agency's inbox items")
    items = inbox(settings, "pemkab-74-04")
    assert [item["kind"] for item in items] == ["NEW", "REPORTER_REPLIED", "RATED"]
    assert items[0]["reporter"] == REPORTER and items[0]["due_stage"] == "FOLLOW_UP"
    assert items[1]["message"] == "Puskesmas Wabula"


def test_refused_commands_are_dead_lettered_with_their_reason_and_change_nothing(settings, shared_topics,
                                                                                run_process, monkeypatch):
    start_lifecycle(run_process, settings, auto_verify=True, monkeypatch=monkeypatch)
    record = submitted("health", "74.04")
    publish_submissions(settings, [record])
    complaint_id = record["header"]["complaint_id"]
    before = wait_for(lambda: state_of(settings, complaint_id), 60, "the auto-verified complaint")
    assert (before.status, before.agency) == (Status.DISPOSITIONED, "pemkab-74-04")

    keys = AgencyKeys(settings.agency_signing_secret)
    common = {"complaint_id": complaint_id, "issued_at": NOW}
    officer = Actor(ActorKind.AGENCY_OFFICER, "budi", "pemkab-74-04")
    intruder = Actor(ActorKind.AGENCY_OFFICER, "eve", "pemkab-74-05")
    handler = ActionSender(settings, AgencyCredential("pemkab-74-04", keys.key("pemkab-74-04")))
    other = ActionSender(settings, AgencyCredential("pemkab-74-05", keys.key("pemkab-74-05")))
    commands = CommandSender(settings)
    actions = kafka_clients.Publisher(kafka_clients.producer(settings))

    handler.send(Resolve(command_id="resolve-too-early", actor=officer, resolution="done", **common))
    other.send(Acknowledge(command_id="not-yours", actor=intruder, **common))
    forged = encode_command(Acknowledge(command_id="forged", actor=officer, **common))
    actions.send(shared_topics.agency_actions, complaint_id.encode(),
                 codec().encode(SIGNED_ACTION, signed_action("pemkab-74-04", AgencyKeys("guess").key("pemkab-74-04"),
                                                             forged)))
    posing = encode_command(Acknowledge(command_id="posing", actor=officer, **common))
    actions.send(shared_topics.agency_actions, complaint_id.encode(),
                 codec().encode(SIGNED_ACTION, signed_action("pemkab-74-05", keys.key("pemkab-74-05"), posing)))
    actions.flush()
    commands.send(Acknowledge(command_id="unsigned", actor=officer, **common))
    commands.send(Verify(command_id="verify-again", actor=Actor(ActorKind.ADMIN, "adm"), category="health",
                         region_code="74.05", **common))
    commands.send(Withdraw(command_id="wrong-reporter", actor=Actor(ActorKind.REPORTER, "someone-else"), **common))
    commands.send(replace(Rate(command_id="unknown", actor=Actor(ActorKind.REPORTER, "x"), rating=1, **common),
                          complaint_id="no-such-complaint"))
    for sender in (handler, other, commands, actions):
        sender.close()

    wait_for(lambda: len(read_to_end(settings, shared_topics.dead_letter)) >= 8, 60, "8 dead letters")
    letters = {_command_id(d.record["original"]): d.record for d in read_to_end(settings, shared_topics.dead_letter)}
    assert {command_id: letter["reason_code"] for command_id, letter in letters.items()} == {
        "resolve-too-early": "illegal_transition", "verify-again": "illegal_transition",
        "not-yours": "forbidden_actor", "posing": "forbidden_actor", "unsigned": "forbidden_actor",
        "wrong-reporter": "forbidden_actor", "forged": "bad_signature", "unknown": "unknown_complaint"}
    assert "is DISPOSITIONED" in letters["resolve-too-early"]["reason"]
    assert "only the handling agency pemkab-74-04" in letters["not-yours"]["reason"]
    assert "signed by agency pemkab-74-05" in letters["posing"]["reason"]
    assert all(letter["processor"] == "lifecycle" for letter in letters.values())
    assert state_of(settings, complaint_id) == before
    assert events_of(settings, complaint_id) == [Event.SUBMITTED, Event.VERIFIED, Event.DISPOSITIONED]


def _command_id(original: bytes) -> str:
    """The command id of a dead-lettered command, signed or not."""
    decoded = codec().decode(original)
    if decoded.name == SIGNED_ACTION:
        decoded = codec().decode(decoded.record["action"])
    return decoded.record["command_id"]


def consumed_log_messages(port: int) -> float:
    """How many log messages the lifecycle worker serving /metrics on ``port`` consumed (0 before it serves)."""
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
    except OSError:
        return 0.0
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith('aduan_messages_consumed_total{processor="lifecycle"')
               and "complaint-events" in line)


@pytest.mark.usefixtures("small_directory")
def test_two_workers_share_the_complaints_and_a_killed_one_neither_loses_nor_doubles_a_disposition(
        settings, shared_topics, run_process, monkeypatch):
    monkeypatch.setenv("ADUAN_AUTO_VERIFY_CHANNELS", "*")
    ports = [free_port(), free_port()]
    workers = [run_process("run", "lifecycle", with_settings=settings.with_(metrics_port=port)) for port in ports]
    run_process("run", "dispatcher", with_settings=settings.with_(metrics_port=free_port()))
    regencies = [r.code for r in Directory.load().regions.children("74")]
    categories = ["health", "education", "transport"]
    records: list[dict[str, Any]] = []

    def submit(count: int) -> None:
        batch = [submitted(categories[(len(records) + i) % 3], regencies[(len(records) + i) % len(regencies)])
                 for i in range(count)]
        publish_submissions(settings, batch)
        records.extend(batch)

    # Both workers own partitions: keep the complaints coming until each has decided some.
    wait_for(lambda: submit(4) or all(consumed_log_messages(port) > 0 for port in ports), 90,
             "both lifecycle workers consuming")
    for chunk in range(12):
        submit(25)
        if chunk == 4:
            workers[0].kill()  # SIGKILL: no clean shutdown, whatever it held in flight is lost
    ids = {r["header"]["complaint_id"] for r in records}
    wait_for(lambda: sum(1 for cid, s in statuses(settings).items() if cid in ids and s == "DISPOSITIONED")
             == len(ids), 120, f"{len(ids)} complaints dispositioned")
    wait_for(lambda: sum(1 for cid, a in dispatched_agencies(settings).items() if cid in ids and a) == len(ids), 120,
             "every disposition dispatched")

    dispositions: dict[str, set[str]] = {}
    for decoded in read_to_end(settings, shared_topics.complaint_events):
        if decoded.name == Event.DISPOSITIONED:
            dispositions.setdefault(decoded.record["header"]["complaint_id"], set()).add(
                decoded.record["header"]["event_id"])
    assert {cid: len(event_ids) for cid, event_ids in dispositions.items()} == {cid: 1 for cid in ids}

    expected = {r["header"]["complaint_id"]: expected_agency(r["category"], r["region_code"]) for r in records}
    delivered: Counter[str] = Counter()
    for agency in sorted(set(expected.values())):
        for item in inbox(settings, agency):
            assert item["kind"] == "NEW" and expected[item["complaint_id"]] == agency
            delivered[item["complaint_id"]] += 1
    assert delivered == Counter({cid: 1 for cid in ids})


def test_the_state_survives_a_restart_of_the_lifecycle(settings, shared_topics, run_process, monkeypatch):
    first = start_lifecycle(run_process, settings, auto_verify=True, monkeypatch=monkeypatch)
    record = submitted("education", "74.71")
    publish_submissions(settings, [record])
    complaint_id = record["header"]["complaint_id"]
    assert wait_for(lambda: state_of(settings, complaint_id), 60, "the complaint").agency == "pemkot-74-71"
    first.stop()
    start_lifecycle(run_process, settings, auto_verify=True, monkeypatch=monkeypatch)
    keys = AgencyKeys(settings.agency_signing_secret)
    sender = ActionSender(settings, AgencyCredential("pemkot-74-71", keys.key("pemkot-74-71")))
    sender.send(Acknowledge(command_id="after-restart", complaint_id=complaint_id, actor=sender.officer("ani"),
                            issued_at=NOW))
    sender.close()
    decided = wait_for(lambda: await_outcome(settings, "after-restart", 1), 60, "the acknowledgement's outcome")
    assert decided.accepted, decided
    assert state_of(settings, complaint_id).status is Status.IN_PROGRESS
    assert events_of(settings, complaint_id) == [Event.SUBMITTED, Event.VERIFIED, Event.DISPOSITIONED,
                                                 Event.ACKNOWLEDGED]


def test_auto_verify_is_off_unless_configured_and_star_means_every_channel(tmp_path):
    assert load_config({}).auto_verify_channels == frozenset() and load_config({}).auto_verify_categories == frozenset()
    everything = load_config({"ADUAN_AUTO_VERIFY_CHANNELS": "*"})
    assert {"WEB", "SMS", "EMAIL", "SOCIAL_MEDIA", "MOBILE_APP"} <= everything.auto_verify_channels
    config_file = tmp_path / "lifecycle.yaml"
    config_file.write_text("reopen_window_days: 3\nauto_verify:\n  channels: [SMS]\n  categories: [electricity]\n")
    configured = load_config({"ADUAN_LIFECYCLE_CONFIG": str(config_file)})
    assert (configured.reopen_window.days, configured.auto_verify_channels, configured.auto_verify_categories) == (
        3, frozenset({"SMS"}), frozenset({"electricity"}))
    assert "health" in load_config({"ADUAN_AUTO_VERIFY_CATEGORIES": "*"}).auto_verify_categories
    with pytest.raises(ValueError, match="FAX"):
        load_config({"ADUAN_AUTO_VERIFY_CHANNELS": "FAX"})
