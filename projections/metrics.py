"""Prometheus metrics of the projector and the read API (the projector's batches also feed the shared ones of
:mod:`aduan.kernel.metrics`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

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

