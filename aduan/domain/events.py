"""Complaint event names, deterministic event ids and the header every complaint event carries.

Records built here are plain dicts that ``schemas.codec().encode(name, record)`` accepts as they are.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

# Fixed for the life of the project: changing it would change every event id derived from a cause.
EVENT_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "events.aduan.id")


class Event(StrEnum):
    """The complaint events of the catalogue, by Avro full name (the name the codec and the log use)."""

    SUBMITTED = "id.aduan.ComplaintSubmitted"
    VERIFIED = "id.aduan.ComplaintVerified"
    REJECTED = "id.aduan.ComplaintRejected"
    POSTPONED = "id.aduan.ComplaintPostponed"
    DISPOSITIONED = "id.aduan.ComplaintDispositioned"
    FORWARDED = "id.aduan.ComplaintForwarded"
    ACKNOWLEDGED = "id.aduan.ComplaintAcknowledged"
    INFORMATION_REQUESTED = "id.aduan.InformationRequested"
    INFORMATION_ADDED = "id.aduan.InformationAdded"
    FOLLOW_UP_POSTED = "id.aduan.FollowUpPosted"
    RESOLVED = "id.aduan.ComplaintResolved"
    CLOSED = "id.aduan.ComplaintClosed"
    REOPENED = "id.aduan.ComplaintReopened"
    RATED = "id.aduan.ComplaintRated"
    DEADLINE_WARNING = "id.aduan.DeadlineWarning"
    DEADLINE_BREACHED = "id.aduan.DeadlineBreached"
    ESCALATED = "id.aduan.ComplaintEscalated"
    STAGE_COMPLETED = "id.aduan.StageCompleted"
    WITHDRAWN = "id.aduan.ComplaintWithdrawn"
    PERSONAL_DATA_ERASED = "id.aduan.PersonalDataErased"
    DEADLINE_SET = "id.aduan.DeadlineSet"


def event_id(cause_id: str, event_name: str, index: int = 0) -> str:
    """The id of the ``index``-th event named ``event_name`` that ``cause_id`` (a command or event id) produced.

    A uuid5, so a redelivered cause yields the same ids and consumers can drop the repeat.
    """
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{cause_id}/{event_name}/{index}"))


def to_millis(moment: datetime) -> datetime:
    """``moment`` in UTC, cut to the millisecond that Avro ``timestamp-millis`` keeps.

    Cutting before the event is built makes an event read back from the log equal to the one that was written.
    Refuses a naive datetime: pass an aware one (e.g. ``datetime.now(timezone.utc)``).
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone: pass an aware datetime, e.g. datetime.now(timezone.utc)")
    utc = moment.astimezone(timezone.utc)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def new_header(
    *,
    event_id: str,
    complaint_id: str,
    tracking_id: str,
    occurred_at: datetime,
    actor: dict[str, Any],
    correlation_id: str,
    causation_id: str | None,
    schema_version: int = 1,
) -> dict[str, Any]:
    """An ``id.aduan.EventHeader`` record; ``actor`` is an ``id.aduan.Actor`` record."""
    return {
        "event_id": event_id,
        "complaint_id": complaint_id,
        "tracking_id": tracking_id,
        "occurred_at": to_millis(occurred_at),
        "actor": actor,
        "correlation_id": correlation_id,
        "causation_id": causation_id,
        "schema_version": schema_version,
    }
