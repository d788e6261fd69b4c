"""Serving an aiohttp application as an aduan process: on its port, ``/metrics`` alone on the metrics port where
that differs, until SIGTERM or SIGINT, then the requests in flight are finished."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from aduan.kernel.config import Settings
from aduan.kernel.metrics import metrics_host

log = logging.getLogger(__name__)


async def metrics(request: web.Request) -> web.Response:
    """GET /metrics: this process's Prometheus metrics."""
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def serve_until_stopped(app: web.Application, name: str, host: str, port: int, settings: Settings) -> None:
    """Serve ``app`` on ``host:port`` (and ``/metrics`` on the metrics port, where that differs) until SIGTERM or
    SIGINT, then finish the requests in flight."""
    loop = asyncio.get_running_loop()
    runners = [web.AppRunner(app)]
    if settings.metrics_port != port:
        metrics_app = web.Application()
        metrics_app.router.add_get("/metrics", metrics)
        runners.append(web.AppRunner(metrics_app))
    for runner, (bind, bind_port) in zip(runners, [(host, port), (metrics_host(), settings.metrics_port)]):
        await runner.setup()
        await web.TCPSite(runner, bind, bind_port).start()
    log.info("%s listening on http://%s:%d (metrics also on :%d)", name, host, port, settings.metrics_port)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    for runner in runners:
        await runner.cleanup()
