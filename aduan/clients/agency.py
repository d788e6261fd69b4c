"""An agency's client: reads its inbox (its own consumer group, each item once) and sends signed actions.

Usage::

    credential = AgencyCredential.resolve("pemkab-74-04", settings)        # key from ADUAN_AGENCY_KEY or derived
    with InboxReader(settings, "pemkab-74-04") as inbox:
        for item in inbox.items(follow=False):      # everything new, then stop; follow=True waits for more
            print(item["kind"], item["tracking_id"], item["title"])
    sender = ActionSender(settings, credential)
    sender.send(Acknowledge(command_id=..., complaint_id=item["complaint_id"],
                            actor=sender.officer("budi"), issued_at=..., note="on it"))

The broker delivers at least once, and a crash of the dispatcher can put the same item in the inbox twice:
:class:`SeenItems` remembers the event id of every item delivered (in a small SQLite file per agency, so across
restarts too) and the reader drops a repeat.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any, Iterator

from aduan.domain.commands import Actor, ActorKind, Command
from aduan.domain.inbox import INBOX_ITEM
from aduan.kernel import kafka_clients
from aduan.kernel.config import Settings
from aduan.kernel.signing import SIGNED_ACTION, AgencyCredential, signed_action
from aduan.kernel.topics import Topics
from schemas import DecodeError, codec
from schemas.command_wire import encode_command


class SeenItems:
    """The event ids of inbox items already delivered; in memory, or kept in a SQLite file."""

    def __init__(self, path: Path | None = None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path) if path is not None else ":memory:")
        self._db.execute("CREATE TABLE IF NOT EXISTS seen (event_id TEXT PRIMARY KEY)")
        self.dropped = 0

    @classmethod
    def at(cls, settings: Settings, agency: str) -> "SeenItems":
        """The store of ``agency`` in ``<home>/agency/<agency>.seen.sqlite3``."""
        return cls(settings.home / "agency" / f"{settings.topic_prefix}.{agency}.seen.sqlite3")

    def __contains__(self, event_id: object) -> bool:
        return self._db.execute("SELECT 1 FROM seen WHERE event_id = ?", (event_id,)).fetchone() is not None

    def add(self, event_id: str) -> None:
        with self._db:
            self._db.execute("INSERT OR IGNORE INTO seen (event_id) VALUES (?)", (event_id,))

    def close(self) -> None:
        self._db.close()


def consumer_group(settings: Settings, agency: str) -> str:
    """The agency's consumer group: ``<p>.agency.<code>`` (the name an ACL would grant the agency)."""
    return f"{settings.topic_prefix}.agency.{agency}"


class InboxReader:
    """Reads ``<p>.agency.<code>.inbox``.

    By default as the agency's consumer group: each item once, offsets committed after the items were handed out,
    event ids remembered in ``seen`` (default: the agency's file, :meth:`SeenItems.at`). With ``whole_inbox``:
    every item from the beginning (each event id once), committing and remembering nothing
    (``aduan agency inbox --all``).
    """

    def __init__(self, settings: Settings, agency: str, *, seen: SeenItems | None = None, whole_inbox: bool = False,
                 poll_ms: int = 500) -> None:
        self.agency = agency
        self.topic = Topics(settings.topic_prefix).agency_inbox(agency)
        self.group = None if whole_inbox else consumer_group(settings, agency)
        self.seen = seen or (SeenItems() if whole_inbox else SeenItems.at(settings, agency))
        self.poll_ms = poll_ms
        self._consumer = kafka_clients.consumer(settings, self.group, self.topic)

    def items(self, *, follow: bool, timeout: float = 60.0) -> Iterator[dict[str, Any]]:
        """Each new inbox item (an ``id.aduan.agency.InboxItem`` record), once.

        Without ``follow`` it stops at the end of the inbox, and raises TimeoutError when it cannot reach it within
        ``timeout`` seconds; with ``follow`` it waits for more until the caller stops.
        """
        deadline = time.monotonic() + timeout
        while True:
            for records in self._consumer.poll(timeout_ms=self.poll_ms).values():
                for record in records:
                    item = self._item(record.value)
                    if item is None:
                        continue
                    if item["event_id"] in self.seen:
                        self.seen.dropped += 1
                        continue
                    yield item
                    self.seen.add(item["event_id"])
            if self.group is not None:
                self._consumer.commit()
            if follow:
                continue
            if self._caught_up():
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {self.topic} to its end within {timeout:.0f} s: is the broker "
                                   "reachable, and does another reader of this agency hold the consumer group?")

    def _item(self, value: bytes | None) -> dict[str, Any] | None:
        try:
            decoded = codec().decode(value)
        except DecodeError:
            return None
        return decoded.record if decoded.name == INBOX_ITEM else None

    def _caught_up(self) -> bool:
        assigned = self._consumer.assignment()
        if not assigned:
            return False
        behind = kafka_clients.lag(self._consumer, assigned)
        return len(behind) == len(assigned) and not any(behind.values())

    def close(self) -> None:
        self._consumer.close()
        self.seen.close()

    def __enter__(self) -> "InboxReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def signed_command(credential: AgencyCredential, command: Command) -> bytes:
    """``command`` in its ``id.aduan.agency.SignedAction`` envelope, signed with the agency's key, encoded."""
    return codec().encode(SIGNED_ACTION, signed_action(credential.agency, credential.key, encode_command(command)))


class ActionSender:
    """Publishes an agency's actions to ``<p>.agency-actions``, signed with its key, keyed by complaint id."""

    def __init__(self, settings: Settings, credential: AgencyCredential) -> None:
        self.credential = credential
        self.topic = Topics(settings.topic_prefix).agency_actions
        self.publisher = kafka_clients.Publisher(kafka_clients.producer(settings))

    def officer(self, officer_id: str) -> Actor:
        """The actor of an officer of this agency."""
        return Actor(ActorKind.AGENCY_OFFICER, officer_id, self.credential.agency)

    def send(self, command: Command) -> None:
        """Sign and publish ``command``, and wait until the broker acknowledged it."""
        if command.actor.agency != self.credential.agency:
            raise ValueError(f"this client signs for {self.credential.agency}, not for {command.actor.agency}: "
                             "use ActionSender.officer(...) as the actor")
        self.publisher.send(self.topic, command.complaint_id.encode(), signed_command(self.credential, command),
                            [("type", type(command).__name__.encode()), ("agency", self.credential.agency.encode())])
        self.publisher.flush()

    def close(self) -> None:
        self.publisher.close()
