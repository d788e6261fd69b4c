"""The request checks at their edges: OpenAPI's ``nullable``, ``pattern`` anchored as in JavaScript, unknown fields,
and one error per field with our codes and messages."""

from __future__ import annotations

from channels.openapi import COMPLAINT_REQUEST, MENTION_REQUEST, SMS_REQUEST
from channels.request_checks import RequestChecks

COMPLAINT = RequestChecks(COMPLAINT_REQUEST)
BODY = {"type": "complaint", "title": "Jalan berlubang", "description": "Lubang besar di depan pasar sentral.",
        "location": {"region": "74.04.11"}}


def test_null_is_refused_unless_the_schema_says_nullable() -> None:
    nulls = {"category": None, "location": {"region": "74.04", "coordinates": None, "address": None},
             "reporter": None, "attachments": [{"url": None, "sha256": None, "name": None}]}
    assert COMPLAINT.field_errors(BODY | nulls) == []
    assert COMPLAINT.field_errors(BODY | {"title": None, "privacy": None}) == [
        ("title", "null", "title must not be null"), ("privacy", "null", "privacy must not be null")]
    assert COMPLAINT.field_errors(None) == [("body", "null", "body must not be null")]
    assert COMPLAINT_REQUEST["properties"]["reporter"]["type"] == "object"  # the served document stays OpenAPI 3.0


def test_a_pattern_ending_in_dollar_refuses_a_final_newline() -> None:
    assert COMPLAINT.field_errors(BODY | {"location": {"region": "74.04\n"}}) == [
        ("location.region", "pattern", r"location.region must match ^[0-9]{2}(\.[0-9]{2}){0,2}$")]
    mention = {"platform": "x\n", "mention_id": "1", "author": {"handle": "@w"}, "text": "#lapor"}
    assert [code for _, code, _ in RequestChecks(MENTION_REQUEST).field_errors(mention)] == ["pattern"]


def test_every_unknown_field_is_named_with_the_known_ones() -> None:
    errors = COMPLAINT.field_errors(BODY | {"colour": "red", "privacy": {"anonim": True}})
    known = "type, title, description, category, location, attachments, reporter, privacy, idempotency_key"
    assert errors == [("colour", "unknown_field", f"colour is not a field here; known: {known}"),
                      ("privacy.anonim", "unknown_field", ("privacy.anonim is not a field here; known: anonymous, "
                                                           "confidential"))]
    sms = {"from": "0812", "text": "lampu mati", "message_id": "gw-1", "gateway": "x"}
    assert RequestChecks(SMS_REQUEST).field_errors(sms) == []  # no additionalProperties: false, other fields pass


def test_one_error_per_field_and_a_wrong_type_is_told_only_that() -> None:
    errors = COMPLAINT.field_errors({"type": 7, "title": "xy", "location": {"region": "74", "coordinates": {
        "lat": 91, "lon": True}}, "attachments": [{"url": "u"}] * 11, "idempotency_key": "k" * 201})
    assert errors == [
        ("description", "required", "description is required"),
        ("type", "type", "type must be a string"),
        ("title", "too_short", "title: at least 3 characters (got 2)"),
        ("location.coordinates.lat", "range", "location.coordinates.lat must be between -90 and 90"),
        ("location.coordinates.lon", "type", "location.coordinates.lon must be a number"),
        ("attachments", "too_many", "attachments: at most 10 items"),
        ("idempotency_key", "too_long", "idempotency_key: at most 200 characters (got 201)"),
    ]
