"""The portal's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import Counter

PORTAL_REQUESTS = Counter(
    "aduan_portal_requests_total", "Portal requests, by route (its path pattern) and HTTP status.", ["route", "status"]
)
