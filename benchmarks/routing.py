"""Routing: complaints per second from the intake topic to the agency inboxes (intake -> lifecycle -> dispatcher),
against a raw pipeline of the same topology (``benchmarks.raw_pipeline``) and a raw consume-produce loop on the same
broker in the same run; the CPU each stage spends per complaint; and 1 vs 2 workers of the slowest stage alone,
its input pre-filled.

    python -m benchmarks.routing [--count 200000] [--durable-count 3000] [--scale-count 20000] [--storage memory]
"""

from __future__ import annotations

import argparse
import sys
import time

from aduan.kernel import kafka_clients, topics
from aduan.kernel.config import Settings
from benchmarks import baselines
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
from benchmarks.pipeline import (
    ROUTING_PROCESSES,
    InboxCounter,
    Processes,
    intake_messages,
    prepare,
)
from projections.lag import log_heads

WARM_UP = 300
EVENTS_PER_COMPLAINT = 3  # submitted, verified, dispositioned (auto-verified channel)


def _publish(settings: Settings, messages: list) -> None:
    producer = kafka_clients.producer(settings)
    for _, key, value in messages:
        producer.send(topics.Topics(settings.topic_prefix).intake, key=key, value=value)
    producer.flush()
    producer.close()


def _start(processes: Processes, raw: bool, names: list[str] = ROUTING_PROCESSES, workers: int = 1) -> None:
    for name in names:
        command = [sys.executable, "-m", "benchmarks.raw_pipeline", name] if raw else None
        processes.start(f"raw {name}" if raw else name, copies=workers, command=command)


def route(settings: Settings, memory: PeakMemory, messages: list, raw: bool) -> tuple[float, dict[str, float]]:
    """Route ``messages`` (after a warm-up) through the engine or the raw pipeline; complaints/s and CPU seconds
    per process over the measured part."""
    prepare(settings)
    counter = InboxCounter(settings, kinds=None if raw else ("NEW", "FORWARDED"))
    processes = Processes(settings, memory)
    label = "raw pipeline" if raw else "engine"
    try:
        _start(processes, raw)
        _publish(settings, messages[:WARM_UP])
        counter.wait_for(WARM_UP, timeout=300, label=f"warm-up, {label}")
        before = cpu_seconds(processes.labels())
        started = time.time()
        baselines.produce(settings, topics.Topics(settings.topic_prefix).intake,
                          [(k, v) for _, k, v in messages[WARM_UP:]], f"publishing reports ({label})")
        last = counter.wait_for(len(messages), timeout=3600, label=f"routed to agency inboxes ({label})")
        used = cpu_between(before, cpu_seconds(processes.labels()))
    finally:
        processes.stop()
    return (len(messages) - WARM_UP) / (last - started), used


def throughput(count: int, storage: str, report: Report) -> None:
    """The engine and its raw baselines on ``count`` complaints, and the CPU per complaint of every process."""
    with infrastructure(f"routing-{storage}", storage=storage) as settings, PeakMemory() as memory:
        messages = intake_messages(settings, count + WARM_UP)
        scratch = [topics.TopicSpec(f"{settings.topic_prefix}.raw-{side}", settings.partitions, {}, "baseline")
                   for side in ("in", "out")]
        topics.ensure(settings, scratch)
        baselines.produce(settings, scratch[0].name, [(k, v) for _, k, v in messages], "raw loop input")
        loop = baselines.consume_produce_loop(settings, scratch[0].name, scratch[1].name, len(messages))
        raw, raw_used = route(settings.with_(topic_prefix=f"{settings.topic_prefix}raw"), memory, messages, raw=True)
        engine, used = route(settings, memory, messages, raw=False)
        report.add(f"[{storage}] raw consume-produce loop", loop, "msg/s")
        report.add(f"[{storage}] raw pipeline, same topology", raw, "complaints/s", "raw loop", loop)
        report.add(f"[{storage}] routing, 1 worker per stage", engine, "complaints/s", "raw pipeline", raw,
                   note=f"{count:,} complaints")
        for name, seconds in sorted(used.items()):
            report.add(f"[{storage}] CPU per complaint: {name}", seconds / count * 1000, "ms",
                       note=f"{seconds / count * engine:.2f} cores at the routing rate")
        report.add(f"[{storage}] CPU per complaint: raw pipeline, all", sum(raw_used.values()) / count * 1000, "ms",
                   note=", ".join(f"{k} {v / count * 1000:.2f}" for k, v in sorted(raw_used.items())))
        for name, peak in sorted(memory.peak_mb.items()):
            report.add(f"[{storage}] peak RSS {name}", peak, "MB")


def _wait_for_log(settings: Settings, events: int, timeout: float = 1800) -> None:
    progress = Progress("pre-filling the log (intake, lifecycle)", events)
    deadline = time.monotonic() + timeout
    while (written := sum(log_heads(settings).values())) < events:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {written} of {events} events reached the log in {timeout} s")
        progress.update(written)
        time.sleep(1.0)  # pacing the driver's check, not the engine
    progress.done(written)


def dispatcher_alone(count: int, workers: int, storage: str, report: Report) -> float:
    """The dispatcher (the slowest stage) alone on a pre-filled log with ``workers`` processes; complaints/s."""
    with infrastructure(f"scale{workers}-{storage}", storage=storage) as settings, PeakMemory() as memory:
        prepare(settings)
        messages = intake_messages(settings, count, label="reports to pre-fill")
        processes = Processes(settings, memory)
        counter = InboxCounter(settings)
        try:
            _start(processes, False, ["intake", "lifecycle"])
            _publish(settings, messages)
            _wait_for_log(settings, count * EVENTS_PER_COMPLAINT)
            processes.stop()
            _start(processes, False, ["dispatcher"], workers)
            counter.wait_for(count, timeout=1800, label=f"dispatcher alone, {workers} worker(s)")
        finally:
            processes.stop()
        rate = (count - 1) / counter.span()
        report.add(f"[{storage}] dispatcher alone, {workers} worker(s)", rate, "complaints/s",
                   note="first to last inbox arrival, log pre-filled")
        return rate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20_000, help="complaints routed (the target: 200,000)")
    parser.add_argument("--durable-count", type=int, default=3_000,
                        help="complaints routed on the durable broker, which slows down as its partitions grow")
    parser.add_argument("--scale-count", type=int, default=10_000, help="complaints for the 1-vs-2-worker runs")
    add_storage_option(parser)
    args = parser.parse_args(argv)
    storages = chosen_storages(args)
    report = Report("routing", vars(args) | {"storage": storages})
    for storage in storages:
        throughput(args.durable_count if storage == "durable" else args.count, storage, report)
    scale = "memory" if "memory" in storages else storages[0]
    one = dispatcher_alone(args.scale_count, 1, scale, report)
    two = dispatcher_alone(args.scale_count, 2, scale, report)
    report.add("scale-out: 2 dispatchers / 1", two / one, "x", note="2 cores shared by everything")
    report.print()
    print(f"results: {report.save()}")


if __name__ == "__main__":
    main()
