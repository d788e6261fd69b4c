"""The complaint lifecycle: decide (command -> events or refusal) and evolve (events -> state)."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import schemas
from aduan.domain.commands import (
    Acknowledge,
    Actor,
    ActorKind,
    AddInformation,
    Close,
    CloseReason,
    Command,
    Forward,
    ForwardReason,
    PostFollowUp,
    Postpone,
    Rate,
    Reject,
    RejectionReason,
    Reopen,
    ReportType,
    RequestInformation,
    Resolve,
    Verify,
    Withdraw,
)
from aduan.domain.events import Event, event_id, new_header
from aduan.domain.lifecycle import (
    ComplaintState,
    LifecycleConfig,
    Refused,
    Status,
    auto_verify,
    decide,
    evolve,
)

NOW = datetime(2024, 3, 4, 2, 0, tzinfo=timezone.utc)
CONFIG = LifecycleConfig()
ADMIN = Actor(ActorKind.ADMIN, "admin-7")
SYSTEM = Actor(ActorKind.SYSTEM, "deadlines")
REPORTER = Actor(ActorKind.REPORTER, "rep-1")
DINKES = Actor(ActorKind.AGENCY_OFFICER, "officer-1", agency="DINKES-7404")  # handles health complaints
INSPEKTORAT = Actor(ActorKind.AGENCY_OFFICER, "officer-2", agency="INSPEKTORAT-7404")  # gets a copy of them
RSUD = Actor(ActorKind.AGENCY_OFFICER, "officer-3", agency="RSUD-7404")  # next in line for health
DISHUB = Actor(ActorKind.AGENCY_OFFICER, "officer-4", agency="DISHUB-7404")  # handles transport


@dataclass(frozen=True)
class Placement:
    agency: str
    unit: str | None
    copies: tuple[str, ...]
    rule_id: str
    rule_reason: str
    directory_version: str


class Directory:
    """A routing stand-in: agencies per category in order of preference; records every call."""

    AGENCIES = {
        "kesehatan": ["DINKES-7404", "RSUD-7404"],
        "transportasi": ["DISHUB-7404"],
    }

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, frozenset[str]]] = []

    def __call__(self, category: str, region_code: str, *, exclude: frozenset[str]) -> Placement:
        self.calls.append((category, region_code, exclude))
        for agency in self.AGENCIES.get(category, []):
            if agency not in exclude:
                copies = ("INSPEKTORAT-7404",) if category == "kesehatan" else ()
                return Placement(agency, None, copies, f"{category}@{region_code}", "category and region", "dir-1")
        raise LookupError(f"no agency for {category}")


def submission(
    *, complaint_id: str = "c-1", actor: Actor = REPORTER, category: str | None = "kesehatan", channel: str = "WEB"
) -> dict[str, Any]:
    """A ComplaintSubmitted record as intake would append it."""
    return {
        "header": new_header(
            event_id=event_id(f"intake-{complaint_id}", Event.SUBMITTED),
            complaint_id=complaint_id,
            tracking_id="1916449",
            occurred_at=NOW - timedelta(hours=1),
            actor=actor.to_record(),
            correlation_id=f"corr-{complaint_id}",
            causation_id=None,
        ),
        "report_type": "COMPLAINT",
        "channel": channel,
        "channel_message_id": "web-42",
        "title": "Antrean puskesmas",
        "description": "Antrean di puskesmas lebih dari lima jam.",
        "category": category,
        "region_code": "74.04",
        "coordinates": None,
        "address": None,
        "attachments": [],
        "privacy": {"anonymous": True, "confidential": False},
        "reporter": None,
        "reporter_sealed": b"sealed",
    }


def submitted(**kwargs: Any) -> ComplaintState:
    state = evolve(None, Event.SUBMITTED, submission(**kwargs))
    assert state is not None
    return state


_ids = itertools.count()


def command(kind: type[Command], actor: Actor | None = None, complaint_id: str = "c-1", **fields: Any) -> Command:
    """A valid command of ``kind`` from its usual actor; ``fields`` override."""
    usual: dict[type[Command], tuple[Actor, dict[str, Any]]] = {
        Verify: (ADMIN, {"category": "kesehatan", "region_code": "74.04", "tags": ("antrean",)}),
        Postpone: (ADMIN, {"note": "menunggu lampiran", "until": NOW + timedelta(days=2)}),
        Reject: (ADMIN, {"reason": RejectionReason.INCOMPLETE}),
        Acknowledge: (DINKES, {"note": "diterima"}),
        RequestInformation: (DINKES, {"question": "Puskesmas mana?"}),
        PostFollowUp: (DINKES, {"text": "Loket tambahan dibuka."}),
        Forward: (DINKES, {"reason": ForwardReason.NOT_OUR_AUTHORITY}),
        Resolve: (DINKES, {"resolution": "Antrean kini di bawah satu jam."}),
        AddInformation: (REPORTER, {"text": "Puskesmas Buton Utara."}),
        Rate: (REPORTER, {"rating": 4}),
        Reopen: (REPORTER, {"reason": "Antrean panjang lagi."}),
        Withdraw: (REPORTER, {"reason": "sudah beres"}),
        Close: (SYSTEM, {"reason": CloseReason.NO_REPLY_AFTER_FOLLOW_UP}),
    }
    default_actor, default_fields = usual[kind]
    return kind(
        command_id=f"cmd-{next(_ids)}",
        complaint_id=complaint_id,
        actor=actor or default_actor,
        issued_at=NOW,
        **{**default_fields, **fields},
    )


def apply(
    state: ComplaintState | None, cmd: Command, *, route: Directory | None = None, now: datetime = NOW,
    config: LifecycleConfig = CONFIG,
) -> tuple[ComplaintState, list[tuple[str, dict[str, Any]]]]:
    """Decide ``cmd`` and fold the events into the state, as the decider does."""
    events = decide(state, cmd, route=route or Directory(), now=now, config=config)
    for name, record in events:
        state = evolve(state, name, record)
    assert state is not None
    return state, events


# How to bring a fresh complaint into each status.
PATHS: dict[Status, list[type[Command]]] = {
    Status.SUBMITTED: [],
    Status.POSTPONED: [Postpone],
    Status.REJECTED: [Reject],
    Status.DISPOSITIONED: [Verify],
    Status.IN_PROGRESS: [Verify, Acknowledge],
    Status.WAITING_FOR_REPORTER: [Verify, Acknowledge, RequestInformation],
    Status.FOLLOWED_UP: [Verify, Acknowledge, PostFollowUp],
    Status.RESOLVED: [Verify, Acknowledge, PostFollowUp, Resolve],
    Status.CLOSED: [Verify, Acknowledge, PostFollowUp, Close],
    Status.WITHDRAWN: [Withdraw],
}


def state_in(status: Status) -> ComplaintState:
    state = submitted()
    for kind in PATHS[status]:
        state, _ = apply(state, command(kind))
    assert state.status is status
    return state


# The specification: every legal (status, command) and the status it leads to. Everything else is illegal.
LEGAL: dict[tuple[Status, type[Command]], Status] = {
    (Status.SUBMITTED, Verify): Status.DISPOSITIONED,
    (Status.SUBMITTED, Postpone): Status.POSTPONED,
    (Status.SUBMITTED, Reject): Status.REJECTED,
    (Status.SUBMITTED, Withdraw): Status.WITHDRAWN,
    (Status.POSTPONED, Verify): Status.DISPOSITIONED,
    (Status.POSTPONED, Postpone): Status.POSTPONED,
    (Status.POSTPONED, Reject): Status.REJECTED,
    (Status.POSTPONED, Withdraw): Status.WITHDRAWN,
    (Status.DISPOSITIONED, Acknowledge): Status.IN_PROGRESS,
    (Status.DISPOSITIONED, Forward): Status.DISPOSITIONED,
    (Status.DISPOSITIONED, Withdraw): Status.WITHDRAWN,
    (Status.IN_PROGRESS, RequestInformation): Status.WAITING_FOR_REPORTER,
    (Status.IN_PROGRESS, PostFollowUp): Status.FOLLOWED_UP,
    (Status.IN_PROGRESS, Forward): Status.DISPOSITIONED,
    (Status.IN_PROGRESS, Withdraw): Status.WITHDRAWN,
    (Status.WAITING_FOR_REPORTER, AddInformation): Status.IN_PROGRESS,
    (Status.WAITING_FOR_REPORTER, Close): Status.CLOSED,
    (Status.WAITING_FOR_REPORTER, Withdraw): Status.WITHDRAWN,
    (Status.FOLLOWED_UP, AddInformation): Status.IN_PROGRESS,
    (Status.FOLLOWED_UP, Resolve): Status.RESOLVED,
    (Status.FOLLOWED_UP, Rate): Status.FOLLOWED_UP,
    (Status.FOLLOWED_UP, Close): Status.CLOSED,
    (Status.FOLLOWED_UP, Withdraw): Status.WITHDRAWN,
    (Status.RESOLVED, Rate): Status.RESOLVED,
    (Status.RESOLVED, Reopen): Status.IN_PROGRESS,
    (Status.RESOLVED, Close): Status.CLOSED,
    (Status.CLOSED, Rate): Status.CLOSED,
    (Status.CLOSED, Reopen): Status.IN_PROGRESS,
}
COMMANDS = [Verify, Postpone, Reject, Acknowledge, RequestInformation, PostFollowUp, Forward, Resolve,
            AddInformation, Rate, Reopen, Withdraw, Close]


@pytest.mark.parametrize("kind", COMMANDS, ids=lambda k: k.__name__)
@pytest.mark.parametrize("status", list(Status), ids=str)
def test_every_status_accepts_exactly_its_legal_commands(status, kind):
    state = state_in(status)
    before = copy.deepcopy(state)
    cmd = command(kind)

    if (status, kind) in LEGAL:
        after, events = apply(state, cmd)
        assert events, "a legal command emits at least one event"
        assert after.status is LEGAL[(status, kind)]
    else:
        with pytest.raises(Refused) as refused:
            decide(state, cmd, route=Directory(), now=NOW, config=CONFIG)
        assert refused.value.code == "illegal_transition"
        assert status.value in refused.value.reason and kind.__name__ in refused.value.reason
    assert state == before


@pytest.mark.parametrize("status,kind", sorted(LEGAL, key=str), ids=lambda v: getattr(v, "__name__", str(v)))
def test_every_emitted_event_fits_its_schema_and_reads_back_unchanged(status, kind):
    codec = schemas.codec()
    _, events = apply(state_in(status), command(kind))

    for name, record in events:
        assert codec.decode(codec.encode(name, record)).record == record


def test_happy_path_from_submission_to_closure():
    route = Directory()
    state = submitted()
    assert (state.status, state.reporter_ref, state.anonymous) == (Status.SUBMITTED, "rep-1", True)

    state, events = apply(state, command(Verify, category="kesehatan", tags=("antrean",)), route=route)
    assert [n for n, _ in events] == [Event.VERIFIED, Event.DISPOSITIONED]
    assert state.status is Status.DISPOSITIONED
    assert (state.agency, state.copies, state.routing_round, state.tags) == (
        "DINKES-7404", ("INSPEKTORAT-7404",), 1, ("antrean",),
    )
    assert events[1][1]["rule_id"] == "kesehatan@74.04" and events[1][1]["directory_version"] == "dir-1"

    steps = [
        (command(Acknowledge), Event.ACKNOWLEDGED, Status.IN_PROGRESS),
        (command(RequestInformation), Event.INFORMATION_REQUESTED, Status.WAITING_FOR_REPORTER),
        (command(AddInformation), Event.INFORMATION_ADDED, Status.IN_PROGRESS),
        (command(PostFollowUp), Event.FOLLOW_UP_POSTED, Status.FOLLOWED_UP),
        (command(Resolve), Event.RESOLVED, Status.RESOLVED),
        (command(Rate, rating=5, comment="cepat"), Event.RATED, Status.RESOLVED),
        (command(Close, reason=CloseReason.REPORTER_SATISFIED), Event.CLOSED, Status.CLOSED),
    ]
    for cmd, expected_event, expected_status in steps:
        state, events = apply(state, cmd, route=route)
        assert [n for n, _ in events] == [expected_event]
        assert state.status is expected_status

    assert state.rating == 5
    assert state.follow_up_posted_at == state.resolved_at == state.closed_at == NOW
    assert state.events_applied == 10  # the submission and nine decided events


def test_headers_carry_cause_correlation_actor_and_time():
    state = submitted()
    cmd = command(Verify)

    events = decide(state, cmd, route=Directory(), now=NOW, config=CONFIG)

    for index, (name, record) in enumerate(events):
        header = record["header"]
        assert header["event_id"] == event_id(cmd.command_id, name, index)
        assert header["causation_id"] == cmd.command_id
        assert header["correlation_id"] == "corr-c-1"
        assert (header["complaint_id"], header["tracking_id"]) == ("c-1", "1916449")
        assert header["occurred_at"] == NOW
        assert header["actor"] == {"kind": "ADMIN", "id": "admin-7", "agency": None}


def test_the_same_command_decided_twice_gives_identical_events():
    state = state_in(Status.DISPOSITIONED)
    cmd = command(Forward)

    first = decide(state, cmd, route=Directory(), now=NOW, config=CONFIG)
    again = decide(state, cmd, route=Directory(), now=NOW, config=CONFIG)
    other = decide(state, replace(cmd, command_id="cmd-other"), route=Directory(), now=NOW, config=CONFIG)

    assert first == again
    ids = [r["header"]["event_id"] for _, r in first]
    assert len(set(ids)) == 2
    assert not set(ids) & {r["header"]["event_id"] for _, r in other}


def test_state_folded_from_the_log_equals_state_folded_in_memory():
    codec = schemas.codec()
    state = submitted()
    from_log = submitted()
    for kind in [Verify, Acknowledge, Forward, Acknowledge, PostFollowUp]:
        actor = RSUD if state.agency == "RSUD-7404" else None
        state, events = apply(state, command(kind, actor=actor))
        for name, record in events:
            decoded = codec.decode(codec.encode(name, record))
            from_log = evolve(from_log, decoded.name, decoded.record)

    assert from_log == state
    assert (state.status, state.agency, state.routing_round) == (Status.FOLLOWED_UP, "RSUD-7404", 2)


# --- who may act ---------------------------------------------------------------------------------------------


def test_an_agency_may_not_act_on_a_complaint_dispositioned_to_another():
    state = state_in(Status.DISPOSITIONED)

    with pytest.raises(Refused) as refused:
        decide(state, command(Acknowledge, actor=DISHUB), route=Directory(), now=NOW, config=CONFIG)

    assert refused.value.code == "forbidden_actor"
    assert "DINKES-7404" in refused.value.reason


@pytest.mark.parametrize("kind", [Acknowledge, Forward], ids=lambda k: k.__name__)
def test_an_agency_that_only_got_a_copy_may_not_act(kind):
    state = state_in(Status.DISPOSITIONED)
    assert "INSPEKTORAT-7404" in state.copies

    with pytest.raises(Refused) as refused:
        decide(state, command(kind, actor=INSPEKTORAT), route=Directory(), now=NOW, config=CONFIG)

    assert refused.value.code == "forbidden_actor"
    assert "copy" in refused.value.reason


@pytest.mark.parametrize(
    "kind,actor",
    [(Verify, DINKES), (Reject, REPORTER), (Acknowledge, ADMIN), (Withdraw, ADMIN), (Close, REPORTER)],
    ids=lambda v: getattr(v, "__name__", getattr(v, "id", str(v))),
)
def test_a_command_from_the_wrong_kind_of_actor_is_refused(kind, actor):
    state = state_in(Status.SUBMITTED)

    with pytest.raises(Refused) as refused:
        decide(state, command(kind, actor=actor), route=Directory(), now=NOW, config=CONFIG)

    assert refused.value.code == "forbidden_actor"


def test_only_the_reporter_of_the_complaint_may_act_as_reporter():
    state = state_in(Status.WAITING_FOR_REPORTER)
    stranger = Actor(ActorKind.REPORTER, "rep-2")

    with pytest.raises(Refused) as refused:
        decide(state, command(AddInformation, actor=stranger), route=Directory(), now=NOW, config=CONFIG)

    assert refused.value.code == "forbidden_actor"


def test_a_complaint_submitted_without_a_reporter_ref_accepts_no_reporter_command():
    state = submitted(actor=Actor(ActorKind.CHANNEL, "csv-import"))
    assert state.reporter_ref is None

    with pytest.raises(Refused) as refused:
        decide(state, command(Withdraw), route=Directory(), now=NOW, config=CONFIG)

    assert refused.value.code == "forbidden_actor"


def test_a_command_for_an_unknown_complaint_is_refused():
    with pytest.raises(Refused) as refused:
        decide(None, command(Verify), route=Directory(), now=NOW, config=CONFIG)

    assert refused.value.code == "unknown_complaint"


def test_a_command_decided_on_another_complaint_is_refused():
    with pytest.raises(Refused) as refused:
        decide(submitted(), command(Verify, complaint_id="c-2"), route=Directory(), now=NOW, config=CONFIG)

    assert refused.value.code == "invalid_command"


# --- forwarding ----------------------------------------------------------------------------------------------


def test_forward_routes_again_without_the_agencies_that_declined():
    route = Directory()
    state = state_in(Status.IN_PROGRESS)

    state, events = apply(state, command(Forward, note="bukan wewenang"), route=route)

    assert [n for n, _ in events] == [Event.FORWARDED, Event.DISPOSITIONED]
    assert events[0][1]["from_agency"] == "DINKES-7404"
    assert route.calls == [("kesehatan", "74.04", frozenset({"DINKES-7404"}))]
    assert (state.status, state.agency, state.routing_round) == (Status.DISPOSITIONED, "RSUD-7404", 2)
    assert state.declined_agencies == ("DINKES-7404",)

    with pytest.raises(Refused) as refused:
        decide(state, command(Forward, actor=RSUD), route=route, now=NOW, config=CONFIG)

    assert route.calls[-1] == ("kesehatan", "74.04", frozenset({"DINKES-7404", "RSUD-7404"}))
    assert refused.value.code == "invalid_command"
    assert "no agency handles category kesehatan" in refused.value.reason


def test_forward_with_a_better_category_routes_by_it_and_recategorises():
    route = Directory()
    state = state_in(Status.DISPOSITIONED)

    state, _ = apply(
        state, command(Forward, reason=ForwardReason.WRONG_CATEGORY, suggested_category="transportasi"), route=route
    )

    assert route.calls == [("transportasi", "74.04", frozenset({"DINKES-7404"}))]
    assert (state.agency, state.category, state.copies) == ("DISHUB-7404", "transportasi", ())


def test_verify_refuses_a_category_no_agency_handles():
    with pytest.raises(Refused) as refused:
        decide(submitted(), command(Verify, category="perbankan"), route=Directory(), now=NOW, config=CONFIG)

    assert refused.value.code == "invalid_command"
    assert "perbankan" in refused.value.reason


# --- reopening, rating, malformed commands -------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED], ids=str)
@pytest.mark.parametrize(
    "elapsed,allowed",
    [(timedelta(days=3), True), (timedelta(days=3, seconds=1), False)],
    ids=["inside the window", "after the window"],
)
def test_reopen_only_within_the_configured_window(status, elapsed, allowed):
    config = LifecycleConfig(reopen_window=timedelta(days=3))
    state = state_in(status)  # resolved or closed at NOW

    if allowed:
        state, events = apply(state, command(Reopen), now=NOW + elapsed, config=config)
        assert [n for n, _ in events] == [Event.REOPENED]
        assert (state.status, state.agency, state.reopen_count) == (Status.IN_PROGRESS, "DINKES-7404", 1)
        assert state.resolved_at is state.closed_at is state.follow_up_posted_at is None
    else:
        with pytest.raises(Refused) as refused:
            decide(state, command(Reopen), route=Directory(), now=NOW + elapsed, config=config)
        assert refused.value.code == "illegal_transition"
        assert "new report" in refused.value.reason


def test_default_reopen_window_is_ten_days():
    state = state_in(Status.RESOLVED)

    apply(state, command(Reopen), now=NOW + timedelta(days=10))
    with pytest.raises(Refused):
        decide(state, command(Reopen), route=Directory(), now=NOW + timedelta(days=10, seconds=1), config=CONFIG)


@pytest.mark.parametrize("rating,valid", [(0, False), (1, True), (5, True), (6, False), (True, False)])
def test_rating_must_be_a_whole_number_from_one_to_five(rating, valid):
    state = state_in(Status.RESOLVED)

    if valid:
        state, _ = apply(state, command(Rate, rating=rating))
        assert state.rating == rating
    else:
        with pytest.raises(Refused) as refused:
            decide(state, command(Rate, rating=rating), route=Directory(), now=NOW, config=CONFIG)
        assert refused.value.code == "invalid_command"


@pytest.mark.parametrize(
    "cmd",
    [
        command(Reject, reason=RejectionReason.DUPLICATE),
        command(Reject, reason=RejectionReason.OUT_OF_SCOPE, duplicate_of="1916000"),
        command(Verify, category=" "),
        command(Postpone, until=NOW - timedelta(minutes=1)),
        replace(command(Withdraw), command_id=""),
    ],
    ids=["duplicate without original", "original without duplicate", "blank category", "past until", "no id"],
)
def test_malformed_commands_are_refused_with_what_to_fix(cmd):
    with pytest.raises(Refused) as refused:
        decide(submitted(), cmd, route=Directory(), now=NOW, config=CONFIG)

    assert refused.value.code == "invalid_command"


def test_a_duplicate_rejection_names_the_original():
    state, events = apply(submitted(), command(Reject, reason=RejectionReason.DUPLICATE, duplicate_of="1916000"))

    assert state.status is Status.REJECTED
    assert events[0][1]["duplicate_of"] == "1916000"


def test_verification_can_change_the_report_type():
    state, events = apply(submitted(), command(Verify, report_type=ReportType.ASPIRATION))

    assert events[0][1]["report_type"] == "ASPIRATION" and state.report_type == "ASPIRATION"


# --- automatic verification ----------------------------------------------------------------------------------


def test_auto_verify_verifies_and_dispositions_a_configured_channel():
    config = LifecycleConfig(auto_verify_channels=frozenset({"SMS"}))
    state = submitted(channel="SMS")

    events = auto_verify(state, route=Directory(), now=NOW, config=config)

    assert [n for n, _ in events] == [Event.VERIFIED, Event.DISPOSITIONED]
    assert events[0][1]["automatic"] is True
    assert events[0][1]["header"]["actor"]["kind"] == "SYSTEM"
    assert events[0][1]["header"]["causation_id"] == state.submitted_event_id
    assert events == auto_verify(state, route=Directory(), now=NOW, config=config)
    for name, record in events:
        state = evolve(state, name, record)
    assert (state.status, state.agency) == (Status.DISPOSITIONED, "DINKES-7404")


def test_auto_verify_by_category():
    config = LifecycleConfig(auto_verify_categories=frozenset({"kesehatan"}))

    assert auto_verify(submitted(), route=Directory(), now=NOW, config=config)


@pytest.mark.parametrize(
    "state",
    [
        submitted(channel="WEB"),
        submitted(channel="SMS", category=None),
        submitted(channel="SMS", category="perbankan"),
        replace(submitted(channel="SMS"), status=Status.POSTPONED),
    ],
    ids=["channel not configured", "no category", "no agency for the category", "no longer submitted"],
)
def test_auto_verify_leaves_other_complaints_to_an_admin(state):
    config = LifecycleConfig(auto_verify_channels=frozenset({"SMS"}))

    assert auto_verify(state, route=Directory(), now=NOW, config=config) == []


# --- evolve is total -----------------------------------------------------------------------------------------


def test_evolve_ignores_unknown_foreign_and_premature_events():
    state = submitted()
    foreign = submission(complaint_id="c-2")
    withdrawn_elsewhere = {"header": foreign["header"], "reason": None}

    assert evolve(state, "id.aduan.SomethingNew", {"header": foreign["header"]}) is state
    assert evolve(state, Event.WITHDRAWN, withdrawn_elsewhere) is state
    assert evolve(state, Event.SUBMITTED, foreign) is state
    assert evolve(None, Event.WITHDRAWN, withdrawn_elsewhere) is None


def test_deadline_events_count_without_changing_the_lifecycle():
    state = state_in(Status.DISPOSITIONED)
    warning = {
        "header": {**submission()["header"], "event_id": "w-1", "occurred_at": NOW + timedelta(days=4)},
        "stage": "FIRST_RESPONSE",
        "agency": "DINKES-7404",
        "due_at": NOW + timedelta(days=5),
        "deadline_id": "c-1/FIRST_RESPONSE/1",
    }

    after = evolve(state, Event.DEADLINE_WARNING, warning)

    assert after == replace(state, events_applied=state.events_applied + 1, last_event_at=NOW + timedelta(days=4))


def test_decide_refuses_a_time_without_time_zone():
    with pytest.raises(ValueError, match="aware datetime"):
        decide(submitted(), command(Verify), route=Directory(), now=datetime(2024, 3, 4, 9), config=CONFIG)
