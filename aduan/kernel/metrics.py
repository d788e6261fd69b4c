"""Prometheus metrics shared by every aduan process (``aduan_`` prefix, base units, ``_total`` counters)."""

from __future__ import annotations

import os

from prometheus_client import Counter, Gauge, Histogram, Info

MESSAGES_CONSUMED = Counter(
    "aduan_messages_consumed_total", "Messages read by a processor.", ["processor", "topic"]
)
MESSAGES_PRODUCED = Counter(
    "aduan_messages_produced_total", "Messages written by a processor, by topic kind and message type.",
    ["processor", "topic", "type"],
)
DEAD_LETTERS = Counter(
    "aduan_dead_letters_total", "Messages sent to the dead-letter topic, by reason.", ["processor", "reason"]
)
BATCH_SECONDS = Histogram(
    "aduan_batch_duration_seconds", "Time to process one batch, end to end.", ["processor"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BATCH_FAILURES = Counter(
    "aduan_batch_failures_total", "Batches that failed and were retried (database or broker unavailable).",
    ["processor"],
)
LAST_COMMIT = Gauge(
    "aduan_last_commit_timestamp_seconds", "Unix time of the processor's last committed batch.", ["processor"]
)
CONSUMER_LAG = Gauge(
    "aduan_consumer_lag_messages", "Messages behind the fetch high-water mark, per partition.",
    ["processor", "topic", "partition"],
)
LOG_MISMATCH = Gauge(
    "aduan_log_mismatch_offsets",
    "While a processor refuses a partition: how far its stored next offset is beyond the log's end there "
    "(aduan/kernel/log_guard.py; its log says both offsets).",
    ["processor", "topic", "partition"],
)

# Intake: channel adapters, the intake processor and the reporter notification sender.
CHANNEL_REPORTS = Counter(
    "aduan_channel_reports_total", "Reports a channel adapter received, by outcome (published, refused).",
    ["channel", "outcome"],
)
CHANNEL_IGNORED = Counter(
    "aduan_channel_ignored_total", "Channel messages ignored at the door, by reason (e.g. no_hashtag).",
    ["channel", "reason"],
)
INTAKE_REPORTS = Counter(
    "aduan_intake_reports_total", "Intake messages by outcome (accepted, duplicate, rejected, undecodable).",
    ["outcome"],
)
TRACKING_ID_COLLISIONS = Counter(
    "aduan_tracking_id_collisions_total", "Tracking id candidates already taken, so the next one was used."
)
NOTIFICATIONS_SENT = Counter(
    "aduan_notifications_sent_total", "Reporter notifications handed to a channel sender.", ["channel", "kind"]
)
NOTIFICATIONS_UNDELIVERABLE = Counter(
    "aduan_notifications_undeliverable_total", "Reporter notifications that could not be sent, by reason.",
    ["reason"],
)

# Deadlines: alarms the deadline processor fired (counted after commit) and the stage clocks still waiting.
DEADLINE_WARNINGS = Counter(
    "aduan_deadline_warnings_total", "DeadlineWarning events, by the agency owing the stage and the stage.",
    ["agency", "stage"],
)
DEADLINE_BREACHES = Counter(
    "aduan_deadline_breaches_total", "DeadlineBreached events, by the agency owing the stage and the stage.",
    ["agency", "stage"],
)
ESCALATIONS = Counter(
    "aduan_escalations_total", "ComplaintEscalated events, by the late agency, the stage and the level reached.",
    ["agency", "stage", "level"],
)
DEADLINE_CLOSES_REQUESTED = Counter(
    "aduan_deadline_closes_requested_total", "System Close commands sent for follow-ups the reporter left unanswered."
)
DEADLINE_TIMERS_OPEN = Gauge(
    "aduan_deadline_timers_open", "Stage clocks with an alarm still to come, by stage.", ["stage"]
)

# Lifecycle (decider) and dispatcher: decisions counted once their batch committed.
LIFECYCLE_COMMANDS = Counter(
    "aduan_lifecycle_commands_total",
    "Commands and agency actions the lifecycle decided, by command and outcome (accepted, duplicate, or the "
    "refusal code: unknown_complaint, illegal_transition, forbidden_actor, invalid_command, bad_signature...).",
    ["command", "outcome"],
)
AUTO_VERIFIED = Counter(
    "aduan_lifecycle_auto_verified_total", "Submissions verified and dispositioned without an admin (auto-verify)."
)
INBOX_ITEMS = Counter(
    "aduan_inbox_items_total", "Items the dispatcher put in agency inboxes, by kind (NEW, COPY, ESCALATED...).",
    ["kind"],
)

# Operations. Conventions for every aduan metric, wherever it is defined: the ``aduan_`` prefix, base units in the
# name (``_seconds``, ``_messages``, ``_events``), ``_total`` on counters; ``processor`` is the process name in
# aduan.runtime.processes.PROCESSES (or that name plus a suffix for a second loop of the same process), and the other labels
# keep one meaning everywhere: ``topic``, ``partition``, ``agency`` (directory code), ``channel``, ``reason``,
# ``stage``, ``outcome``, ``kind``. deploy/prometheus/alerts.yml and deploy/grafana/aduan.json rely on these names;
# tests/unit/test_deploy_metrics.py checks them with ``promtool check metrics``.
PROCESS_INFO = Info(
    "aduan_process", "The aduan process serving these metrics: its name in PROCESSES and the package version."
)


def announce_process(name: str) -> None:
    """Set ``aduan_process_info{processor=name, version=...} 1`` for the process serving these metrics."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("aduan")
    except PackageNotFoundError:
        installed = "unknown"
    PROCESS_INFO.info({"processor": name, "version": installed})


def metrics_host() -> str:
    """The interface /metrics listens on: ``ADUAN_METRICS_HOST`` (e.g. 0.0.0.0 in a container), else 127.0.0.1."""
    return os.environ.get("ADUAN_METRICS_HOST") or "127.0.0.1"
