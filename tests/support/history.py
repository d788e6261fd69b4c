"""A builder of scripted complaint histories for the projection tests (and the tests of the builder itself).

    history = History()
    buton = history.submit("74.04", "health").verify().disposition("pemkab-74-04").acknowledge()
    buton.follow_up("Sudah diperbaiki").resolve("Jalan diperbaiki").rate(5)
    history.events        # [(event name, record)], in log order, each valid for schemas.codec()
    history.messages()    # [(key, value)] ready to publish: key = complaint id, value = Confluent Avro
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from aduan.domain.events import Event, new_header
from projections.decode import EventDecoder
from schemas import codec

START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 WITA
NAMESPACE = uuid.UUID("6f1e0c7a-33a4-4c55-9d55-0a1b2c3d4e5f")
REPORTER = {"name": "Budi Santoso", "email": "budi@example.id", "phone": "+6281234567890", "social_handle": "@budi"}
ADMIN = {"kind": "ADMIN", "id": "admin-7", "agency": None}
SYSTEM = {"kind": "SYSTEM", "id": "deadlines", "agency": None}


class History:
    """Complaint events in log order."""

    def __init__(self, start: datetime = START, name: str = "h") -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.start = start
        self.name = name
        self.complaints: list[ComplaintHistory] = []

    def submit(self, region_code: str = "74.04", category: str | None = "health", *, report_type: str = "COMPLAINT",
               channel: str = "WEB", anonymous: bool = False, confidential: bool = False,
               reporter: dict | None = REPORTER, title: str = "Jalan rusak di depan puskesmas",
               tracking_id: str | None = None, at: datetime | None = None,
               coordinates: dict | None = None, urls: tuple[str, ...] = ()) -> "ComplaintHistory":
        """A new complaint: its ComplaintSubmitted event; returns the complaint to add events to."""
        number = len(self.complaints) + 1
        complaint = ComplaintHistory(self, str(uuid.uuid5(NAMESPACE, f"{self.name}/complaint/{number}")),
                                     tracking_id or f"T{self.name.upper()}{number:06d}",
                                     at or self.start + timedelta(minutes=number), number)
        self.complaints.append(complaint)
        complaint.emit(Event.SUBMITTED, {
            "report_type": report_type, "channel": channel, "channel_message_id": f"msg-{number}",
            "title": title, "description": f"Laporan nomor {number}: mohon ditindaklanjuti.", "category": category,
            "region_code": region_code, "coordinates": coordinates, "address": "Jl. Poros No. 1",
            "attachments": _attachments(urls), "privacy": {"anonymous": anonymous, "confidential": confidential},
            "reporter": None if anonymous else reporter, "reporter_sealed": b"\x01sealed" if anonymous else None,
        }, actor=complaint.reporter, hours=0)
        return complaint

    def messages(self) -> list[tuple[bytes, bytes]]:
        """``(key, value)`` of every event: the complaint id and the Confluent Avro encoding."""
        return [(record["header"]["complaint_id"].encode(), codec().encode(name, record))
                for name, record in self.events]

    def decoded(self) -> list[tuple[str, dict[str, Any]]]:
        """Every event as the projector reads it back from the log (timestamps in milliseconds)."""
        decoder = EventDecoder()
        return [decoder.decode(value) for _, value in self.messages()]

    def repeat(self, index: int = -1) -> None:
        """Append a copy of an event (same event id): a processor republishing after a crash."""
        self.events.append(self.events[index])


def _attachments(urls: tuple[str, ...]) -> list[dict[str, Any]]:
    """``id.aduan.Attachment`` records of files at ``urls``, and one attached without a URL."""
    return [{"url": url, "sha256": None, "name": None} for url in urls] + (
        [{"url": None, "sha256": "ab" * 32, "name": "tanpa-url.jpg"}] if urls else [])


class ComplaintHistory:
    """One complaint's events; every method appends one event ``hours`` after the previous and returns self."""

    def __init__(self, history: History, complaint_id: str, tracking_id: str, submitted_at: datetime,
                 number: int) -> None:
        self.history = history
        self.complaint_id = complaint_id
        self.tracking_id = tracking_id
        self.clock = submitted_at
        self.reporter = {"kind": "REPORTER", "id": f"reporter-ref-{number}", "agency": None}
        self.agency: str | None = None
        self.round = 0
        self._sequence = 0

    @property
    def officer(self) -> dict[str, Any]:
        return {"kind": "AGENCY_OFFICER", "id": "officer-3", "agency": self.agency}

    def emit(self, event: Event, body: dict[str, Any], *, actor: dict[str, Any],
             hours: float = 1.0) -> "ComplaintHistory":
        """Append ``event`` with its header."""
        self.clock += timedelta(hours=hours)
        self._sequence += 1
        header = new_header(event_id=str(uuid.uuid5(NAMESPACE, f"{self.complaint_id}/{self._sequence}")),
                            complaint_id=self.complaint_id, tracking_id=self.tracking_id, occurred_at=self.clock,
                            actor=actor, correlation_id=self.complaint_id, causation_id=None)
        self.history.events.append((event.value, {"header": header, **body}))
        return self

    def verify(self, category: str = "health", region_code: str = "74.04", report_type: str = "COMPLAINT",
               hours: float = 1.0) -> "ComplaintHistory":
        return self.emit(Event.VERIFIED, {"report_type": report_type, "category": category,
                                          "region_code": region_code, "tags": [], "automatic": False},
                         actor=ADMIN, hours=hours)

    def disposition(self, agency: str, unit: str | None = None, copies: tuple[str, ...] = (),
                    hours: float = 0.0) -> "ComplaintHistory":
        self.agency = agency
        self.round += 1
        return self.emit(Event.DISPOSITIONED, {"agency": agency, "unit": unit, "copies": list(copies),
                                               "rule_id": "regional-default", "rule_reason": "region's government",
                                               "directory_version": "test", "round": self.round},
                         actor=ADMIN, hours=hours)

    def reject(self, reason: str = "INCOMPLETE", note: str | None = None, hours: float = 1.0) -> "ComplaintHistory":
        return self.emit(Event.REJECTED, {"reason": reason, "duplicate_of": None, "note": note}, actor=ADMIN,
                         hours=hours)

    def postpone(self, note: str | None = None, until: datetime | None = None,
                 hours: float = 1.0) -> "ComplaintHistory":
        return self.emit(Event.POSTPONED, {"note": note, "until": until}, actor=ADMIN, hours=hours)

    def forward(self, reason: str = "NOT_OUR_AUTHORITY", suggested_category: str | None = None,
                suggested_region: str | None = None, hours: float = 1.0) -> "ComplaintHistory":
        return self.emit(Event.FORWARDED, {"from_agency": self.agency, "reason": reason, "suggested_agency": None,
                                           "suggested_category": suggested_category,
                                           "suggested_region": suggested_region, "note": None},
                         actor=self.officer, hours=hours)

    def acknowledge(self, note: str | None = None, hours: float = 1.0) -> "ComplaintHistory":
        return self.emit(Event.ACKNOWLEDGED, {"agency": self.agency, "unit": None, "note": note},
                         actor=self.officer, hours=hours)

    def request_information(self, question: str = "Mohon kirim foto lokasi.", hours: float = 1.0) -> "ComplaintHistory":
        return self.emit(Event.INFORMATION_REQUESTED, {"agency": self.agency, "question": question},
                         actor=self.officer, hours=hours)

    def add_information(self, text: str = "Foto terlampir.", urls: tuple[str, ...] = (),
                        hours: float = 1.0) -> "ComplaintHistory":
        return self.emit(Event.INFORMATION_ADDED, {"text": text, "attachments": _attachments(urls)},
                         actor=self.reporter, hours=hours)

    def follow_up(self, text: str = "Sudah dijadwalkan perbaikan.", hours: float = 1.0) -> "ComplaintHistory":
        return self.emit(Event.FOLLOW_UP_POSTED, {"agency": self.agency, "unit": None, "text": text,
                                                  "attachments": []}, actor=self.officer, hours=hours)

    def resolve(self, resolution: str = "Jalan sudah diperbaiki.", hours: float = 1.0) -> "ComplaintHistory":
        return self.emit(Event.RESOLVED, {"agency": self.agency, "resolution": resolution}, actor=self.officer,
                         hours=hours)

    def close(self, reason: str = "NO_REPLY_AFTER_FOLLOW_UP", hours: float = 1.0) -> "ComplaintHistory":
        return self.emit(Event.CLOSED, {"reason": reason, "note": None}, actor=SYSTEM, hours=hours)

    def reopen(self, reason: str = "Belum diperbaiki.", hours: float = 1.0) -> "ComplaintHistory":
        return self.emit(Event.REOPENED, {"reason": reason}, actor=self.reporter, hours=hours)

    def rate(self, rating: int, comment: str | None = None, hours: float = 1.0) -> "ComplaintHistory":
        return self.emit(Event.RATED, {"rating": rating, "comment": comment}, actor=self.reporter, hours=hours)

    def withdraw(self, reason: str | None = "Sudah selesai sendiri.", hours: float = 1.0) -> "ComplaintHistory":
        return self.emit(Event.WITHDRAWN, {"reason": reason}, actor=self.reporter, hours=hours)

    def erase(self, requested_by: str = "reporter", hours: float = 1.0) -> "ComplaintHistory":
        return self.emit(Event.PERSONAL_DATA_ERASED, {"requested_by": requested_by, "note": None}, actor=ADMIN,
                         hours=hours)

    def warn(self, stage: str, due: datetime, hours: float = 1.0) -> "ComplaintHistory":
        return self.emit(Event.DEADLINE_WARNING, {"stage": stage, "agency": self.agency, "due_at": due,
                                                  "deadline_id": f"{self.complaint_id}:{stage}:1"},
                         actor=SYSTEM, hours=hours)

    def breach(self, stage: str, due: datetime, hours: float = 1.0) -> "ComplaintHistory":
        return self.emit(Event.DEADLINE_BREACHED, {"stage": stage, "agency": self.agency, "due_at": due,
                                                   "deadline_id": f"{self.complaint_id}:{stage}:1"},
                         actor=SYSTEM, hours=hours)

    def set_deadline(self, stage: str, reason: str, due: datetime | None, round: int = 1,
                     hours: float = 0.0) -> "ComplaintHistory":
        return self.emit(Event.DEADLINE_SET, {"stage": stage, "agency": self.agency,
                                              "deadline_id": f"{self.complaint_id}:{stage}:{round}",
                                              "reason": reason, "due_at": due, "working_days": 3,
                                              "policy_version": "test", "calendar_version": "test"},
                         actor=SYSTEM, hours=hours)

    def escalate(self, stage: str, level: str, to_agency: str, hours: float = 0.0) -> "ComplaintHistory":
        return self.emit(Event.ESCALATED, {"stage": stage, "from_agency": self.agency, "to_agency": to_agency,
                                           "level": level, "deadline_id": f"{self.complaint_id}:{stage}:1"},
                         actor=SYSTEM, hours=hours)

    def complete_stage(self, stage: str, on_time: bool, started: datetime | None = None,
                       due: datetime | None = None, hours: float = 0.0) -> "ComplaintHistory":
        completed = self.clock + timedelta(hours=hours)
        return self.emit(Event.STAGE_COMPLETED, {
            "stage": stage, "agency": self.agency, "started_at": started or completed - timedelta(days=1),
            "due_at": due or completed + (timedelta(days=1) if on_time else -timedelta(days=1)),
            "completed_at": completed, "paused_ms": 0, "on_time": on_time}, actor=SYSTEM, hours=hours)


def full_lifecycle(history: History) -> ComplaintHistory:
    """One complaint through every kind of event there is."""
    c = history.submit("74.04.11", "health")
    c.postpone("menunggu data").verify("health", "74.04").disposition("pemkab-74-01", "pemkab-74-01.dinkes")
    c.complete_stage("VERIFICATION", on_time=True).forward(suggested_region="74.04")
    c.disposition("pemkab-74-04", "pemkab-74-04.dinkes")
    c.set_deadline("FIRST_RESPONSE", "RESTARTED", START + timedelta(days=3), round=2)
    c.warn("FIRST_RESPONSE", START + timedelta(days=3))
    c.breach("FIRST_RESPONSE", START + timedelta(days=3)).escalate("FIRST_RESPONSE", "AGENCY_COORDINATOR",
                                                                    "pemprov-74")
    c.acknowledge().complete_stage("FIRST_RESPONSE", on_time=False).request_information().add_information()
    c.follow_up().complete_stage("FOLLOW_UP", on_time=True).resolve().close().reopen().follow_up().resolve()
    c.rate(4, "Cukup cepat").erase()
    return c
