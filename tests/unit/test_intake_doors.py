"""The doors: what each channel makes of its input, and every refusal with its reason."""

from __future__ import annotations

import mailbox
from datetime import datetime, timezone
from email.message import EmailMessage

import pytest

from aduan.domain.intake import DESCRIPTION_MAX
from aduan.domain.replies import SMS_HELP
from channels.bulk import csv_reads
from channels.mail import mail_reads, read_mail
from channels.region_in_text import region_finder
from channels.sms import read_sms
from channels.social import read_mention
from channels.web import read_complaint

NOW = datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc)


def complaint(**changes) -> dict:
    body = {
        "type": "complaint",
        "title": "Jalan berlubang",
        "description": "Jalan Sultan Hasanuddin berlubang besar sejak sebulan lalu.",
        "category": "infrastructure.roads",
        "location": {"region": "74.04.11", "coordinates": {"lat": -5.47, "lon": 122.6}, "address": "Jl. Sultan"},
        "attachments": [{"url": "https://foto.example/1.jpg", "name": "1.jpg"}],
        "reporter": {"name": "Budi", "email": "budi@example.id", "phone": "0812-3456-7890"},
        "privacy": {"anonymous": False, "confidential": True},
        "idempotency_key": "3f0c2b9e-5d7a-4e1b",
    }
    body.update(changes)
    return body


def test_a_complete_web_report_becomes_an_intake_report(door):
    report, errors = read_complaint(complaint(), None, NOW, door)
    assert errors == []
    assert report["channel"] == "WEB" and report["channel_message_id"] == "3f0c2b9e-5d7a-4e1b"
    assert report["region_code"] == "74.04.11" and report["category"] == "infrastructure.roads"
    assert report["reporter"]["phone"] == "+6281234567890"
    assert report["privacy"] == {"anonymous": False, "confidential": True}
    assert report["coordinates"] == {"lat": -5.47, "lon": 122.6}
    assert door.receipt(report).key == "web:3f0c2b9e-5d7a-4e1b"


def test_every_field_error_is_listed_at_once(door):
    body = complaint(type="keluhan", title=7, description="x" * (DESCRIPTION_MAX + 1), category="weather",
                     location={"region": "99.99"}, reporter={"email": "not-an-address"}, colour="red")
    del body["idempotency_key"]
    report, errors = read_complaint(body, None, NOW, door)
    assert report is None
    fields = {field: code for field, code, _ in errors}
    assert fields == {"type": "enum", "title": "type", "description": "too_long", "category": "unknown_category",
                      "location.region": "unknown_region", "reporter.email": "invalid", "colour": "unknown_field",
                      "idempotency_key": "required"}


def test_the_idempotency_key_comes_from_the_header_or_the_field_but_they_must_agree(door):
    report, _ = read_complaint(complaint(idempotency_key=None), "header-key-000001", NOW, door)
    assert report is None  # a null field is malformed
    body = complaint()
    del body["idempotency_key"]
    assert read_complaint(body, "header-key-000001", NOW, door)[0]["channel_message_id"] == "header-key-000001"
    _, errors = read_complaint(complaint(), "header-key-000002", NOW, door)
    assert [(f, c) for f, c, _ in errors] == [("idempotency_key", "conflict")]
    _, errors = read_complaint(body, "short-key", NOW, door)
    assert [(f, c) for f, c, _ in errors] == [("Idempotency-Key", "invalid")]
    _, errors = read_complaint(complaint(idempotency_key="1"), None, NOW, door)
    assert [(f, c) for f, c, _ in errors] == [("idempotency_key", "too_short")]


def test_a_report_needs_a_contact_unless_it_is_anonymous_and_an_anonymous_reporter_is_sealed(door):
    _, errors = read_complaint(complaint(reporter=None), None, NOW, door)
    assert [(f, c) for f, c, _ in errors] == [("reporter", "missing_contact")]
    report, errors = read_complaint(complaint(privacy={"anonymous": True}), None, NOW, door)
    assert errors == [] and report["reporter"] is None
    assert door.sealer.unseal(report["reporter_sealed"])["email"] == "budi@example.id"


@pytest.mark.parametrize("payload", [[], "text", 42, None])
def test_a_body_that_is_not_an_object_is_refused(door, payload):
    report, errors = read_complaint(payload, "header-key-000003", NOW, door)
    assert report is None and errors


def test_an_sms_with_a_region_name_becomes_a_report_for_that_region(door):
    read = read_sms("0812-3456-7890", "KENDARI: lampu jalan mati di depan pasar sentral", "gw-1", NOW, door)
    report = read.report
    assert report["region_code"] == "74.71" and report["description"] == "lampu jalan mati di depan pasar sentral"
    assert report["reporter"]["phone"] == "+6281234567890" and report["channel_message_id"] == "gw-1"


def test_an_sms_without_a_region_goes_to_national_triage_and_anonim_seals_the_number(door):
    report = read_sms("+6281234567890", "Bantuan sosial tidak sampai ke warga #anonim", "gw-2", NOW, door).report
    assert report["region_code"] is None
    assert report["reporter"] is None and report["privacy"]["anonymous"]
    assert door.sealer.unseal(report["reporter_sealed"])["phone"] == "+6281234567890"
    assert "#anonim" not in report["description"]


@pytest.mark.parametrize("text", ["", "   ", "74.04", "KENDARI", "123 456 789 0", "?"])
def test_an_empty_or_unusable_sms_gets_the_help_text_and_no_report(door, text):
    read = read_sms("+6281234567890", text, "gw-3", NOW, door)
    assert read.report is None and read.reply == SMS_HELP and read.reason == "unusable_text"
    assert len(SMS_HELP) <= 160


def test_a_mention_becomes_a_report_only_with_the_lapor_hashtag(door):
    mention = {"platform": "x", "mention_id": "179", "author": {"handle": "@warga", "name": "Warga"},
               "text": "@LAPOR1708 #lapor Buton Utara: jembatan putus sejak banjir kemarin",
               "media": ["https://media.example/1.jpg"]}
    report = read_mention(mention, NOW, door).report
    assert report["channel_message_id"] == "x:179" and report["region_code"] == "74.10"
    assert report["reporter"]["social_handle"] == "x:@warga"
    assert report["attachments"] == [{"url": "https://media.example/1.jpg", "sha256": None, "name": None}]
    assert read_mention(mention | {"text": "@LAPOR1708 jembatan putus #laporan"}, NOW, door).reason == "no_hashtag"
    assert read_mention(mention | {"text": "#lapor !!!"}, NOW, door).reason == "unusable_text"


def test_an_email_becomes_a_report_keyed_by_its_message_id(door):
    message = EmailMessage()
    message["From"] = "Siti Aminah <siti@example.id>"
    message["Subject"] = "74.04 Puskesmas tutup pada jam kerja"
    message["Message-ID"] = "<abc123@mail.example.id>"
    message["Date"] = "Mon, 02 Mar 2026 09:15:00 +0800"
    message.set_content("Puskesmas Pasarwajo tutup pada hari Senin pukul 10 pagi.")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="surat.pdf")
    report = read_mail(message.as_bytes(), door, NOW).report
    assert report["channel_message_id"] == "abc123@mail.example.id"
    assert report["region_code"] == "74.04" and report["title"] == "Puskesmas tutup pada jam kerja"
    assert report["reporter"]["email"] == "siti@example.id" and report["reporter"]["name"] == "Siti Aminah"
    assert report["received_at"] == datetime(2026, 3, 2, 1, 15, tzinfo=timezone.utc)
    assert report["attachments"][0]["name"] == "surat.pdf" and len(report["attachments"][0]["sha256"]) == 64


def test_an_email_without_message_id_is_keyed_by_its_bytes(door):
    message = EmailMessage()
    message["From"] = "siti@example.id"
    message.set_content("Tanpa subjek, jalan rusak di kampung kami.")
    raw = message.as_bytes()
    first = read_mail(raw, door, NOW).report["channel_message_id"]
    assert first.startswith("sha256:") and first == read_mail(raw, door, NOW).report["channel_message_id"]


def test_a_maildir_and_an_mbox_give_every_message(door, tmp_path):
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    mbox = mailbox.mbox(tmp_path / "inbox.mbox")
    for n in range(3):
        message = EmailMessage()
        message["From"] = "siti@example.id"
        message["Message-ID"] = f"<m{n}@example.id>"
        message.set_content(f"Laporan nomor {n}: jalan rusak di kampung.")
        maildir.add(message)
        mbox.add(message)
    mbox.close()
    for path in (tmp_path / "Maildir", tmp_path / "inbox.mbox"):
        total, reads = mail_reads(path, door, NOW)
        ids = sorted(read.report["channel_message_id"] for _, _, read in reads)
        assert total == 3 and ids == ["m0@example.id", "m1@example.id", "m2@example.id"]
    with pytest.raises(ValueError, match="not a Maildir"):
        mail_reads(tmp_path, door, NOW)


def test_a_csv_import_reads_every_good_row_and_lists_the_bad_ones(door, tmp_path):
    path = tmp_path / "old.csv"
    path.write_text(
        "id,received_at,type,title,description,category,region_code,lat,lon,anonymous\n"
        "101,2024-05-02T09:30:00,pengaduan,Air PDAM mati,Air PDAM mati tiga hari di Kendari,,74.71,,,\n"
        "102,2024-05-03,complaint,Jalan rusak,Jalan rusak di depan sekolah dasar,,99.99,,,\n"
        "103,yesterday,complaint,Jalan rusak,Jalan rusak di depan sekolah dasar,,74.71,,,\n"
        "104,2024-05-04T10:00:00+08:00,aspirasi,Taman kota,Mohon taman kota diperbanyak,,74,-4.0,abc,ya\n",
        encoding="utf-8")
    size, reads = csv_reads(path, door, source="lapor-v1")
    rows = list(reads)
    assert size == path.stat().st_size and len(rows) == 4
    good = rows[0][2].report
    assert good["channel"] == "BULK_IMPORT" and good["channel_message_id"] == "lapor-v1:101"
    assert good["received_at"] == datetime(2024, 5, 2, 2, 30, tzinfo=timezone.utc)  # WIB without an offset
    assert good["region_code"] == "74.71" and good["reporter"] is None
    assert "unknown region" in rows[1][2].reason and rows[1][1] == "line 3 (id 102)"
    assert "ISO 8601" in rows[2][2].reason
    assert "lon 'abc' is not a number" in rows[3][2].reason


def test_a_csv_without_a_required_column_is_refused_at_once(door, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,title\n1,x\n")
    with pytest.raises(ValueError, match="received_at, description"):
        csv_reads(path, door)


@pytest.mark.parametrize("text, region, rest", [
    ("74.04.11 lampu mati", "74.04.11", "lampu mati"),
    ("Kab. Buton: banjir", "74.04", "banjir"),
    ("Buton Utara banjir", "74.10", "banjir"),
    ("Kota Kendari - banjir", "74.71", "banjir"),
    ("Bogor macet", "32", "macet"),  # Kabupaten and Kota Bogor: their province
    ("Jakarta banjir", "31", "banjir"),
    ("99.99 banjir", None, "99.99 banjir"),
    ("Banjir di desa", None, "Banjir di desa"),
])
def test_a_leading_region_code_or_name_is_found(text, region, rest):
    assert region_finder().find(text) == (region, rest)
