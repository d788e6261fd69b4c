"""Every channel, end to end on the real broker and PostgreSQL: a report comes out as exactly one ComplaintSubmitted
with the right fields, and the reporter's reply reaches the channel's outbox."""

from __future__ import annotations

import json
import mailbox
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path

from aduan import db, kafka
from aduan.config import Settings
from aduan.embedded.process import free_port, port_open
from aduan.privacy import Sealer
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
    consumer = kafka.consumer(settings, None, topic)
    messages: list = []

    def at_the_end() -> bool:
        for records in consumer.poll(timeout_ms=200, max_records=10000).values():
            messages.extend(records)
        behind = kafka.lag(consumer)
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


def test_a_report_through_each_channel_becomes_exactly_one_complaint(settings, shared_topics, run_process, tmp_path):
    base = start_http(run_process, settings)
    start(run_process, settings, "intake")

    status, web = call(f"{base}/api/v1/complaints", web_report("web-report-000001"))
    assert status == 202, web
    status, sms = call(f"{base}/api/v1/sms/inbound", data=b"from=081234567890&message_id=gw-77&text=KENDARI+lampu+"
                       b"jalan+mati+di+depan+pasar", content_type="application/x-www-form-urlencoded")
    assert status == 200 and sms["tracking_id"] and sms["tracking_id"] in sms["reply"], sms
    status, social = call(f"{base}/api/v1/social/mentions", {
        "platform": "x", "mention_id": "1790", "author": {"handle": "@warga", "name": "Warga"},
        "text": "@LAPOR1708 #lapor 74.04 jembatan putus sejak banjir kemarin"})
    assert status == 202 and social["outcome"] == "accepted", social
    mbox = write_mbox(tmp_path / "inbox.mbox", mail("m1@example.id", "Kendari: sampah menumpuk",
                                                    "Sampah menumpuk di pasar sentral selama seminggu."))
    assert "1 messages published" in run_to_end(run_process, "import", "mail", str(mbox))
    csv = tmp_path / "old.csv"
    csv.write_text("id,received_at,type,title,description,region_code,category\n"
                   "L-9,2023-01-05T10:00:00+07:00,aspirasi,Taman kota,Mohon taman kota diperbanyak di Kendari,74.71,\n")
    assert "1 rows published" in run_to_end(run_process, "import", "csv", str(csv))

    intake = TopicReader(settings, shared_topics.intake)
    intake.wait_for_count(5)
    wait_until_consumed(settings, "intake", intake)
    events = submitted(read_to_end(settings, shared_topics.complaint_events))
    by_channel = {event["channel"]: event for event in events.values()}
    assert len(events) == 5 and set(by_channel) == {"WEB", "SMS", "SOCIAL_MEDIA", "EMAIL", "BULK_IMPORT"}

    event = by_channel["WEB"]
    assert event["header"]["tracking_id"] == web["tracking_id"]
    assert event["header"]["complaint_id"] == web["complaint_id"]
    assert (event["category"], event["region_code"]) == ("health", "74.04.11")
    assert event["reporter"]["email"] == "budi@example.id" and event["coordinates"] == {"lat": -5.47, "lon": 122.6}
    event = by_channel["SMS"]
    assert event["header"]["tracking_id"] == sms["tracking_id"] and event["channel_message_id"] == "gw-77"
    assert event["region_code"] == "74.71" and event["reporter"]["phone"] == "+6281234567890"
    event = by_channel["SOCIAL_MEDIA"]
    assert event["header"]["tracking_id"] == social["tracking_id"] and event["region_code"] == "74.04"
    assert event["reporter"]["social_handle"] == "x:@warga" and event["channel_message_id"] == "x:1790"
    event = by_channel["EMAIL"]
    assert (event["channel_message_id"], event["title"], event["region_code"]) == ("m1@example.id",
                                                                                  "sampah menumpuk", "74.71")
    event = by_channel["BULK_IMPORT"]
    assert (event["report_type"], event["channel_message_id"]) == ("ASPIRATION", "L-9")
    assert event["header"]["actor"]["kind"] == "CHANNEL" and event["category"] is None


def test_replies_reach_the_reporter_and_an_anonymous_identity_only_the_sender(settings, shared_topics, run_process,
                                                                              tmp_path):
    base = start_http(run_process, settings)
    start(run_process, settings, "intake")
    start(run_process, settings, "notify")
    status, mention = call(f"{base}/api/v1/social/mentions", {
        "platform": "x", "mention_id": "55", "author": {"handle": "@rahasia_warga"},
        "text": "#lapor #anonim Kota Kendari pungutan liar di kantor kelurahan"})
    assert status == 202, mention
    mbox = write_mbox(tmp_path / "in.mbox", mail("m2@example.id", "Air PDAM mati", "Air PDAM mati tiga hari di Buton."))
    run_to_end(run_process, "import", "mail", str(mbox))

    social = wait_for(lambda: outbox(settings, "SOCIAL_MEDIA"), 90, "the reply to the social media reporter")
    email = wait_for(lambda: outbox(settings, "EMAIL"), 90, "the reply to the email reporter")
    assert social[0]["address"] == "x:@rahasia_warga" and social[0]["kind"] == "ACCEPTED"
    assert mention["tracking_id"] in social[0]["text"]
    assert email[0]["address"] == "siti@example.id" and email[0]["tracking_id"] in email[0]["text"]

    log = TopicReader(settings, shared_topics.complaint_events)
    events = wait_for(lambda: len(submitted(log.poll())) >= 2 and submitted(log.messages), 60, "both complaints")
    anonymous = next(e for e in events.values() if e["channel"] == "SOCIAL_MEDIA")
    assert anonymous["reporter"] is None and anonymous["privacy"]["anonymous"]
    assert Sealer.from_settings(settings).unseal(anonymous["reporter_sealed"])["social_handle"] == "x:@rahasia_warga"
    notifications = TopicReader(settings, shared_topics.notifications)
    raw = b"".join(m.value for m in notifications.wait_for_count(2))
    assert b"rahasia_warga" not in raw
    assert all(codec().decode(m.value).record["address"] != "x:@rahasia_warga" for m in notifications.messages)
