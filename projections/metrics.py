"""Prometheus metrics of the projector and the read API (the projector's batches also feed the shared ones of
:mod:`aduan.kernel.metrics`, its lag among them)."""

from __future__ import annotations

from prometheus_client import Counter

PROJECTION_EVENTS = Counter(
    "aduan_projection_events_total",
    "Complaint log messages the projector handled, by outcome (applied, duplicate, refused).", ["outcome"],
)
READ_API_REQUESTS = Counter(
    "aduan_read_api_requests_total", "Read API requests, by route and HTTP status.", ["route", "status"]
)

