"""The Open311 door and answers, without a broker: API keys, placing a request, a form as an intake report,
the ``GET requests`` filters and fields, and the XML form of an answer."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree

import pytest

from channels.open311.formats import Open311Error, render
from channels.open311.keys import ApiKeys
from channels.open311.placing import region_of
from channels.open311.reading import as_request, parse_query
from channels.open311.submission import read_request
from channels.region_in_text import region_finder

NOW = datetime(2026, 12, 1, 8, 30, tzinfo=timezone.utc)
FORM = {"api_key": "k" * 16, "service_code": "infrastructure.roads", "attribute[wilayah]": "74.71",
        "description": "Jalan berlubang besar di depan pasar sentral Kendari.", "email": "budi@example.id",
        "first_name": "Budi", "lat": "-3.97", "long": "122.51"}


def test_keys_name_their_client_and_a_malformed_setting_says_what_to_fix():
    keys = ApiKeys.from_env({"ADUAN_OPEN311_KEYS": "fixmystreet=0123456789abcdef, kota-kendari=fedcba9876543210"})
    assert keys.client("fedcba9876543210") == "kota-kendari" and keys.client("nope") is None
    assert keys.client(None) is None and ApiKeys.from_env({}).client("0123456789abcdef") is None
    for bad in ("fixmystreet", "Fix=0123456789abcdef", "a=short", "a=0123456789abcdef,a=0123456789abcdeg"):
        with pytest.raises(ValueError, match="ADUAN_OPEN311_KEYS"):
            ApiKeys.from_env({"ADUAN_OPEN311_KEYS": bad})


@pytest.mark.parametrize("code, address, expected", [
    ("74.04", "Kota Kendari", "74.04"),  # the attribute wins
    (None, "Jl. Mayjen Sutoyo 5, Kota Kendari, Sulawesi Tenggara", "74.71"),  # the narrowest named region
    (None, "Jl. Poros, Sulawesi Tenggara", "74"),
    (None, "Jl. A, 74.71.01", "74.71.01"),
])
def test_a_request_is_placed_by_its_region_code_or_its_address(code, address, expected):
    assert region_of(code, address, region_finder()) == expected


@pytest.mark.parametrize("code, address, words", [
    ("99.99", None, "unknown region code"),
    (None, None, "cannot place lat/long alone"),
    (None, "Jl. Sudirman 1, Kelurahan Mandonga", "cannot place lat/long alone"),
    (None, "Kendari, Bali", "do not contain one another"),
])
def test_a_request_without_a_region_is_refused_with_400(code, address, words):
    with pytest.raises(Open311Error, match=words) as refusal:
        region_of(code, address, region_finder())
    assert refusal.value.status == 400


def test_a_form_becomes_an_open311_report_and_a_retry_the_same_delivery(door):
    report = read_request(FORM, "fixmystreet", NOW, door)
    assert (report["channel"], report["category"], report["region_code"]) == ("OPEN311", "infrastructure.roads",
                                                                             "74.71")
    assert report["coordinates"] == {"lat": -3.97, "lon": 122.51} and report["report_type"] == "COMPLAINT"
    assert report["title"] == FORM["description"] and report["reporter"]["name"] == "Budi"
    assert report["channel_message_id"].startswith("fixmystreet:")
    retry = read_request(FORM | {"api_key": "another-key-of-it"}, "fixmystreet", NOW + timedelta(seconds=5), door)
    assert door.receipt(retry) == door.receipt(report)
    assert door.receipt(read_request(FORM, "kota-kendari", NOW, door)) != door.receipt(report)
    assert door.receipt(read_request(FORM | {"description": FORM["description"] + "!"}, "fixmystreet", NOW,
                                     door)) != door.receipt(report)


def test_the_attributes_set_type_privacy_and_title_and_an_anonymous_reporter_is_sealed(door):
    report = read_request(FORM | {"attribute[jenis]": "aspirasi", "attribute[anonim]": "ya",
                                  "attribute[rahasia]": "ya", "attribute[judul]": "Jalan rusak",
                                  "media_url": "https://foto.example.id/1.jpg"}, "fixmystreet", NOW, door)
    assert (report["report_type"], report["title"]) == ("ASPIRATION", "Jalan rusak")
    assert report["privacy"] == {"anonymous": True, "confidential": True}
    assert report["reporter"] is None and report["reporter_sealed"] and b"Budi" not in report["reporter_sealed"]
    assert report["attachments"] == [{"url": "https://foto.example.id/1.jpg", "sha256": None, "name": None}]


def test_every_problem_of_a_form_is_named_in_open311_terms(door):
    with pytest.raises(Open311Error) as refusal:
        read_request({"api_key": "x", "lat": "utara", "attribute[anonim]": "mungkin", "email": "budi@",
                      "media_url": "ftp://x"}, "fixmystreet", NOW, door)
    said = "\n".join(refusal.value.descriptions)
    assert refusal.value.status == 400
    for words in ("service_code is required", "lat and long", "attribute[anonim]: 'mungkin'",
                  "attribute[wilayah]", "description: at least 10", "email: 'budi@'", "media_url"):
        assert words in said, words
    assert "title" not in said  # the title comes from the description: its problem is the description's


def test_get_requests_filters_are_read_or_refused():
    query = parse_query({"service_request_id": "A, B", "status": "open", "page": "2", "page_size": "10",
                         "agency": "pln,ojk"}, NOW)
    assert (query.ids, query.statuses, query.page, query.page_size) == (("A", "B"), ("open",), 2, 10)
    assert query.agencies == ("pln", "ojk")
    assert (query.start, query.end) == (NOW - timedelta(days=90), NOW)
    spaced = parse_query({"start_date": "2026-11-01T08:00:00 07:00"}, NOW)  # an unencoded "+"
    assert spaced.start == datetime(2026, 11, 1, 1, 0, tzinfo=timezone.utc) and spaced.end is None
    with pytest.raises(Open311Error) as refusal:
        parse_query({"status": "pending", "start_date": "2026-11-01", "end_date": "kemarin", "page": "0",
                     "page_size": "5000"}, NOW)
    assert refusal.value.status == 400 and len(refusal.value.descriptions) == 5


ROW = {"tracking_id": "K7Q2M-9XH4D", "status": "FOLLOWED_UP", "category": "health", "category_name": "Kesehatan",
       "description": "Puskesmas tutup.", "agency_name": "Pemerintah Kabupaten Buton", "address": "Jl. Poros",
       "latitude": -5.47, "longitude": 122.6, "attachment_urls": ["https://foto.example.id/1.jpg",
                                                                  "https://foto.example.id/2.jpg"],
       "province_code": "74", "submitted_at": NOW,
       "last_event_at": NOW + timedelta(days=2), "deadline_stage": "CLOSURE",
       "deadline_due_at": NOW + timedelta(days=9), "deadline_breached": True}


def test_a_public_row_as_an_open311_request_in_the_regions_time_zone():
    request = as_request(ROW)
    assert (request["status"], request["status_notes"]) == ("open", "Sudah ditindaklanjuti")
    assert request["requested_datetime"] == "2026-12-01T16:30:00+08:00"  # WITA
    assert request["expected_datetime"] == "2026-12-10T16:30:00+08:00"
    assert request["service_notice"].endswith("(batas waktu terlampaui)")
    assert request["agency_responsible"] == "Pemerintah Kabupaten Buton"
    assert request["media_url"] == "https://foto.example.id/1.jpg"
    closed = as_request(ROW | {"status": "CLOSED", "province_code": "91", "attachment_urls": []})
    assert (closed["status"], closed["expected_datetime"], closed["service_notice"]) == ("closed", None, None)
    assert closed["media_url"] is None
    assert closed["requested_datetime"].endswith("+09:00")  # WIT


def test_xml_names_list_items_as_the_spec_does():
    body = [{"service_code": "health", "metadata": True, "keywords": None,
             "attributes": [{"values": [{"key": "ya", "name": "Ya"}]}]}]
    response = render("xml", "services", body)
    assert response.content_type == "text/xml" and response.charset == "utf-8"
    root = ElementTree.fromstring(response.body)
    assert root.tag == "services" and root.find("service/metadata").text == "true"
    assert root.find("service/keywords").text is None
    assert root.find("service/attributes/attribute/values/value/key").text == "ya"
