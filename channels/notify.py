"""``notify``: sends every reporter notification once, through the sender of its channel.

Each batch of ``<p>.notifications`` follows the batch rule (docs/design.md). Its work: skip the
notifications already in ``notifications_sent``, find the address (unsealing an anonymous reporter's identity
here, and nowhere else), hand each to its channel's sender (:mod:`channels.senders`), record it. A sender that
raises makes the batch retry; a crash after a send and before the commit sends that message again
(at-least-once towards the gateway, with the notification id to deduplicate). Notifications without a usable
address are recorded as ``no_address``; undecodable ones and ones sealed under another key are dead-lettered.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg2.extensions
import psycopg2.extras

from aduan.domain.replies import REPORTER_NOTIFICATION, reply_address
from aduan.kernel import kafka_clients
from aduan.kernel.config import Settings
from aduan.kernel.metrics import NOTIFICATIONS_SENT, NOTIFICATIONS_UNDELIVERABLE
from aduan.kernel.privacy import Sealer, UnsealError
from aduan.kernel.rdkafka_publisher import RdkafkaPublisher
from aduan.kernel.stream_message import Message
from aduan.kernel.topics import Topics
from aduan.processing.app import batch_agent, create_app, run_worker
from aduan.processing.batch_rule import TransactionalBatches
from channels.senders import Outgoing, Sender, senders

log = logging.getLogger(__name__)

PROCESSOR = "notify"


class NotificationSender(TransactionalBatches):
    """Handles batches of the notifications topic (see the module docstring)."""

    consumer = PROCESSOR

    def __init__(self, settings: Settings, publisher: kafka_clients.Publishing, channel_senders: dict[str, Sender],
                 sealer: Sealer | None = None) -> None:
        super().__init__(settings, publisher)
        self.senders = channel_senders
        self.sealer = sealer or Sealer.from_settings(settings)

    def apply(self, cur: psycopg2.extensions.cursor, messages: list[Message]) -> None:
        readable = self._readable(messages)
        cur.execute("SELECT notification_id FROM notifications_sent WHERE notification_id = ANY(%s)",
                    ([n["notification_id"] for _, n in readable],))
        done = {row[0] for row in cur.fetchall()}
        records = []
        for message, record in readable:
            if record["notification_id"] in done:
                continue
            done.add(record["notification_id"])
            outcome = self._deliver(message, record)
            records.append((record["notification_id"], record["channel"], record["kind"], outcome))
        if records:
            psycopg2.extras.execute_values(
                cur, "INSERT INTO notifications_sent (notification_id, channel, kind, outcome) VALUES %s", records)

    def _readable(self, messages: list[Message]) -> list[tuple[Message, dict[str, Any]]]:
        """The notifications of ``messages``; the rest is dead-lettered."""
        readable = []
        for message, decoded in self.out.decoded(messages):
            if decoded.name == REPORTER_NOTIFICATION:
                readable.append((message, decoded.record))
            else:
                self.out.dead_letter(message, "wrong_type", f"{decoded.name} on the notifications topic: only "
                                                            f"{REPORTER_NOTIFICATION} belongs here")
        return readable

    def _deliver(self, message: Message, record: dict[str, Any]) -> str:
        """Send one notification; returns the outcome recorded for it."""
        route: tuple[str, str] | None = None
        if record["address"]:
            route = (record["channel"], record["address"])
        elif record["reporter_sealed"]:
            try:
                route = reply_address(record["channel"], self.sealer.unseal(record["reporter_sealed"]))
            except UnsealError as exc:
                self.out.dead_letter(message, "unsealable", str(exc))
                return self._undeliverable("unsealable")
        if route is None:
            return self._undeliverable("no_address")
        channel, address = route
        sender = self.senders.get(channel)
        if sender is None:
            return self._undeliverable("no_sender")
        sender.send(Outgoing(record["notification_id"], channel, address, record["kind"], record["tracking_id"],
                             record["text"]))
        self.out.count(NOTIFICATIONS_SENT, channel=channel, kind=record["kind"])
        return "sent"

    def _undeliverable(self, reason: str) -> str:
        self.out.count(NOTIFICATIONS_UNDELIVERABLE, reason=reason)
        return reason


def run(settings: Settings) -> None:
    """The ``notify`` process: send reporter notifications until SIGTERM; /metrics on ``settings.metrics_port``."""
    app = create_app(PROCESSOR, settings)
    sender = NotificationSender(settings, RdkafkaPublisher(settings), senders(settings))
    batch_agent(app, PROCESSOR, [Topics(settings.topic_prefix).notifications], sender.handle)
    run_worker(app)
