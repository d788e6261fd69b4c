"""Helpers of the channel and intake tests: starting ``channels-http`` and the processes, calling the HTTP API, the
reports and mails to send, and reading what came out (the log, the consumers' offsets, the outboxes)."""

from __future__ import annotations

import json
import mailbox
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path

from aduan.kernel import db, kafka_clients
from aduan.kernel.config import Settings
from aduan.runtime.embedded.process import free_port, port_open
from channels.senders import outbox_path
from schemas import codec
from tests.support import Process, TopicReader, wait_for

SUBMITTED = "id.aduan.ComplaintSubmitted"


def start_http(run_process, settings: Settings) -> str:
    """``channels-http`` on the test's HTTP port; returns its base URL."""
    process = run_process("run", "channels-http", with_settings=settings.with_(metrics_port=free_port()))
    wait_for(lambda: process.proc.poll() is not None or port_open(settings.http_port), 60, "channels-http to listen")
    assert process.proc.poll() is None, process.output()
    return f"http://127.0.0.1:{settings.http_port}"


def start(run_process, settings: Settings, name: str) -> Process:
    """``aduan run NAME`` with its own metrics port."""
    return run_process("run", name, with_settings=settings.with_(metrics_port=free_port()))


def call(url: str, body: object = None, *, headers: dict[str, str] | None = None, data: bytes | None = None,
         content_type: str = "application/json") -> tuple[int, dict]:
    """POST (or GET without a body) and return ``(status, JSON answer)``."""
    payload = data if data is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=payload, headers={"Content-Type": content_type, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def run_to_end(run_process, *args: str) -> str:
    """Run an ``aduan`` command to its end; returns its output."""
    process = run_process(*args)
    output = process.wait(120)
    return output


def submitted(messages: list) -> dict[str, dict]:
    """The ComplaintSubmitted events among ``messages``, by complaint id (fails on a complaint submitted twice)."""
    events: dict[str, dict] = {}
    for decoded in (codec().decode(m.value) for m in messages):
        if decoded.name == SUBMITTED:
            cid = decoded.record["header"]["complaint_id"]
            assert cid not in events, f"complaint {cid} submitted twice"
            events[cid] = decoded.record
    return events


def wait_until_consumed(settings: Settings, consumer: str, topic: TopicReader, timeout: float = 60) -> None:
    """Wait until ``consumer`` recorded in PostgreSQL that it handled every message ``topic`` has shown so far."""
    wanted: dict[int, int] = {}
    for m in topic.poll():
        wanted[m.partition] = max(wanted.get(m.partition, 0), m.offset + 1)

    def done() -> bool:
        with db.connect(settings) as conn, conn.cursor() as cur:
            cur.execute("SELECT partition, next_offset FROM consumer_offsets WHERE consumer = %s AND topic = %s",
                        (consumer, topic.topic))
            got = dict(cur.fetchall())
        return all(got.get(p, 0) >= offset for p, offset in wanted.items())

    wait_for(done, timeout, f"{consumer} to handle {sum(wanted.values())} messages of {topic.topic}")


def read_to_end(settings: Settings, topic: str) -> list:
    """Every message of ``topic`` up to its end (fetch high-water marks), read with a group-less consumer."""
    consumer = kafka_clients.consumer(settings, None, topic)
    messages: list = []

    def at_the_end() -> bool:
        for records in consumer.poll(timeout_ms=200, max_records=10000).values():
            messages.extend(records)
        behind = kafka_clients.lag(consumer)
        return bool(consumer.assignment()) and len(behind) == len(consumer.assignment()) and not any(behind.values())

    try:
        wait_for(at_the_end, 60, f"the end of {topic}")
    finally:
        consumer.close()
    return messages


def outbox(settings: Settings, channel: str) -> list[dict]:
    """The messages the notify process handed to the outbox of ``channel``."""
    path = outbox_path(settings, channel)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def web_report(key: str, **changes) -> dict:
    body = {
        "type": "complaint",
        "title": "Puskesmas tutup pada jam kerja",
        "description": "Puskesmas Pasarwajo tutup pada hari Senin pukul 10 pagi tanpa pemberitahuan.",
        "category": "health",
        "location": {"region": "74.04.11", "coordinates": {"lat": -5.47, "lon": 122.6}, "address": "Jl. Poros"},
        "reporter": {"name": "Budi", "email": "budi@example.id"},
        "privacy": {"anonymous": False, "confidential": False},
        "idempotency_key": key,
    }
    return body | changes


def write_mbox(path: Path, *messages: EmailMessage) -> Path:
    box = mailbox.mbox(path)
    for message in messages:
        box.add(message)
    box.close()
    return path


def mail(message_id: str, subject: str, body: str, sender: str = "Siti <siti@example.id>") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}>"
    message.set_content(body)
    return message
