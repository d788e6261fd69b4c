"""Helpers of the lifecycle, routing, agency and Open311 tests: ComplaintSubmitted records put on the log, the
lifecycle processor and ``aduan`` commands run for a test, and what came out (the log, a complaint's state, the
dispatcher's deliveries, an agency's inbox)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

import pytest

from aduan.cli import main
from aduan.clients.agency import InboxReader
from aduan.domain.events import Event, event_id, new_header
from aduan.domain.lifecycle import ComplaintState
from aduan.kernel import db, kafka_clients
from aduan.kernel.config import Settings
from aduan.kernel.topics import Topics
from aduan.runtime.embedded.process import free_port
from schemas import Decoded, codec
from streams.lifecycle_store import find_state
from tests.support import wait_for

REPORTER = {"name": "La Ode Hamid", "email": "hamid@example.id", "phone": "+6285211112222", "social_handle": None}


NOW = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def submitted(category: str | None, region_code: str, *, anonymous: bool = False, channel: str = "WEB",
              reporter: dict | None = REPORTER, reporter_sealed: bytes | None = None) -> dict[str, Any]:
    """A ComplaintSubmitted record of a new complaint, as intake would write it."""
    complaint_id = str(uuid.uuid4())
    return {
        "header": new_header(event_id=event_id(complaint_id, Event.SUBMITTED), complaint_id=complaint_id,
                             tracking_id=f"LPR-{complaint_id[:8].upper()}", occurred_at=NOW,
                             actor={"kind": "REPORTER", "id": f"ref-{complaint_id[:8]}", "agency": None},
                             correlation_id=complaint_id, causation_id=None),
        "report_type": "COMPLAINT", "channel": channel, "channel_message_id": complaint_id,
        "title": f"{category} in {region_code}", "description": "Pelayanan tidak berjalan sebagaimana mestinya.",
        "category": category, "region_code": region_code, "coordinates": None, "address": None, "attachments": [],
        "privacy": {"anonymous": anonymous, "confidential": False}, "reporter": reporter,
        "reporter_sealed": reporter_sealed,
    }


def publish_submissions(settings: Settings, records: list[dict[str, Any]]) -> None:
    """Put ComplaintSubmitted events on the log, keyed by complaint id."""
    publisher = kafka_clients.Publisher(kafka_clients.producer(settings))
    topic = Topics(settings.topic_prefix).complaint_events
    for record in records:
        publisher.send(topic, record["header"]["complaint_id"].encode(),
                       codec().encode(Event.SUBMITTED.value, record))
    publisher.flush()
    publisher.close()


def read_to_end(settings: Settings, topic: str) -> list[Decoded]:
    """Every message of ``topic`` up to its high-water marks, decoded."""
    consumer = kafka_clients.consumer(settings, None, topic)
    messages: list[Decoded] = []

    def caught_up() -> bool:
        for records in consumer.poll(timeout_ms=200).values():
            messages.extend(codec().decode(record.value) for record in records)
        assigned = consumer.assignment()
        behind = kafka_clients.lag(consumer, assigned)
        return bool(assigned) and len(behind) == len(assigned) and not any(behind.values())

    try:
        wait_for(caught_up, 60, f"the end of {topic}")
    finally:
        consumer.close()
    return messages


def state_of(settings: Settings, complaint_id: str) -> ComplaintState | None:
    with db.connect(settings, autocommit=True) as conn, conn.cursor() as cur:
        return find_state(cur, complaint_id)


def dispatched_agencies(settings: Settings) -> dict[str, str | None]:
    """Complaint id -> the agency the dispatcher last delivered it to (committed, so the items are on the broker)."""
    with db.connect(settings, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT complaint_id, handling_agency FROM dispatch_dossiers")
        return dict(cur.fetchall())


def inbox(settings: Settings, agency: str) -> list[dict[str, Any]]:
    """Every item of an agency's inbox as the agency client delivers it (each event id once)."""
    with InboxReader(settings, agency, whole_inbox=True) as reader:
        return list(reader.items(follow=False))


def run_cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *argv: str
            ) -> tuple[int, str]:
    """``aduan ARGV`` in this process with the test's settings; (exit status, output)."""
    for name, value in settings.to_env().items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    status = main(list(argv))
    return status, capsys.readouterr().out


def start_lifecycle(run_process, settings: Settings, *, auto_verify: bool, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ADUAN_AUTO_VERIFY_CHANNELS", "*" if auto_verify else "")
    return run_process("run", "lifecycle", with_settings=settings.with_(metrics_port=free_port()))
