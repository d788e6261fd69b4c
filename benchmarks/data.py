"""Realistic benchmark data from the official region list: complaints over all 514 regencies/cities and every
in-scope category, and the lifecycle events that follow them."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator

from aduan.domain.directory import Directory
from aduan.domain.events import Event, event_id, new_header
from aduan.domain.regions import RegionLevel
from aduan.domain.routing import route

CHANNELS = ["WEB", "MOBILE_APP", "SMS", "EMAIL", "SOCIAL_MEDIA"]
TYPES = ["COMPLAINT"] * 7 + ["ASPIRATION"] * 2 + ["INFORMATION_REQUEST"]
START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class ComplaintSpec:
    """One generated report."""

    index: int
    complaint_id: str
    tracking_id: str
    report_type: str
    channel: str
    category: str
    region_code: str
    anonymous: bool
    confidential: bool
    submitted_at: datetime


def complaints(count: int, seed: int = 1708) -> Iterator[ComplaintSpec]:
    """``count`` reports spread over every regency/city (half of them at district level) and category."""
    directory = Directory.load()
    rng = random.Random(seed)
    regencies = list(directory.regions.at_level(RegionLevel.REGENCY))
    districts_of = {r.code: directory.regions.children(r.code) for r in regencies}
    categories = [c.code for c in directory.taxonomy if not c.out_of_scope and c.code != "uncategorised"]
    for index in range(count):
        regency = regencies[index % len(regencies)]
        districts = districts_of[regency.code]
        region = rng.choice(districts).code if districts and rng.random() < 0.5 else regency.code
        yield ComplaintSpec(
            index=index,
            complaint_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            tracking_id=f"B{index:09d}",
            report_type=rng.choice(TYPES),
            channel=rng.choice(CHANNELS),
            category=rng.choice(categories),
            region_code=region,
            anonymous=rng.random() < 0.1,
            confidential=rng.random() < 0.05,
            submitted_at=START + timedelta(seconds=index * 7),
        )


def _header(spec: ComplaintSpec, name: str, at: datetime, actor: dict, cause: str) -> dict:
    return new_header(event_id=event_id(cause, name), complaint_id=spec.complaint_id, tracking_id=spec.tracking_id,
                      occurred_at=at, actor=actor, correlation_id=spec.complaint_id, causation_id=cause)


def lifecycle(spec: ComplaintSpec, directory: Directory) -> list[tuple[str, dict]]:
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
            "title": "Jalan rusak di depan sekolah", "description": "Jalan berlubang sejak tiga bulan, membahayakan "
            "anak-anak yang berangkat sekolah. Mohon segera diperbaiki.", "category": spec.category,
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
