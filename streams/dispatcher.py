"""The dispatcher: complaint events from the log become items in agency inbox topics ``<p>.agency.<code>.inbox``.

Which event reaches which inbox, and the privacy rules, are in :mod:`aduan.domain.inbox`. Each batch of the
log follows the batch rule (docs/design.md). Its work: load the batch's dossiers (``dispatch_dossiers``, locked),
fold every event into its dossier, send the inbox items (key: complaint id), save the dossiers. A republished item
has the same event id, which the agency client drops. Every agency's inbox topic is created at start (one partition); an agency missing from the
directory gets its inbox the first time this process writes to it.

NEW and FORWARDED items carry the follow-up deadline when the follow-up clock starts with that disposition
(first disposition, or a policy that restarts it on forward), computed like the deadline processor does from
``deadline_policies.yaml`` and the working-day calendar; otherwise ``due_at`` is empty and the deadline
processor's warnings say when.
"""

from __future__ import annotations

import logging
from datetime import datetime

import psycopg2.extensions
import psycopg2.extras

from aduan.domain.calendar import WorkingCalendar
from aduan.domain.deadlines import DeadlinePolicies, Stage, StageClock
from aduan.domain.directory import Directory
from aduan.domain.inbox import INBOX_ITEM, Delivery, Dossier, inbox_items
from aduan.domain.records import DOCUMENTS
from aduan.kernel import kafka_clients, topics
from aduan.kernel.config import Settings
from aduan.kernel.metrics import INBOX_ITEMS
from aduan.kernel.rdkafka_publisher import RdkafkaPublisher
from aduan.kernel.stream_message import Message
from aduan.kernel.topics import Topics
from aduan.processing.app import batch_agent, create_app, run_worker
from aduan.processing.batch_rule import TransactionalBatches

log = logging.getLogger(__name__)

PROCESSOR = "dispatcher"


class FollowUpDeadlines:
    """The follow-up deadline of a complaint whose follow-up clock starts at a disposition, when it is known."""

    def __init__(self, policies: DeadlinePolicies, calendar: WorkingCalendar) -> None:
        self.policies = policies
        self.calendar = calendar

    def __call__(self, dossier: Dossier, agency: str, at: datetime) -> datetime | None:
        policy = self.policies.for_stage(Stage.FOLLOW_UP, dossier.report_type, dossier.category, agency)
        if dossier.round > 1 and not policy.restart_on_forward:
            return None  # the clock of an earlier round runs on; its pauses are the deadline processor's to know
        try:
            self.calendar.timezone_for(dossier.region_code)
        except ValueError:
            return None
        return StageClock.start(dossier.complaint_id, policy, dossier.region_code, at, dossier.round).due_at(
            self.calendar)


def load_dossiers(cur: psycopg2.extensions.cursor, complaint_ids: set[str]) -> dict[str, Dossier]:
    """The dossiers of these complaints, locked until the transaction ends."""
    cur.execute("SELECT complaint_id, dossier FROM dispatch_dossiers WHERE complaint_id = ANY(%s) "
                "ORDER BY complaint_id FOR UPDATE", (sorted(complaint_ids),))
    return {complaint_id: DOCUMENTS.structure(document, Dossier) for complaint_id, document in cur.fetchall()}


def save_dossiers(cur: psycopg2.extensions.cursor, dossiers: list[Dossier]) -> None:
    """Insert or replace these dossiers."""
    psycopg2.extras.execute_values(
        cur,
        "INSERT INTO dispatch_dossiers (complaint_id, handling_agency, dossier) VALUES %s "
        "ON CONFLICT (complaint_id) DO UPDATE SET handling_agency = EXCLUDED.handling_agency, "
        "dossier = EXCLUDED.dossier, updated_at = now()",
        [(d.complaint_id, d.handling_agency, psycopg2.extras.Json(DOCUMENTS.unstructure(d))) for d in dossiers],
        page_size=1000,
    )


class Dispatcher(TransactionalBatches):
    """Handles batches of the complaint log (see the module docstring)."""

    consumer = PROCESSOR

    def __init__(self, settings: Settings, publisher: kafka_clients.Publishing, follow_up_due: FollowUpDeadlines,
                 inboxes: set[str] | None = None) -> None:
        super().__init__(settings, publisher)
        self.topics = Topics(settings.topic_prefix)
        self.follow_up_due = follow_up_due
        self._inboxes: set[str] = set(inboxes or ())

    def apply(self, cur: psycopg2.extensions.cursor, messages: list[Message]) -> None:
        events = [(decoded.name, decoded.record) for _, decoded in self.out.decoded(messages)
                  if "header" in decoded.record]
        dossiers = load_dossiers(cur, {record["header"]["complaint_id"] for _, record in events})
        changed: dict[str, Dossier] = {}
        for name, record in events:
            complaint_id = record["header"]["complaint_id"]
            before = dossiers.get(complaint_id)
            after, deliveries = inbox_items(before, name, record, follow_up_due=self.follow_up_due)
            if after is None:
                log.warning("%s %s of unknown complaint %s: no submission on the log before it; ignored",
                            name, record["header"]["event_id"], complaint_id)
                continue
            if after is not before:
                dossiers[complaint_id] = changed[complaint_id] = after
            for delivery in deliveries:
                self._deliver(complaint_id, delivery)
        if changed:
            save_dossiers(cur, list(changed.values()))

    def _deliver(self, complaint_id: str, delivery: Delivery) -> None:
        topic = self.topics.agency_inbox(delivery.agency)
        if topic not in self._inboxes:
            topics.ensure(self.settings, self.topics.inboxes([delivery.agency]))
            self._inboxes.add(topic)
        self.out.send(topic, complaint_id, INBOX_ITEM, delivery.record, [("kind", delivery.record["kind"].encode())])
        self.out.count(INBOX_ITEMS, kind=delivery.record["kind"])


def run(settings: Settings) -> None:
    """The ``dispatcher`` process: the complaint log to agency inboxes until SIGTERM; /metrics on its port."""
    app = create_app(PROCESSOR, settings)
    names = Topics(settings.topic_prefix)
    inboxes = names.inboxes(agency.code for agency in Directory.load().agencies())
    topics.ensure(settings, names.shared(settings) + inboxes)  # one admin round trip, not one per agency
    dispatcher = Dispatcher(settings, RdkafkaPublisher(settings),
                            FollowUpDeadlines(DeadlinePolicies.load(), WorkingCalendar.load()),
                            {inbox.name for inbox in inboxes})
    batch_agent(app, PROCESSOR, [names.complaint_events], dispatcher.handle)
    run_worker(app)
