"""Prometheus metrics of the projector and the read API (the projector's batches also feed the shared ones of
:mod:`aduan.metrics`), and where /metrics listens."""

from __future__ import annotations

import os

from prometheus_client import Counter, Gauge

METRICS_HOST_ENV = "ADUAN_METRICS_HOST"

PROJECTION_LAG = Gauge(
    "aduan_projection_lag_events", "Complaint events in the log that the read models do not hold yet, per partition.",
    ["partition"],
)
PROJECTION_EVENTS = Counter(
    "aduan_projection_events_total",
    "Complaint log messages the projector handled, by outcome (applied, duplicate, refused).", ["outcome"],
)
PROJECTION_REWINDS = Counter(
    "aduan_projection_rewinds_total",
    "Partitions re-read from the database's offset because the read models moved (a rebuild was swapped in).",
)

READ_API_REQUESTS = Counter(
    "aduan_read_api_requests_total", "Read API requests, by route and HTTP status.", ["route", "status"]
)


def metrics_host() -> str:
    """The interface /metrics listens on: ``ADUAN_METRICS_HOST`` (e.g. 0.0.0.0 in a container), else 127.0.0.1."""
    return os.environ.get(METRICS_HOST_ENV) or "127.0.0.1"
