"""Projections: events per second applied by the live projector (transactional offsets) and replayed by
``aduan projections rebuild``, against a plain kafka-python read of the same log and a COPY of as many
equivalent rows into the same database.

    python -m benchmarks.projection [--events 1000000] [--storage memory]
"""

from __future__ import annotations

import argparse
import io
import time

from aduan.cli.synthetic import complaints
from aduan.domain.directory import Directory
from aduan.kernel import db
from aduan.kernel.config import Settings
from aduan.kernel.topics import Topics
from aduan.runtime import stack
from benchmarks import baselines
from benchmarks.data import lifecycle
from benchmarks.harness import STORAGES, PeakMemory, Progress, Report, infrastructure
from benchmarks.pipeline import Processes
from projections.rebuild import rebuild
from projections.schema import SCHEMA
from schemas import codec

EVENTS_PER_COMPLAINT = 8
NULL = "\\N"
TIMELINE_LIKE = ("CREATE TABLE copy_baseline (event_id uuid PRIMARY KEY, complaint_id uuid NOT NULL, "
                 "event_type text NOT NULL, occurred_at timestamptz NOT NULL, agency text, region_code text, "
                 "detail jsonb NOT NULL)")


def log_messages(count: int) -> tuple[list[tuple[bytes, bytes]], str]:
    """``count`` encoded lifecycle events (Kafka key, value) and as many equivalent rows as COPY text."""
    directory = Directory.load()
    messages: list[tuple[bytes, bytes]] = []
    rows = io.StringIO()
    progress = Progress("building events", count)
    for spec in complaints(count // EVENTS_PER_COMPLAINT):
        for name, record in lifecycle(spec, directory):
            header = record["header"]
            messages.append((header["complaint_id"].encode(), codec().encode(name, record)))
            agency = record.get("agency") or NULL
            rows.write(f"{header['event_id']}\t{header['complaint_id']}\t{name}\t{header['occurred_at'].isoformat()}"
                       f"\t{agency}\t{spec.region_code}\t{{\"n\": {spec.index}}}\n")
        progress.update(len(messages))
    progress.done(len(messages))
    return messages, rows.getvalue()


def _projected(settings: Settings) -> int:
    """Events the projector has handled: the sum of its stored next offsets."""
    with db.connect(settings) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT coalesce(sum(next_offset), 0) FROM {SCHEMA}.projection_offsets")
        return int(cur.fetchone()[0])


def live(settings: Settings, memory: PeakMemory, total: int) -> float:
    """Events/s applied by the projector process (`aduan run projector`), from its first stored batch to the head
    of the log (its start-up left out)."""
    processes = Processes(settings, memory)
    progress = Progress("live projector", total)
    deadline = time.monotonic() + 120
    first: tuple[float, int] | None = None
    try:
        processes.start("projector")
        while (applied := _projected(settings)) < total:
            if first is None and applied:
                first = (time.perf_counter(), applied)
            if first is None and time.monotonic() > deadline:
                raise TimeoutError("the projector applied nothing in 120 s")
            progress.update(applied)
            time.sleep(0.1)  # pacing the driver's check of the stored offsets
    finally:
        processes.stop()
    progress.done(total)
    if first is None:  # everything in the first batch: no rate to tell
        raise RuntimeError(f"the projector applied all {total} events in one batch; use more events")
    return (total - first[1]) / (time.perf_counter() - first[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--storage", choices=STORAGES, default="memory",
                        help="broker storage (default memory: the durable log slows down as partitions grow)")
    args = parser.parse_args(argv)
    report = Report("projection", vars(args))
    with infrastructure("projection", storage=args.storage) as settings, PeakMemory() as memory:
        stack.prepare(settings, lambda line: None)
        messages, rows = log_messages(args.events)
        topic = Topics(settings.topic_prefix).complaint_events
        baselines.produce(settings, topic, messages, "publishing the log")
        consume = baselines.consume_only(settings, topic, len(messages))
        copy = baselines.copy_rows(settings, TIMELINE_LIKE, rows, len(messages))
        report.add("raw consume (kafka-python)", consume, "events/s")
        report.add("raw COPY of equivalent rows", copy, "rows/s")
        slower = min(consume, copy)
        live_rate = live(settings, memory, len(messages))
        report.add("live projector process (transactional offsets)", live_rate, "events/s", "slower raw", slower)
        result = rebuild(settings)
        report.add("rebuild: replay", result.replay_rate, "events/s", "slower raw", slower,
                   note=f"{result.messages:,} events, {result.replay_seconds:.1f} s")
        report.add("rebuild: total incl. indexes and swap", result.messages / result.total_seconds, "events/s",
                   "slower raw", slower, note=f"{result.total_seconds:.1f} s")
        with db.connect(settings) as conn, conn.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {SCHEMA}.complaint_status")
            report.add("complaints in the rebuilt model", cur.fetchone()[0], "rows")
        for name, peak in sorted(memory.peak_mb.items()):
            report.add(f"peak RSS {name}", peak, "MB", note="the rebuild runs in this process and its workers")
    report.print()
    print(f"results: {report.save()}")


if __name__ == "__main__":
    main()
