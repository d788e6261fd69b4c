"""The OpenAPI 3 document of ``channels-http``: the request schemas here are the ones the handlers validate with
(:mod:`channels.request_checks`), so the document cannot drift from the implementation."""

from __future__ import annotations

from typing import Any

from aduan.domain.intake import (
    ADDRESS_MAX,
    ATTACHMENTS_MAX,
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    MESSAGE_ID_MAX,
    TITLE_MAX,
    TITLE_MIN,
    URL_MAX,
)
from channels.open311 import openapi as open311

# Client-chosen idempotency keys share one namespace: long enough that two clients never pick the same by accident.
KEY_MIN = 16
REGION_PATTERN = r"^[0-9]{2}(\.[0-9]{2}){0,2}$"


def _text(max_length: int, description: str, *, min_length: int = 0, nullable: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length, "description": description}
    if min_length:
        schema["minLength"] = min_length
    if nullable:
        schema["nullable"] = True
    return schema


COMPLAINT_REQUEST: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["type", "title", "description", "location"],
    "properties": {
        "type": {"type": "string", "enum": ["complaint", "aspiration", "information_request"],
                 "description": "pengaduan, aspirasi or permintaan informasi."},
        "title": _text(TITLE_MAX, "Short title.", min_length=TITLE_MIN),
        "description": _text(DESCRIPTION_MAX, "What happened, where and when.", min_length=DESCRIPTION_MIN),
        "category": _text(100, "A category code of categories.yaml (e.g. infrastructure.roads); leave it out or "
                               "null when unsure: the complaint is then uncategorised. An unknown code gives 422.",
                          nullable=True),
        "location": {
            "type": "object",
            "additionalProperties": False,
            "required": ["region"],
            "properties": {
                "region": {"type": "string", "pattern": REGION_PATTERN,
                           "description": "Official region code (Kepmendagri): province 74, regency or city 74.04, "
                                          "district 74.04.11. An unknown code gives 422."},
                "coordinates": {
                    "type": "object",
                    "nullable": True,
                    "additionalProperties": False,
                    "required": ["lat", "lon"],
                    "properties": {"lat": {"type": "number", "minimum": -90, "maximum": 90},
                                   "lon": {"type": "number", "minimum": -180, "maximum": 180}},
                },
                "address": _text(ADDRESS_MAX, "Where, in words.", nullable=True),
            },
        },
        "attachments": {
            "type": "array",
            "maxItems": ATTACHMENTS_MAX,
            "description": "Files by http(s) URL and/or SHA-256 (at least one of the two each; else 422).",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "url": _text(URL_MAX, "Where the file is (http or https).", nullable=True),
                    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$", "nullable": True},
                    "name": _text(255, "File name.", nullable=True),
                },
            },
        },
        "reporter": {
            "type": "object",
            "nullable": True,
            "additionalProperties": False,
            "description": "Who reports. A contact (email or phone) is required unless privacy.anonymous (else "
                           "422). An anonymous reporter's identity is sealed at once: no agency ever sees it.",
            "properties": {
                "name": _text(200, "Name.", nullable=True),
                "email": _text(254, "Email address.", nullable=True),
                "phone": _text(32, "Phone number, +62... or 08...", nullable=True),
            },
        },
        "privacy": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "anonymous": {"type": "boolean", "description": "anonim: identity hidden from everyone."},
                "confidential": {"type": "boolean", "description": "rahasia: the report is not public."},
            },
        },
        "idempotency_key": _text(MESSAGE_ID_MAX, "The client's id of this report (or the Idempotency-Key "
                                                 "header), e.g. a fresh UUID: a retry with the same key gives the "
                                                 "same tracking id and never a second complaint; the first delivery "
                                                 "of a key wins. One of the two is required (else 422).",
                                 min_length=KEY_MIN),
    },
}

SMS_REQUEST: dict[str, Any] = {
    "type": "object",
    "required": ["from", "text", "message_id"],
    "description": "What the SMS gateway posts for each SMS to 1708. Other fields are ignored.",
    "properties": {
        "from": _text(32, "The sender's number.", min_length=1),
        "text": _text(2000, "The SMS text: '[region code or name] report', optional #anonim / #rahasia."),
        "message_id": _text(MESSAGE_ID_MAX, "The gateway's id of this SMS (the same on a retry).", min_length=1),
    },
}

MENTION_REQUEST: dict[str, Any] = {
    "type": "object",
    "required": ["platform", "mention_id", "author", "text"],
    "description": "One post mentioning the LAPOR! account, as the platform relay forwards it. Only posts tagged "
                   "#lapor become reports. Other fields are ignored.",
    "properties": {
        "platform": {"type": "string", "pattern": "^[a-z0-9_-]{1,32}$", "description": "e.g. x, instagram."},
        "mention_id": _text(100, "The platform's id of the post.", min_length=1),
        "author": {
            "type": "object",
            "required": ["handle"],
            "properties": {"handle": _text(100, "The author's handle, e.g. @warga_kendari.", min_length=1),
                           "name": _text(200, "Display name.", nullable=True)},
        },
        "text": _text(DESCRIPTION_MAX, "The post: '#lapor [region code or name] report'."),
        "url": _text(URL_MAX, "Link to the post.", nullable=True),
        "media": {"type": "array", "maxItems": ATTACHMENTS_MAX, "items": _text(URL_MAX, "Media URL.")},
    },
}

_ERRORS = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "message"],
                "properties": {"field": {"type": "string"}, "code": {"type": "string"},
                               "message": {"type": "string"}},
            },
        }
    },
}
_ACCEPTED = {
    "type": "object",
    "required": ["tracking_id", "complaint_id", "reporter_token", "status", "message"],
    "properties": {
        "tracking_id": {"type": "string", "description": "e.g. K7Q2M-9XH4D: what the reporter follows it by."},
        "complaint_id": {"type": "string", "format": "uuid"},
        "reporter_token": {"type": "string", "description": "Secret: proves to be the reporter later."},
        "status": {"type": "string", "enum": ["accepted"]},
        "message": {"type": "string", "description": "The acknowledgement in Indonesian."},
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(description: str) -> dict[str, Any]:
    return _json({"$ref": "#/components/schemas/Errors"}, description)


_UNAVAILABLE = _errors("The broker did not acknowledge the report: nothing was recorded, retry later.")


def document() -> dict[str, Any]:
    """The OpenAPI 3.0 document served at ``/api/v1/openapi.json``."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "aduan channels",
            "version": "1.0.0",
            "description": "The doors of the complaint system (SP4N-LAPOR!): web/app reports, the SMS 1708 "
                           "gateway, social media mentions and Open311 GeoReport v2 (/open311/v2/). Every accepted "
                           "report gets its tracking id at once and becomes exactly one complaint, however often "
                           "it is retried.",
        },
        "paths": {
            "/api/v1/complaints": {"post": {
                "summary": "Submit a report",
                "operationId": "submitComplaint",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "minLength": KEY_MIN, "maxLength": MESSAGE_ID_MAX},
                                "description": "The client's id of this report (instead of idempotency_key)."}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/ComplaintRequest"}}}},
                "responses": {
                    "202": _json({"$ref": "#/components/schemas/Accepted"}, "Accepted: the tracking id."),
                    "400": _errors("The body is not JSON."),
                    "413": _errors("The body is larger than 256 KiB."),
                    "415": _errors("The body is not application/json."),
                    "422": _errors("Every field error: wrong shape, unknown region or category, missing contact."),
                    "503": _UNAVAILABLE,
                },
            }},
            "/api/v1/sms/inbound": {"post": {
                "summary": "An SMS to 1708, as the SMS gateway delivers it",
                "operationId": "receiveSms",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/SmsInbound"}},
                    "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/SmsInbound"}},
                }},
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/SmsReply"},
                                 "The SMS to send back: the tracking id, or help when the text was unusable."),
                    "400": _errors("The body is not JSON."),
                    "413": _errors("The body is larger than 256 KiB."),
                    "415": _errors("The body is neither JSON nor a form."),
                    "422": _errors("A field is missing or malformed (a gateway error, not the reporter's)."),
                    "503": _UNAVAILABLE,
                },
            }},
            "/api/v1/social/mentions": {"post": {
                "summary": "A social media post mentioning the LAPOR! account",
                "operationId": "receiveMention",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Mention"}}}},
                "responses": {
                    "202": _json({"$ref": "#/components/schemas/MentionOutcome"}, "Became a report."),
                    "200": _json({"$ref": "#/components/schemas/MentionOutcome"},
                                 "Ignored, with the reason: no_hashtag, unusable_text or invalid."),
                    "400": _errors("The body is not JSON."),
                    "413": _errors("The body is larger than 256 KiB."),
                    "415": _errors("The body is not application/json."),
                    "422": _errors("A field is missing or malformed."),
                    "503": _UNAVAILABLE,
                },
            }},
            "/api/v1/openapi.json": {"get": {
                "summary": "This document",
                "operationId": "openapi",
                "responses": {"200": {"description": "OpenAPI 3.0", "content": {"application/json": {
                    "schema": {"type": "object"}}}}},
            }},
            "/healthz": {"get": {
                "summary": "Liveness: up, and whether the broker is reachable",
                "operationId": "health",
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/Health"}, "Up and connected to the broker."),
                    "503": _json({"$ref": "#/components/schemas/Health"}, "Up, but the broker is unreachable."),
                },
            }},
            "/metrics": {"get": {
                "summary": "Prometheus metrics",
                "operationId": "metrics",
                "responses": {"200": {"description": "Prometheus text format",
                                      "content": {"text/plain": {"schema": {"type": "string"}}}}},
            }},
            **open311.paths(),
        },
        "components": {"schemas": {
            "ComplaintRequest": COMPLAINT_REQUEST,
            "SmsInbound": SMS_REQUEST,
            "Mention": MENTION_REQUEST,
            "Accepted": _ACCEPTED,
            "Errors": _ERRORS,
            "SmsReply": {"type": "object", "required": ["reply", "tracking_id"], "properties": {
                "reply": {"type": "string", "description": "The SMS text to send back (Indonesian)."},
                "tracking_id": {"type": "string", "nullable": True}}},
            "MentionOutcome": {"type": "object", "required": ["outcome", "tracking_id", "reason"], "properties": {
                "outcome": {"type": "string", "enum": ["accepted", "ignored"]},
                "tracking_id": {"type": "string", "nullable": True},
                "reason": {"type": "string", "nullable": True}}},
            "Health": {"type": "object", "required": ["status", "broker"], "properties": {
                "status": {"type": "string", "enum": ["ok", "degraded"]},
                "broker": {"type": "boolean"}}},
            **open311.SCHEMAS,
        }},
    }
