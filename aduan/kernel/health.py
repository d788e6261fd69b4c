"""Is the engine up and keeping up? Checks of the broker, the database and every process, for ``aduan health``
and for the ``/healthz`` page of each process.

A process is judged from its own metrics: it must answer ``/metrics``; a consumer that is behind
(``aduan_consumer_lag_messages`` above zero) and has not committed a batch (``aduan_last_commit_timestamp_seconds``)
for longer than the allowed commit age is *stalled*. An idle consumer (nothing behind) may go any time without a
commit. A consumer further behind than the allowed lag is *behind*: a warning, not a failure, because a backlog
after a burst is normal while it shrinks.
"""

from __future__ import annotations

import logging
import os
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Awaitable, Callable, Iterable, Iterator, Mapping

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from aduan.kernel import log_guard
from aduan.kernel.config import Settings

OK, BEHIND, STALLED, DOWN = "ok", "behind", "stalled", "down"
SEVERITY = {OK: 0, BEHIND: 1, STALLED: 2, DOWN: 3}
FAILING = frozenset({STALLED, DOWN})

MAX_COMMIT_AGE_ENV = "ADUAN_HEALTH_MAX_COMMIT_AGE_SECONDS"
MAX_LAG_ENV = "ADUAN_HEALTH_MAX_LAG_MESSAGES"
LAST_COMMIT_METRIC = "aduan_last_commit_timestamp_seconds"
LAG_METRIC = "aduan_consumer_lag_messages"
LOG_MISMATCH_METRIC = "aduan_log_mismatch_offsets"


@dataclass(frozen=True)
class Check:
    """The verdict on one component: ``status`` is ok, behind, stalled or down; ``detail`` says why."""

    name: str
    status: str
    detail: str

    @property
    def failing(self) -> bool:
        """Down or stalled: something an operator must act on."""
        return self.status in FAILING


@dataclass(frozen=True)
class Limits:
    """When a consumer counts as stalled (behind and no commit for ``max_commit_age`` seconds) or behind."""

    max_commit_age: float = 300.0
    max_lag: int = 100_000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Limits":
        """The limits from ``ADUAN_HEALTH_MAX_COMMIT_AGE_SECONDS`` and ``ADUAN_HEALTH_MAX_LAG_MESSAGES``."""
        default = cls()
        return cls(
            max_commit_age=float(environ.get(MAX_COMMIT_AGE_ENV) or default.max_commit_age),
            max_lag=int(environ.get(MAX_LAG_ENV) or default.max_lag),
        )


@dataclass(frozen=True)
class Progress:
    """What one processor's metrics say: its last commit (Unix time) and messages behind, where known."""

    processor: str
    last_commit: float | None
    lag: int | None
    refused: tuple[str, ...] = ()  # partitions refused because the stored offset is beyond the log's end


def progress(families: Iterable[Metric]) -> list[Progress]:
    """Each processor's last commit and total lag (over its partitions) from parsed metric families."""
    commits: dict[str, float] = {}
    lags: dict[str, int] = {}
    refused: dict[str, list[str]] = {}
    for family in families:
        for sample in family.samples:
            if sample.name == LOG_MISMATCH_METRIC and sample.value:
                labels = sample.labels
                refused.setdefault(labels["processor"], []).append(
                    f"{labels['topic']} partition {labels['partition']}: its stored next offset is "
                    f"{int(sample.value)} beyond the log's end")
                continue
            processor = sample.labels.get("processor")
            if processor is None:
                continue
            if sample.name == LAST_COMMIT_METRIC:
                commits[processor] = max(commits.get(processor, 0.0), sample.value)
            elif sample.name == LAG_METRIC:
                lags[processor] = lags.get(processor, 0) + int(sample.value)
    return [Progress(p, commits.get(p), lags.get(p), tuple(refused.get(p, ())))
            for p in sorted(set(commits) | set(lags) | set(refused))]


def judge(name: str, processors: list[Progress], now: float, limits: Limits) -> Check:
    """The verdict on a process that answered, from its processors' progress (the worst one counts)."""
    if not processors:
        return Check(name, OK, "serving metrics; no consumer batch recorded")
    verdicts = [_judge_one(p, now, limits) for p in processors]
    worst = max(verdicts, key=lambda verdict: SEVERITY[verdict[0]])[0]
    return Check(name, worst, "; ".join(detail for _, detail in verdicts))


def _judge_one(p: Progress, now: float, limits: Limits) -> tuple[str, str]:
    if p.refused:
        return STALLED, (f"{p.processor}: refuses {'; '.join(p.refused)}: the log is not the one its offsets belong "
                         "to (see `aduan offsets check`)")
    lag = p.lag or 0
    if p.last_commit is None:
        return OK, f"{p.processor}: {lag} behind, no commit yet"
    age = max(0.0, now - p.last_commit)
    said = f"{p.processor}: {lag} behind, last commit {age:.0f} s ago"
    if lag and age > limits.max_commit_age:
        return STALLED, f"{said} (limit {limits.max_commit_age:.0f} s while behind)"
    if lag > limits.max_lag:
        return BEHIND, f"{said} (more than {limits.max_lag})"
    return OK, said


def check_process(name: str, url: str, limits: Limits, *, timeout: float = 5.0, now: float | None = None) -> Check:
    """Scrape ``url`` (a process's /metrics) and judge it; down when it does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            text = response.read().decode("utf-8")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Check(name, DOWN, f"{url} does not answer ({reason}): is `aduan run {name}` running?")
    try:
        families = list(text_string_to_metric_families(text))
    except ValueError as exc:
        return Check(name, DOWN, f"{url} answered something that is not Prometheus text: {exc}")
    return judge(name, progress(families), time.time() if now is None else now, limits)


def check_broker(settings: Settings, *, timeout: float = 5.0) -> Check:
    """A metadata request to the brokers; down when none answers or a shared topic is missing."""
    from kafka.admin import KafkaAdminClient

    from aduan.kernel.topics import Topics

    if not settings.kafka_bootstrap:
        return Check("broker", DOWN, "no broker configured: set ADUAN_KAFKA_BOOTSTRAP or start `aduan up`")
    millis = int(timeout * 1000)
    try:
        with _quiet("kafka"):  # the failure is the check's verdict; kafka-python's retry log adds nothing
            admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, client_id="aduan-health",
                                     request_timeout_ms=millis, bootstrap_timeout_ms=millis)
            try:
                brokers = admin.describe_cluster()["brokers"]
                present = set(admin.list_topics())
            finally:
                admin.close()
    except Exception as exc:  # kafka-python raises many unrelated types for "cannot reach the cluster"
        return Check("broker", DOWN, f"{settings.kafka_bootstrap} does not answer: {exc!r}")
    missing = [s.name for s in Topics(settings.topic_prefix).shared(settings) if s.name not in present]
    if missing:
        return Check("broker", DOWN, f"{len(brokers)} brokers; topics missing: {', '.join(missing)} "
                                     "(run `aduan topics ensure`)")
    return Check("broker", OK, f"{len(brokers)} brokers at {settings.kafka_bootstrap}")


@contextmanager
def _quiet(logger: str) -> Iterator[None]:
    """Silence ``logger`` below CRITICAL for the duration."""
    target = logging.getLogger(logger)
    level = target.level
    target.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        target.setLevel(level)


def check_database(settings: Settings, *, timeout: float = 5.0) -> Check:
    """``SELECT 1`` on the configured PostgreSQL."""
    import psycopg2

    if not settings.database_url:
        return Check("database", DOWN, "no database configured: set ADUAN_DATABASE_URL or start `aduan up`")
    started = time.perf_counter()
    try:
        conn = psycopg2.connect(settings.database_url, connect_timeout=max(1, int(timeout)),
                                application_name="aduan-health")
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
                cur.fetchone()
                elapsed = time.perf_counter() - started
                cur.execute("SELECT to_regclass('log_identity') IS NOT NULL")
                stale = log_guard.read_models_stale_since(cur) if cur.fetchone()[0] else None
        finally:
            conn.close()
    except psycopg2.Error as exc:
        return Check("database", DOWN, f"PostgreSQL does not answer: {' '.join(str(exc).split())}")
    if stale is not None:
        return Check("database", BEHIND, log_guard.stale_notice(stale))
    return Check("database", OK, f"SELECT 1 in {elapsed * 1000:.0f} ms")


def run_checks(settings: Settings, targets: Mapping[str, str], limits: Limits, *, infrastructure: bool = True,
               timeout: float = 5.0) -> list[Check]:
    """The broker and database checks (unless ``infrastructure`` is false), then one check per target."""
    checks = [check_broker(settings, timeout=timeout), check_database(settings, timeout=timeout)] if infrastructure \
        else []
    now = time.time()
    checks += [check_process(name, url, limits, timeout=timeout, now=now) for name, url in targets.items()]
    return checks


def table(checks: list[Check]) -> str:
    """The checks as an aligned text table."""
    width = max([len("CHECK")] + [len(c.name) for c in checks])
    lines = [f"{'CHECK':<{width}}  {'STATUS':<7}  DETAIL"]
    lines += [f"{c.name:<{width}}  {c.status:<7}  {c.detail}" for c in checks]
    return "\n".join(lines)


def as_json(checks: list[Check]) -> dict[str, Any]:
    """The checks as a JSON-ready document: the overall status and every check."""
    overall = max((c.status for c in checks), key=SEVERITY.__getitem__, default=OK)
    return {"status": overall, "checks": [asdict(c) for c in checks]}


def healthz(registry: CollectorRegistry = REGISTRY, limits: Limits | None = None,
            now: float | None = None) -> tuple[int, dict[str, Any]]:
    """This process's own verdict for ``/healthz``: HTTP 200 when ok or behind, 503 when stalled."""
    check = judge("self", progress(registry.collect()), time.time() if now is None else now,
                  limits or Limits.from_env())
    return (503 if check.failing else 200), as_json([check])


def faust_healthz(registry: CollectorRegistry = REGISTRY) -> Callable[[Any, Any], Awaitable[Any]]:
    """A faust view answering ``/healthz`` from ``registry``: ``app.page("/healthz")(faust_healthz())``."""

    async def healthz_view(view: Any, request: Any) -> Any:
        status, body = healthz(registry)
        return view.json(body, status=status)

    return healthz_view
