"""``channels-http``: the web/app API, the SMS 1708 gateway hook, the social media hook and Open311 GeoReport v2
(:mod:`channels.open311`), in one aiohttp process.

It listens on ``ADUAN_HTTP_PORT`` (host ``ADUAN_HTTP_HOST``, default 127.0.0.1: put a TLS proxy in front) and
serves ``/metrics`` there and on ``ADUAN_METRICS_PORT`` like every other process. A report is answered only after
the broker acknowledged it on the intake topic (``acks=all``, idempotent producer); if it does not, the answer is
503 and nothing was recorded. The routes and their schemas: :mod:`channels.openapi`.
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timezone
from typing import Callable

from aiohttp import web
from kafka import KafkaProducer

from aduan.domain.replies import accepted_text
from aduan.kernel import kafka_clients
from aduan.kernel.config import Settings
from aduan.kernel.serving import metrics, serve_until_stopped
from channels.bodies import FORM, JSON, MAX_BODY, Refusal, read_body
from channels.door import Door, Read, ignored
from channels.open311.keys import ApiKeys
from channels.open311.reading import RequestReader
from channels.open311.routes import Open311, add_routes
from channels.open311.routes import errors as open311_errors
from channels.openapi import MENTION_REQUEST, SMS_REQUEST, document
from channels.publishing import ReportPublisher, Unavailable
from channels.request_checks import FieldError, RequestChecks
from channels.sms import read_sms
from channels.social import read_mention
from channels.web import read_complaint

HOST_ENV = "ADUAN_HTTP_HOST"
_SMS_CHECKS = RequestChecks(SMS_REQUEST)
_MENTION_CHECKS = RequestChecks(MENTION_REQUEST)


def _errors(status: int, errors: list[FieldError]) -> web.Response:
    body = {"errors": [{"field": field, "code": code, "message": message} for field, code, message in errors]}
    return web.json_response(body, status=status)


def _refused(refusal: Refusal) -> web.Response:
    return _errors(refusal.status, [("body", refusal.code, refusal.message)])


class Channels:
    """The request handlers, around one door and one producer."""

    def __init__(self, door: Door, producer: KafkaProducer,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.door = door
        self.clock = clock
        self.reports = ReportPublisher(door, producer)

    async def complaints(self, request: web.Request) -> web.Response:
        """POST /api/v1/complaints."""
        try:
            payload = await read_body(request)
        except Refusal as refusal:
            return _refused(refusal)
        report, errors = read_complaint(payload, request.headers.get("Idempotency-Key"), self.clock(), self.door)
        if report is None:
            self.door.refused("WEB")
            return _errors(422, errors)
        receipt = await self.reports.publish(report)
        body = receipt.as_json() | {"status": "accepted", "message": accepted_text(receipt.tracking_id)}
        return web.json_response(body, status=202)

    async def sms(self, request: web.Request) -> web.Response:
        """POST /api/v1/sms/inbound."""
        try:
            payload = await read_body(request, allowed=(JSON, FORM))
        except Refusal as refusal:
            return _refused(refusal)
        errors = _SMS_CHECKS.field_errors(payload)
        if errors:
            return _errors(422, errors)
        read = read_sms(payload["from"], payload["text"], payload["message_id"], self.clock(), self.door)
        if read.report is None:
            ignored("SMS", read.reason or "invalid")
            return web.json_response({"reply": read.reply, "tracking_id": None})
        receipt = await self.reports.publish(read.report)
        return web.json_response({"reply": accepted_text(receipt.tracking_id), "tracking_id": receipt.tracking_id})

    async def mentions(self, request: web.Request) -> web.Response:
        """POST /api/v1/social/mentions."""
        try:
            payload = await read_body(request)
        except Refusal as refusal:
            return _refused(refusal)
        errors = _MENTION_CHECKS.field_errors(payload)
        if errors:
            return _errors(422, errors)
        read: Read = read_mention(payload, self.clock(), self.door)
        if read.report is None:
            ignored("SOCIAL_MEDIA", read.reason or "invalid")
            return web.json_response({"outcome": "ignored", "tracking_id": None, "reason": read.reason})
        receipt = await self.reports.publish(read.report)
        return web.json_response({"outcome": "accepted", "tracking_id": receipt.tracking_id, "reason": None},
                                 status=202)

    async def openapi(self, request: web.Request) -> web.Response:
        """GET /api/v1/openapi.json."""
        return web.json_response(document())

    async def health(self, request: web.Request) -> web.Response:
        """GET /healthz."""
        connected = self.reports.producer.metrics().get("producer-metrics", {}).get("connection-count", 0) > 0
        return web.json_response({"status": "ok" if connected else "degraded", "broker": connected},
                                 status=200 if connected else 503)


@web.middleware
async def _unavailable(request: web.Request, handler: Callable) -> web.StreamResponse:
    try:
        return await handler(request)
    except Unavailable:
        return _errors(503, [("body", "unavailable", "the report could not be recorded right now; nothing was "
                                                     "saved: retry later with the same idempotency key")])


def build_app(channels: Channels, reads: RequestReader | None = None, keys: ApiKeys | None = None
              ) -> web.Application:
    """The aiohttp application of every HTTP channel; Open311 reads with ``reads`` and admits ``keys``."""
    app = web.Application(client_max_size=MAX_BODY, middlewares=[_unavailable, open311_errors])
    app.router.add_post("/api/v1/complaints", channels.complaints)
    app.router.add_post("/api/v1/sms/inbound", channels.sms)
    app.router.add_post("/api/v1/social/mentions", channels.mentions)
    app.router.add_get("/api/v1/openapi.json", channels.openapi)
    app.router.add_get("/healthz", channels.health)
    app.router.add_get("/metrics", metrics)
    add_routes(app, Open311(channels.door, channels.reports, reads, keys or ApiKeys({}), channels.clock))
    return app


async def serve(settings: Settings) -> None:
    """Serve until SIGTERM or SIGINT, then finish the requests in flight and flush the producer."""
    loop = asyncio.get_running_loop()
    door = Door(settings)
    keys = ApiKeys.from_env()
    reads = RequestReader(settings) if settings.database_url else None
    # idempotent whatever ADUAN_PRODUCER_IDEMPOTENCE says: its producer id keeps a broker connection open, which
    # is what /healthz reports (a plain producer connects only at its first send)
    producer = kafka_clients.producer(settings, client_id="aduan-channels-http", enable_idempotence=True)
    await loop.run_in_executor(None, producer.partitions_for, door.topic)  # metadata before the first request
    channels = Channels(door, producer)
    host = os.environ.get(HOST_ENV) or "127.0.0.1"
    await serve_until_stopped(build_app(channels, reads, keys), "channels-http", host, settings.http_port, settings)
    if reads is not None:
        reads.close()
    await loop.run_in_executor(None, channels.reports.producer.close)


def run(settings: Settings) -> None:
    """The ``channels-http`` process."""
    asyncio.run(serve(settings))
