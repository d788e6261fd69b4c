"""Routing: complaints per second from the intake topic to the agency inboxes (intake -> lifecycle -> dispatcher),
with 1 and 2 workers per processor, against a plain kafka-python consume-produce loop on the same broker; and
end-to-end latency at a fixed rate.

    python -m benchmarks.routing [--count 200000] [--latency-rate 500] [--latency-seconds 60]
"""

from __future__ import annotations

import argparse
import statistics
import time

from aduan import kafka, topics
from benchmarks import baselines
from benchmarks.harness import PeakMemory, Report, infrastructure
from benchmarks.pipeline import ROUTING_PROCESSES, InboxCounter, Processes, intake_messages, prepare

WARM_UP = 300


def _start(processes: Processes, workers: int, counter: InboxCounter, messages: list, settings) -> None:
    for name in ROUTING_PROCESSES:
        processes.start(name, copies=workers)
    producer = kafka.producer(settings)
    for _, key, value in messages[:WARM_UP]:
        producer.send(topics.Topics(settings.topic_prefix).intake, key=key, value=value)
    producer.flush()
    producer.close()
    counter.wait_for(WARM_UP, timeout=300, label=f"warm-up, {workers} worker(s) per processor")


def throughput(count: int, workers: int, report: Report, with_baseline: bool) -> float:
    """Route ``count`` complaints with ``workers`` processes per processor; returns complaints/s."""
    with infrastructure(f"routing{workers}") as settings, PeakMemory() as memory:
        prepare(settings)
        messages = intake_messages(settings, count + WARM_UP)
        if with_baseline:
            scratch = [topics.TopicSpec(f"{settings.topic_prefix}.raw-{side}", settings.partitions, {}, "baseline")
                       for side in ("in", "out")]
            topics.ensure(settings, scratch)
            baselines.produce(settings, scratch[0].name, [(k, v) for _, k, v in messages], "baseline input")
            raw = baselines.consume_produce_loop(settings, scratch[0].name, scratch[1].name, len(messages))
            report.add("raw consume-produce loop (kafka-python)", raw, "msg/s")
        counter = InboxCounter(settings)
        processes = Processes(settings, memory)
        try:
            _start(processes, workers, counter, messages, settings)
            started = time.time()
            produced = baselines.produce(settings, topics.Topics(settings.topic_prefix).intake,
                                         [(k, v) for _, k, v in messages[WARM_UP:]], "publishing reports")
            last = counter.wait_for(count + WARM_UP, timeout=3600, label="routed to agency inboxes")
            rate = count / (last - started)
        finally:
            processes.stop()
            counter.close()
        baseline = report.figures[0].value if report.figures else None
        report.add(f"routing, {workers} worker(s) per processor", rate, "complaints/s",
                   "raw loop" if baseline else None, baseline,
                   note=f"{count:,} complaints; intake publish {produced:,.0f}/s")
        for name, peak in sorted(memory.peak_mb.items()):
            report.add(f"peak RSS {name} ({workers}w)", peak, "MB")
        return rate


def latency(rate: int, seconds: int, report: Report) -> None:
    """Publish at a fixed rate; p50/p95/p99 from the adapter's publish to the agency inbox."""
    total = rate * seconds
    with infrastructure("latency") as settings, PeakMemory() as memory:
        prepare(settings)
        messages = intake_messages(settings, total + WARM_UP)
        counter = InboxCounter(settings)
        processes = Processes(settings, memory)
        try:
            _start(processes, 1, counter, messages, settings)
            sent: dict[str, float] = {}
            producer = kafka.producer(settings, linger_ms=0)
            intake = topics.Topics(settings.topic_prefix).intake
            began = time.perf_counter()
            for index, (complaint_id, key, value) in enumerate(messages[WARM_UP:]):
                due = began + index / rate
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)  # pacing the load generator, not synchronising a test
                sent[complaint_id] = time.time()
                producer.send(intake, key=key, value=value)
            producer.flush()
            counter.wait_for(total + WARM_UP, timeout=900, label="routed to agency inboxes")
        finally:
            processes.stop()
            counter.close()
        delays = sorted((counter.arrived[c] - t) * 1000 for c, t in sent.items() if c in counter.arrived)
        cuts = statistics.quantiles(delays, n=100)
        note = f"{rate}/s for {seconds} s, {len(delays):,}/{total:,} arrived"
        report.add("latency p50 (publish -> agency inbox)", cuts[49], "ms", note=note)
        report.add("latency p95", cuts[94], "ms")
        report.add("latency p99", cuts[98], "ms")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--scale-count", type=int, default=100_000, help="complaints for the 1-vs-2-worker runs")
    parser.add_argument("--latency-rate", type=int, default=500)
    parser.add_argument("--latency-seconds", type=int, default=60)
    args = parser.parse_args(argv)

    report = Report("routing", vars(args))
    throughput(args.count, 1, report, with_baseline=True)
    one = throughput(args.scale_count, 1, report, with_baseline=False)
    two = throughput(args.scale_count, 2, report, with_baseline=False)
    report.add("scale-out: 2 workers / 1 worker", two / one, "x", note="target >= 1.7")
    latency(args.latency_rate, args.latency_seconds, report)
    report.print()
    print(f"results: {report.save()}")


if __name__ == "__main__":
    main()
