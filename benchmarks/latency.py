"""What a user feels: HTTP POST -> status read model showing DISPOSITIONED, and publish -> agency inbox, at fixed
rates (reports sent to ``POST /api/v1/complaints`` of a running channels-http); and the idle CPU of the stack.

Publish is the intake record's CreateTime, arrival in an inbox the inbox item's CreateTime (same clock); the read
model is checked every ``POLL`` seconds, which adds up to that to the HTTP figures. Above capacity, what has not
arrived ``DRAIN`` seconds after the last POST is left out, and posting stops when it falls ``OVERRUN`` of the
run's length behind its schedule: the note says how many were posted and how many arrived.

    python -m benchmarks.latency [--rates 10 100 1000] [--seconds 30] [--storage memory]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
import uuid
from typing import Callable

import aiohttp
from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from aduan.cli.synthetic import complaints
from aduan.kernel import db, kafka_clients
from aduan.kernel.config import Settings
from aduan.kernel.topics import Topics
from benchmarks.harness import (
    PeakMemory,
    Progress,
    Report,
    add_storage_option,
    chosen_storages,
    cpu_between,
    cpu_seconds,
    infrastructure,
)
from benchmarks.pipeline import ROUTING_PROCESSES, InboxCounter, Processes, prepare
from channels.door import Door
from projections.schema import SCHEMA
from schemas import codec

STACK = ["intake", "lifecycle", "dispatcher", "projector", "channels-http"]
POLL = 0.02  # every 5 ms cost the measured PostgreSQL ~0.2 cores, most of its load at 10 reports/s
CHECKED = 500  # the oldest complaints not seen yet checked per poll: checking a backlog of thousands loads the database
DRAIN = 60  # seconds to wait for what is still queued after the last POST of a rate
OVERRUN = 0.5  # stop posting when this share of the run's length behind the schedule
IDLE_SECONDS = 10
WARM_UP = 50
STAGE_EVENTS = ("id.aduan.ComplaintSubmitted", "id.aduan.ComplaintDispositioned")  # written by intake, lifecycle


def _body(index: int, seed: int) -> dict:
    spec = next(complaints(1, seed=seed + index))
    return {"type": "complaint", "title": spec.title, "description": spec.description, "category": spec.category,
            "location": {"region": spec.region_code}, "reporter": {"name": "Warga", "phone": "+6281234567890"},
            "privacy": {"anonymous": False, "confidential": False}, "idempotency_key": uuid.uuid4().hex}


async def _post_at_rate(url: str, rate: float, count: int, posted: dict[str, float]) -> int:
    """POST ``count`` reports at ``rate``/s; fills ``posted`` (complaint id -> epoch seconds of the POST)."""
    seed = uuid.uuid4().int & 0xFFFF
    bodies = [_body(i, seed) for i in range(count)]
    failures = 0

    async def post(session: aiohttp.ClientSession, body: dict) -> None:
        nonlocal failures
        at = time.time()
        async with session.post(url, json=body) as response:
            if response.status != 202:
                failures += 1
                return
            posted[(await response.json())["complaint_id"]] = at

    connector = aiohttp.TCPConnector(limit=500)
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        tasks = []
        for index, body in enumerate(bodies):
            pause = began + index / rate - time.perf_counter()
            if pause > 0:
                await asyncio.sleep(pause)  # pacing the load generator
            elif -pause > OVERRUN * count / rate:
                break  # the stack cannot take the rate: the note says how many were posted
            tasks.append(asyncio.create_task(post(session, body)))
        await asyncio.gather(*tasks)
    return failures


class ReadModelWatch:
    """Checks the status read model every ``POLL`` s; records when each complaint showed DISPOSITIONED."""

    def __init__(self, settings: Settings, posted: dict[str, float]) -> None:
        self.settings, self.posted = settings, posted
        self.seen: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = db.connect(self.settings, autocommit=True)
        with conn.cursor() as cur:
            while not self._stop.wait(POLL):
                pending = [c for c in list(self.posted) if c not in self.seen][:CHECKED]
                if not pending:
                    continue
                cur.execute(f"SELECT complaint_id FROM {SCHEMA}.complaint_status WHERE complaint_id = ANY(%s) "
                            "AND dispositioned_at IS NOT NULL", (pending,))
                now = time.time()
                for (complaint_id,) in cur.fetchall():
                    self.seen[complaint_id] = now
        conn.close()

    def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.seen) < count and time.monotonic() < deadline:
            time.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _read_to_end(settings: Settings, topic: str, visit: Callable[[ConsumerRecord], None]) -> None:
    """Call ``visit`` with every record of ``topic``, read to its end (fetch high-water marks)."""
    consumer = kafka_clients.consumer(settings, None)
    consumer.assign([TopicPartition(topic, p) for p in range(settings.partitions)])
    partitions = consumer.assignment()
    deadline = time.monotonic() + 300
    while len(lags := kafka_clients.lag(consumer, partitions)) < len(partitions) or any(lags.values()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"could not read {topic} to its end in 300 s")
        for records in consumer.poll(timeout_ms=500, max_records=50_000).values():
            for record in records:
                visit(record)
    consumer.close()


def _published(settings: Settings) -> dict[str, float]:
    """Complaint id -> CreateTime (epoch s) of its report on the intake topic."""
    times: dict[str, float] = {}
    door = Door(settings)

    def visit(record: ConsumerRecord) -> None:
        times[door.receipt(codec().decode(record.value).record).complaint_id] = record.timestamp / 1000

    _read_to_end(settings, Topics(settings.topic_prefix).intake, visit)
    return times


def _logged(settings: Settings) -> dict[str, dict[str, float]]:
    """Event type -> complaint id -> CreateTime (epoch s) of the first such event on the log: when the intake
    (ComplaintSubmitted) and the lifecycle (ComplaintDispositioned) wrote it."""
    times: dict[str, dict[str, float]] = {name: {} for name in STAGE_EVENTS}

    def visit(record: ConsumerRecord) -> None:
        name = dict(record.headers).get("type", b"").decode()
        if name in times:
            times[name].setdefault(record.key.decode(), record.timestamp / 1000)

    _read_to_end(settings, Topics(settings.topic_prefix).complaint_events, visit)
    return times


def _cuts(delays: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(delays, n=100)
    return cuts[49], cuts[94], cuts[98]


def measure(settings: Settings, rate: int, seconds: int, storage: str, report: Report, counter: InboxCounter,
            processes: Processes) -> None:
    """One fixed-rate run against the running stack."""
    count = rate * seconds
    posted: dict[str, float] = {}
    watch = ReadModelWatch(settings, posted)
    url = f"http://127.0.0.1:{settings.http_port}/api/v1/complaints"
    progress = Progress(f"[{storage}] POSTing at {rate}/s for {seconds} s", count)
    started = time.perf_counter()
    before = cpu_seconds(processes.labels())
    failures = asyncio.run(_post_at_rate(url, rate, count, posted))
    used = cpu_between(before, cpu_seconds(processes.labels()))
    posting = time.perf_counter() - started
    progress.done(len(posted))
    report.add(f"[{storage}] {rate}/s CPU of the stack while posting", sum(used.values()) / posting, "cores",
               note=", ".join(f"{k} {v / posting:.2f}" for k, v in sorted(used.items())))
    arrived_before = len(counter.arrived)
    try:
        counter.wait_for(arrived_before + len(posted), timeout=DRAIN, label=f"[{storage}] routed to agency inboxes")
    except TimeoutError:
        pass  # above capacity: the figures below are of what arrived, the note says how many
    watch.wait_for(len(posted), timeout=DRAIN)
    watch.stop()
    published = _published(settings)
    to_inbox = [(counter.arrived[c] - published[c]) * 1000 for c in posted if c in counter.arrived and c in published]
    logged = _logged(settings)
    stages = [published, *(logged[name] for name in STAGE_EVENTS), counter.arrived]
    to_model = [(watch.seen[c] - t) * 1000 for c, t in posted.items() if c in watch.seen]
    note = (f"{len(posted):,}/{count:,} posted, {len(to_inbox):,} in an inbox, {len(to_model):,} in the read model, "
            f"{failures} failed POSTs, {time.perf_counter() - started:.0f} s")
    for name, delays in (("publish -> agency inbox", to_inbox), ("HTTP POST -> read model", to_model)):
        if len(delays) < 2:
            report.add(f"[{storage}] {rate}/s {name} p50", float("nan"), "ms", note="fewer than 2 arrived; " + note)
            continue
        p50, p95, p99 = _cuts(delays)
        report.add(f"[{storage}] {rate}/s {name} p50", p50, "ms", note=note)
        report.add(f"[{storage}] {rate}/s {name} p95", p95, "ms")
        report.add(f"[{storage}] {rate}/s {name} p99", p99, "ms",
                   note="target <= 100 ms at 100/s" if "inbox" in name else "target <= 250 ms at 100/s")
    for stage, (before, after) in zip(ROUTING_PROCESSES, zip(stages, stages[1:])):
        delays = [(after[c] - before[c]) * 1000 for c in posted if c in before and c in after]
        if len(delays) > 1:
            p50, _, p99 = _cuts(delays)
            report.add(f"[{storage}] {rate}/s hop through the {stage}, p50 / p99", p50, "ms", note=f"p99 {p99:,.1f} ms")


def run(storage: str, rates: list[int], seconds: int, report: Report) -> None:
    """Start the stack on ``storage``, measure its idle CPU, then each rate."""
    with infrastructure(f"latency-{storage}", storage=storage) as settings, PeakMemory() as memory:
        prepare(settings)
        counter = InboxCounter(settings)
        processes = Processes(settings, memory)
        try:
            for name in STACK:
                processes.start(name)
            warm = asyncio.run(_warm_up(settings))
            counter.wait_for(WARM_UP - warm, timeout=300, label=f"[{storage}] warm-up")
            time.sleep(2)
            before = cpu_seconds(processes.labels())
            time.sleep(IDLE_SECONDS)  # the stack idles: what does it cost?
            idle = cpu_between(before, cpu_seconds(processes.labels()))
            report.add(f"[{storage}] idle CPU of the stack", sum(idle.values()) / IDLE_SECONDS, "cores",
                       note=f"fetch wait {settings.fetch_wait} ms; " + ", ".join(
                           f"{k} {v / IDLE_SECONDS:.2f}" for k, v in sorted(idle.items())))
            for rate in rates:
                measure(settings, rate, seconds, storage, report, counter, processes)
        finally:
            processes.stop()
        for name, peak in sorted(memory.peak_mb.items()):
            report.add(f"[{storage}] peak RSS {name}", peak, "MB")


async def _warm_up(settings: Settings) -> int:
    """POST a few reports (waiting for channels-http to listen); returns how many failed."""
    url = f"http://127.0.0.1:{settings.http_port}/api/v1/complaints"
    deadline = time.monotonic() + 120
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"http://127.0.0.1:{settings.http_port}/healthz") as response:
                    if response.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("channels-http did not answer in 120 s")
            await asyncio.sleep(0.5)
    return await _post_at_rate(url, 20, WARM_UP, {})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--seconds", type=int, default=30)
    add_storage_option(parser)
    args = parser.parse_args(argv)
    storages = chosen_storages(args)
    report = Report("latency", vars(args) | {"storage": storages})
    for storage in storages:
        run(storage, args.rates, args.seconds, report)
    report.print()
    print(f"results: {report.save()}")


if __name__ == "__main__":
    main()
