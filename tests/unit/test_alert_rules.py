"""The alert rules are valid Prometheus rules, every alert has unit tests that make it fire, and those tests pass
(``promtool check rules`` / ``promtool test rules``; skipped when promtool is not installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
RULES = PROMETHEUS / "alerts.yml"
RULE_TESTS = sorted(PROMETHEUS.glob("alerts*_test.yml"))

needs_promtool = pytest.mark.skipif(
    shutil.which("promtool") is None,
    reason="promtool is not installed: `apt-get install prometheus` (Debian/Ubuntu) or put the promtool binary of a "
           "Prometheus release on PATH",
)


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120, cwd=PROMETHEUS)


def alerts() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"] if "alert" in rule]


def test_every_alert_says_how_bad_and_what_to_do():
    for rule in alerts():
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]


def test_every_alert_has_a_unit_test_in_which_it_fires():
    fired = {case["alertname"]
             for path in RULE_TESTS for test in yaml.safe_load(path.read_text())["tests"]
             for case in test.get("alert_rule_test", []) if case.get("exp_alerts")}
    untested = {rule["alert"] for rule in alerts()} - fired
    assert not untested, f"add a firing case to deploy/prometheus/alerts_test.yml for {sorted(untested)}"


@needs_promtool
def test_the_rules_are_valid():
    result = promtool("check", "rules", RULES.name)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_the_rule_unit_tests_pass():
    result = promtool("test", "rules", *(path.name for path in RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_the_compose_prometheus_configuration_is_valid():
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
