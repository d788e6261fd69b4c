"""What every channel adapter shares: building and checking a report, its receipt, and its intake message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aduan.domain.intake import INTAKE_REPORT, Problem, Rules
from aduan.domain.tracking import TrackingIds, complaint_id, delivery_key
from aduan.kernel.config import Settings
from aduan.kernel.metrics import CHANNEL_IGNORED, CHANNEL_REPORTS
from aduan.kernel.privacy import Sealer, tracking_ids
from aduan.kernel.topics import Topics
from channels.report import new_report
from schemas import codec


@dataclass(frozen=True)
class Receipt:
    """What the reporter is told at once: the ids derived from the delivery."""

    key: str
    complaint_id: str
    tracking_id: str
    reporter_token: str

    def as_json(self) -> dict[str, str]:
        return {"tracking_id": self.tracking_id, "complaint_id": self.complaint_id,
                "reporter_token": self.reporter_token}


class Door:
    """The intake door of one deployment: rules, sealing key, tracking secret and the intake topic."""

    def __init__(self, settings: Settings, *, rules: Rules | None = None, ids: TrackingIds | None = None,
                 sealer: Sealer | None = None) -> None:
        self.topic = Topics(settings.topic_prefix).intake
        self.rules = rules or Rules()
        self.ids = ids or tracking_ids(settings)
        self.sealer = sealer or Sealer.from_settings(settings)

    def report(self, **fields: Any) -> dict[str, Any]:
        """An intake report (see :func:`channels.report.new_report`), sealed with this door's key."""
        return new_report(sealer=self.sealer, **fields)

    def problems(self, report: dict[str, Any]) -> list[Problem]:
        """What keeps ``report`` out (empty: it may be published); a refusal is counted."""
        found = self.rules.problems(report)
        if found:
            self.refused(report["channel"])
        return found

    def receipt(self, report: dict[str, Any]) -> Receipt:
        """The ids of ``report``'s delivery: the same for every redelivery."""
        key = delivery_key(report["channel"], report["channel_message_id"])
        return Receipt(key, complaint_id(key), self.ids.tracking_id(key), self.ids.reporter_token(key))

    def message(self, report: dict[str, Any]) -> tuple[bytes, bytes]:
        """``(Kafka key, value)`` of ``report`` on the intake topic."""
        key = delivery_key(report["channel"], report["channel_message_id"])
        return key.encode(), codec().encode(INTAKE_REPORT, report)

    @staticmethod
    def refused(channel: str) -> None:
        """Count a report of ``channel`` refused at the door."""
        CHANNEL_REPORTS.labels(channel=channel, outcome="refused").inc()

    @staticmethod
    def published(report: dict[str, Any]) -> None:
        """Count ``report`` as published (after the broker acknowledged it)."""
        CHANNEL_REPORTS.labels(channel=report["channel"], outcome="published").inc()


def ignored(channel: str, reason: str) -> None:
    """Count a message a channel ignored at the door, by reason."""
    CHANNEL_IGNORED.labels(channel=channel, reason=reason).inc()


@dataclass(frozen=True)
class Read:
    """What a door made of one incoming message: a report to publish, or the reason it is not one (a code, and
    for the reporter a reply in Indonesian where the channel can answer)."""

    report: dict[str, Any] | None = None
    reason: str | None = None
    reply: str | None = None
