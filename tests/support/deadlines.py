"""Helpers of the deadline tests: instants in Sulawesi Tenggara's local time (WITA), one complaint's events as the
lifecycle writes them (:class:`Story`), and the one deadline tracker they share (:func:`tracker`)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from aduan.domain.deadline_tracker import DeadlineTracker
from aduan.domain.events import Event, event_id, new_header

WITA = ZoneInfo("Asia/Makassar")


BUTON = "74.04"  # Kabupaten Buton, Sulawesi Tenggara: WITA


DINKES = "pemkab-74-04.dinkes"


def wita(day: int, hour: int = 9, month: int = 10, minute: int = 0) -> datetime:
    """An instant in October 2026 (no holidays), Sulawesi Tenggara local time, as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=WITA).astimezone(timezone.utc)


def end_of(day: int, month: int = 10) -> datetime:
    """The last millisecond of a local day: what a deadline looks like."""
    return wita(day, 23, month, 59) + timedelta(seconds=59, milliseconds=999)


class Story:
    """One complaint's events, built with ``aduan.domain.events`` as the lifecycle writes them to the log."""

    def __init__(self, complaint_id: str = "c-1", region_code: str = BUTON, category: str | None = "health",
                 report_type: str = "COMPLAINT") -> None:
        self.complaint_id = complaint_id
        self.region_code = region_code
        self.category = category
        self.report_type = report_type
        self.told = 0

    def event(self, name: Event, at: datetime, **body: Any) -> tuple[str, dict[str, Any]]:
        self.told += 1
        actor = {"kind": "ADMIN", "id": "admin-1", "agency": None}
        header = new_header(event_id=event_id(f"{self.complaint_id}/{self.told}", name), complaint_id=self.complaint_id,
                            tracking_id=f"T-{self.complaint_id}", occurred_at=at, actor=actor,
                            correlation_id=self.complaint_id, causation_id=None)
        return name.value, {"header": header, **body}

    def submitted(self, at: datetime) -> tuple[str, dict[str, Any]]:
        return self.event(Event.SUBMITTED, at, report_type=self.report_type, channel="WEB",
                          channel_message_id=f"web:{self.complaint_id}", title="Puskesmas tutup",
                          description="Puskesmas tutup pada jam kerja", category=self.category,
                          region_code=self.region_code, coordinates=None, address=None, attachments=[],
                          privacy={"anonymous": False, "confidential": False}, reporter=None, reporter_sealed=None)

    def verified(self, at: datetime) -> tuple[str, dict[str, Any]]:
        return self.event(Event.VERIFIED, at, report_type=self.report_type, category=self.category or "health",
                          region_code=self.region_code, tags=[], automatic=False)

    def postponed(self, at: datetime) -> tuple[str, dict[str, Any]]:
        return self.event(Event.POSTPONED, at, note="menunggu", until=None)

    def rejected(self, at: datetime) -> tuple[str, dict[str, Any]]:
        return self.event(Event.REJECTED, at, reason="OUT_OF_SCOPE", duplicate_of=None, note=None)

    def dispositioned(self, at: datetime, agency: str = "pemkab-74-04", unit: str | None = DINKES,
                      round: int = 1) -> tuple[str, dict[str, Any]]:
        return self.event(Event.DISPOSITIONED, at, agency=agency, unit=unit, copies=[], rule_id="r-health",
                          rule_reason="health in a regency", directory_version="test", round=round)

    def forwarded(self, at: datetime, from_agency: str = "pemkab-74-04") -> tuple[str, dict[str, Any]]:
        return self.event(Event.FORWARDED, at, from_agency=from_agency, reason="NOT_OUR_AUTHORITY",
                          suggested_agency=None, suggested_category=None, suggested_region=None, note=None)

    def acknowledged(self, at: datetime, agency: str = "pemkab-74-04") -> tuple[str, dict[str, Any]]:
        return self.event(Event.ACKNOWLEDGED, at, agency=agency, unit=DINKES, note=None)

    def information_requested(self, at: datetime, agency: str = "pemkab-74-04") -> tuple[str, dict[str, Any]]:
        return self.event(Event.INFORMATION_REQUESTED, at, agency=agency, question="Puskesmas yang mana?")

    def information_added(self, at: datetime) -> tuple[str, dict[str, Any]]:
        return self.event(Event.INFORMATION_ADDED, at, text="Puskesmas Pasarwajo", attachments=[])

    def follow_up_posted(self, at: datetime, agency: str = "pemkab-74-04") -> tuple[str, dict[str, Any]]:
        return self.event(Event.FOLLOW_UP_POSTED, at, agency=agency, unit=DINKES, text="Sudah ditegur",
                          attachments=[])

    def reopened(self, at: datetime) -> tuple[str, dict[str, Any]]:
        return self.event(Event.REOPENED, at, reason="masih tutup")

    def closed(self, at: datetime) -> tuple[str, dict[str, Any]]:
        return self.event(Event.CLOSED, at, reason="NO_REPLY_AFTER_FOLLOW_UP", note=None)

    def withdrawn(self, at: datetime) -> tuple[str, dict[str, Any]]:
        return self.event(Event.WITHDRAWN, at, reason=None)


@lru_cache(maxsize=1)
def tracker() -> DeadlineTracker:
    return DeadlineTracker.load()
