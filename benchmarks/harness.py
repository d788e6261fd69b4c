"""What every benchmark shares: its own broker and PostgreSQL, results tables and JSON, progress, peak memory."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import psutil
import psycopg2

from aduan.kernel import db
from aduan.kernel.config import BROKER_STORAGES, Settings
from aduan.runtime.embedded.broker import EmbeddedBroker, S3Storage
from aduan.runtime.embedded.objectstore import BUCKET, ObjectStore, free_base_port
from aduan.runtime.embedded.postgres import EmbeddedPostgres
from aduan.runtime.embedded.process import free_port
from aduan.runtime.stack import embedded_idempotence

RESULTS_DIR = Path(__file__).resolve().parent / "results"
INFRASTRUCTURE: dict[int, str] = {}  # pid -> label of the servers started here that are not child processes


STORAGES = BROKER_STORAGES


def add_storage_option(parser: argparse.ArgumentParser) -> None:
    """``--storage`` (repeatable): the embedded broker storages a benchmark runs on."""
    parser.add_argument("--storage", action="append", choices=STORAGES,
                        help=f"broker storage, repeatable (default: {', '.join(STORAGES)})")


def chosen_storages(args: argparse.Namespace) -> list[str]:
    """The storages ``--storage`` named, else all of them (durable first)."""
    return args.storage or list(STORAGES)


def tuned(settings: Settings) -> Settings:
    """``settings`` with the delivery knobs of the environment (ADUAN_FETCH_WAIT_MS, ADUAN_BATCH_WINDOW_MS,
    ADUAN_PRODUCER_IDEMPOTENCE), as ``aduan up`` would give them (idempotence off on the embedded broker, the fetch
    wait of its storage), spelled out so that child processes get them."""
    env = Settings.from_env()
    idempotence = env.producer_idempotence
    if idempotence is None and not os.environ.get("ADUAN_KAFKA_BOOTSTRAP"):
        idempotence = embedded_idempotence(settings)
    wait = env.fetch_wait_ms if env.fetch_wait_ms is not None else settings.fetch_wait  # children: explicit
    return settings.with_(fetch_wait_ms=wait, batch_window_ms=env.batch_window_ms,
                          producer_idempotence=idempotence)


@contextmanager
def infrastructure(name: str, partitions: int = 6, storage: str = "durable") -> Iterator[Settings]:
    """A broker and PostgreSQL for one benchmark (embedded unless ADUAN_KAFKA_BOOTSTRAP/DATABASE_URL are set);
    ``storage`` is the embedded broker's (one of :data:`STORAGES`)."""
    if storage not in STORAGES:
        raise ValueError(f"storage {storage!r}: choose one of {', '.join(STORAGES)}")
    work = Path(tempfile.mkdtemp(prefix=f"aduan-bench-{name}-", dir="/tmp"))
    os.chmod(work, 0o755)
    broker = postgres = store = None
    bootstrap = os.environ.get("ADUAN_KAFKA_BOOTSTRAP")
    database = os.environ.get("ADUAN_DATABASE_URL")
    try:
        if not bootstrap:
            s3 = None
            if storage == "durable":
                store = ObjectStore(work / "broker", free_base_port()).start()
                s3 = S3Storage(store.endpoint, BUCKET)
            broker = EmbeddedBroker(free_port(), work / "broker.log", s3).start()
            bootstrap = broker.bootstrap
        if not database:
            postgres = EmbeddedPostgres(work / "pgdata", free_port()).start()
            database = postgres.url
            INFRASTRUCTURE[_postmaster(work / "pgdata")] = "postgresql"
        prefix = f"bench{uuid.uuid4().hex[:6]}"
        settings = Settings(kafka_bootstrap=bootstrap, database_url=_fresh_database(database, prefix), home=work,
                            topic_prefix=prefix, partitions=partitions, session_timeout_ms=3000,
                            broker_storage=storage, metrics_port=free_port(), http_port=free_port(),
                            sealing_key="bench-sealing-key-0123456789abcdef", agency_signing_secret="bench-secret")
        db.migrate(settings)
        yield tuned(settings)
    finally:
        INFRASTRUCTURE.clear()
        if postgres:
            postgres.stop()
        if broker:
            broker.stop()
        if store:
            store.stop()


def _postmaster(pgdata: Path) -> int:
    """The pid of the PostgreSQL server of ``pgdata`` (it runs detached, not as a child of this process)."""
    return int((pgdata / "postmaster.pid").read_text().split()[0])


def _fresh_database(url: str, name: str) -> str:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return url.rpartition("/")[0] + f"/{name}"


class Progress:
    """A one-line progress display on stderr: count, rate, elapsed."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total = label, total
        self.started = time.perf_counter()
        self._last = 0.0

    def update(self, done: int, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last < 0.5:
            return
        self._last = now
        elapsed = now - self.started
        rate = done / elapsed if elapsed else 0.0
        sys.stderr.write(f"\r  {self.label}: {done:,}/{self.total:,} ({rate:,.0f}/s, {elapsed:.1f} s)   ")
        sys.stderr.flush()

    def done(self, count: int) -> None:
        self.update(count, force=True)
        sys.stderr.write("\n")


class PeakMemory:
    """Samples the resident memory of processes (and their children) in a thread; keeps the peak per name."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.watched: dict[str, psutil.Process] = {}
        self.peak_mb: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def watch(self, name: str, pid: int) -> None:
        self.watched[name] = psutil.Process(pid)

    def __enter__(self) -> "PeakMemory":
        self.watch("benchmark driver", os.getpid())
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            known = {proc.pid for proc in self.watched.values()}
            for child, label in _servers_and_children():
                if child.pid not in known:
                    self.watch(label, child.pid)  # the embedded broker and PostgreSQL
            for name, proc in list(self.watched.items()):
                try:
                    rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
                except psutil.Error:
                    continue
                self.peak_mb[name] = max(self.peak_mb.get(name, 0.0), rss / 2**20)


def _servers_and_children() -> list[tuple[psutil.Process, str]]:
    """Every child process of this one and the detached servers of :data:`INFRASTRUCTURE`, with a label."""
    found = []
    for child in psutil.Process().children():
        try:
            name = child.name()
        except psutil.Error:
            continue
        label = {"tansu": "broker (tansu)", "weed": "object store (SeaweedFS)"}.get(name.split("-")[0], name)
        found.append((child, label))
    for pid, label in list(INFRASTRUCTURE.items()):
        try:
            found.append((psutil.Process(pid), label))
        except psutil.Error:
            continue
    return found


def cpu_seconds(labels: dict[int, str] | None = None) -> dict[str, float]:
    """CPU seconds used so far by each child process of this one, its own children included, by label (from
    ``labels`` by pid, else the process name)."""
    used: dict[str, float] = {}
    for child, label in _servers_and_children():
        try:
            tree = [child] + child.children(recursive=True)
            seconds = sum(sum(p.cpu_times()[:2]) for p in tree)
        except psutil.Error:
            continue
        label = (labels or {}).get(child.pid) or label
        used[label] = used.get(label, 0.0) + seconds
    return used


def cpu_between(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds per label used between two :func:`cpu_seconds` readings."""
    return {label: after[label] - before.get(label, 0.0) for label in after}


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline_value:
            return self.value / self.baseline_value
        return None


@dataclass
class Report:
    """The figures of one benchmark: printed as a table, written as JSON under benchmarks/results/."""

    benchmark: str
    parameters: dict
    figures: list[Figure] = field(default_factory=list)

    def add(self, *args: object, **kwargs: object) -> Figure:
        figure = Figure(*args, **kwargs)  # type: ignore[arg-type]
        self.figures.append(figure)
        return figure

    def print(self) -> None:
        print(f"\n== {self.benchmark} ==  {json.dumps(self.parameters)}")
        print(f"{'figure':<44} {'value':>14} {'unit':<10} {'baseline':>14} {'ratio':>7}  note")
        for f in self.figures:
            base = f"{f.baseline_value:,.1f}" if f.baseline_value is not None else "-"
            ratio = f"{f.ratio:.2f}" if f.ratio is not None else "-"
            print(f"{f.name:<44} {f.value:>14,.1f} {f.unit:<10} {base:>14} {ratio:>7}  {f.note}")

    def save(self) -> Path:
        RESULTS_DIR.mkdir(exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS_DIR / f"{self.benchmark}-{stamp}.json"
        machine = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                   "memory_gb": round(psutil.virtual_memory().total / 2**30, 1)}
        figures = [asdict(f) | {"ratio": f.ratio} for f in self.figures]
        path.write_text(json.dumps({"benchmark": self.benchmark, "at": stamp, "machine": machine,
                                    "parameters": self.parameters, "figures": figures}, indent=2))
        return path
