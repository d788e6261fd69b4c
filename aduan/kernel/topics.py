"""Topic names and ``aduan topics ensure``.

Naming scheme: ``<prefix>.<name>`` for the shared topics and ``<prefix>.agency.<agency-code>.inbox`` for each
agency's inbox, where the prefix is ``ADUAN_TOPIC_PREFIX`` (default ``aduan``). Every shared topic is keyed by
complaint id (intake by channel message id), so one complaint's messages stay in order on one partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from aduan.kernel.config import Settings

# Never deleted by time or size: the complaint event log is the source of truth.
KEEP_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}
KEEP_A_MONTH = {"retention.ms": str(30 * 24 * 3600 * 1000), "cleanup.policy": "delete"}


@dataclass(frozen=True)
class TopicSpec:
    """A topic the system needs: its name, partitions and configs, and what it is for."""

    name: str
    partitions: int
    configs: dict[str, str]
    purpose: str


class Topics:
    """The topic names of one deployment (one prefix)."""

    def __init__(self, prefix: str = "aduan") -> None:
        self.prefix = prefix

    @property
    def intake(self) -> str:
        """Channel adapters publish raw reports here (id.aduan.intake.*), keyed by channel message id."""
        return f"{self.prefix}.intake"

    @property
    def complaint_events(self) -> str:
        """The complaint event log: the source of truth, keyed by complaint id, never deleted."""
        return f"{self.prefix}.complaint-events"

    @property
    def commands(self) -> str:
        """Admin and reporter commands, keyed by complaint id."""
        return f"{self.prefix}.commands"

    @property
    def agency_actions(self) -> str:
        """Agency officers' actions, signed with the agency's key, keyed by complaint id."""
        return f"{self.prefix}.agency-actions"

    @property
    def notifications(self) -> str:
        """Replies to reporters through the channel they used."""
        return f"{self.prefix}.notifications"

    @property
    def dead_letter(self) -> str:
        """Messages a processor refused, with the reason and the original bytes."""
        return f"{self.prefix}.dead-letter"

    @property
    def log_identity(self) -> str:
        """One record written once, naming this log: offsets stored in PostgreSQL belong to the log it names."""
        return f"{self.prefix}.log-identity"

    def agency_inbox(self, agency_code: str) -> str:
        """An agency's inbox: what was dispositioned, copied or escalated to it, redacted for privacy."""
        return f"{self.prefix}.agency.{agency_code}.inbox"

    def shared(self, settings: Settings) -> list[TopicSpec]:
        """The shared topics with their partitions and configs."""
        p = settings.partitions
        return [
            TopicSpec(self.intake, p, KEEP_FOREVER, "raw reports from channel adapters"),
            TopicSpec(self.complaint_events, p, KEEP_FOREVER, "complaint event log (source of truth)"),
            TopicSpec(self.commands, p, KEEP_FOREVER, "admin and reporter commands"),
            TopicSpec(self.agency_actions, p, KEEP_FOREVER, "signed agency actions"),
            TopicSpec(self.notifications, p, KEEP_A_MONTH, "replies to reporters"),
            TopicSpec(self.dead_letter, 1, KEEP_FOREVER, "refused messages with reasons"),
            TopicSpec(self.log_identity, 1, KEEP_FOREVER, "the log's identity (one record, written once)"),
        ]

    def inboxes(self, agency_codes: Iterable[str]) -> list[TopicSpec]:
        """One single-partition inbox per agency."""
        return [TopicSpec(self.agency_inbox(code), 1, KEEP_FOREVER, f"inbox of {code}") for code in agency_codes]


@dataclass(frozen=True)
class EnsureReport:
    """What ``ensure`` did."""

    created: list[str]
    existing: list[str]
    partition_mismatch: list[str]


def ensure(settings: Settings, specs: list[TopicSpec]) -> EnsureReport:
    """Create the topics that do not exist yet; never changes or deletes an existing one."""
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap, client_id="aduan-topics")
    try:
        present = set(admin.list_topics())
        missing = [s for s in specs if s.name not in present]
        created: list[str] = []
        for chunk in _chunks(missing, 200):
            new = [NewTopic(s.name, s.partitions, settings.replication_factor, topic_configs=s.configs) for s in chunk]
            try:
                admin.create_topics(new, validate_only=False)
                created.extend(s.name for s in chunk)
            except TopicAlreadyExistsError:
                created.extend(s.name for s in chunk if s.name not in set(admin.list_topics()))
        existing = [s for s in specs if s.name in present]
        mismatch = []
        if existing:
            described = {d.get("name", d.get("topic")): len(d["partitions"]) for d in admin.describe_topics([s.name for s in existing])}
            mismatch = [f"{s.name}: has {described.get(s.name)} partitions, wants {s.partitions}"
                        for s in existing if described.get(s.name) not in (None, s.partitions)]
        return EnsureReport(created=created, existing=[s.name for s in existing], partition_mismatch=mismatch)
    finally:
        admin.close()


def _chunks(items: list[TopicSpec], size: int) -> Iterable[list[TopicSpec]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
