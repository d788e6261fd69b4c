"""``aduan up``: the whole engine on one machine.

With no configuration it starts the embedded PostgreSQL, the object store that keeps the log and the broker;
with ``ADUAN_KAFKA_BOOTSTRAP`` and/or ``ADUAN_DATABASE_URL`` set it uses those and starts nothing of its own for
them. Then it creates the topics and the database schema, checks that the stored offsets belong to the broker's
log (:mod:`aduan.kernel.log_guard`; it refuses to start otherwise), starts every process of
:data:`aduan.runtime.processes.PROCESSES` as a child, restarts a child, the broker or the object store when it dies, and
on Ctrl-C or SIGTERM stops everything it started: the doors first, then the processors, then the broker, the
object store and PostgreSQL.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Protocol, TextIO

from aduan.kernel import db, log_guard, topics
from aduan.kernel.config import STACK_FILE, Settings
from aduan.runtime.embedded.broker import EmbeddedBroker, S3Storage
from aduan.runtime.embedded.objectstore import BUCKET, ObjectStore
from aduan.runtime.embedded.postgres import EmbeddedPostgres
from aduan.runtime.embedded.process import spawn, stop_all
from aduan.runtime.processes import DEMO, PROCESSES, ProcessSpec


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


def start_infrastructure(settings: Settings, stack: ExitStack, say: Callable[[str], None]
                         ) -> tuple[Settings, list[Server]]:
    """Start the embedded PostgreSQL, object store and broker where nothing was configured (stopped in the
    reverse order when ``stack`` closes); returns the settings to use and the servers to supervise."""
    servers: list[Server] = []
    if not settings.database_url:
        postgres = stack.enter_context(EmbeddedPostgres(settings.home / "pgdata", settings.postgres_port))
        settings = settings.with_(database_url=postgres.url)
        say(f"postgresql  embedded on {postgres.url} (data in {settings.home / 'pgdata'})")
    else:
        say("postgresql  ADUAN_DATABASE_URL")
    if not settings.kafka_bootstrap:
        storage = None
        if settings.broker_storage == "durable":
            store = stack.enter_context(ObjectStore(settings.home / "broker", settings.object_store_port))
            storage = S3Storage(store.endpoint, BUCKET)
            servers.append(store)
        broker = stack.enter_context(EmbeddedBroker(settings.broker_port, settings.home / "broker.log", storage))
        servers.append(broker)
        settings = settings.with_(kafka_bootstrap=broker.bootstrap,
                                  producer_idempotence=embedded_idempotence(settings))
        kept = (f"durable: the log is kept in {settings.home / 'broker'} (object store on {storage.endpoint})"
                if storage else "in memory (ADUAN_BROKER_STORAGE=memory): the log is lost when it stops")
        say(f"broker      embedded tansu on {broker.bootstrap}, {kept}")
    else:
        say(f"broker      {settings.kafka_bootstrap} (ADUAN_KAFKA_BOOTSTRAP)")
    return settings, servers


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


def _warn_if_read_models_stale(settings: Settings, say: Callable[[str], None]) -> None:
    conn = db.connect(settings)
    try:
        with conn.cursor() as cur:
            since = log_guard.read_models_stale_since(cur)
    finally:
        conn.close()
    if since is not None:
        say(f"warning     {log_guard.stale_notice(since)}")


def _announce(settings: Settings) -> Path:
    """Tell other aduan commands on this machine where this stack's broker and database listen."""
    path = settings.home / STACK_FILE
    path.write_text(json.dumps({"pid": os.getpid(), "kafka_bootstrap": settings.kafka_bootstrap,
                                "database_url": settings.database_url,
                                "producer_idempotence": settings.producer_idempotence}))
    return path


class Server(Protocol):
    """An embedded server that ``aduan up`` supervises (the broker, the object store; the store also says when it
    is running but ``stuck()`` and must be restarted)."""

    name: str

    def start(self) -> object: ...

    def stop(self) -> None: ...

    def exit_status(self) -> int | None: ...


@dataclass
class Child:
    """A supervised child process of :data:`aduan.runtime.processes.PROCESSES`."""

    spec: ProcessSpec
    port: int
    env: dict[str, str]
    proc: subprocess.Popen | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def start(self) -> None:
        self.proc = spawn([sys.executable, "-m", "aduan.cli", "run", self.spec.name], env=self.env)

    def exit_status(self) -> int | None:
        return None if self.proc is None else self.proc.poll()


class Fatal(RuntimeError):
    """Something died that must not be restarted: the stack stops, saying why."""


STEADY_SECONDS = 60.0  # a unit that ran this long since its last start gets the short back-off again


@dataclass
class Restarts:
    """Restarts one supervised thing when it dies, with back-off (2, 4, 8 ... 30 s); ``after_start`` runs once it
    is up again (it may raise :class:`Fatal`); a unit that must never be restarted has ``restartable`` false."""

    unit: Server | Child
    after_start: Callable[[], None] = lambda: None
    restartable: bool = True
    count: int = 0
    due: float | None = None  # when to start it again; None while it runs
    started: float = field(default_factory=time.monotonic)

    def watch(self, say: Callable[[str], None]) -> None:
        """Notice a death and schedule a restart; start it again once due."""
        if self.due is None:
            code = self.unit.exit_status()
            stuck = getattr(self.unit, "stuck", lambda: None)() if code is None else None
            if stuck is not None:
                self.unit.stop()
                self._schedule(say, stuck)
                return
            if code is None:
                return
            if not self.restartable:
                raise Fatal(f"{self.unit.name} exited with status {code}")
            if time.monotonic() - self.started > STEADY_SECONDS:
                self.count = 0
            self._schedule(say, f"{self.unit.name} exited with status {code}")
        elif time.monotonic() >= self.due:
            try:
                self.unit.start()
            except (RuntimeError, OSError) as exc:
                self._schedule(say, f"{self.unit.name} did not start again ({exc})")
                return
            self.due, self.started = None, time.monotonic()
            say(f"{self.unit.name} started again")
            self.after_start()

    def _schedule(self, say: Callable[[str], None], what: str) -> None:
        self.count += 1
        delay = min(30.0, 2.0 ** min(self.count, 5))
        self.due = time.monotonic() + delay
        say(f"{what}; restarting in {delay:.0f} s")


class StopRequest:
    """Set by SIGINT or SIGTERM from the moment it is installed; a second signal after :meth:`release` is not
    caught, so an impatient operator can end a slow teardown (children die with ``aduan up``)."""

    def __init__(self) -> None:
        self.requested = False
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._request)

    def _request(self, signum: int, _frame: object) -> None:
        self.requested = True

    def release(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)


def supervise(settings: Settings, children_specs: list[ProcessSpec], say: Callable[[str], None], stop: StopRequest,
              extra_env: dict[str, str] | None = None, servers: list[Restarts] | None = None) -> None:
    """Run the children until ``stop`` is requested, restarting a child or server that dies; then stop the doors
    first (nothing more is accepted), then every other child, each finishing and committing the batch in hand."""
    children = []
    for index, process in enumerate(children_specs):
        port = settings.metrics_port + index
        env = dict(os.environ, **settings.with_(metrics_port=port).to_env(), **(extra_env or {}))
        children.append(Child(process, port, env))
    try:
        for child in children:
            if stop.requested:
                break
            child.start()
            say(f"{child.spec.name:<11} pid {child.proc.pid}, metrics http://127.0.0.1:{child.port}/metrics")
        else:
            say("ready: press Ctrl-C to stop")
        watched = [*(servers or []), *(Restarts(child) for child in children)]
        while not stop.requested:
            for restarts in watched:
                restarts.watch(say)
            time.sleep(0.2)
    finally:
        say("stopping")
        doors = [c.proc for c in children if c.proc is not None and c.spec.takes_reports]
        stop_all(doors, grace=15)
        stop_all([c.proc for c in children if c.proc is not None and not c.spec.takes_reports], grace=15)


def _watched_servers(settings: Settings, servers: list[Server]) -> list[Restarts]:
    """The embedded servers under supervision. A memory broker is never restarted (its log died with it); after a
    durable one or the object store comes back, the log guard checks again that it is the same log."""

    def same_log() -> None:
        try:
            log_guard.verify(settings)
        except log_guard.LogMismatch as exc:
            raise Fatal(str(exc)) from None

    return [Restarts(server, after_start=same_log, restartable=getattr(server, "durable", True))
            for server in servers]


@contextmanager
def infrastructure(settings: Settings, say: Callable[[str], None]) -> Iterator[tuple[Settings, list[Server]]]:
    """This home's lock, and the broker and database to use (embedded ones started here, stopped at the end)."""
    lock = _lock(settings.home)
    try:
        with ExitStack() as stack:
            yield start_infrastructure(settings, stack, say)
    finally:
        lock.close()


def up(settings: Settings, say: Callable[[str], None] = print,
       demo: Callable[[Settings], dict[str, str]] | None = None) -> None:
    """Bring the whole stack up, run until interrupted, bring it down; ``demo`` (the demo feeder's environment for
    these settings) adds the demo feeder."""
    stop = StopRequest()
    try:
        with infrastructure(settings, say) as (settings, servers):
            announced = _announce(settings)
            try:
                from aduan.domain.directory import (
                    Directory,  # loaded here: the directory decides the inbox topics
                )

                prepare(settings, say, [agency.code for agency in Directory.load().agencies()])
                log_guard.verify(settings, say)
                _warn_if_read_models_stale(settings, say)
                read_api = os.environ.get("ADUAN_READ_API_PORT", "8081")
                say(f"web/app API http://127.0.0.1:{settings.http_port}/api/v1/complaints "
                    f"(OpenAPI: /api/v1/openapi.json; SMS: /api/v1/sms/inbound; social: /api/v1/social/mentions)")
                say(f"read API    http://127.0.0.1:{read_api}/api/v1/status/TRACKING_ID and /api/v1/stats")
                say(f"portal      http://127.0.0.1:{os.environ.get('ADUAN_PORTAL_PORT', '8082')}/ (public website)")
                specs, extra_env = list(PROCESSES), None
                if demo:
                    say("demo        synthetic complaints from every province; the demo clock runs 2 hours per second")
                    specs, extra_env = [*PROCESSES, DEMO], demo(settings)
                supervise(settings, specs, say, stop, extra_env, _watched_servers(settings, servers))
            finally:
                stop.release()
                announced.unlink(missing_ok=True)
    except Fatal as exc:
        raise RuntimeError(f"{exc}; the stack was stopped") from None
    say("stopped")
