"""``aduan health`` and ``/healthz``: a consumer behind with no recent commit is stalled, an idle one is fine, a
process that does not answer is down, and the command's exit status says whether someone must act."""

from __future__ import annotations

import asyncio
import json
from typing import Iterator

import pytest
from prometheus_client import CollectorRegistry, Gauge, start_http_server

from aduan.cli import main
from aduan.kernel import health
from aduan.runtime.embedded.process import free_port

NOW = 1_800_000_000.0
LIMITS = health.Limits(max_commit_age=300, max_lag=1000)


def registry(processor: str, lags: list[int], last_commit: float | None) -> CollectorRegistry:
    """A registry holding one processor's progress metrics, as aduan.processing.app records them."""
    reg = CollectorRegistry()
    lag = Gauge(health.LAG_METRIC, "lag", ["processor", "topic", "partition"], registry=reg)
    for partition, behind in enumerate(lags):
        lag.labels(processor, "aduan.intake", str(partition)).set(behind)
    commit = Gauge(health.LAST_COMMIT_METRIC, "commit", ["processor"], registry=reg)
    if last_commit is not None:
        commit.labels(processor).set(last_commit)
    return reg


@pytest.fixture
def serve() -> Iterator:
    """Serve a registry's /metrics on a free port; returns its URL."""
    servers = []

    def start(reg: CollectorRegistry) -> str:
        port = free_port()
        servers.append(start_http_server(port, addr="127.0.0.1", registry=reg)[0])
        return f"http://127.0.0.1:{port}/metrics"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def verdict(lags: list[int], last_commit: float | None) -> health.Check:
    reg = registry("intake", lags, last_commit)
    return health.judge("intake", health.progress(reg.collect()), NOW, LIMITS)


def test_behind_without_a_commit_for_longer_than_allowed_is_stalled():
    check = verdict([3, 4], NOW - 301)
    assert check.status == health.STALLED and check.failing
    assert "7 behind" in check.detail


def test_idle_without_a_commit_for_a_long_time_is_ok():
    assert verdict([0, 0], NOW - 86_400).status == health.OK


def test_far_behind_but_committing_is_a_warning_not_a_failure():
    check = verdict([900, 200], NOW - 5)
    assert check.status == health.BEHIND and not check.failing


def test_a_process_without_consumer_metrics_is_ok_while_it_answers():
    assert health.judge("channels-http", [], NOW, LIMITS).status == health.OK


def test_the_worst_processor_of_a_process_decides():
    processors = [health.Progress("deadlines", NOW, 0), health.Progress("deadlines-timer", NOW - 900, 5)]
    assert health.judge("deadlines", processors, NOW, LIMITS).status == health.STALLED


def test_the_projector_is_judged_like_every_processor_from_the_shared_lag_gauge():
    check = health.judge("projector", health.progress(registry("projector", [30, 12], NOW - 900).collect()), NOW,
                         LIMITS)
    assert check.status == health.STALLED and "42 behind" in check.detail


def test_healthz_answers_503_only_when_stalled():
    status, body = health.healthz(registry("lifecycle", [2], NOW - 600), LIMITS, now=NOW)
    assert status == 503 and body["status"] == health.STALLED
    status, body = health.healthz(registry("lifecycle", [2], NOW - 10), LIMITS, now=NOW)
    assert status == 200 and body["status"] == health.OK


def test_the_faust_view_answers_with_the_verdict_of_its_registry():
    class View:
        def json(self, body: dict, *, status: int) -> tuple[int, dict]:
            return status, body

    status, body = asyncio.run(health.faust_healthz(registry("dispatcher", [9], 1.0))(View(), None))
    assert status == 503 and body["checks"][0]["status"] == health.STALLED


def test_limits_come_from_the_environment():
    limits = health.Limits.from_env({health.MAX_COMMIT_AGE_ENV: "60", health.MAX_LAG_ENV: "5"})
    assert limits == health.Limits(max_commit_age=60, max_lag=5)
    assert health.Limits.from_env({}) == health.Limits()


def test_a_process_that_does_not_answer_is_down():
    check = health.check_process("intake", f"http://127.0.0.1:{free_port()}/metrics", LIMITS, timeout=2)
    assert check.status == health.DOWN and "aduan run intake" in check.detail


def test_a_scraped_process_is_judged_from_its_metrics(serve):
    url = serve(registry("intake", [5], NOW - 1000))
    assert health.check_process("intake", url, LIMITS, now=NOW).status == health.STALLED


def test_aduan_health_prints_a_table_and_exits_1_when_something_is_stalled(serve, capsys):
    fine = serve(registry("intake", [0], NOW))
    stuck = serve(registry("lifecycle", [12], 1.0))
    code = main(["health", "--processes-only", "--target", f"intake={fine}", "--target", f"lifecycle={stuck}"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines[0].split() == ["CHECK", "STATUS", "DETAIL"]
    assert [line.split()[:2] for line in lines[1:]] == [["intake", "ok"], ["lifecycle", "stalled"]]


def test_aduan_health_json_and_exit_0_when_everything_keeps_up(serve, capsys):
    url = serve(registry("intake", [1], None))
    code = main(["health", "--processes-only", "--json", "--target", f"intake={url}"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert document["status"] == "ok" and [c["name"] for c in document["checks"]] == ["intake"]


def test_a_target_without_a_url_is_refused_with_an_example(capsys):
    assert main(["health", "--processes-only", "--target", "intake"]) == 1
    assert "NAME=URL" in capsys.readouterr().err
