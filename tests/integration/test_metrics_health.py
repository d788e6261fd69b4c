"""``aduan health`` against the real broker, PostgreSQL and a running process: all ok with exit status 0; a missing
topic or a process that is not running makes it exit 1 and say what to do."""

from __future__ import annotations

import json

from aduan.runtime.embedded.process import free_port
from tests.support import wait_for
from tests.support.metrics import scrape


def health(run_process, *args: str) -> tuple[int, dict]:
    process = run_process("health", "--json", "--timeout", "10", *args)
    output = process.wait(120)
    return process.proc.returncode, json.loads(output[output.index("{"):])


def test_everything_up_and_keeping_up_is_ok(settings, shared_topics, run_process):
    port = free_port()
    intake = run_process("run", "intake", with_settings=settings.with_(metrics_port=port))
    url = f"http://127.0.0.1:{port}/metrics"
    wait_for(lambda: intake.proc.poll() is not None or scrape(url), 120, "intake to serve /metrics")

    code, report = health(run_process, "--target", f"intake={url}")

    assert code == 0, report
    assert [(c["name"], c["status"]) for c in report["checks"]] == [("broker", "ok"), ("database", "ok"),
                                                                   ("intake", "ok")]


def test_missing_topics_and_a_stopped_process_fail_with_advice(settings, run_process):
    code, report = health(run_process, "--target", f"intake=http://127.0.0.1:{free_port()}/metrics")

    checks = {c["name"]: c for c in report["checks"]}
    assert code == 1 and report["status"] == "down"
    assert checks["broker"]["status"] == "down" and "aduan topics ensure" in checks["broker"]["detail"]
    assert checks["database"]["status"] == "ok"
    assert checks["intake"]["status"] == "down" and "aduan run intake" in checks["intake"]["detail"]
