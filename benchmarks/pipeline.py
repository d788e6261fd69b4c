"""Running the engine's processes for a benchmark, feeding them through the intake door, timing what arrives."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from kafka import TopicPartition

from aduan.cli.synthetic import complaints
from aduan.domain.directory import Directory
from aduan.kernel import kafka_clients
from aduan.kernel.config import Settings
from aduan.kernel.topics import Topics
from aduan.runtime import stack
from aduan.runtime.embedded.process import free_port, stop
from benchmarks.harness import PeakMemory, Progress
from channels.door import Door
from schemas import codec

ROUTING_PROCESSES = ["intake", "lifecycle", "dispatcher"]
INBOX_ITEM = "id.aduan.agency.InboxItem"
READER_FETCH_WAIT_MS = 500  # the inbox reader's: a response of ~570 partitions costs Python CPU the engine needs


def prepare(settings: Settings) -> None:
    """Shared topics, every agency inbox, the database schema."""
    stack.prepare(settings, lambda line: None, [agency.code for agency in Directory.load().agencies()])


def intake_messages(settings: Settings, count: int, label: str = "reports") -> list[tuple[str, bytes, bytes]]:
    """``count`` reports through the door: (complaint id, Kafka key, value) for the intake topic."""
    door = Door(settings)
    now = datetime.now(timezone.utc)
    progress = Progress(f"building {label}", count)
    messages = []
    for spec in complaints(count, seed=uuid.uuid4().int & 0xFFFF):
        report = door.report(channel=spec.channel, message_id=f"bench-{spec.index}-{uuid.uuid4().hex[:8]}",
                             received_at=now, title=spec.title, description=spec.description,
                             report_type=spec.report_type, category=spec.category, region_code=spec.region_code,
                             anonymous=spec.anonymous, confidential=spec.confidential,
                             reporter={"name": "Warga", "phone": "+6281234567890"})
        key, value = door.message(report)
        messages.append((door.receipt(report).complaint_id, key, value))
        if spec.index % 10000 == 0:
            progress.update(spec.index)
    progress.done(count)
    return messages


@dataclass
class Processes:
    """Engine processes started as `aduan run NAME` children, with their peak memory watched; each writes its
    output to ``<label>.log`` in the benchmark's work folder (at ``ADUAN_LOG_LEVEL``, default error)."""

    settings: Settings
    memory: PeakMemory
    children: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def start(self, name: str, copies: int = 1, command: list[str] | None = None, **env_vars: str) -> None:
        """Start ``copies`` of ``aduan run NAME`` (or of ``command``), with ``env_vars`` added."""
        for copy in range(copies):
            env = dict(os.environ, **self.settings.with_(metrics_port=free_port()).to_env(),
                       ADUAN_AUTO_VERIFY_CHANNELS="*",
                       ADUAN_LOG_LEVEL=os.environ.get("ADUAN_LOG_LEVEL", "error"), **env_vars)
            argv = command or [sys.executable, "-m", "aduan.cli", "run", name]
            label = name if copies == 1 else f"{name} #{copy + 1}"
            logs = open(self.settings.home / f"{label}.log", "ab")  # noqa: SIM115 - the child owns it
            proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=logs, stderr=logs)
            logs.close()
            self.children.append((label, proc))
            self.memory.watch(label, proc.pid)

    def labels(self) -> dict[int, str]:
        """Label by pid of every process started."""
        return {proc.pid: label for label, proc in self.children}

    def stop(self) -> None:
        for _, proc in reversed(self.children):
            stop(proc, grace=20)
        self.children.clear()


class InboxCounter:
    """Reads every agency inbox; records when each complaint's first NEW item was written there.

    The arrival time is the record's CreateTime (set by the dispatcher's producer, same machine clock), so the
    counter can read in bulk every second instead of fetching from hundreds of inbox partitions without pause,
    which would load the broker it measures. Each read is a new consumer that starts where the last one stopped and
    reads every inbox to its fetch high-water mark: one kafka-python 3.0 consumer kept for the whole run could stop
    fetching a partition it had not read to its end (seen here: position 47, high-water mark 50, nothing more
    returned however long it polled, while a new consumer seeking to 47 read 47-49 at once).
    """

    def __init__(self, settings: Settings, kinds: tuple[str, ...] | None = ("NEW", "FORWARDED")) -> None:
        """``kinds``: the inbox item kinds that count as an arrival; None counts every record without decoding."""
        names = Topics(settings.topic_prefix)
        self.settings = settings
        self.kinds = kinds
        self.positions = {TopicPartition(names.agency_inbox(agency.code), 0): 0
                          for agency in Directory.load().agencies()}
        self.arrived: dict[str, float] = {}
        self.items = 0

    def poll(self, within: float = 2.0) -> int:
        """Read what arrived (for at most ``within`` seconds); returns how many complaints reached their agency."""
        consumer = kafka_clients.consumer(self.settings, None, fetch_max_wait_ms=READER_FETCH_WAIT_MS)
        consumer.assign(list(self.positions))
        for tp, offset in self.positions.items():
            consumer.seek(tp, offset)
        deadline = time.monotonic() + within
        try:
            while time.monotonic() < deadline:
                for tp, records in consumer.poll(timeout_ms=200, max_records=50000).items():
                    for record in records:
                        self.items += 1
                        if self.kinds is None or codec().decode(record.value).record["kind"] in self.kinds:
                            self.arrived.setdefault(record.key.decode(), record.timestamp / 1000)
                    self.positions[tp] = records[-1].offset + 1
                lags = kafka_clients.lag(consumer, self.positions)
                if len(lags) == len(self.positions) and not any(lags.values()):
                    break
        finally:
            consumer.close()
        return len(self.arrived)

    def span(self) -> float:
        """Seconds from the first arrival to the last."""
        return max(self.arrived.values()) - min(self.arrived.values())

    def wait_for(self, count: int, timeout: float, label: str) -> float:
        """Wait until ``count`` complaints arrived; returns the moment (epoch seconds) the last one did."""
        progress = Progress(label, count)
        deadline = time.monotonic() + timeout
        while self.poll() < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(self.arrived)} of {count} complaints reached an inbox in {timeout} s")
            progress.update(len(self.arrived))
            time.sleep(1.0)  # read in bulk: continuous fetching from every inbox would load the broker measured
        progress.done(len(self.arrived))
        return max(self.arrived.values())
