"""Every process of aduan.runtime.processes.PROCESSES, started with ``aduan run NAME`` on the real broker and PostgreSQL,
serves /metrics that promtool accepts, and its counters move as a complaint flows through.

The processes are taken from PROCESSES when the test runs, so a new process is checked as soon as it is listed.
FLOW names what one web complaint must move in each process; an entry whose process is not in PROCESSES yet
(e.g. ``projector`` while it is being written) is left out until it is.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

from aduan.kernel.config import Settings
from aduan.kernel.topics import Topics
from aduan.runtime.embedded.process import free_port
from aduan.runtime.processes import PROCESSES
from portal.app import PORT_ENV as PORTAL_PORT_ENV
from projections.read_api import PORT_ENV as READ_API_PORT_ENV
from tests.support import Process, wait_for
from tests.support.channels import call, web_report
from tests.support.metrics import scrape

# What one complaint submitted on the web must move, per process: (sample name, labels it must carry).
FLOW: dict[str, list[tuple[str, dict[str, str]]]] = {
    "channels-http": [("aduan_channel_reports_total", {"channel": "WEB", "outcome": "published"})],
    "intake": [("aduan_intake_reports_total", {"outcome": "accepted"}),
               ("aduan_messages_consumed_total", {"processor": "intake", "topic": "{intake}"})],
    "lifecycle": [("aduan_messages_consumed_total", {"processor": "lifecycle", "topic": "{log}"})],
    "dispatcher": [("aduan_messages_consumed_total", {"processor": "dispatcher", "topic": "{log}"})],
    "deadlines": [("aduan_messages_consumed_total", {"processor": "deadlines", "topic": "{log}"})],
    "projector": [("aduan_messages_consumed_total", {"processor": "projector", "topic": "{log}"})],
}


def total(text: str, name: str, labels: dict[str, str]) -> float:
    """The sum of the samples called ``name`` whose labels include ``labels``."""
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == name and labels.items() <= sample.labels.items())


class Engine:
    """Every process of PROCESSES as ``aduan run NAME``, each with its own metrics port."""

    def __init__(self, run_process, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
        self.settings = settings
        monkeypatch.setenv(READ_API_PORT_ENV, str(free_port()))  # the children inherit it: no fixed port
        monkeypatch.setenv(PORTAL_PORT_ENV, str(free_port()))
        self.urls: dict[str, str] = {}
        self.processes: dict[str, Process] = {}
        for process in PROCESSES:
            port = free_port()
            self.processes[process.name] = run_process("run", process.name,
                                                       with_settings=settings.with_(metrics_port=port))
            self.urls[process.name] = f"http://127.0.0.1:{port}/metrics"
        for name, url in self.urls.items():
            proc = self.processes[name].proc
            wait_for(lambda: proc.poll() is not None or scrape(url), 120, f"{name} to serve {url}")
            assert proc.poll() is None, f"{name} exited with {proc.returncode}: {self.processes[name].output()}"

    def submit(self, key: str) -> None:
        """One complaint through the web API of channels-http."""
        status, answer = call(f"http://127.0.0.1:{self.settings.http_port}/api/v1/complaints", web_report(key))
        assert status == 202, answer

    def expected(self) -> list[tuple[str, str, dict[str, str]]]:
        """(process, sample name, labels) of FLOW for the processes that exist."""
        names = Topics(self.settings.topic_prefix)
        topics = {"{intake}": names.intake, "{log}": names.complaint_events}
        return [(process, sample, {k: topics.get(v, v) for k, v in labels.items()})
                for process, wanted in FLOW.items() if process in self.urls for sample, labels in wanted]


@pytest.mark.usefixtures("small_directory")
def test_counters_move_as_a_complaint_flows_through_every_process(settings, shared_topics, run_process,
                                                                   monkeypatch):
    engine = Engine(run_process, settings, monkeypatch)
    expected = engine.expected()
    before = {(p, s, str(l)): total(scrape(engine.urls[p]), s, l) for p, s, l in expected}
    engine.submit("metrics-flow-0001")

    def still() -> list[str]:
        return [f"{p}: {s}{l}" for p, s, l in expected
                if total(scrape(engine.urls[p]) or "", s, l) <= before[(p, s, str(l))]]

    try:
        wait_for(lambda: not still(), 120, "every process's counters to move", interval=0.5)
    except AssertionError:
        pytest.fail(f"these counters did not move: {still()}")
    assert {p for p, _, _ in expected} >= {"channels-http", "intake"}


@pytest.mark.skipif(shutil.which("promtool") is None,
                    reason="promtool is not installed: `apt-get install prometheus` (Debian/Ubuntu) or put the "
                           "promtool binary of a Prometheus release on PATH")
@pytest.mark.usefixtures("small_directory")
def test_every_process_serves_an_exposition_that_promtool_accepts(settings, shared_topics, run_process,
                                                                  monkeypatch):
    engine = Engine(run_process, settings, monkeypatch)
    engine.submit("metrics-lint-0001")
    wait_for(lambda: total(scrape(engine.urls["intake"]) or "", "aduan_intake_reports_total", {"outcome": "accepted"}),
             120, "intake to accept the complaint")
    problems = {}
    for name, url in engine.urls.items():
        result = subprocess.run(["promtool", "check", "metrics"], input=scrape(url), capture_output=True, text=True,
                                timeout=60)
        if result.returncode != 0:
            problems[name] = result.stdout + result.stderr
    assert not problems, problems


def test_a_process_announces_its_name_and_version(settings, shared_topics, run_process):
    port = free_port()
    process = run_process("run", "intake", with_settings=settings.with_(metrics_port=port))
    url = f"http://127.0.0.1:{port}/metrics"
    wait_for(lambda: process.proc.poll() is not None or scrape(url), 120, "intake to serve /metrics")
    assert process.proc.poll() is None, process.output()
    assert total(scrape(url), "aduan_process_info", {"processor": "intake"}) == 1
