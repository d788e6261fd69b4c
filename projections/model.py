"""The fold from complaint events to read-model rows, shared by the live projector and the rebuild.

:class:`Fold` keeps :class:`ComplaintRow` objects (one per complaint, the columns of ``complaint_status``) and turns
each event into a timeline row (and, for ``StageCompleted``, a stage-completion row). Timestamps are integer
milliseconds since the epoch (UTC) throughout, as :class:`projections.decode.EventDecoder` delivers them.

Statuses follow the lifecycle state machine of :mod:`aduan.domain.lifecycle` (its ``Status`` names); the fold
mirrors ``evolve``'s status changes in :data:`STATUS_AFTER` instead of calling it, because ``evolve`` builds a
frozen state per event, too slow for a replay of millions of events. ``tests/unit/test_projection_model.py``
checks that the two agree on every event of a scripted history.

Choices:

- ``acknowledged_at`` (first response) is the first acknowledgement ever; ``follow_up_at``, ``resolved_at`` and
  ``closed_at`` are cleared by a reopening (as ``evolve`` does), so they describe the latest round.
- ``open_deadlines`` holds the due time (null while paused) and breach flag of every open stage, from
  ``DeadlineSet`` (announced when a clock starts, restarts, pauses or resumes) and ``DeadlineWarning``/
  ``DeadlineBreached``; a stage leaves it when it completes (``StageCompleted``), all leave when the complaint
  closes, is rejected or withdrawn, and none opens while it stays so (the deadline processor may announce a clock
  after the lifecycle ended the complaint on the log). The current deadline (``deadline_stage``, ``deadline_due_at``,
  ``deadline_breached``) is that of the earliest open stage in :data:`STAGE_ORDER`: first response before
  follow-up, which both start with the disposition. A new round starts unbreached; a pause or resume keeps the
  breach. ``missed_deadline`` is true once any deadline was breached or any stage completed late.
- ``attachment_urls`` are the URLs of the files attached to the report and to the reporter's additions.
- ``escalation_level`` is the highest level reached; ``escalated_to`` the latest agency chasing it.
- An anonymous reporter's identity is never stored, even if an event carried it in clear; the reporter ref
  (a pseudonym) is kept on the status row only, never in the timeline. ``PersonalDataErased`` nulls all of it.
- Events of a complaint whose submission was never seen are kept in the timeline (status null) but make no
  status row.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, Callable

from aduan.domain.events import Event
from aduan.domain.lifecycle import Status
from projections.localities import Places

STATUS_COLUMNS: tuple[str, ...] = (
    "complaint_id", "tracking_id", "report_type", "channel", "category", "region_code", "regency_code",
    "province_code", "title", "description", "address", "latitude", "longitude", "attachment_urls", "anonymous",
    "confidential", "reporter_ref", "reporter_name", "reporter_email", "reporter_phone", "reporter_social_handle",
    "personal_data_erased", "status", "agency", "unit", "copies", "routing_round", "forwards", "reopen_count",
    "submitted_at", "submitted_day", "verified_at", "postponed_until", "dispositioned_at", "acknowledged_at",
    "follow_up_at", "resolved_at", "closed_at", "rejected_at", "withdrawn_at", "deadline_stage", "deadline_due_at",
    "deadline_breached", "missed_deadline", "open_deadlines", "escalation_level", "escalated_to", "rating",
    "rated_at", "last_event_at", "events",
)
TIMESTAMP_COLUMNS = frozenset(c for c in STATUS_COLUMNS if c.endswith("_at") or c == "postponed_until")
REPORTER_COLUMNS = ("reporter_ref", "reporter_name", "reporter_email", "reporter_phone", "reporter_social_handle")

TIMELINE_COLUMNS: tuple[str, ...] = (
    "event_id", "complaint_id", "log_partition", "log_offset", "occurred_at", "event", "status", "actor_kind",
    "actor_id", "actor_agency", "agency", "stage", "detail", "internal_detail",
)
STAGE_COLUMNS: tuple[str, ...] = (
    "event_id", "complaint_id", "stage", "agency", "started_at", "due_at", "completed_at", "paused_ms", "on_time",
)
COUNT_KEY_COLUMNS: tuple[str, ...] = ("day", "province_code", "regency_code", "category", "report_type", "channel")

TimelineRow = tuple  # the values of TIMELINE_COLUMNS
StageRow = tuple  # the values of STAGE_COLUMNS
CountKey = tuple  # the values of COUNT_KEY_COLUMNS

# The status after each event (None: unchanged), mirroring aduan.domain.lifecycle.evolve.
STATUS_AFTER: dict[str, str | None] = {
    Event.SUBMITTED: Status.SUBMITTED.value,
    Event.VERIFIED: None,
    Event.REJECTED: Status.REJECTED.value,
    Event.POSTPONED: Status.POSTPONED.value,
    Event.DISPOSITIONED: Status.DISPOSITIONED.value,
    Event.FORWARDED: None,
    Event.ACKNOWLEDGED: Status.IN_PROGRESS.value,
    Event.INFORMATION_REQUESTED: Status.WAITING_FOR_REPORTER.value,
    Event.INFORMATION_ADDED: Status.IN_PROGRESS.value,
    Event.FOLLOW_UP_POSTED: Status.FOLLOWED_UP.value,
    Event.RESOLVED: Status.RESOLVED.value,
    Event.CLOSED: Status.CLOSED.value,
    Event.REOPENED: Status.IN_PROGRESS.value,
    Event.RATED: None,
    Event.DEADLINE_WARNING: None,
    Event.DEADLINE_BREACHED: None,
    Event.ESCALATED: None,
    Event.STAGE_COMPLETED: None,
    Event.WITHDRAWN: Status.WITHDRAWN.value,
    Event.PERSONAL_DATA_ERASED: None,
    Event.DEADLINE_SET: None,
}
STAGE_ORDER = ("VERIFICATION", "FIRST_RESPONSE", "FOLLOW_UP", "CLOSURE")  # the symbols of id.aduan.Stage
ENDED = frozenset({Status.CLOSED.value, Status.REJECTED.value, Status.WITHDRAWN.value})  # no clock runs
ESCALATION_RANK = {"AGENCY_COORDINATOR": 1, "NATIONAL_ADMIN": 2, "OMBUDSMAN": 3}


class ComplaintRow:
    """One ``complaint_status`` row, mutable while events are folded into it."""

    __slots__ = STATUS_COLUMNS

    def values(self) -> tuple:
        """The column values in :data:`STATUS_COLUMNS` order."""
        return _STATUS_VALUES(self)

    @classmethod
    def from_values(cls, values: tuple | list) -> "ComplaintRow":
        """A row from column values in :data:`STATUS_COLUMNS` order."""
        row = cls()
        for column, value in zip(STATUS_COLUMNS, values):
            setattr(row, column, value)
        row.copies = list(row.copies)
        row.attachment_urls = list(row.attachment_urls)
        return row

    def count_key(self) -> CountKey:
        """Its key in ``complaint_counts``."""
        return (self.submitted_day, self.province_code, self.regency_code, self.category, self.report_type,
                self.channel)


_STATUS_VALUES = attrgetter(*STATUS_COLUMNS)
_SHORT_NAMES = {event.value: event.value.rpartition(".")[2] for event in Event}


def short_name(event_name: str) -> str:
    """``ComplaintSubmitted`` for ``id.aduan.ComplaintSubmitted``."""
    return _SHORT_NAMES.get(event_name) or event_name.rpartition(".")[2]


def _join(*parts: Any) -> str | None:
    text = ": ".join(str(p) for p in parts if p not in (None, ""))
    return text or None


Detail = tuple[str | None, str | None, str | None, str | None]  # agency, stage, detail, internal detail
_NOTHING: Detail = (None, None, None, None)


class Fold:
    """Folds events into complaint rows; ``rows`` are the complaints it knows (complaint id -> row)."""

    def __init__(self, places: Places | None = None, rows: dict[str, ComplaintRow] | None = None) -> None:
        self.places = places or Places()
        self.rows: dict[str, ComplaintRow] = rows if rows is not None else {}
        self._handlers: dict[str, Callable[[ComplaintRow, dict, int], Detail]] = {
            Event.VERIFIED: self._verified,
            Event.REJECTED: _rejected,
            Event.POSTPONED: _postponed,
            Event.DISPOSITIONED: _dispositioned,
            Event.FORWARDED: self._forwarded,
            Event.ACKNOWLEDGED: _acknowledged,
            Event.INFORMATION_REQUESTED: _information_requested,
            Event.INFORMATION_ADDED: _information_added,
            Event.FOLLOW_UP_POSTED: _follow_up_posted,
            Event.RESOLVED: _resolved,
            Event.CLOSED: _closed,
            Event.REOPENED: _reopened,
            Event.RATED: _rated,
            Event.DEADLINE_WARNING: _deadline_warning,
            Event.DEADLINE_BREACHED: _deadline_breached,
            Event.ESCALATED: _escalated,
            Event.STAGE_COMPLETED: _stage_completed,
            Event.WITHDRAWN: _withdrawn,
            Event.PERSONAL_DATA_ERASED: _personal_data_erased,
            Event.DEADLINE_SET: _deadline_set,
        }

    def apply(self, name: str, record: dict, partition: int, offset: int) -> tuple[TimelineRow, StageRow | None]:
        """Fold one event; returns its timeline row and, for ``StageCompleted``, its stage-completion row."""
        header = record["header"]
        complaint_id = header["complaint_id"]
        at = header["occurred_at"]
        row = self.rows.get(complaint_id)
        if name == Event.SUBMITTED:
            detail: Detail = _NOTHING  # a second submission of a known complaint changes nothing
            if row is None:
                row = self.rows[complaint_id] = self._submitted(record)
                detail = (None, None, record["title"], None)
        elif row is not None:
            detail = self._handlers[name](row, record, at)
            status = STATUS_AFTER[name]
            if status is not None:
                row.status = status
            row.last_event_at = at
            row.events += 1
        else:
            detail = _NOTHING
        actor = header["actor"]
        kind = actor["kind"]
        timeline = (header["event_id"], complaint_id, partition, offset, at, short_name(name),
                    None if row is None else row.status, kind, None if kind == "REPORTER" else actor["id"],
                    actor["agency"], *detail)
        if name == Event.STAGE_COMPLETED:
            return timeline, (header["event_id"], complaint_id, record["stage"], record["agency"],
                              record["started_at"], record["due_at"], record["completed_at"], record["paused_ms"],
                              record["on_time"])
        return timeline, None

    def _submitted(self, record: dict) -> ComplaintRow:
        header = record["header"]
        at = header["occurred_at"]
        place = self.places.of(record["region_code"])
        privacy = record["privacy"]
        anonymous = privacy["anonymous"]
        reporter = None if anonymous else record["reporter"]
        coordinates = record["coordinates"]
        actor = header["actor"]
        row = ComplaintRow()
        row.complaint_id = header["complaint_id"]
        row.tracking_id = header["tracking_id"]
        row.report_type = record["report_type"]
        row.channel = record["channel"]
        row.category = record["category"]
        row.region_code = record["region_code"]
        row.regency_code, row.province_code = place.regency_code, place.province_code
        row.title = record["title"]
        row.description = record["description"]
        row.address = record["address"]
        row.latitude = coordinates["lat"] if coordinates else None
        row.longitude = coordinates["lon"] if coordinates else None
        row.attachment_urls = _urls(record["attachments"])
        row.anonymous = anonymous
        row.confidential = privacy["confidential"]
        row.reporter_ref = actor["id"] if actor["kind"] == "REPORTER" else None
        row.reporter_name = reporter["name"] if reporter else None
        row.reporter_email = reporter["email"] if reporter else None
        row.reporter_phone = reporter["phone"] if reporter else None
        row.reporter_social_handle = reporter["social_handle"] if reporter else None
        row.personal_data_erased = False
        row.status = Status.SUBMITTED.value
        row.agency = row.unit = None
        row.copies = []
        row.routing_round = row.forwards = row.reopen_count = 0
        row.submitted_at = at
        row.submitted_day = self.places.local_day(at, place)
        row.verified_at = row.postponed_until = row.dispositioned_at = row.acknowledged_at = None
        row.follow_up_at = row.resolved_at = row.closed_at = row.rejected_at = row.withdrawn_at = None
        row.deadline_stage = row.deadline_due_at = None
        row.deadline_breached = row.missed_deadline = False
        row.open_deadlines = {}
        row.escalation_level = row.escalated_to = row.rating = row.rated_at = None
        row.last_event_at = at
        row.events = 1
        return row

    def _move_to(self, row: ComplaintRow, region_code: str) -> None:
        row.region_code = region_code
        place = self.places.of(region_code)
        row.regency_code, row.province_code = place.regency_code, place.province_code

    def _verified(self, row: ComplaintRow, r: dict, at: int) -> Detail:
        row.report_type = r["report_type"]
        row.category = r["category"]
        self._move_to(row, r["region_code"])
        row.verified_at = at
        return _NOTHING

    def _forwarded(self, row: ComplaintRow, r: dict, at: int) -> Detail:
        row.forwards += 1
        if r["suggested_category"]:
            row.category = r["suggested_category"]
        if r["suggested_region"]:
            self._move_to(row, r["suggested_region"])
        suggested = _join(r["suggested_agency"], r["suggested_category"], r["suggested_region"])
        return r["from_agency"], None, _join(r["reason"], r["note"]), suggested and f"suggested {suggested}"


def _urls(attachments: list[dict]) -> list[str]:
    return [attachment["url"] for attachment in attachments if attachment["url"]]


def _open_deadline(row: ComplaintRow, stage: str, due_at: int | None, breached: bool) -> None:
    if row.status in ENDED:
        return
    row.open_deadlines[stage] = [due_at, breached]
    _show_current_deadline(row)


def _show_current_deadline(row: ComplaintRow) -> None:
    """The current deadline columns from ``open_deadlines``: its earliest stage, or none."""
    stage = next((s for s in STAGE_ORDER if s in row.open_deadlines), None)
    row.deadline_stage = stage
    row.deadline_due_at, row.deadline_breached = row.open_deadlines[stage] if stage else (None, False)


def _clear_deadline(row: ComplaintRow) -> None:
    row.open_deadlines = {}
    _show_current_deadline(row)


def _rejected(row: ComplaintRow, r: dict, at: int) -> Detail:
    row.rejected_at = at
    _clear_deadline(row)
    return None, None, _join(r["reason"], r["duplicate_of"], r["note"]), None


def _postponed(row: ComplaintRow, r: dict, at: int) -> Detail:
    row.postponed_until = r["until"]
    return None, None, r["note"], None


def _dispositioned(row: ComplaintRow, r: dict, at: int) -> Detail:
    row.agency = r["agency"]
    row.unit = r["unit"]
    row.copies = list(r["copies"])
    row.routing_round = r["round"]
    row.dispositioned_at = at
    row.postponed_until = None
    return r["agency"], None, None, _join(r["rule_id"], r["rule_reason"], r["directory_version"])


def _acknowledged(row: ComplaintRow, r: dict, at: int) -> Detail:
    if row.acknowledged_at is None:
        row.acknowledged_at = at
    return r["agency"], None, r["note"], None


def _information_requested(row: ComplaintRow, r: dict, at: int) -> Detail:
    return r["agency"], None, r["question"], None


def _information_added(row: ComplaintRow, r: dict, at: int) -> Detail:
    row.attachment_urls = row.attachment_urls + _urls(r["attachments"])
    return None, None, r["text"], None


def _follow_up_posted(row: ComplaintRow, r: dict, at: int) -> Detail:
    row.follow_up_at = at
    return r["agency"], None, r["text"], None


def _resolved(row: ComplaintRow, r: dict, at: int) -> Detail:
    row.resolved_at = at
    return r["agency"], None, r["resolution"], None


def _closed(row: ComplaintRow, r: dict, at: int) -> Detail:
    row.closed_at = at
    _clear_deadline(row)
    return None, None, _join(r["reason"], r["note"]), None


def _reopened(row: ComplaintRow, r: dict, at: int) -> Detail:
    row.reopen_count += 1
    row.follow_up_at = row.resolved_at = row.closed_at = None
    return None, None, r["reason"], None


def _rated(row: ComplaintRow, r: dict, at: int) -> Detail:
    row.rating = r["rating"]
    row.rated_at = at
    return None, None, _join(f"{r['rating']}/5", r["comment"]), None


def _deadline_set(row: ComplaintRow, r: dict, at: int) -> Detail:
    stage, reason = r["stage"], r["reason"]
    breached = reason in ("PAUSED", "RESUMED") and row.open_deadlines.get(stage, [None, False])[1]  # same round
    _open_deadline(row, stage, r["due_at"], breached)
    return r["agency"], stage, reason.lower(), _join(r["deadline_id"], f"{r['working_days']} working days",
                                                     f"policy {r['policy_version']}")


def _deadline_warning(row: ComplaintRow, r: dict, at: int) -> Detail:
    _open_deadline(row, r["stage"], r["due_at"], False)
    return r["agency"], r["stage"], None, r["deadline_id"]


def _deadline_breached(row: ComplaintRow, r: dict, at: int) -> Detail:
    _open_deadline(row, r["stage"], r["due_at"], True)
    row.missed_deadline = True
    return r["agency"], r["stage"], None, r["deadline_id"]


def _escalated(row: ComplaintRow, r: dict, at: int) -> Detail:
    level = r["level"]
    if ESCALATION_RANK.get(level, 0) > ESCALATION_RANK.get(row.escalation_level or "", 0):
        row.escalation_level = level
    row.escalated_to = r["to_agency"]
    return r["to_agency"], r["stage"], level, _join(r["from_agency"] and f"late: {r['from_agency']}",
                                                    r["deadline_id"])


def _stage_completed(row: ComplaintRow, r: dict, at: int) -> Detail:
    row.open_deadlines.pop(r["stage"], None)
    _show_current_deadline(row)
    if not r["on_time"]:
        row.missed_deadline = True
    return r["agency"], r["stage"], "on time" if r["on_time"] else "late", None


def _withdrawn(row: ComplaintRow, r: dict, at: int) -> Detail:
    row.withdrawn_at = at
    _clear_deadline(row)
    return None, None, r["reason"], None


def _personal_data_erased(row: ComplaintRow, r: dict, at: int) -> Detail:
    for column in REPORTER_COLUMNS:
        setattr(row, column, None)
    row.personal_data_erased = True
    return None, None, None, _join(f"requested by {r['requested_by']}", r["note"])
