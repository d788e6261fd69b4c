"""Helpers of the metrics tests: what a process exposes on its metrics port, and every metric the process modules
define (for the checks of the dashboard, the alerts and ``promtool``)."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from prometheus_client.metrics import MetricWrapperBase

from aduan.runtime.processes import PROCESSES


def scrape(url: str) -> str | None:
    """The exposition at ``url``, or None while nothing answers there."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except (urllib.error.URLError, OSError):
        return None


PACKAGES = {"aduan", "streams", "channels", "projections", "portal"}


def aduan_metrics() -> list[MetricWrapperBase]:
    """Every metric object the process modules define, after importing them all."""
    for process in PROCESSES:
        process.load()
    found = {id(value): value for module in list(sys.modules.values()) if module is not None
             and module.__name__.split(".")[0] in PACKAGES for value in vars(module).values()
             if isinstance(value, MetricWrapperBase)}
    return list(found.values())
