"""Every channel, end to end on the real broker and PostgreSQL: a report comes out as exactly one ComplaintSubmitted
with the right fields, and the reporter's reply reaches the channel's outbox."""

from __future__ import annotations

from aduan.kernel.privacy import Sealer
from schemas import codec
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
