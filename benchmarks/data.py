"""The lifecycle events that follow a synthetic complaint (``aduan.cli.synthetic``), for the projection benchmarks."""

from __future__ import annotations

from datetime import datetime, timedelta

from aduan.cli.synthetic import Complaint
from aduan.domain.directory import Directory
from aduan.domain.events import Event, event_id, new_header
from aduan.domain.routing import route
from aduan.domain.tracking import format_tracking_id


def tracking_id(spec: Complaint) -> str:
    """A tracking id for the generated complaint (benchmarks bypass the intake door), shaped like a real one."""
    return format_tracking_id(f"B{spec.index:09d}")


def _header(spec: Complaint, name: str, at: datetime, actor: dict, cause: str) -> dict:
    return new_header(event_id=event_id(cause, name), complaint_id=spec.complaint_id, tracking_id=tracking_id(spec),
                      occurred_at=at, actor=actor, correlation_id=spec.complaint_id, causation_id=cause)


def lifecycle(spec: Complaint, directory: Directory) -> list[tuple[str, dict]]:
    """The events of a complaint that is submitted, verified, dispositioned, answered, resolved, closed, rated:
    eight events, the timeline most LAPOR! reports follow."""
    at = spec.submitted_at
    system = {"kind": "SYSTEM", "id": "benchmark", "agency": None}
    disposition = route(spec.category, spec.region_code, directory)
    officer = {"kind": "AGENCY_OFFICER", "id": "officer-1", "agency": disposition.agency}
    reporter = {"kind": "REPORTER", "id": f"reporter-{spec.index}", "agency": None}
    root = spec.complaint_id
    events: list[tuple[str, dict]] = [
        (Event.SUBMITTED, {
            "header": _header(spec, Event.SUBMITTED, at, reporter, root),
            "report_type": spec.report_type, "channel": spec.channel, "channel_message_id": f"m{spec.index}",
            "title": spec.title, "description": spec.description, "category": spec.category,
            "region_code": spec.region_code, "coordinates": None, "address": None, "attachments": [],
            "privacy": {"anonymous": spec.anonymous, "confidential": spec.confidential},
            "reporter": None if spec.anonymous else {"name": "Warga", "email": None, "phone": "+6281200000000",
                                                     "social_handle": None},
            "reporter_sealed": b"sealed" if spec.anonymous else None}),
        (Event.VERIFIED, {"header": _header(spec, Event.VERIFIED, at + timedelta(hours=5), system, root + "v"),
                          "report_type": spec.report_type, "category": spec.category,
                          "region_code": spec.region_code, "tags": [], "automatic": True}),
        (Event.DISPOSITIONED, {"header": _header(spec, Event.DISPOSITIONED, at + timedelta(hours=5), system,
                                                 root + "v"), **disposition.event_fields(), "round": 1}),
        (Event.ACKNOWLEDGED, {"header": _header(spec, Event.ACKNOWLEDGED, at + timedelta(days=1), officer, root + "a"),
                              "agency": disposition.agency, "unit": disposition.unit, "note": None}),
        (Event.FOLLOW_UP_POSTED, {"header": _header(spec, Event.FOLLOW_UP_POSTED, at + timedelta(days=3 + spec.index % 5),
                                                    officer, root + "f"),
                                  "agency": disposition.agency, "unit": disposition.unit,
                                  "text": "Sudah dijadwalkan perbaikan minggu ini.", "attachments": []}),
        (Event.RESOLVED, {"header": _header(spec, Event.RESOLVED, at + timedelta(days=8), officer, root + "r"),
                          "agency": disposition.agency, "resolution": "Jalan sudah diperbaiki."}),
        (Event.CLOSED, {"header": _header(spec, Event.CLOSED, at + timedelta(days=20), system, root + "c"),
                        "reason": "NO_REPLY_AFTER_FOLLOW_UP", "note": None}),
        (Event.RATED, {"header": _header(spec, Event.RATED, at + timedelta(days=21), reporter, root + "s"),
                       "rating": 1 + spec.index % 5, "comment": None}),
    ]
    return [(str(name), record) for name, record in events]
