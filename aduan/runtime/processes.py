"""The long-running processes of aduan: what ``aduan up`` starts and ``aduan run NAME`` runs.

Each entry names a function ``f(settings) -> None`` that runs until SIGINT or SIGTERM and serves
``/metrics`` on ``settings.metrics_port``. ``aduan up`` gives process number i the metrics port
``ADUAN_METRICS_PORT + i``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from aduan.kernel.config import Settings


@dataclass(frozen=True)
class ProcessSpec:
    """One kind of process."""

    name: str
    target: str
    description: str
    takes_reports: bool = False  # a door: stopped first, so that nothing is accepted that cannot be processed
    consumes: bool = True  # reads topics with offsets in PostgreSQL: checks the log first (aduan.kernel.log_guard)

    def load(self) -> Callable[[Settings], None]:
        """The function that runs this process."""
        module, _, function = self.target.partition(":")
        return getattr(importlib.import_module(module), function)


PROCESSES: list[ProcessSpec] = [
    ProcessSpec("channels-http", "channels.http:run",
                "web/app API, SMS 1708 and social media hooks, Open311 on ADUAN_HTTP_PORT -> intake topic",
                takes_reports=True, consumes=False),
    ProcessSpec("intake", "streams.intake:run", "intake topic -> one ComplaintSubmitted per report, or dead letter"),
    ProcessSpec("notify", "channels.notify:run", "reporter notifications -> SMS/email/social senders (outbox)"),
    ProcessSpec("deadlines", "streams.deadlines:run",
                "complaint log -> stage clocks in PostgreSQL; warnings, breaches, escalations, StageCompleted, Close"),
    ProcessSpec("lifecycle", "streams.lifecycle:run",
                "complaint log, commands, signed agency actions -> verification, disposition, agency actions (log)"),
    ProcessSpec("dispatcher", "streams.dispatcher:run",
                "complaint log -> agency inbox topics (redacted: never an anonymous reporter's identity)"),
    ProcessSpec("projector", "projections.projector:run",
                "complaint log -> read models in PostgreSQL (status, timeline, statistics), exactly once"),
    ProcessSpec("read-api", "projections.read_api:run",
                "read models over HTTP on ADUAN_READ_API_PORT (default 8081): status, stats, healthz",
                consumes=False),
    ProcessSpec("portal", "portal.app:run", "public website on ADUAN_PORTAL_PORT (default 8082): report, track, stats",
                takes_reports=True, consumes=False),
]

DEMO = ProcessSpec("demo", "aduan.cli.demo:run", "paced synthetic complaints and agencies answering (aduan up --demo)",
                   takes_reports=True, consumes=False)


def spec(name: str) -> ProcessSpec:
    """The process called ``name``; the error lists the known ones."""
    for candidate in (*PROCESSES, DEMO):
        if candidate.name == name:
            return candidate
    known = ", ".join(p.name for p in PROCESSES) or "none"
    raise KeyError(f"no process called {name!r}; known processes: {known}")


def metrics_targets(settings: Settings) -> dict[str, str]:
    """Where ``aduan up`` serves each process's /metrics: process i of PROCESSES on ``ADUAN_METRICS_PORT + i``."""
    return {p.name: f"http://127.0.0.1:{settings.metrics_port + i}/metrics" for i, p in enumerate(PROCESSES)}
