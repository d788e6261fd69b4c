"""The web/app door: a ``POST /api/v1/complaints`` body becomes an intake report, or every field error at once.

Shape errors come from the OpenAPI schema (:data:`channels.openapi.COMPLAINT_REQUEST`), business errors (unknown
region or category, no contact, ...) from :class:`channels.report.Rules`, each named by its JSON path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aduan.domain.intake import MESSAGE_ID_MAX
from channels.door import Door
from channels.openapi import COMPLAINT_REQUEST, KEY_MIN
from channels.request_checks import FieldError, RequestChecks

REPORT_TYPES = {"complaint": "COMPLAINT", "aspiration": "ASPIRATION", "information_request": "INFORMATION_REQUEST"}
# Report field -> the request's JSON path, where they differ.
_PATHS = {"region": "location.region", "coordinates": "location.coordinates", "address": "location.address",
          "channel_message_id": "idempotency_key"}
_CHECKS = RequestChecks(COMPLAINT_REQUEST)


def read_complaint(payload: Any, header_key: str | None, received_at: datetime, door: Door, *,
                   indonesian: bool = False) -> tuple[dict[str, Any] | None, list[FieldError]]:
    """``(intake report, [])`` for an acceptable body, else ``(None, every field error)``; ``indonesian``: the
    business rules' messages in Indonesian (the schema's stay English: they name the JSON field)."""
    errors = _CHECKS.field_errors(payload)
    if not isinstance(payload, dict):
        return None, errors
    key, key_errors = _idempotency_key(header_key, payload.get("idempotency_key"))
    errors += key_errors
    report = door.report(**_fields(payload), channel="WEB", message_id=key or "-", received_at=received_at)
    failed = {path for path, _, _ in errors}
    for problem in door.rules.problems(report):
        path = _PATHS.get(problem.field, problem.field)
        if problem.field != "channel_message_id" and not _covered(path, failed):
            errors.append((path, problem.code, problem.pesan if indonesian else problem.message))
    return (None, errors) if errors else (report, [])


def _idempotency_key(header: str | None, field: Any) -> tuple[str | None, list[FieldError]]:
    """The delivery's key from the header or the field; a malformed field is reported by the schema already."""
    if header is not None:
        if not KEY_MIN <= len(header) <= MESSAGE_ID_MAX:
            return None, [("Idempotency-Key", "invalid", f"the Idempotency-Key header must have {KEY_MIN}-"
                                                         f"{MESSAGE_ID_MAX} characters: use a fresh UUID")]
        if isinstance(field, str) and field != header:
            return None, [("idempotency_key", "conflict", "the Idempotency-Key header and the idempotency_key field "
                                                          "differ: send one of them")]
        return header, []
    if field is None:
        return None, [("idempotency_key", "required", "give an idempotency key (the Idempotency-Key header or the "
                                                      "idempotency_key field): a fresh UUID per report, the same on "
                                                      "every retry")]
    return (field, []) if isinstance(field, str) and KEY_MIN <= len(field) <= MESSAGE_ID_MAX else (None, [])


def _covered(path: str, failed: set[str]) -> bool:
    return any(path == f or path.startswith(f + ".") or path.startswith(f + "[") for f in failed)


def _fields(payload: dict[str, Any]) -> dict[str, Any]:
    """The report's fields from a body of any shape: a value of the wrong type reads as absent."""
    location = _object(payload.get("location"))
    reporter = _object(payload.get("reporter"))
    privacy = _object(payload.get("privacy"))
    coordinates = _object(location.get("coordinates"))
    lat, lon = coordinates.get("lat"), coordinates.get("lon")
    return {
        "report_type": REPORT_TYPES.get(_string(payload.get("type")) or "", "COMPLAINT"),
        "title": _string(payload.get("title")) or "",
        "description": _string(payload.get("description")) or "",
        "category": _string(payload.get("category")),
        "region_code": _string(location.get("region")),
        "coordinates": {"lat": float(lat), "lon": float(lon)} if _number(lat) and _number(lon) else None,
        "address": _string(location.get("address")),
        "attachments": [{name: _string(a.get(name)) for name in ("url", "sha256", "name")}
                        for a in _list(payload.get("attachments")) if isinstance(a, dict)],
        "anonymous": privacy.get("anonymous") is True,
        "confidential": privacy.get("confidential") is True,
        "reporter": {name: _string(reporter.get(name)) for name in ("name", "email", "phone")},
    }


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
