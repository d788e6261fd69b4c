"""``aduan up``: the whole engine on one machine.

With no configuration it starts the embedded broker and PostgreSQL; with ``ADUAN_KAFKA_BOOTSTRAP`` and/or
``ADUAN_DATABASE_URL`` set it uses those and starts nothing of its own for them. Then it creates the topics and the
database schema, starts every process of :data:`aduan.processes.PROCESSES` as a child, restarts a child that
dies, and on Ctrl-C or SIGTERM stops everything it started, children first.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

from aduan import db, topics
from aduan.config import STACK_FILE, Settings
from aduan.embedded.broker import EmbeddedBroker
from aduan.embedded.postgres import EmbeddedPostgres
from aduan.embedded.process import stop
from aduan.processes import DEMO, PROCESSES, ProcessSpec


class AlreadyRunning(RuntimeError):
    """Another ``aduan up`` holds the lock of this ADUAN_HOME."""


def _lock(home: Path) -> TextIO:
    home.mkdir(parents=True, exist_ok=True)
    handle = open(home / "aduan-up.lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise AlreadyRunning(
            f"aduan up is already running (pid {holder}) with ADUAN_HOME={home}. Use that one, stop it with "
            f"Ctrl-C or `kill {holder}`, or start another with its own ADUAN_HOME and ports."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def start_infrastructure(settings: Settings, stack: ExitStack, say: Callable[[str], None]) -> Settings:
    """Start the embedded broker and PostgreSQL where nothing was configured; returns the settings to use."""
    if not settings.kafka_bootstrap:
        broker = stack.enter_context(EmbeddedBroker(settings.broker_port, settings.home / "broker.log"))
        settings = settings.with_(kafka_bootstrap=broker.bootstrap, producer_idempotence=embedded_idempotence(settings))
        say(f"broker      embedded tansu on {broker.bootstrap} (in memory: events are lost when it stops)")
    else:
        say(f"broker      {settings.kafka_bootstrap} (ADUAN_KAFKA_BOOTSTRAP)")
    if not settings.database_url:
        postgres = stack.enter_context(EmbeddedPostgres(settings.home / "pgdata", settings.postgres_port))
        settings = settings.with_(database_url=postgres.url)
        say(f"postgresql  embedded on {postgres.url} (data in {settings.home / 'pgdata'})")
    else:
        say("postgresql  ADUAN_DATABASE_URL")
    return settings


def embedded_idempotence(settings: Settings) -> bool:
    """Idempotent producers on the embedded broker only when asked for: there they cost 1.4-1.9x in throughput
    and buy little, as every consumer drops repeats by event id (docs/design.md)."""
    return bool(settings.producer_idempotence)


def prepare(settings: Settings, say: Callable[[str], None], agency_codes: list[str] | None = None) -> None:
    """Create the topics and apply the database migrations (both idempotent)."""
    names = topics.Topics(settings.topic_prefix)
    specs = names.shared(settings) + names.inboxes(agency_codes or [])
    report = topics.ensure(settings, specs)
    say(f"topics      {len(report.created)} created, {len(report.existing)} already there")
    applied = db.migrate(settings)
    say(f"database    {len(applied)} migrations applied")


def _announce(settings: Settings) -> Path:
    """Tell other aduan commands on this machine where this stack's broker and database listen."""
    path = settings.home / STACK_FILE
    path.write_text(json.dumps({"pid": os.getpid(), "kafka_bootstrap": settings.kafka_bootstrap,
                                "database_url": settings.database_url,
                                "producer_idempotence": settings.producer_idempotence}))
    return path


@dataclass
class Child:
    """A supervised child process."""

    spec: ProcessSpec
    port: int
    env: dict[str, str]
    proc: subprocess.Popen | None = None
    restarts: int = 0
    next_start: float = field(default=0.0)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "aduan.cli", "run", self.spec.name],
            env=self.env,
            stdin=subprocess.DEVNULL,
        )


def supervise(settings: Settings, children_specs: list[ProcessSpec], say: Callable[[str], None],
              extra_env: dict[str, str] | None = None) -> None:
    """Run the children until SIGINT/SIGTERM; restart one that dies, with back-off."""
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    children = []
    for index, process in enumerate(children_specs):
        port = settings.metrics_port + index
        env = dict(os.environ, **settings.with_(metrics_port=port).to_env(), **(extra_env or {}))
        children.append(Child(process, port, env))
    for child in children:
        child.start()
        say(f"{child.spec.name:<11} pid {child.proc.pid}, metrics http://127.0.0.1:{child.port}/metrics")
    say("ready: press Ctrl-C to stop")
    try:
        while not stopping:
            for child in children:
                if child.proc is not None and child.proc.poll() is not None:
                    code = child.proc.returncode
                    child.proc = None
                    child.restarts += 1
                    delay = min(30.0, 2.0 ** min(child.restarts, 5))
                    child.next_start = time.monotonic() + delay
                    say(f"{child.spec.name} exited with status {code}; restarting in {delay:.0f} s")
                if child.proc is None and time.monotonic() >= child.next_start:
                    child.start()
            time.sleep(0.2)
    finally:
        say("stopping")
        for child in reversed(children):
            if child.proc is not None:
                stop(child.proc, grace=15)


def up(settings: Settings, say: Callable[[str], None] = print, demo: bool = False) -> None:
    """Bring the whole stack up, run until interrupted, bring it down; ``demo`` adds the demo feeder."""
    lock = _lock(settings.home)
    try:
        with ExitStack() as stack:
            settings = start_infrastructure(settings, stack, say)
            stack.callback(_announce(settings).unlink, missing_ok=True)
            from aduan.domain.directory import Directory  # loaded here: the directory decides the inbox topics

            prepare(settings, say, [agency.code for agency in Directory.load().agencies()])
            read_api = os.environ.get("ADUAN_READ_API_PORT", "8081")
            say(f"web/app API http://127.0.0.1:{settings.http_port}/api/v1/complaints "
                f"(OpenAPI: /api/v1/openapi.json; SMS: /api/v1/sms/inbound; social: /api/v1/social/mentions)")
            say(f"read API    http://127.0.0.1:{read_api}/api/v1/status/TRACKING_ID and /api/v1/stats")
            if demo:
                from aduan import demo as demo_feeder

                say("demo        synthetic complaints from every province; the demo clock runs 2 hours per second")
                supervise(settings, [*PROCESSES, DEMO], say, demo_feeder.environment(settings))
            else:
                supervise(settings, list(PROCESSES), say)
        say("stopped")
    finally:
        lock.close()
