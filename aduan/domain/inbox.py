"""What reaches an agency's inbox: which complaint events become ``id.aduan.agency.InboxItem`` records, for whom.

Pure: the dispatcher (``streams/dispatcher.py``) keeps a :class:`Dossier` per complaint (a JSON document made by
:data:`aduan.domain.records.DOCUMENTS`) and feeds it every log event; :func:`inbox_items` returns the updated dossier
and the items to publish.

===============================  =====================  =============================================
event                            kind                   inbox
===============================  =====================  =============================================
ComplaintDispositioned           NEW (round 1) or       the handling agency
                                 FORWARDED (later)
                                 COPY                   every agency receiving a copy
ComplaintEscalated               ESCALATED              ``to_agency`` (the deadline processor's)
InformationAdded                 REPORTER_REPLIED       the handling agency
ComplaintReopened / Withdrawn /  REOPENED / WITHDRAWN / the handling agency
Closed / Rated                   CLOSED / RATED
DeadlineWarning / Breached       DEADLINE_WARNING /     the agency owing the stage (else the handler)
                                 DEADLINE_BREACHED
PersonalDataErased               PERSONAL_DATA_ERASED   handler and copies, when they had a contact
===============================  =====================  =============================================

ComplaintSubmitted, Verified and Forwarded only update the dossier (content, classification); the agency's own
actions and the admins' decisions before disposition reach no inbox.

**Privacy.** The dossier never holds an anonymous reporter's identity, whatever the event carried: for an
*anonim* report the reporter is dropped when the dossier is made, and the sealed identity is never kept. After
``PersonalDataErased`` the contact is dropped too. The reporter's contact is in an item only when the report is
not anonymous and the contact was not erased.

**Duplicates.** The ids of events that produced items are kept in the dossier: a redelivered event yields no
second item. Items carry their event id, so a client drops a repeat that a crash republished.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Callable, Mapping

from aduan.domain.events import Event

INBOX_ITEM = "id.aduan.agency.InboxItem"

Record = dict[str, Any]
# The follow-up deadline of a complaint dispositioned to ``agency`` at ``at``, when it can be known.
FollowUpDue = Callable[["Dossier", str, datetime], datetime | None]


@dataclass(frozen=True)
class Dossier:
    """What the dispatcher keeps of one complaint: its content as agencies may see it, and where it is."""

    complaint_id: str
    tracking_id: str
    report_type: str
    channel: str
    submitted_at: datetime
    title: str
    description: str
    category: str | None
    region_code: str
    address: str | None
    coordinates: Record | None
    attachments: tuple[Record, ...]
    anonymous: bool
    confidential: bool
    reporter: Record | None
    tags: tuple[str, ...] = ()
    handling_agency: str | None = None
    unit: str | None = None
    copies: tuple[str, ...] = ()
    round: int = 0
    routing_reason: str | None = None
    dispatched: tuple[str, ...] = field(default=())

    @classmethod
    def submitted(cls, record: Mapping[str, Any]) -> "Dossier":
        """The dossier of a ``ComplaintSubmitted`` record, without an anonymous reporter's identity."""
        header = record["header"]
        anonymous = bool(record["privacy"]["anonymous"])
        reporter = record.get("reporter")
        return cls(
            complaint_id=header["complaint_id"],
            tracking_id=header["tracking_id"],
            report_type=record["report_type"],
            channel=record["channel"],
            submitted_at=header["occurred_at"],
            title=record["title"],
            description=record["description"],
            category=record.get("category"),
            region_code=record["region_code"],
            address=record.get("address"),
            coordinates=record.get("coordinates"),
            attachments=tuple(record.get("attachments") or ()),
            anonymous=anonymous,
            confidential=bool(record["privacy"]["confidential"]),
            reporter=None if anonymous or not _identifies(reporter) else dict(reporter),
        )


def _identifies(reporter: Mapping[str, Any] | None) -> bool:
    return bool(reporter) and any(value for value in reporter.values())


@dataclass(frozen=True)
class Delivery:
    """One inbox item for one agency."""

    agency: str
    record: Record


def inbox_items(
    dossier: Dossier | None, event_name: str, record: Mapping[str, Any], *, follow_up_due: FollowUpDue
) -> tuple[Dossier | None, list[Delivery]]:
    """The dossier after the event ``event_name`` and the inbox items it causes (see the module docstring)."""
    try:
        event = Event(event_name)
    except ValueError:
        return dossier, []
    if event is Event.SUBMITTED:
        return (Dossier.submitted(record) if dossier is None else dossier), []
    header = record["header"]
    if dossier is None or header["complaint_id"] != dossier.complaint_id or header["event_id"] in dossier.dispatched:
        return dossier, []
    step = _STEPS.get(event)
    if step is None:
        return dossier, []
    updated, targets = step(dossier, record, follow_up_due)
    deliveries = [Delivery(agency, _item(updated, event, record, agency, **extra)) for agency, extra in targets]
    if deliveries:
        updated = replace(updated, dispatched=updated.dispatched + (header["event_id"],))
    return updated, deliveries


# Each step: (dossier after the event, [(agency, item fields besides the dossier's)]).
Targets = list[tuple[str, dict[str, Any]]]
_Step = Callable[[Dossier, Mapping[str, Any], FollowUpDue], tuple[Dossier, Targets]]


def _verified(d: Dossier, r: Mapping[str, Any], due: FollowUpDue) -> tuple[Dossier, Targets]:
    return replace(d, report_type=r["report_type"], category=r["category"], region_code=r["region_code"],
                   tags=tuple(r["tags"])), []


def _forwarded(d: Dossier, r: Mapping[str, Any], due: FollowUpDue) -> tuple[Dossier, Targets]:
    return replace(d, category=r.get("suggested_category") or d.category,
                   region_code=r.get("suggested_region") or d.region_code), []


def _dispositioned(d: Dossier, r: Mapping[str, Any], due: FollowUpDue) -> tuple[Dossier, Targets]:
    reason = f"{r['rule_reason']} (rule {r['rule_id']}, directory {r['directory_version']})"
    updated = replace(d, handling_agency=r["agency"], unit=r.get("unit"), copies=tuple(r["copies"]),
                      round=r["round"], routing_reason=reason)
    due_at = due(updated, r["agency"], r["header"]["occurred_at"])
    kind = "NEW" if r["round"] <= 1 else "FORWARDED"
    handler = {"kind": kind, "due_at": due_at, "due_stage": "FOLLOW_UP" if due_at else None}
    return updated, [(r["agency"], handler)] + [(copy, {"kind": "COPY"}) for copy in r["copies"]]


def _escalated(d: Dossier, r: Mapping[str, Any], due: FollowUpDue) -> tuple[Dossier, Targets]:
    late = r.get("from_agency") or "nobody yet"
    message = f"stage {r['stage']} is overdue ({late}); escalated to {r['level']} ({r['deadline_id']})"
    return d, [(r["to_agency"], {"kind": "ESCALATED", "due_stage": r["stage"], "message": message})]


def _to_handler(kind: str, message: Callable[[Mapping[str, Any]], str | None]) -> _Step:
    def step(d: Dossier, r: Mapping[str, Any], due: FollowUpDue) -> tuple[Dossier, Targets]:
        if d.handling_agency is None:
            return d, []
        return d, [(d.handling_agency, {"kind": kind, "message": message(r)})]
    return step


def _deadline(kind: str) -> _Step:
    def step(d: Dossier, r: Mapping[str, Any], due: FollowUpDue) -> tuple[Dossier, Targets]:
        owner = r.get("agency") or d.handling_agency
        if owner is None:
            return d, []
        return d, [(owner, {"kind": kind, "due_at": r["due_at"], "due_stage": r["stage"]})]
    return step


def _erased(d: Dossier, r: Mapping[str, Any], due: FollowUpDue) -> tuple[Dossier, Targets]:
    had_contact = d.reporter is not None
    updated = replace(d, reporter=None)
    if not had_contact or d.handling_agency is None:
        return updated, []
    message = "the reporter's personal data was erased: delete the contact you hold for this complaint"
    return updated, [(agency, {"kind": "PERSONAL_DATA_ERASED", "message": message})
                     for agency in (d.handling_agency, *d.copies)]


def _rated(r: Mapping[str, Any]) -> str:
    comment = f": {r['comment']}" if r.get("comment") else ""
    return f"rated {r['rating']}/5{comment}"


def _closed(r: Mapping[str, Any]) -> str:
    return f"closed ({r['reason']})" + (f": {r['note']}" if r.get("note") else "")


_STEPS: dict[Event, _Step] = {
    Event.VERIFIED: _verified,
    Event.FORWARDED: _forwarded,
    Event.DISPOSITIONED: _dispositioned,
    Event.ESCALATED: _escalated,
    Event.INFORMATION_ADDED: _to_handler("REPORTER_REPLIED", lambda r: r["text"]),
    Event.REOPENED: _to_handler("REOPENED", lambda r: r["reason"]),
    Event.WITHDRAWN: _to_handler("WITHDRAWN", lambda r: r.get("reason")),
    Event.CLOSED: _to_handler("CLOSED", _closed),
    Event.RATED: _to_handler("RATED", _rated),
    Event.DEADLINE_WARNING: _deadline("DEADLINE_WARNING"),
    Event.DEADLINE_BREACHED: _deadline("DEADLINE_BREACHED"),
    Event.PERSONAL_DATA_ERASED: _erased,
}


def _item(d: Dossier, event: Event, record: Mapping[str, Any], agency: str, *, kind: str,
          due_at: datetime | None = None, due_stage: str | None = None, message: str | None = None) -> Record:
    """The ``id.aduan.agency.InboxItem`` record for ``agency``."""
    header = record["header"]
    return {
        "kind": kind,
        "agency": agency,
        "event_id": header["event_id"],
        "event_type": event.value,
        "occurred_at": header["occurred_at"],
        "complaint_id": d.complaint_id,
        "tracking_id": d.tracking_id,
        "handling_agency": d.handling_agency,
        "unit": d.unit,
        "round": d.round,
        "routing_reason": d.routing_reason,
        "due_at": due_at,
        "due_stage": due_stage,
        "message": message,
        "report_type": d.report_type,
        "channel": d.channel,
        "submitted_at": d.submitted_at,
        "title": d.title,
        "description": d.description,
        "category": d.category,
        "region_code": d.region_code,
        "tags": list(d.tags),
        "address": d.address,
        "coordinates": d.coordinates,
        "attachments": list(d.attachments),
        "anonymous": d.anonymous,
        "confidential": d.confidential,
        "reporter": None if d.anonymous else d.reporter,
    }
