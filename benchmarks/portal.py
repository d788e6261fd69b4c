"""``python -m benchmarks.portal``: how long each portal page takes on a projected history, against the read API.

Synthetic complaints over every regency and category are projected into the read models; then ``aduan run portal``
and ``aduan run read-api`` serve them, and each page is fetched ``--requests`` times one after the other. The
baseline is the read API answering the same statistics (``/api/v1/stats?by=regency&province=74``) as JSON in the
same run: the ratio is what rendering a whole page costs on top of the query.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import urllib.request

from aduan.cli.synthetic import complaints
from aduan.kernel.topics import Topics
from aduan.runtime import stack
from aduan.runtime.embedded.process import free_port
from benchmarks import baselines
from benchmarks.data import tracking_id
from benchmarks.harness import PeakMemory, Report, infrastructure
from benchmarks.pipeline import Processes
from benchmarks.projection import EVENTS_PER_COMPLAINT, live, log_messages

PAGES = ["/", "/lapor", "/lacak/{tracking_id}", "/laporan", "/laporan?wilayah=74&kategori=health",
         "/statistik", "/statistik/provinsi/74", "/statistik/provinsi.csv"]
BASELINE = "/api/v1/stats?by=regency&province=74"


def timings(url: str, count: int) -> list[float]:
    """Milliseconds of ``count`` sequential GETs of ``url`` (after one warm-up); each must answer 200."""
    def once() -> float:
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            assert response.status == 200, (url, response.status)
        return (time.perf_counter() - started) * 1000

    once()
    return [once() for _ in range(count)]


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--complaints", type=int, default=20_000, help="projected complaints (8 events each)")
    parser.add_argument("--requests", type=int, default=50, help="sequential requests per page")
    args = parser.parse_args(argv)
    report = Report("portal", vars(args))
    with infrastructure("portal") as settings, PeakMemory() as memory:
        stack.prepare(settings, lambda line: None)
        messages, _ = log_messages(args.complaints * EVENTS_PER_COMPLAINT)
        baselines.produce(settings, Topics(settings.topic_prefix).complaint_events, messages, "publishing the log")
        live(settings, memory, len(messages))
        portal, read_api = free_port(), free_port()
        os.environ.update(ADUAN_PORTAL_PORT=str(portal), ADUAN_READ_API_PORT=str(read_api))
        processes = Processes(settings, memory)
        try:
            processes.start("portal")
            processes.start("read-api")
            wait_until_up(f"http://127.0.0.1:{portal}/healthz")
            wait_until_up(f"http://127.0.0.1:{read_api}/healthz")
            public = next(spec for spec in complaints(args.complaints) if not spec.confidential)
            base = timings(f"http://127.0.0.1:{read_api}{BASELINE}", args.requests)
            report.add(f"read API {BASELINE} (median)", statistics.median(base), "ms")
            for page in PAGES:
                path = page.format(tracking_id=tracking_id(public))
                taken = timings(f"http://127.0.0.1:{portal}{path}", args.requests)
                p95 = statistics.quantiles(taken, n=20)[-1]
                report.add(f"portal {page} (median)", statistics.median(taken), "ms", "read API",
                           statistics.median(base), note=f"p95 {p95:.1f} ms, max {max(taken):.1f} ms")
        finally:
            processes.stop()
    report.print()
    print(f"results: {report.save()}")


if __name__ == "__main__":
    main()
