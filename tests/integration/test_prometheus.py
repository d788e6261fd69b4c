"""A real Prometheus server scrapes aduan processes: its query API returns the counters they move, and it loads
deploy/prometheus/alerts.yml. The server runs on a free port with its own configuration and storage in the test's
folder and is stopped at teardown; the test skips when no ``prometheus`` binary is installed."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from aduan.runtime.embedded.process import free_port, stop
from tests.support import wait_for
from tests.support.channels import call, start_http, web_report

ALERTS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"

pytestmark = pytest.mark.skipif(
    shutil.which("prometheus") is None,
    reason="no prometheus binary: `apt-get install prometheus` (Debian/Ubuntu) or put the prometheus binary of a "
           "release on PATH",
)


class Prometheus:
    """A Prometheus server scraping ``targets`` (process name -> host:port) every second as job "aduan"."""

    def __init__(self, folder: Path, targets: dict[str, str]) -> None:
        self.port = free_port()
        shutil.copy(ALERTS, folder / "alerts.yml")
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": ["alerts.yml"],
            "scrape_configs": [{
                "job_name": "aduan",
                "static_configs": [{"targets": [address], "labels": {"process": name}}
                                   for name, address in targets.items()],
            }],
        }
        (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={folder / 'prometheus.yml'}", f"--storage.tsdb.path={folder / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_for(lambda: self.proc.poll() is not None or self._get("/-/ready") is not None, 60, "Prometheus to be ready")
        assert self.proc.poll() is None, self.proc.stdout.read()

    def _get(self, path: str) -> Any:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
                body = response.read()
        except (urllib.error.URLError, OSError):
            return None
        return json.loads(body) if path.startswith("/api/") else body

    def query(self, promql: str) -> dict[tuple[tuple[str, str], ...], float]:
        """The instant vector of ``promql``: labels -> value."""
        answer = self._get("/api/v1/query?" + urllib.parse.urlencode({"query": promql})) or {}
        return {tuple(sorted(r["metric"].items())): float(r["value"][1]) for r in answer.get("data", {}).get("result", [])}

    def rules(self) -> list[dict]:
        return [rule for group in self._get("/api/v1/rules")["data"]["groups"] for rule in group["rules"]]

    def stop(self) -> None:
        stop(self.proc, grace=10)


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator:
    started: list[Prometheus] = []

    def start(targets: dict[str, str]) -> Prometheus:
        server = Prometheus(tmp_path, targets)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def test_prometheus_scrapes_the_processes_and_returns_the_counters_they_moved(settings, shared_topics, run_process,
                                                                              prometheus):
    base = start_http(run_process, settings)
    intake_port = free_port()
    intake = run_process("run", "intake", with_settings=settings.with_(metrics_port=intake_port))
    server = prometheus({"channels-http": f"127.0.0.1:{settings.http_port}", "intake": f"127.0.0.1:{intake_port}"})

    wait_for(lambda: intake.proc.poll() is not None or len(server.query('up{job="aduan"} == 1')) == 2, 120,
             "Prometheus to scrape channels-http and intake")
    assert intake.proc.poll() is None, intake.output()
    for key in ("prometheus-0000001", "prometheus-0000002"):
        status, answer = call(f"{base}/api/v1/complaints", web_report(key))
        assert status == 202, answer

    accepted = 'sum(aduan_intake_reports_total{job="aduan", process="intake", outcome="accepted"})'
    published = 'sum(aduan_channel_reports_total{job="aduan", process="channels-http", channel="WEB"})'
    wait_for(lambda: server.query(accepted) == {(): 2.0} and server.query(published) == {(): 2.0}, 120,
             "Prometheus to hold two accepted and two published reports")

    expected = {rule["alert"] for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]}
    rules = wait_for(lambda: all(rule["health"] != "unknown" for rule in server.rules()) and server.rules(), 60,
                     "Prometheus to evaluate the alert rules")
    assert {rule["name"] for rule in rules} == expected
    assert all(rule["health"] == "ok" for rule in rules), [r for r in rules if r["health"] != "ok"]
