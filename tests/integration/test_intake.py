"""The intake processor on the real broker and PostgreSQL: redeliveries make one complaint, across restarts; bad
input of every kind gets a clear answer at the door or a dead letter with its reason, and processing goes on."""

from __future__ import annotations

import urllib.request
from datetime import datetime, timezone

from aduan.domain.tracking import TrackingIds
from aduan.kernel import db, kafka_clients
from aduan.kernel.stream_message import Message
from channels.door import Door
from schemas import codec
from streams.intake import IntakeProcessor
from tests.support import TopicReader, wait_for
from tests.support.channels import (
    call,
    mail,
    outbox,
    read_to_end,
    run_to_end,
    start,
    start_http,
    submitted,
    wait_until_consumed,
    web_report,
    write_mbox,
)


def test_the_same_delivery_three_times_with_a_restart_between_makes_one_complaint(settings, shared_topics,
                                                                                  run_process):
    base = start_http(run_process, settings)
    intake = start(run_process, settings, "intake")
    answers = [call(f"{base}/api/v1/complaints", web_report("same-key-0000001"))]
    log = TopicReader(settings, shared_topics.complaint_events)
    first = wait_for(lambda: submitted(log.poll()), 60, "the first complaint")

    intake.stop()
    by_header = {name: value for name, value in web_report("same-key-0000001").items() if name != "idempotency_key"}
    answers.append(call(f"{base}/api/v1/complaints", by_header, headers={"Idempotency-Key": "same-key-0000001"}))
    answers.append(call(f"{base}/api/v1/complaints", web_report("same-key-0000001")))
    start(run_process, settings, "intake")
    later = call(f"{base}/api/v1/complaints", web_report("a-later-key-00001"))
    intake_topic = TopicReader(settings, shared_topics.intake)
    intake_topic.wait_for_count(4)
    wait_until_consumed(settings, "intake", intake_topic)

    assert [status for status, _ in answers] == [202, 202, 202]
    assert len({answer["tracking_id"] for _, answer in answers}) == 1
    events = submitted(read_to_end(settings, shared_topics.complaint_events))
    assert len(events) == 2 and list(first) == [answers[0][1]["complaint_id"]]
    assert {e["header"]["tracking_id"] for e in events.values()} == {answers[0][1]["tracking_id"],
                                                                    later[1]["tracking_id"]}
    with db.connect(settings) as conn, conn.cursor() as cur:
        cur.execute("SELECT delivery_key, outcome, tracking_id FROM intake_receipts ORDER BY delivery_key")
        assert cur.fetchall() == [("web:a-later-key-00001", "accepted", later[1]["tracking_id"]),
                                  ("web:same-key-0000001", "accepted", answers[0][1]["tracking_id"])]


def test_bad_requests_get_a_clear_answer_and_publish_nothing(settings, shared_topics, run_process):
    base = start_http(run_process, settings)
    url = f"{base}/api/v1/complaints"

    status, answer = call(url, data=b'{"title": "unterminated', content_type="application/json")
    assert status == 400 and answer["errors"][0]["code"] == "bad_json"
    status, answer = call(url, data=b"title=x", content_type="application/x-www-form-urlencoded")
    assert status == 415
    status, answer = call(url, data=b'{"d": "' + b"x" * 300_000 + b'"}', content_type="application/json")
    assert status == 413
    status, answer = call(url, {"type": "complaint"})
    assert status == 422
    assert {e["field"] for e in answer["errors"]} == {"title", "description", "location", "idempotency_key",
                                                      "reporter"}
    status, answer = call(url, web_report("a-bad-report-00001", location={"region": "74.99"}, description="x" * 10_001))
    assert status == 422
    assert {(e["field"], e["code"]) for e in answer["errors"]} == {("location.region", "unknown_region"),
                                                                   ("description", "too_long")}

    sms = f"{base}/api/v1/sms/inbound"
    status, answer = call(sms, {"from": "+6281234567890", "text": "   ", "message_id": "gw-1"})
    assert status == 200 and answer["tracking_id"] is None and answer["reply"].startswith("Format SMS 1708")
    status, answer = call(sms, {"text": "Jalan rusak di Kendari"})
    assert status == 422 and {e["field"] for e in answer["errors"]} == {"from", "message_id"}
    status, answer = call(f"{base}/api/v1/social/mentions", {
        "platform": "x", "mention_id": "1", "author": {"handle": "@a"}, "text": "jalan rusak parah di Kendari"})
    assert (status, answer["outcome"], answer["reason"]) == (200, "ignored", "no_hashtag")

    status, accepted = call(url, web_report("the-only-good-one-1"))
    assert status == 202
    intake = TopicReader(settings, shared_topics.intake)
    assert [m.key for m in intake.wait_for_count(1)] == [b"web:the-only-good-one-1"]
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        text = response.read().decode()
    assert 'aduan_channel_ignored_total{channel="SOCIAL_MEDIA",reason="no_hashtag"} 1.0' in text
    assert 'aduan_channel_ignored_total{channel="SMS",reason="unusable_text"} 1.0' in text


def test_bad_messages_on_the_intake_topic_are_dead_lettered_with_their_reason_and_the_rest_goes_on(
        settings, shared_topics, run_process, tmp_path):
    publisher = kafka_clients.Publisher(kafka_clients.producer(settings))
    publisher.send(shared_topics.intake, b"garbage", b"\xff\xfe\x00 not avro at all")
    door = Door(settings)
    wrong = door.report(channel="WEB", message_id="bypassed-door", received_at=datetime.now(timezone.utc),
                        title="Judul", description="Uraian yang cukup panjang.", region_code="99.99",
                        reporter={"email": "warga@example.id"})
    publisher.send(shared_topics.intake, *door.message(wrong))
    publisher.flush()
    publisher.close()
    oversized = mail("big@example.id", "Kendari: keluhan panjang", "Panjang sekali. " * 1000)
    good = mail("good@example.id", "Kendari: sampah", "Sampah menumpuk di pasar sentral selama seminggu.")
    run_to_end(run_process, "import", "mail", str(write_mbox(tmp_path / "in.mbox", oversized, good)))
    start(run_process, settings, "intake")
    start(run_process, settings, "notify")

    dead = TopicReader(settings, shared_topics.dead_letter)
    records = [codec().decode(m.value).record for m in dead.wait_for_count(3)]
    by_key = {r["source_key"]: r for r in records}
    assert by_key[b"garbage"]["reason_code"] == "undecodable" and by_key[b"garbage"]["original"].startswith(b"\xff\xfe")
    assert by_key[b"web:bypassed-door"]["reason_code"] == "invalid"
    assert "unknown region code '99.99'" in by_key[b"web:bypassed-door"]["reason"]
    assert "at most 10,000 characters" in by_key[b"email:big@example.id"]["reason"]

    log = TopicReader(settings, shared_topics.complaint_events)
    events = wait_for(lambda: submitted(log.poll()), 60, "the good email's complaint")
    assert [e["channel_message_id"] for e in events.values()] == ["good@example.id"]

    lines = wait_for(lambda: len(outbox(settings, "EMAIL")) >= 3 and outbox(settings, "EMAIL"), 60,
                     "three replies by email")
    kinds = {(line["address"], line["kind"]) for line in lines}
    assert kinds == {("warga@example.id", "REJECTED_INPUT"), ("siti@example.id", "REJECTED_INPUT"),
                     ("siti@example.id", "ACCEPTED")}
    rejected = next(line for line in lines if line["address"] == "warga@example.id")
    assert "kode wilayah '99.99' tidak dikenal" in rejected["text"]


class CollidingIds(TrackingIds):
    """Every delivery's first tracking id candidate is the same one."""

    def tracking_id(self, key: str, attempt: int = 0) -> str:
        return super().tracking_id("everyone" if attempt == 0 else key, attempt)


def test_a_tracking_id_collision_gives_the_next_candidate_and_tells_the_reporter(settings, shared_topics):
    ids = CollidingIds("secret")
    door = Door(settings, ids=ids)
    reports = [door.report(channel="WEB", message_id=f"collision-test-{n:04d}", received_at=datetime.now(timezone.utc),
                           title="Jalan rusak", description="Jalan rusak di depan sekolah.", region_code="74.71",
                           reporter={"email": f"warga{n}@example.id"}) for n in range(3)]
    messages = [Message(shared_topics.intake, 0, n, *door.message(report)) for n, report in enumerate(reports)]
    publisher = kafka_clients.Publisher(kafka_clients.producer(settings))
    processor = IntakeProcessor(settings, publisher, ids=ids)
    try:
        processor.handle(messages[:1])
        processor.handle(messages[1:])
        processor.handle(messages[1:] + [Message(shared_topics.intake, 0, 3, *door.message(reports[0]))])
    finally:
        processor.close()
        publisher.close()

    with db.connect(settings) as conn, conn.cursor() as cur:
        cur.execute("SELECT delivery_key, tracking_id, tracking_attempt FROM intake_receipts ORDER BY delivery_key")
        rows = cur.fetchall()
    assert [attempt for _, _, attempt in rows] == [0, 1, 1]
    assert len({tracking for _, tracking, _ in rows}) == 3
    assert rows[0][1] == ids.tracking_id("web:collision-test-0000")
    log = submitted(read_to_end(settings, shared_topics.complaint_events))
    assert {e["header"]["tracking_id"] for e in log.values()} == {tracking for _, tracking, _ in rows}
    told = [codec().decode(m.value).record for m in read_to_end(settings, shared_topics.notifications)]
    assert sorted((n["address"], n["kind"], n["tracking_id"]) for n in told) == [
        ("warga1@example.id", "ACCEPTED", rows[1][1]), ("warga2@example.id", "ACCEPTED", rows[2][1])]
