"""The lifecycle processor (the decider): verification, disposition to agencies by routing, agency and reporter
actions. It is the only writer of the lifecycle's events to the log.

It consumes three co-partitioned topics, all keyed by complaint id: the complaint log, ``<p>.commands`` (admins,
reporters, the system's ``Close``) and ``<p>.agency-actions`` (signed, see :mod:`aduan.kernel.signing`). faust
assigns the same partition number of the three to one worker, so one worker owns a complaint at a time.

**A batch** follows the batch rule (docs/design.md), with the offset rows of the batch's partition numbers locked
*on all three topics* (so two workers overlapping in a rebalance never hold the same complaints: the second waits,
then skips what the first handled). Its work: load the batch's complaint states (``lifecycle_complaints``,
locked), take the log's messages of the batch first, then decide every command in order, send the events, save
states and command outcomes. Deciding a command again gives the same event ids (they derive from the command id).

**From the log** it takes ``ComplaintSubmitted`` (creates the state, then auto-verifies the submissions that
``aduan/data/lifecycle.yaml`` lists: ComplaintVerified + ComplaintDispositioned) and ``PersonalDataErased``.
Every other event on the log is one it wrote itself (already applied when it was decided, so never applied
twice) or a deadline processor's event, which does not change the lifecycle state.

**Commands:** ``aduan.domain.lifecycle.decide``. A command id is carried out once: a resent accepted command is
dropped (``lifecycle_commands``). A refused command is dead-lettered with the refusal code and reason, the state
unchanged, and its outcome recorded so that ``aduan admin ... --wait`` can say why. Refusal codes:
``unknown_complaint``, ``illegal_transition``, ``forbidden_actor``, ``invalid_command`` (from the domain), plus
``undecodable``, ``wrong_type``, ``bad_signature``, and ``invalid_command`` for a message whose Kafka key is not
its complaint id (it would sit on another worker's partition).

**A command that arrives before its complaint's ComplaintSubmitted was consumed** (the topics are read side by
side, without an order between them) is refused as ``unknown_complaint`` and dead-lettered: the sender resends it
(with the same command id) once the complaint is known. Taking each batch's log messages first makes this rare;
the command line tools look complaints up in this processor's state, so they never send such a command.

**Agency identity:** an agency action must come on ``<p>.agency-actions`` in an ``id.aduan.agency.SignedAction``
whose signature matches the key of the agency it names (else ``bad_signature``) and whose action's
``actor.agency`` is that agency (else ``forbidden_actor``); ``decide`` then lets only the handling agency act.
An agency officer's command on ``<p>.commands`` is refused as ``forbidden_actor``: it is unsigned. Admins,
reporters and the system are trusted on ``<p>.commands`` (in production, Kafka ACLs let only the admin console,
the reporter gateway and the deadline processor write there).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg2.extensions
import psycopg2.extras

from aduan.domain.command_records import COMMAND_TYPES, command_from_record
from aduan.domain.commands import ActorKind, Command
from aduan.domain.directory import Directory
from aduan.domain.events import Event
from aduan.domain.lifecycle import (
    ComplaintState,
    Emitted,
    LifecycleConfig,
    Refused,
    Route,
    auto_verify,
    decide,
    evolve,
)
from aduan.domain.routing import Disposition, reroute, route
from aduan.kernel import kafka_clients, topics
from aduan.kernel.clock import Clock, clock_from_env
from aduan.kernel.config import Settings
from aduan.kernel.metrics import AUTO_VERIFIED, LIFECYCLE_COMMANDS
from aduan.kernel.rdkafka_publisher import RdkafkaPublisher
from aduan.kernel.signing import SIGNED_ACTION, AgencyKeys, is_authentic
from aduan.kernel.stream_message import Message
from aduan.kernel.topics import Topics
from aduan.processing.app import batch_agent, create_app, run_worker
from aduan.processing.batch_rule import TransactionalBatches, unhandled
from schemas import DecodeError, codec
from streams.lifecycle_config import load_config
from streams.lifecycle_store import (
    ACCEPTED,
    Outcome,
    accepted_commands,
    load_states,
    save_outcomes,
    save_states,
)

log = logging.getLogger(__name__)

PROCESSOR = "lifecycle"
FROM_LOG = frozenset({Event.SUBMITTED, Event.PERSONAL_DATA_ERASED})


class DirectoryRoute:
    """Routing (:func:`aduan.domain.routing.route`) bound to one directory version, as the lifecycle calls it.

    With agencies to exclude (those that declined), it re-routes without them; when the only place left is one of
    them (the national triage queue declined too), it raises LookupError and the forward is refused.
    """

    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    def __call__(self, category: str, region_code: str, *, exclude: frozenset[str]) -> Disposition:
        if not exclude:
            return route(category, region_code, self.directory)
        disposition = reroute(category, region_code, self.directory, declined=exclude)
        if disposition.agency in exclude:
            raise LookupError(f"{disposition.agency} declined it already and nobody else fits")
        return disposition


# --- reading one message ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogEvent:
    """An event of the log that the lifecycle applies."""

    message: Message
    name: str
    record: dict[str, Any]

    @property
    def complaint_id(self) -> str:
        return self.record["header"]["complaint_id"]


@dataclass(frozen=True)
class Incoming:
    """A command to decide."""

    message: Message
    command: Command

    @property
    def complaint_id(self) -> str:
        return self.command.complaint_id


@dataclass(frozen=True)
class Unacceptable:
    """A message refused before any decision."""

    message: Message
    code: str
    reason: str


Input = LogEvent | Incoming | Unacceptable | None


def read(message: Message, names: Topics, keys: AgencyKeys) -> Input:
    """What ``message`` asks of the lifecycle; None for a log event it does not apply."""
    try:
        decoded = codec().decode(message.value)
    except DecodeError as exc:
        return Unacceptable(message, "undecodable", f"{exc.code}: {exc.reason}")
    if message.topic == names.complaint_events:
        return LogEvent(message, decoded.name, decoded.record) if decoded.name in FROM_LOG else None
    if message.topic == names.agency_actions:
        return _agency_action(message, decoded.name, decoded.record, keys)
    return _command(message, decoded.name, decoded.record, names)


def _command(message: Message, name: str, record: dict[str, Any], names: Topics) -> Input:
    if name not in COMMAND_TYPES:
        return Unacceptable(message, "wrong_type", f"{name} on {message.topic}: only id.aduan.command.* messages "
                                                   "belong here")
    try:
        command = command_from_record(name, record)
    except ValueError as exc:
        return Unacceptable(message, "invalid_command", f"{name}: {exc}")
    if command.actor.kind is ActorKind.AGENCY_OFFICER:
        return Unacceptable(message, "forbidden_actor",
                            f"an agency officer's {name} must be signed with the agency's key and sent to "
                            f"{names.agency_actions} (use `aduan agency act` or aduan.clients.agency.ActionSender)")
    return _keyed(message, command)


def _agency_action(message: Message, name: str, record: dict[str, Any], keys: AgencyKeys) -> Input:
    if name != SIGNED_ACTION:
        return Unacceptable(message, "bad_signature", f"{name} is not signed: agency actions come in a "
                                                      f"{SIGNED_ACTION} signed with the agency's key")
    if not is_authentic(keys, record):
        return Unacceptable(message, "bad_signature",
                            f"the signature does not match agency {record['agency']!r}'s key: sign with the key "
                            "`aduan agency key CODE` printed for that agency")
    try:
        inner = codec().decode(record["action"])
        command = command_from_record(inner.name, inner.record)
    except DecodeError as exc:
        return Unacceptable(message, "undecodable", f"the signed action: {exc.code}: {exc.reason}")
    except (KeyError, ValueError) as exc:
        return Unacceptable(message, "wrong_type", f"the signed action: {exc}")
    actor = command.actor
    if actor.kind is not ActorKind.AGENCY_OFFICER or actor.agency != record["agency"]:
        return Unacceptable(message, "forbidden_actor",
                            f"signed by agency {record['agency']} but acting as {actor.kind.value} of "
                            f"{actor.agency or 'no agency'}: an agency signs only its own officers' actions")
    return _keyed(message, command)


def _keyed(message: Message, command: Command) -> Input:
    if message.key != command.complaint_id.encode():
        return Unacceptable(message, "invalid_command",
                            f"the message key {message.key!r} is not the complaint id {command.complaint_id!r}: key "
                            "commands by complaint id so that they reach the worker that owns the complaint")
    return Incoming(message, command)


# --- one batch -------------------------------------------------------------------------------------------------


@dataclass
class _Work:
    """What one batch changed, saved at its end."""

    states: dict[str, ComplaintState]
    done: set[str]
    changed: dict[str, ComplaintState] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)

    def apply(self, state: ComplaintState, emitted: Emitted) -> None:
        for name, record in emitted:
            state = evolve(state, name, record)
        self.states[state.complaint_id] = self.changed[state.complaint_id] = state


class LifecycleProcessor(TransactionalBatches):
    """Handles batches of the log, the commands and the agency actions (see the module docstring)."""

    consumer = PROCESSOR

    def __init__(self, settings: Settings, publisher: kafka_clients.Publishing, *, route: Route, config: LifecycleConfig,
                 keys: AgencyKeys, clock: Clock) -> None:
        super().__init__(settings, publisher)
        self.topics = Topics(settings.topic_prefix)
        self.consumed = [self.topics.complaint_events, self.topics.commands, self.topics.agency_actions]
        self.route = route
        self.config = config
        self.keys = keys
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> "LifecycleProcessor":
        """The processor with the directory, the configured lifecycle settings, keys and clock."""
        return cls(settings, RdkafkaPublisher(settings), route=DirectoryRoute(Directory.load()),
                   config=load_config(), keys=AgencyKeys.from_settings(settings), clock=clock_from_env())

    def fresh(self, cur: psycopg2.extensions.cursor, batch: list[Message]) -> list[Message]:
        """Locks the batch's partition numbers on all three co-partitioned topics, not only those in the batch:
        otherwise two workers overlapping in a rebalance could change one complaint through different topics."""
        partitions = {m.partition for m in batch}
        start = self.offsets.lock(cur, ((t, p) for t in self.consumed for p in partitions))
        return unhandled(self.consumer, start, batch, self.log_ends)

    def apply(self, cur: psycopg2.extensions.cursor, messages: list[Message]) -> _Work:
        # The log's messages first: a submission read in the same batch as a command about it comes before it.
        ordered = sorted(messages, key=lambda m: m.topic != self.topics.complaint_events)
        inputs = [read(m, self.topics, self.keys) for m in ordered]
        complaint_ids = {i.complaint_id for i in inputs if isinstance(i, (LogEvent, Incoming))}
        command_ids = [i.command.command_id for i in inputs if isinstance(i, Incoming)]
        work = _Work(load_states(cur, complaint_ids), accepted_commands(cur, command_ids))
        now = self.clock.now()
        for item in inputs:
            if isinstance(item, LogEvent):
                self._from_log(work, item, now)
            elif isinstance(item, Incoming):
                self._decide(work, item, now)
            elif isinstance(item, Unacceptable):
                self._refuse(item.message, "unreadable", item.code, item.reason)
        save_states(cur, work.changed.values())
        save_outcomes(cur, work.outcomes)
        return work

    def _from_log(self, work: _Work, item: LogEvent, now: datetime) -> None:
        known = work.states.get(item.complaint_id)
        if known is None and item.name != Event.SUBMITTED:
            log.warning("%s of unknown complaint %s ignored", item.name, item.complaint_id)
            return
        if known is not None and item.name == Event.SUBMITTED:
            return  # a redelivered or repeated submission
        state = evolve(known, item.name, item.record)
        assert state is not None
        emitted = auto_verify(state, route=self.route, now=now, config=self.config) if known is None else []
        work.apply(state, emitted)
        self._publish(emitted)
        if emitted:
            self.out.count(AUTO_VERIFIED)

    def _decide(self, work: _Work, item: Incoming, now: datetime) -> None:
        command = item.command
        name = type(command).__name__
        if command.command_id in work.done:
            self.out.count(LIFECYCLE_COMMANDS, command=name, outcome="duplicate")
            return
        state = work.states.get(command.complaint_id)
        try:
            emitted = decide(state, command, route=self.route, now=now, config=self.config)
        except Refused as refusal:
            self._refuse(item.message, name, refusal.code.value, refusal.reason)
            work.outcomes.append(Outcome(command.command_id, command.complaint_id, name, refusal.code.value,
                                         refusal.reason))
            return
        assert state is not None  # decide refuses an unknown complaint
        work.apply(state, emitted)
        self._publish(emitted)
        work.done.add(command.command_id)
        work.outcomes.append(Outcome(command.command_id, command.complaint_id, name, ACCEPTED))
        self.out.count(LIFECYCLE_COMMANDS, command=name, outcome=ACCEPTED)

    def _refuse(self, message: Message, command: str, code: str, reason: str) -> None:
        self.out.dead_letter(message, code, reason)
        self.out.count(LIFECYCLE_COMMANDS, command=command, outcome=code)
        log.info("refused %s/%d@%d (%s): %s", message.topic, message.partition, message.offset, code, reason)

    def _publish(self, emitted: Emitted) -> None:
        for name, record in emitted:
            self.out.send(self.topics.complaint_events, record["header"]["complaint_id"], name, record)


def run(settings: Settings) -> None:
    """The ``lifecycle`` process: decide until SIGTERM; /metrics on ``settings.metrics_port``."""
    app = create_app(PROCESSOR, settings)
    names = Topics(settings.topic_prefix)
    topics.ensure(settings, names.shared(settings))
    processor = LifecycleProcessor.from_settings(settings)
    batch_agent(app, PROCESSOR, processor.consumed, processor.handle)
    run_worker(app)
