"""The metrics that the alerts and the dashboard query exist in the code, every aduan metric passes
``promtool check metrics``, and every dashboard query is valid PromQL (promtool parts skip without promtool).

"Every aduan metric" is what the modules of aduan.runtime.processes.PROCESSES define once imported, wherever they define
it (aduan/kernel/metrics.py, projections/metrics.py, ...), so new processes are covered as soon as they are listed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.metrics import aduan_metrics

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DASHBOARD = DEPLOY / "grafana" / "aduan.json"
NAME = re.compile(r"\baduan_[a-z0-9_]+\b")
SUFFIXES = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_sum", "_count"], "info": ["_info"]}
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$processor": ".*", "$agency": ".*"}

needs_promtool = pytest.mark.skipif(
    shutil.which("promtool") is None,
    reason="promtool is not installed: `apt-get install prometheus` (Debian/Ubuntu) or put the promtool binary of a "
           "Prometheus release on PATH",
)


# Gives every aduan metric one sample (labels "x") and prints the exposition, in a child process so that the
# test process's metrics stay untouched.
EXPOSE_ALL = """
import sys
from prometheus_client import Info, generate_latest
from aduan.kernel.metrics import announce_process
from tests.support.metrics import aduan_metrics
announce_process("x")
for metric in aduan_metrics():
    if not isinstance(metric, Info):
        one = metric.labels(*["x"] * len(metric._labelnames)) if metric._labelnames else metric
        {"counter": lambda: one.inc(), "gauge": lambda: one.set(1), "histogram": lambda: one.observe(0.1)}[metric._type]()
sys.stdout.write(generate_latest().decode())
"""


def exposed_names() -> set[str]:
    """Every sample name the aduan metrics expose."""
    return {family.name + suffix for metric in aduan_metrics() for family in metric.describe()
            for suffix in SUFFIXES[family.type]}


def dashboard_queries() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", [])]


def test_the_alerts_and_the_dashboard_query_only_metrics_that_exist():
    alerts = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    queried = {name for group in alerts["groups"] for rule in group["rules"] for name in NAME.findall(rule["expr"])}
    queried |= {name for query in dashboard_queries() for name in NAME.findall(query)}
    unknown = queried - exposed_names()
    assert not unknown, f"queried but defined by no process module: {sorted(unknown)}"
    assert {"aduan_consumer_lag_messages", "aduan_deadline_breaches_total", "aduan_channel_reports_total"} <= queried


def test_the_dashboard_shows_what_operators_ask_for():
    titles = " ".join(panel["title"].lower() for panel in json.loads(DASHBOARD.read_text())["panels"])
    for subject in ("consumed", "lag", "batch duration", "dead letters", "breaches", "escalations", "warnings",
                    "channel", "projection"):
        assert subject in titles, f"no dashboard panel about {subject}"


@needs_promtool
def test_every_aduan_metric_passes_promtool_lint():
    exposition = subprocess.run([sys.executable, "-c", EXPOSE_ALL], capture_output=True, text=True, check=True,
                                timeout=120, cwd=ROOT).stdout
    assert "aduan_process_info{" in exposition and "aduan_batch_duration_seconds_bucket{" in exposition
    result = subprocess.run(["promtool", "check", "metrics"], input=exposition, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_every_dashboard_query_is_valid_promql(tmp_path: Path):
    rules = []
    for number, query in enumerate(dashboard_queries()):
        for variable, value in GRAFANA_VARIABLES.items():
            query = query.replace(variable, value)
        rules.append({"record": f"dashboard:query_{number}", "expr": query})
    path = tmp_path / "dashboard.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
