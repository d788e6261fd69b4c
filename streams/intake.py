"""The intake processor: every intake report becomes exactly one ``ComplaintSubmitted`` on the event log, or a dead
letter with its reason and a reply to the reporter.

Each batch of ``<p>.intake`` follows the batch rule (docs/design.md). Its work: decode and check every report
(:class:`aduan.domain.intake.Rules`); drop a delivery whose key (``<channel>:<message id>``) already has a receipt
in ``intake_receipts``; give each new one its tracking id (unique index; a taken candidate moves to the next,
counted in ``aduan_tracking_id_collisions_total``); write the receipts (a tracking id that another worker took
meanwhile fails here, before anything is published, and the batch is retried); send the events, replies and dead
letters.

On a tracking id collision the complaint keeps its complaint id and gets the next candidate tracking id; the
reporter is told the one that holds in an ACCEPTED notification (even on channels that answered at the door),
and the id the door answered with stays unused. With 2.2 million complaints on record, a new report collides
with probability 2e-9 (50-bit ids, see ``aduan.domain.tracking``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import psycopg2.extensions
import psycopg2.extras

from aduan.domain.events import Event, event_id, new_header
from aduan.domain.intake import INTAKE_REPORT, Problem, Rules
from aduan.domain.replies import (
    ACCEPTED,
    ANSWERED_AT_THE_DOOR,
    REJECTED_INPUT,
    REPORTER_NOTIFICATION,
    accepted_text,
    notification,
    rejected_text,
)
from aduan.domain.tracking import TrackingIds, complaint_id, delivery_key
from aduan.kernel import kafka_clients
from aduan.kernel.config import Settings
from aduan.kernel.metrics import INTAKE_REPORTS, TRACKING_ID_COLLISIONS
from aduan.kernel.privacy import Sealer, protect, tracking_ids
from aduan.kernel.rdkafka_publisher import RdkafkaPublisher
from aduan.kernel.stream_message import Message
from aduan.kernel.topics import Topics
from aduan.processing.app import batch_agent, create_app, run_worker
from aduan.processing.batch_rule import TransactionalBatches
from aduan.processing.outputs import Outputs
from schemas import DecodeError, codec

log = logging.getLogger(__name__)

PROCESSOR = "intake"


@dataclass(frozen=True)
class Refused:
    """A message that does not become a complaint: dead-letter it with ``code`` and ``reason``."""

    message: Message
    code: str
    reason: str
    report: dict[str, Any] | None = None
    problems: tuple[Problem, ...] = ()

    @property
    def key(self) -> str | None:
        """The delivery key, when the message could be decoded."""
        return None if self.report is None else delivery_key(self.report["channel"], self.report["channel_message_id"])


@dataclass(frozen=True)
class Valid:
    """A report that passed every rule; ``key`` is its delivery key."""

    key: str
    report: dict[str, Any]


def check(message: Message, rules: Rules) -> Valid | Refused:
    """Decode ``message`` and check it against the schema and the business rules."""
    try:
        decoded = codec().decode(message.value)
    except DecodeError as exc:
        return Refused(message, "undecodable", f"{exc.code}: {exc.reason}")
    if decoded.name != INTAKE_REPORT:
        return Refused(message, "wrong_type", f"{decoded.name} on the intake topic: only {INTAKE_REPORT} belongs here; "
                                              "publish it to its own topic")
    report = decoded.record
    key = delivery_key(report["channel"], report["channel_message_id"])
    problems = rules.problems(report)
    if problems:
        reason = f"report {key} refused: " + "; ".join(f"{p.field}: {p.message}" for p in problems)
        return Refused(message, "invalid", reason, report, tuple(problems))
    return Valid(key, report)


def complaint_submitted(report: dict[str, Any], key: str, tracking_id: str, ids: TrackingIds, rules: Rules,
                        sealer: Sealer) -> dict[str, Any]:
    """The ``ComplaintSubmitted`` event of a valid report; its ids are derived from the delivery key."""
    cid = complaint_id(key)
    historical = report["channel"] == "BULK_IMPORT"
    actor = ({"kind": "CHANNEL", "id": "bulk_import", "agency": None} if historical
             else {"kind": "REPORTER", "id": ids.reporter_ref(key), "agency": None})
    anonymous = report["privacy"]["anonymous"]
    clear, sealed = protect(report["reporter"], anonymous=anonymous, sealer=sealer)
    return {
        "header": new_header(event_id=event_id(key, Event.SUBMITTED), complaint_id=cid, tracking_id=tracking_id,
                             occurred_at=report["received_at"], actor=actor, correlation_id=cid, causation_id=key,
                             schema_version=codec().registry.latest(Event.SUBMITTED.value).version),
        "report_type": report["report_type"],
        "channel": report["channel"],
        "channel_message_id": report["channel_message_id"],
        "title": report["title"],
        "description": report["description"],
        "category": rules.category(report["category"]),
        "region_code": report["region_code"] or "",
        "coordinates": report["coordinates"],
        "address": report["address"],
        "attachments": report["attachments"],
        "privacy": report["privacy"],
        "reporter": clear,
        "reporter_sealed": sealed or report["reporter_sealed"],
    }


class IntakeProcessor(TransactionalBatches):
    """Handles batches of the intake topic (see the module docstring)."""

    consumer = PROCESSOR

    def __init__(self, settings: Settings, publisher: kafka_clients.Publishing, *, rules: Rules | None = None,
                 ids: TrackingIds | None = None, sealer: Sealer | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        super().__init__(settings, publisher)
        self.topics = Topics(settings.topic_prefix)
        self.rules = rules or Rules()
        self.ids = ids or tracking_ids(settings)
        self.sealer = sealer or Sealer.from_settings(settings)
        self.clock = clock

    def apply(self, cur: psycopg2.extensions.cursor, messages: list[Message]) -> None:
        first = _first_deliveries(cur, [check(m, self.rules) for m in messages], self.out)
        valid = [item for item in first if isinstance(item, Valid)]
        tracking = self._tracking_ids(cur, [item.key for item in valid])
        receipts = [(item.key, item.report["channel"], "rejected", None, None, 0, item.report["received_at"])
                    for item in first if isinstance(item, Refused) and item.key is not None]
        receipts += [(item.key, item.report["channel"], "accepted", complaint_id(item.key), *tracking[item.key],
                      item.report["received_at"]) for item in valid]
        if receipts:  # before publishing: a tracking id taken meanwhile by another worker fails here, not later
            psycopg2.extras.execute_values(
                cur, "INSERT INTO intake_receipts (delivery_key, channel, outcome, complaint_id, tracking_id, "
                     "tracking_attempt, received_at) VALUES %s", receipts, page_size=1000)
        for item in first:
            if isinstance(item, Valid):
                self._accept(item, *tracking[item.key])
            else:
                self._refuse(item)

    def _tracking_ids(self, cur: psycopg2.extensions.cursor, keys: list[str]) -> dict[str, tuple[str, int]]:
        """A tracking id per new delivery key, none already taken (in the table or earlier in this batch)."""
        chosen: dict[str, tuple[str, int]] = {}
        pending = {key: 0 for key in keys}
        while pending:
            candidates = {key: self.ids.tracking_id(key, attempt) for key, attempt in pending.items()}
            cur.execute("SELECT tracking_id FROM intake_receipts WHERE tracking_id = ANY(%s)",
                        (list(candidates.values()),))
            taken = {row[0] for row in cur.fetchall()} | {tid for tid, _ in chosen.values()}
            for key, candidate in candidates.items():
                if candidate in taken:
                    self.out.count(TRACKING_ID_COLLISIONS)
                    log.warning("tracking id %s is taken; delivery %s gets the next candidate", candidate, key)
                    pending[key] += 1
                else:
                    chosen[key] = (candidate, pending.pop(key))
                    taken.add(candidate)
        return chosen

    def _accept(self, item: Valid, tracking_id: str, attempt: int) -> None:
        event = complaint_submitted(item.report, item.key, tracking_id, self.ids, self.rules, self.sealer)
        cid = event["header"]["complaint_id"]
        self.out.send(self.topics.complaint_events, cid, Event.SUBMITTED, event)
        self.out.count(INTAKE_REPORTS, outcome="accepted")
        if item.report["channel"] in ANSWERED_AT_THE_DOOR and attempt == 0:
            return
        reply = notification(kind=ACCEPTED, cause=item.key, channel=item.report["channel"],
                             reporter=event["reporter"], reporter_sealed=event["reporter_sealed"],
                             text=accepted_text(tracking_id), created_at=self.clock(), complaint_id=cid,
                             tracking_id=tracking_id)
        if reply is not None:
            self.out.send(self.topics.notifications, cid, REPORTER_NOTIFICATION, reply)

    def _refuse(self, item: Refused) -> None:
        self.out.dead_letter(item.message, item.code, item.reason)
        self.out.count(INTAKE_REPORTS, outcome="undecodable" if item.report is None else "rejected")
        log.info("dead-lettered %s/%d@%d: %s", item.message.topic, item.message.partition, item.message.offset,
                 item.reason)
        if item.report is None or not item.problems:
            return
        reply = notification(kind=REJECTED_INPUT, cause=item.key, channel=item.report["channel"],
                             reporter=item.report["reporter"], reporter_sealed=item.report["reporter_sealed"],
                             text=rejected_text(item.problems), created_at=self.clock())
        if reply is not None:
            self.out.send(self.topics.notifications, item.key, REPORTER_NOTIFICATION, reply)


def _first_deliveries(cur: psycopg2.extensions.cursor, checked: list[Valid | Refused],
                      out: Outputs) -> list[Valid | Refused]:
    """``checked`` without the deliveries that have a receipt or came earlier in the batch (counted as duplicates)."""
    keys = [item.key for item in checked if item.key is not None]
    cur.execute("SELECT delivery_key FROM intake_receipts WHERE delivery_key = ANY(%s)", (keys,))
    seen = {row[0] for row in cur.fetchall()}
    first = []
    for item in checked:
        if item.key is not None:
            if item.key in seen:
                out.count(INTAKE_REPORTS, outcome="duplicate")
                continue
            seen.add(item.key)
        first.append(item)
    return first


def run(settings: Settings) -> None:
    """The ``intake`` process: consume the intake topic until SIGTERM; /metrics on ``settings.metrics_port``."""
    app = create_app(PROCESSOR, settings)
    processor = IntakeProcessor(settings, RdkafkaPublisher(settings))
    batch_agent(app, PROCESSOR, [Topics(settings.topic_prefix).intake], processor.handle)
    run_worker(app)
