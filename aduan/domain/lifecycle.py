"""The complaint lifecycle: ``evolve`` folds events into a :class:`ComplaintState`, ``decide`` turns a command into
events or a :class:`Refused`. Both are pure: time, routing and settings are passed in.

Transitions (who may send each command is in :data:`ALLOWED_ACTORS`, the table of record is
:data:`ALLOWED_COMMANDS`)::

    SUBMITTED | POSTPONED               --Verify-->             DISPOSITIONED (ComplaintVerified + Dispositioned)
    SUBMITTED | POSTPONED               --Postpone-->           POSTPONED
    SUBMITTED | POSTPONED               --Reject-->             REJECTED
    DISPOSITIONED                       --Acknowledge-->        IN_PROGRESS
    DISPOSITIONED | IN_PROGRESS         --Forward-->            DISPOSITIONED at the next agency, round + 1
    IN_PROGRESS                         --RequestInformation--> WAITING_FOR_REPORTER
    IN_PROGRESS                         --PostFollowUp-->       FOLLOWED_UP
    WAITING_FOR_REPORTER | FOLLOWED_UP  --AddInformation-->     IN_PROGRESS
    FOLLOWED_UP                         --Resolve-->            RESOLVED
    WAITING_FOR_REPORTER | FOLLOWED_UP | RESOLVED --Close-->    CLOSED
    FOLLOWED_UP | RESOLVED | CLOSED     --Rate-->               (status unchanged)
    RESOLVED | CLOSED                   --Reopen-->             IN_PROGRESS, within the reopen window
    any status before RESOLVED          --Withdraw-->           WITHDRAWN
    REJECTED, WITHDRAWN                 accept nothing

Choices made here:

- **Resolve only after a follow-up.** An agency posts its follow-up (tindak lanjut) first, so the reporter has
  seen the answer and could reply before the complaint is declared resolved.
- **The reporter adds information only when asked or after the follow-up** (WAITING_FOR_REPORTER,
  FOLLOWED_UP); either way the complaint goes back to IN_PROGRESS: the agency has something new to answer.
- **Withdraw** is possible in every state before RESOLVED; REJECTED, CLOSED and WITHDRAWN are terminal
  except that a CLOSED (or RESOLVED) complaint can be rated and reopened.
- **Reopen** goes back to IN_PROGRESS at the same agency, within ``config.reopen_window`` (elapsed time,
  default 10 days) counted from the resolution, or from the closure when the complaint closed unresolved.
- **Forward** excludes every agency that ever declined the complaint; a suggested category or region replaces
  the complaint's own (ComplaintForwarded records it, so ``evolve`` applies it); a suggested agency does not
  steer routing.
- **Close** comes from the system (deadline processor) or an admin, after a follow-up or a question the reporter
  left unanswered, or after a resolution.
- **Identity.** Admins and the system are trusted (authenticated before their commands reach the log). An agency
  officer acts only for the agency that currently handles the complaint (``actor.agency``); agencies that only
  got a copy may not act. The reporter is identified by a *reporter ref*: the channel adapter submits the
  complaint with ``header.actor = {kind: REPORTER, id: <reporter ref>}``, an opaque pseudonym (for instance a
  keyed hash of the account or of the token handed out with the tracking id; never a name or a contact).
  Reporter commands must carry the same actor id; the gateway that checks the reporter's tracking id and token
  sets it. A complaint submitted by a non-reporter actor (bulk import) has no reporter ref and accepts no
  reporter commands.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Callable, Mapping, Protocol, Sequence

from aduan.domain.commands import (
    Acknowledge,
    Actor,
    ActorKind,
    AddInformation,
    Close,
    Command,
    Forward,
    PostFollowUp,
    Postpone,
    Rate,
    Reject,
    Reopen,
    RequestInformation,
    Resolve,
    Verify,
    Withdraw,
)
from aduan.domain.events import Event, event_id, new_header, to_millis

Record = dict[str, Any]
Emitted = list[tuple[str, Record]]

AUTO_VERIFIER = Actor(ActorKind.SYSTEM, "auto-verify")


class Status(StrEnum):
    """Where a complaint is in its lifecycle."""

    SUBMITTED = "SUBMITTED"  # waiting for verification
    POSTPONED = "POSTPONED"  # verification postponed (tunda)
    REJECTED = "REJECTED"
    DISPOSITIONED = "DISPOSITIONED"  # at the agency, not yet acknowledged
    IN_PROGRESS = "IN_PROGRESS"  # acknowledged by the agency
    WAITING_FOR_REPORTER = "WAITING_FOR_REPORTER"
    FOLLOWED_UP = "FOLLOWED_UP"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    WITHDRAWN = "WITHDRAWN"


# The transition table: the commands each status accepts. Anything else is refused as illegal_transition.
ALLOWED_COMMANDS: dict[Status, frozenset[type[Command]]] = {
    Status.SUBMITTED: frozenset({Verify, Postpone, Reject, Withdraw}),
    Status.POSTPONED: frozenset({Verify, Postpone, Reject, Withdraw}),
    Status.REJECTED: frozenset(),
    Status.DISPOSITIONED: frozenset({Acknowledge, Forward, Withdraw}),
    Status.IN_PROGRESS: frozenset({RequestInformation, PostFollowUp, Forward, Withdraw}),
    Status.WAITING_FOR_REPORTER: frozenset({AddInformation, Close, Withdraw}),
    Status.FOLLOWED_UP: frozenset({AddInformation, Resolve, Rate, Close, Withdraw}),
    Status.RESOLVED: frozenset({Rate, Reopen, Close}),
    Status.CLOSED: frozenset({Rate, Reopen}),
    Status.WITHDRAWN: frozenset(),
}

# Who may send each command. Anyone else is refused as forbidden_actor.
ALLOWED_ACTORS: dict[type[Command], frozenset[ActorKind]] = {
    Verify: frozenset({ActorKind.ADMIN}),
    Postpone: frozenset({ActorKind.ADMIN}),
    Reject: frozenset({ActorKind.ADMIN}),
    Acknowledge: frozenset({ActorKind.AGENCY_OFFICER}),
    RequestInformation: frozenset({ActorKind.AGENCY_OFFICER}),
    PostFollowUp: frozenset({ActorKind.AGENCY_OFFICER}),
    Forward: frozenset({ActorKind.AGENCY_OFFICER}),
    Resolve: frozenset({ActorKind.AGENCY_OFFICER}),
    AddInformation: frozenset({ActorKind.REPORTER}),
    Rate: frozenset({ActorKind.REPORTER}),
    Reopen: frozenset({ActorKind.REPORTER}),
    Withdraw: frozenset({ActorKind.REPORTER}),
    Close: frozenset({ActorKind.SYSTEM, ActorKind.ADMIN}),
}


class RefusalCode(StrEnum):
    """Why a command was refused, for machines (dead-letter ``reason_code``)."""

    UNKNOWN_COMPLAINT = "unknown_complaint"
    ILLEGAL_TRANSITION = "illegal_transition"
    FORBIDDEN_ACTOR = "forbidden_actor"
    INVALID_COMMAND = "invalid_command"


class Refused(Exception):
    """A command that may not be carried out; ``reason`` says why and what to do instead."""

    def __init__(self, code: RefusalCode, reason: str) -> None:
        super().__init__(f"{code.value}: {reason}")
        self.code = code
        self.reason = reason


class Routed(Protocol):
    """Where routing sends a complaint, and by which rule."""

    @property
    def agency(self) -> str: ...
    @property
    def unit(self) -> str | None: ...
    @property
    def copies(self) -> Sequence[str]: ...
    @property
    def rule_id(self) -> str: ...
    @property
    def rule_reason(self) -> str: ...
    @property
    def directory_version(self) -> str: ...


class Route(Protocol):
    """Routing bound to one directory version; raises LookupError when no agency outside ``exclude`` fits."""

    def __call__(self, category: str, region_code: str, *, exclude: frozenset[str]) -> Routed: ...


@dataclass(frozen=True)
class LifecycleConfig:
    """Lifecycle settings: the reopen window and which submissions are verified without an admin.

    A submission is verified automatically when its channel is in ``auto_verify_channels`` or its category is
    in ``auto_verify_categories`` (and it has a category at all).
    """

    reopen_window: timedelta = timedelta(days=10)
    auto_verify_channels: frozenset[str] = frozenset()
    auto_verify_categories: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ComplaintState:
    """Everything the decider needs to know about one complaint, folded from its events."""

    complaint_id: str
    tracking_id: str
    correlation_id: str
    submitted_event_id: str
    status: Status
    report_type: str
    channel: str
    category: str | None
    region_code: str
    reporter_ref: str | None
    anonymous: bool
    confidential: bool
    submitted_at: datetime
    last_event_at: datetime
    tags: tuple[str, ...] = ()
    agency: str | None = None
    unit: str | None = None
    copies: tuple[str, ...] = ()
    declined_agencies: tuple[str, ...] = ()
    routing_round: int = 0
    personal_data_erased: bool = False
    postponed_until: datetime | None = None
    follow_up_posted_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    rating: int | None = None
    reopen_count: int = 0
    events_applied: int = 1


# --- evolve --------------------------------------------------------------------------------------------------


def evolve(state: ComplaintState | None, event_name: str, record: Mapping[str, Any]) -> ComplaintState | None:
    """The state after ``record`` (the event ``event_name``, an Avro full name) happened.

    Total: an unknown event name, an event of another complaint, a second submission or an event before the
    submission leave the state as it is. Every catalogue event of this complaint counts in ``events_applied``.
    """
    try:
        event = Event(event_name)
    except ValueError:
        return state
    header = record["header"]
    if event is Event.SUBMITTED:
        return _submitted(record) if state is None else state
    if state is None or header["complaint_id"] != state.complaint_id:
        return state
    apply = _APPLY.get(event)
    changed = apply(state, record) if apply else state
    return replace(changed, events_applied=state.events_applied + 1, last_event_at=header["occurred_at"])


def _submitted(record: Mapping[str, Any]) -> ComplaintState:
    header = record["header"]
    actor = header["actor"]
    return ComplaintState(
        complaint_id=header["complaint_id"],
        tracking_id=header["tracking_id"],
        correlation_id=header["correlation_id"],
        submitted_event_id=header["event_id"],
        status=Status.SUBMITTED,
        report_type=record["report_type"],
        channel=record["channel"],
        category=record.get("category"),
        region_code=record["region_code"],
        reporter_ref=actor["id"] if actor["kind"] == ActorKind.REPORTER else None,
        anonymous=record["privacy"]["anonymous"],
        confidential=record["privacy"]["confidential"],
        submitted_at=header["occurred_at"],
        last_event_at=header["occurred_at"],
    )


def _at(record: Mapping[str, Any]) -> datetime:
    return record["header"]["occurred_at"]


def _reopened(s: ComplaintState, r: Mapping[str, Any]) -> ComplaintState:
    return replace(
        s,
        status=Status.IN_PROGRESS,
        reopen_count=s.reopen_count + 1,
        follow_up_posted_at=None,
        resolved_at=None,
        closed_at=None,
    )


def _forwarded(s: ComplaintState, r: Mapping[str, Any]) -> ComplaintState:
    return replace(
        s,
        declined_agencies=s.declined_agencies + (r["from_agency"],),
        category=r.get("suggested_category") or s.category,
        region_code=r.get("suggested_region") or s.region_code,
    )


_APPLY: dict[Event, Callable[[ComplaintState, Mapping[str, Any]], ComplaintState]] = {
    Event.VERIFIED: lambda s, r: replace(
        s, report_type=r["report_type"], category=r["category"], region_code=r["region_code"], tags=tuple(r["tags"])
    ),
    Event.REJECTED: lambda s, r: replace(s, status=Status.REJECTED),
    Event.POSTPONED: lambda s, r: replace(s, status=Status.POSTPONED, postponed_until=r.get("until")),
    Event.DISPOSITIONED: lambda s, r: replace(
        s,
        status=Status.DISPOSITIONED,
        agency=r["agency"],
        unit=r.get("unit"),
        copies=tuple(r["copies"]),
        routing_round=r["round"],
        postponed_until=None,
    ),
    Event.FORWARDED: _forwarded,
    Event.ACKNOWLEDGED: lambda s, r: replace(s, status=Status.IN_PROGRESS),
    Event.INFORMATION_REQUESTED: lambda s, r: replace(s, status=Status.WAITING_FOR_REPORTER),
    Event.INFORMATION_ADDED: lambda s, r: replace(s, status=Status.IN_PROGRESS),
    Event.FOLLOW_UP_POSTED: lambda s, r: replace(s, status=Status.FOLLOWED_UP, follow_up_posted_at=_at(r)),
    Event.RESOLVED: lambda s, r: replace(s, status=Status.RESOLVED, resolved_at=_at(r)),
    Event.CLOSED: lambda s, r: replace(s, status=Status.CLOSED, closed_at=_at(r)),
    Event.REOPENED: _reopened,
    Event.RATED: lambda s, r: replace(s, rating=r["rating"]),
    Event.WITHDRAWN: lambda s, r: replace(s, status=Status.WITHDRAWN),
    Event.PERSONAL_DATA_ERASED: lambda s, r: replace(s, personal_data_erased=True),
}


# --- decide --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    route: Route
    now: datetime
    config: LifecycleConfig


Bodies = list[tuple[Event, Record]]


def decide(
    state: ComplaintState | None,
    command: Command,
    *,
    route: Route,
    now: datetime,
    config: LifecycleConfig,
) -> Emitted:
    """The events ``command`` causes on the complaint in ``state``, as ``(event name, record)`` pairs.

    Raises :class:`Refused` when the complaint is unknown, the command is malformed, the actor may not send it,
    or the complaint's status does not accept it. Event ids derive from ``command.command_id``, so deciding the
    same command on the same state again yields identical events.
    """
    now = to_millis(now)
    kind = type(command)
    if state is None:
        raise Refused(
            RefusalCode.UNKNOWN_COMPLAINT,
            f"no complaint {command.complaint_id!r} is known here: check the complaint id, or resend after its "
            "submission has been processed",
        )
    if command.complaint_id != state.complaint_id:
        raise Refused(
            RefusalCode.INVALID_COMMAND,
            f"command is for complaint {command.complaint_id!r} but was decided on {state.complaint_id!r}: "
            "key commands by complaint id",
        )
    if kind not in ALLOWED_ACTORS:
        raise Refused(RefusalCode.INVALID_COMMAND, f"{kind.__name__} is not a complaint command this version knows")
    problem = command.invalid_reason()
    if problem:
        raise Refused(RefusalCode.INVALID_COMMAND, problem)
    if command.actor.kind not in ALLOWED_ACTORS[kind]:
        allowed = " or ".join(sorted(k.value for k in ALLOWED_ACTORS[kind]))
        raise Refused(
            RefusalCode.FORBIDDEN_ACTOR,
            f"{kind.__name__} is for {allowed}, not {command.actor.kind.value}",
        )
    if kind not in ALLOWED_COMMANDS[state.status]:
        accepted = ", ".join(sorted(c.__name__ for c in ALLOWED_COMMANDS[state.status])) or "nothing (final state)"
        raise Refused(
            RefusalCode.ILLEGAL_TRANSITION,
            f"complaint {state.tracking_id} is {state.status.value}: it accepts {accepted}, not {kind.__name__}",
        )
    _check_identity(state, command.actor)
    bodies = _HANDLERS[kind](state, command, _Context(route, now, config))
    return _stamp(state, bodies, cause_id=command.command_id, actor=command.actor, now=now)


def auto_verify(
    state: ComplaintState | None, *, route: Route, now: datetime, config: LifecycleConfig
) -> Emitted:
    """ComplaintVerified(automatic) + ComplaintDispositioned for a submission that ``config`` verifies without an
    admin; no events when it does not qualify, is no longer SUBMITTED, or routing finds no agency (an admin
    then verifies it). Event ids derive from the submission's event id.
    """
    if state is None or state.status is not Status.SUBMITTED or state.category is None:
        return []
    if state.channel not in config.auto_verify_channels and state.category not in config.auto_verify_categories:
        return []
    now = to_millis(now)
    try:
        routed = _routed(route, state.category, state.region_code, exclude=frozenset())
    except Refused:
        return []
    bodies: Bodies = [
        (
            Event.VERIFIED,
            {
                "report_type": state.report_type,
                "category": state.category,
                "region_code": state.region_code,
                "tags": list(state.tags),
                "automatic": True,
            },
        ),
        (Event.DISPOSITIONED, _disposition(routed, state.routing_round + 1)),
    ]
    return _stamp(state, bodies, cause_id=state.submitted_event_id, actor=AUTO_VERIFIER, now=now)


def _stamp(state: ComplaintState, bodies: Bodies, *, cause_id: str, actor: Actor, now: datetime) -> Emitted:
    """Give each event body its header: deterministic id, the complaint's correlation id, the actor, ``now``."""
    return [
        (
            name.value,
            {
                "header": new_header(
                    event_id=event_id(cause_id, name.value, index),
                    complaint_id=state.complaint_id,
                    tracking_id=state.tracking_id,
                    occurred_at=now,
                    actor=actor.to_record(),
                    correlation_id=state.correlation_id,
                    causation_id=cause_id,
                ),
                **body,
            },
        )
        for index, (name, body) in enumerate(bodies)
    ]


def _check_identity(state: ComplaintState, actor: Actor) -> None:
    """Agency officers act only for the handling agency; reporters only on their own complaint."""
    if actor.kind is ActorKind.AGENCY_OFFICER and actor.agency != state.agency:
        if actor.agency in state.copies:
            why = f"agency {actor.agency} only received a copy of complaint {state.tracking_id}"
        else:
            why = f"complaint {state.tracking_id} is not dispositioned to agency {actor.agency}"
        raise Refused(
            RefusalCode.FORBIDDEN_ACTOR,
            f"{why}: only the handling agency {state.agency} may act on it; ask it or an admin to forward it",
        )
    if actor.kind is ActorKind.REPORTER:
        if state.reporter_ref is None:
            raise Refused(
                RefusalCode.FORBIDDEN_ACTOR,
                f"complaint {state.tracking_id} came in through {state.channel} without a reporter ref, so no "
                "reporter can act on it: contact an admin",
            )
        if actor.id != state.reporter_ref:
            raise Refused(
                RefusalCode.FORBIDDEN_ACTOR,
                f"only the reporter of complaint {state.tracking_id} may do this: sign in with its tracking id and "
                "reporter token",
            )


def _routed(route: Route, category: str, region_code: str, *, exclude: frozenset[str]) -> Routed:
    try:
        return route(category, region_code, exclude=exclude)
    except LookupError as exc:
        raise Refused(
            RefusalCode.INVALID_COMMAND,
            f"no agency handles category {category} in region {region_code}"
            + (f" other than {', '.join(sorted(exclude))}" if exclude else "")
            + f" ({exc}): choose another category or region, or add the agency to the directory",
        ) from exc


def _disposition(routed: Routed, round_: int) -> Record:
    return {
        "agency": routed.agency,
        "unit": routed.unit,
        "copies": list(routed.copies),
        "rule_id": routed.rule_id,
        "rule_reason": routed.rule_reason,
        "directory_version": routed.directory_version,
        "round": round_,
    }


def _verify(state: ComplaintState, cmd: Verify, ctx: _Context) -> Bodies:
    routed = _routed(ctx.route, cmd.category, cmd.region_code, exclude=frozenset())
    verified = {
        "report_type": str(cmd.report_type or state.report_type),
        "category": cmd.category,
        "region_code": cmd.region_code,
        "tags": list(cmd.tags),
        "automatic": False,
    }
    return [(Event.VERIFIED, verified), (Event.DISPOSITIONED, _disposition(routed, state.routing_round + 1))]


def _postpone(state: ComplaintState, cmd: Postpone, ctx: _Context) -> Bodies:
    until = to_millis(cmd.until) if cmd.until is not None else None
    if until is not None and until <= ctx.now:
        raise Refused(RefusalCode.INVALID_COMMAND, f"until {until.isoformat()} is not in the future: give a later time")
    return [(Event.POSTPONED, {"note": cmd.note, "until": until})]


def _reject(state: ComplaintState, cmd: Reject, ctx: _Context) -> Bodies:
    return [(Event.REJECTED, {"reason": cmd.reason.value, "duplicate_of": cmd.duplicate_of, "note": cmd.note})]


def _acknowledge(state: ComplaintState, cmd: Acknowledge, ctx: _Context) -> Bodies:
    return [(Event.ACKNOWLEDGED, {"agency": state.agency, "unit": state.unit, "note": cmd.note})]


def _request_information(state: ComplaintState, cmd: RequestInformation, ctx: _Context) -> Bodies:
    return [(Event.INFORMATION_REQUESTED, {"agency": state.agency, "question": cmd.question})]


def _post_follow_up(state: ComplaintState, cmd: PostFollowUp, ctx: _Context) -> Bodies:
    return [(Event.FOLLOW_UP_POSTED, {"agency": state.agency, "unit": state.unit, "text": cmd.text, "attachments": []})]


def _forward(state: ComplaintState, cmd: Forward, ctx: _Context) -> Bodies:
    assert state.agency is not None  # only dispositioned states accept Forward
    category = cmd.suggested_category or state.category
    region_code = cmd.suggested_region or state.region_code
    assert category is not None  # a dispositioned complaint was verified with a category
    declined = frozenset(state.declined_agencies) | {state.agency}
    routed = _routed(ctx.route, category, region_code, exclude=declined)
    forwarded = {
        "from_agency": state.agency,
        "reason": cmd.reason.value,
        "suggested_agency": cmd.suggested_agency,
        "suggested_category": cmd.suggested_category,
        "suggested_region": cmd.suggested_region,
        "note": cmd.note,
    }
    return [(Event.FORWARDED, forwarded), (Event.DISPOSITIONED, _disposition(routed, state.routing_round + 1))]


def _resolve(state: ComplaintState, cmd: Resolve, ctx: _Context) -> Bodies:
    return [(Event.RESOLVED, {"agency": state.agency, "resolution": cmd.resolution})]


def _add_information(state: ComplaintState, cmd: AddInformation, ctx: _Context) -> Bodies:
    return [(Event.INFORMATION_ADDED, {"text": cmd.text, "attachments": []})]


def _rate(state: ComplaintState, cmd: Rate, ctx: _Context) -> Bodies:
    return [(Event.RATED, {"rating": cmd.rating, "comment": cmd.comment})]


def _reopen(state: ComplaintState, cmd: Reopen, ctx: _Context) -> Bodies:
    finished = state.resolved_at or state.closed_at
    assert finished is not None  # RESOLVED and CLOSED set it
    deadline = finished + ctx.config.reopen_window
    if ctx.now > deadline:
        raise Refused(
            RefusalCode.ILLEGAL_TRANSITION,
            f"complaint {state.tracking_id} could be reopened until {deadline.isoformat()}: submit a new report "
            f"that refers to tracking id {state.tracking_id}",
        )
    return [(Event.REOPENED, {"reason": cmd.reason})]


def _withdraw(state: ComplaintState, cmd: Withdraw, ctx: _Context) -> Bodies:
    return [(Event.WITHDRAWN, {"reason": cmd.reason})]


def _close(state: ComplaintState, cmd: Close, ctx: _Context) -> Bodies:
    return [(Event.CLOSED, {"reason": cmd.reason.value, "note": cmd.note})]


_HANDLERS: dict[type[Command], Callable[[ComplaintState, Any, _Context], Bodies]] = {
    Verify: _verify,
    Postpone: _postpone,
    Reject: _reject,
    Acknowledge: _acknowledge,
    RequestInformation: _request_information,
    PostFollowUp: _post_follow_up,
    Forward: _forward,
    Resolve: _resolve,
    AddInformation: _add_information,
    Rate: _rate,
    Reopen: _reopen,
    Withdraw: _withdraw,
    Close: _close,
}
