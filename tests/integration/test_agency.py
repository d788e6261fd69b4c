"""The agency side on the real broker: what reaches an inbox (never an anonymous reporter), the client that
delivers each item once, and ``aduan agency``."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from aduan.clients.agency import InboxReader, SeenItems
from aduan.domain.events import Event
from aduan.domain.inbox import INBOX_ITEM, inbox_items
from aduan.kernel import kafka_clients, topics
from aduan.kernel.signing import AgencyKeys
from aduan.kernel.topics import Topics
from aduan.runtime.embedded.process import free_port
from schemas import codec
from tests.support import wait_for
from tests.support.lifecycle import (
    dispatched_agencies,
    publish_submissions,
    run_cli,
    start_lifecycle,
    submitted,
)

IDENTITY = {"name": "Wa Ode Rahmawati", "email": "rahma.wati@example.id", "phone": "+6281398765432",
            "social_handle": "@rahma_bau2"}
SEALED = b"\x01sealed:Wa Ode Rahmawati:+6281398765432"


def raw_inbox(settings, agency: str) -> list[bytes]:
    """The bytes of every message in an agency's inbox topic, up to its end."""
    consumer = kafka_clients.consumer(settings, None, Topics(settings.topic_prefix).agency_inbox(agency))
    values: list[bytes] = []

    def caught_up() -> bool:
        for records in consumer.poll(timeout_ms=200).values():
            values.extend(record.value for record in records)
        assigned = consumer.assignment()
        behind = kafka_clients.lag(consumer, assigned)
        return bool(assigned) and len(behind) == len(assigned) and not any(behind.values())

    wait_for(caught_up, 60, f"the end of {agency}'s inbox")
    consumer.close()
    return values


@pytest.mark.usefixtures("small_directory")
def test_an_anonymous_report_reaches_the_agency_without_the_reporters_identity(settings, shared_topics,
                                                                                 run_process, monkeypatch):
    start_lifecycle(run_process, settings, auto_verify=True, monkeypatch=monkeypatch)
    run_process("run", "dispatcher", with_settings=settings.with_(metrics_port=free_port()))
    # A faulty channel that left the identity in clear next to the sealed one: the dispatcher must still drop it.
    anonymous = submitted("village-funds", "74.72.01", anonymous=True, reporter=IDENTITY, reporter_sealed=SEALED)
    named = submitted("village-funds", "74.72.01", reporter=IDENTITY)
    publish_submissions(settings, [anonymous, named])
    ids = [anonymous["header"]["complaint_id"], named["header"]["complaint_id"]]
    wait_for(lambda: all(dispatched_agencies(settings).get(cid) for cid in ids), 60, "both reports dispatched")

    for agency in ("pemkot-74-72", "kemendes"):  # the handler and the agency with a copy
        raw = raw_inbox(settings, agency)
        items = {codec().decode(value).record["complaint_id"]: (value, codec().decode(value).record) for value in raw}
        value, item = items[ids[0]]
        assert item["anonymous"] and item["reporter"] is None
        for secret in [*IDENTITY.values(), "Rahmawati", "6281398765432", "rahma"]:
            assert secret.encode() not in value, (agency, secret)
        assert SEALED not in value and b"sealed:" not in value
        assert item["title"] == anonymous["title"] and item["description"] == anonymous["description"]
        assert items[ids[1]][1]["reporter"] == IDENTITY  # a report that is not anonymous keeps its contact


def inbox_item(agency: str, number: int) -> dict:
    """The NEW item of a made-up complaint ``c-<number>``, from event ``event-<number>``."""
    record = submitted("health", "74.04")
    record["header"]["complaint_id"] = f"c-{number}"
    dossier, _ = inbox_items(None, Event.SUBMITTED.value, record, follow_up_due=lambda *_: None)
    disposition = {"header": {**record["header"], "event_id": f"event-{number}"}, "agency": agency, "unit": None,
                   "copies": [], "rule_id": "r", "rule_reason": "why", "directory_version": "v", "round": 1}
    _, deliveries = inbox_items(dossier, Event.DISPOSITIONED.value, disposition, follow_up_due=lambda *_: None)
    return deliveries[0].record


def put(settings, agency: str, *items: dict) -> None:
    """Items in an agency's inbox, created as the dispatcher creates it (one partition)."""
    topics.ensure(settings, Topics(settings.topic_prefix).inboxes([agency]))
    publisher = kafka_clients.Publisher(kafka_clients.producer(settings))
    for item in items:
        publisher.send(Topics(settings.topic_prefix).agency_inbox(agency), item["complaint_id"].encode(),
                       codec().encode(INBOX_ITEM, item))
    publisher.flush()
    publisher.close()


def test_the_client_delivers_each_item_once_across_repeats_and_restarts(settings, tmp_path):
    agency = "pemkab-74-04"
    first, second, third = (inbox_item(agency, n) for n in (1, 2, 3))
    put(settings, agency, first, second, first)  # a crash republished the first item

    def delivered() -> list[str]:
        with InboxReader(settings, agency, seen=SeenItems(tmp_path / "seen.sqlite3")) as reader:
            return [item["event_id"] for item in reader.items(follow=False)]

    assert delivered() == ["event-1", "event-2"]
    put(settings, agency, second, third)  # the second again after the client committed it, and a new one
    assert delivered() == ["event-3"]
    assert delivered() == []
    with InboxReader(settings, agency, whole_inbox=True) as everything:
        assert [item["event_id"] for item in everything.items(follow=False)] == ["event-1", "event-2", "event-3"]


def test_aduan_agency_prints_the_inbox_and_the_agencys_key(settings, shared_topics, monkeypatch, capsys):
    agency = "pln"
    item = inbox_item(agency, 1)
    put(settings, agency, item)

    status, out = run_cli(settings, monkeypatch, capsys, "agency", "inbox", agency, "--json")
    assert status == 0
    printed = [json.loads(line) for line in out.splitlines()]
    assert [(p["kind"], p["tracking_id"], p["event_id"]) for p in printed] == [("NEW", item["tracking_id"], "event-1")]
    assert datetime.fromisoformat(printed[0]["submitted_at"]) == item["submitted_at"]
    status, out = run_cli(settings, monkeypatch, capsys, "agency", "inbox", agency)
    assert (status, out) == (0, "")  # read already
    status, out = run_cli(settings, monkeypatch, capsys, "agency", "inbox", agency, "--all")
    assert out.startswith(f"NEW               {item['tracking_id']}") and item["title"] in out

    status, out = run_cli(settings, monkeypatch, capsys, "agency", "key", agency)
    assert out.strip() == AgencyKeys(settings.agency_signing_secret).key(agency).hex()
    assert run_cli(settings, monkeypatch, capsys, "agency", "key", "no-such-agency")[0] == 1

