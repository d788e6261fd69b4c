"""The ``read-api`` process: the read models over HTTP (aiohttp).

``GET /api/v1/status/{tracking_id}``   a complaint as its reporter sees it (public view) and its timeline; 404
                                       for an unknown tracking id and for a confidential report alike
``GET /api/v1/stats?by=regency&province=74``   statistics (``by``: see :data:`projections.stats.DIMENSIONS`)
``GET /healthz``                       200 when the read models can be queried, else 503
``GET /metrics``                       Prometheus metrics (also on ``ADUAN_METRICS_PORT``, host ``ADUAN_METRICS_HOST``)

It listens on ``ADUAN_READ_API_PORT`` (default 8081), host ``ADUAN_READ_API_HOST`` (default 127.0.0.1: put a TLS
proxy in front). Queries run in a thread pool on a small pool of PostgreSQL connections.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
from typing import Any, TypeVar

import psycopg2.extensions
import psycopg2.pool
from aiohttp import web

from aduan.kernel.config import Settings
from aduan.kernel.read_models import ReadModels
from aduan.kernel.serving import metrics, serve_until_stopped
from projections.metrics import READ_API_REQUESTS
from projections.output import json_value
from projections.schema import SCHEMA
from projections.stats import statistics
from projections.status import find_complaint

PORT_ENV = "ADUAN_READ_API_PORT"
HOST_ENV = "ADUAN_READ_API_HOST"
DEFAULT_PORT = 8081

T = TypeVar("T")


def read_api_port() -> int:
    """The port of the read API: ``ADUAN_READ_API_PORT`` or 8081."""
    return int(os.environ.get(PORT_ENV) or DEFAULT_PORT)


def _json(route: str, body: Any, status: int = 200) -> web.Response:
    READ_API_REQUESTS.labels(route=route, status=str(status)).inc()
    return web.json_response(body, status=status, dumps=functools.partial(json.dumps, ensure_ascii=False))


def build_app(models: ReadModels) -> web.Application:
    """The aiohttp application over ``models``."""

    async def status(request: web.Request) -> web.Response:
        tracking_id = request.match_info["tracking_id"]
        view = await models.run(lambda conn: find_complaint(conn, tracking_id))
        if view is None:
            return _json("status", {"error": f"no public report with tracking id {tracking_id}: check the number"},
                         404)
        return _json("status", view.to_json())

    async def stats(request: web.Request) -> web.Response:
        by = request.query.get("by", "summary")
        province = request.query.get("province") or None
        try:
            table = await models.run(lambda conn: statistics(conn, by, province))
        except ValueError as exc:
            return _json("stats", {"error": str(exc)}, 400)
        rows = [{c: json_value(v) for c, v in zip(table.columns, row)} for row in table.rows]
        return _json("stats", {"by": by, "province": province, "rows": rows})

    async def health(request: web.Request) -> web.Response:
        try:
            await models.run(_check)
        except Exception as exc:  # any failure means the read models cannot be served
            return _json("healthz", {"status": "unavailable", "error": str(exc)}, 503)
        return _json("healthz", {"status": "ok"})

    app = web.Application()
    app.router.add_get("/api/v1/status/{tracking_id}", status)
    app.router.add_get("/api/v1/stats", stats)
    app.router.add_get("/healthz", health)
    app.router.add_get("/metrics", metrics)
    return app


def _check(conn: psycopg2.extensions.connection) -> None:
    with conn.cursor() as cur:
        cur.execute(f"SELECT 1 FROM {SCHEMA}.projection_offsets LIMIT 1")


async def serve(settings: Settings, port: int | None = None) -> None:
    """Serve until SIGTERM or SIGINT."""
    models = ReadModels(settings)
    port = port or read_api_port()
    await serve_until_stopped(build_app(models), "read-api", os.environ.get(HOST_ENV) or "127.0.0.1", port, settings)
    models.close()


def run(settings: Settings) -> None:
    """The ``read-api`` process."""
    asyncio.run(serve(settings))
