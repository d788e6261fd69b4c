"""The commands actors send about a complaint: admins verify, agencies handle, reporters reply, the system closes.

Plain frozen dataclasses (keyword-only); the wire format is defined elsewhere. Each command can say what is
wrong with it on its own (:meth:`Command.invalid_reason`); whether it is allowed now is the lifecycle's call.
Enum values are the symbols of the Avro enums of the same name, so they go into event records unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from aduan.domain.records import RECORDS


class ActorKind(StrEnum):
    """Who performs an action (``id.aduan.ActorKind``)."""

    REPORTER = "REPORTER"
    CHANNEL = "CHANNEL"
    SYSTEM = "SYSTEM"
    AGENCY_OFFICER = "AGENCY_OFFICER"
    ADMIN = "ADMIN"


class ReportType(StrEnum):
    """pengaduan, aspirasi, permintaan informasi (``id.aduan.ReportType``)."""

    COMPLAINT = "COMPLAINT"
    ASPIRATION = "ASPIRATION"
    INFORMATION_REQUEST = "INFORMATION_REQUEST"


class RejectionReason(StrEnum):
    """Why verification rejects a report (``id.aduan.RejectionReason``)."""

    INCOMPLETE = "INCOMPLETE"
    OUT_OF_SCOPE = "OUT_OF_SCOPE"
    DUPLICATE = "DUPLICATE"


class ForwardReason(StrEnum):
    """Why an agency hands a complaint on (``id.aduan.ForwardReason``)."""

    NOT_OUR_AUTHORITY = "NOT_OUR_AUTHORITY"
    WRONG_REGION = "WRONG_REGION"
    WRONG_CATEGORY = "WRONG_CATEGORY"
    OTHER = "OTHER"


class CloseReason(StrEnum):
    """Why a complaint closes (``id.aduan.CloseReason``)."""

    NO_REPLY_AFTER_FOLLOW_UP = "NO_REPLY_AFTER_FOLLOW_UP"
    REPORTER_SATISFIED = "REPORTER_SATISFIED"
    ADMIN_DECISION = "ADMIN_DECISION"
    OTHER = "OTHER"


@dataclass(frozen=True)
class Actor:
    """Who sends a command: an admin id, an officer id with the agency it acts for, the reporter's ref, a component.

    A reporter's ``id`` is the opaque reporter ref of the complaint (see ``aduan.domain.lifecycle``), never a name.
    """

    kind: ActorKind
    id: str
    agency: str | None = None

    def to_record(self) -> dict[str, Any]:
        """The ``id.aduan.Actor`` record."""
        return RECORDS.unstructure(self)


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


@dataclass(frozen=True, kw_only=True)
class Command:
    """What every command carries. ``command_id`` is unique per command and stable across redelivery."""

    command_id: str
    complaint_id: str
    actor: Actor
    issued_at: datetime

    def invalid_reason(self) -> str | None:
        """What is wrong with the command itself, in words, or None when it is well formed."""
        if _blank(self.command_id):
            return "command_id is empty: give every command a unique id that stays the same when it is resent"
        return None


# --- admin ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Verify(Command):
    """Verify the report and set its classification; the complaint is then dispositioned by routing.

    ``report_type`` None keeps the type the reporter chose.
    """

    category: str
    region_code: str
    report_type: ReportType | None = None
    tags: tuple[str, ...] = ()

    def invalid_reason(self) -> str | None:
        if _blank(self.category):
            return "category is empty: a verified complaint needs the category code routing uses"
        if _blank(self.region_code):
            return "region_code is empty: give the official region code (e.g. 74.04) routing uses"
        return super().invalid_reason()


@dataclass(frozen=True, kw_only=True)
class Postpone(Command):
    """Postpone verification (tunda), optionally until a given time."""

    note: str | None = None
    until: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Reject(Command):
    """Reject the report; a duplicate names the tracking id of the original."""

    reason: RejectionReason
    duplicate_of: str | None = None
    note: str | None = None

    def invalid_reason(self) -> str | None:
        if self.reason is RejectionReason.DUPLICATE and _blank(self.duplicate_of):
            return "a DUPLICATE rejection needs duplicate_of: the tracking id of the original report"
        if self.reason is not RejectionReason.DUPLICATE and self.duplicate_of is not None:
            return f"duplicate_of is only for DUPLICATE rejections, not {self.reason.value}: drop it or change reason"
        return super().invalid_reason()


# --- agency --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Acknowledge(Command):
    """The handling agency acknowledges the complaint (first response)."""

    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class RequestInformation(Command):
    """The handling agency asks the reporter a question; the complaint waits for the reporter."""

    question: str

    def invalid_reason(self) -> str | None:
        if _blank(self.question):
            return "question is empty: say what the reporter should add"
        return super().invalid_reason()


@dataclass(frozen=True, kw_only=True)
class PostFollowUp(Command):
    """The handling agency posts its follow-up (tindak lanjut)."""

    text: str

    def invalid_reason(self) -> str | None:
        if _blank(self.text):
            return "text is empty: a follow-up says what the agency did or will do"
        return super().invalid_reason()


@dataclass(frozen=True, kw_only=True)
class Forward(Command):
    """The handling agency declines (bukan wewenang); routing picks another agency, never one that declined.

    A suggested category or region replaces the complaint's for the new routing; a suggested agency is recorded
    for the admins but does not steer routing.
    """

    reason: ForwardReason
    suggested_agency: str | None = None
    suggested_category: str | None = None
    suggested_region: str | None = None
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class Resolve(Command):
    """The handling agency declares the complaint resolved."""

    resolution: str

    def invalid_reason(self) -> str | None:
        if _blank(self.resolution):
            return "resolution is empty: say what was done"
        return super().invalid_reason()


# --- reporter ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AddInformation(Command):
    """The reporter answers a question or replies to the follow-up."""

    text: str

    def invalid_reason(self) -> str | None:
        if _blank(self.text):
            return "text is empty: write the information to add"
        return super().invalid_reason()


@dataclass(frozen=True, kw_only=True)
class Rate(Command):
    """The reporter rates the answer, 1 (worst) to 5 (best)."""

    rating: int
    comment: str | None = None

    def invalid_reason(self) -> str | None:
        if isinstance(self.rating, bool) or not isinstance(self.rating, int) or not 1 <= self.rating <= 5:
            return f"rating {self.rating!r} is out of range: give a whole number from 1 to 5"
        return super().invalid_reason()


@dataclass(frozen=True, kw_only=True)
class Reopen(Command):
    """The reporter reopens a resolved or closed complaint, within the reopen window."""

    reason: str

    def invalid_reason(self) -> str | None:
        if _blank(self.reason):
            return "reason is empty: say why the complaint is not settled"
        return super().invalid_reason()


@dataclass(frozen=True, kw_only=True)
class Withdraw(Command):
    """The reporter withdraws the complaint."""

    reason: str | None = None


# --- system --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Close(Command):
    """Close the complaint: sent by the deadline processor when the reporter left a follow-up unanswered."""

    reason: CloseReason
    note: str | None = None
