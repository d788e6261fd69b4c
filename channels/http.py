"""``channels-http``: the web/app API, the SMS 1708 gateway hook and the social media hook, in one aiohttp process.

It listens on ``ADUAN_HTTP_PORT`` (host ``ADUAN_HTTP_HOST``, default 127.0.0.1: put a TLS proxy in front) and
serves ``/metrics`` there and on ``ADUAN_METRICS_PORT`` like every other process. A report is answered only after
the broker acknowledged it on the intake topic (``acks=all``, idempotent producer); if it does not, the answer is
503 and nothing was recorded. The routes and their schemas: :mod:`channels.openapi`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from datetime import datetime, timezone
from typing import Any, Callable

from aiohttp import web
from kafka import KafkaProducer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from aduan import kafka
from aduan.config import Settings
from aduan.metrics import metrics_host
from channels.door import Door, Read, Receipt, ignored
from channels.jsonschema import FieldError, field_errors
from channels.notifications import accepted_text
from channels.openapi import MENTION_REQUEST, SMS_REQUEST, document
from channels.sms import read_sms
from channels.social import read_mention
from channels.web import read_complaint

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
PUBLISH_TIMEOUT = 30.0
HOST_ENV = "ADUAN_HTTP_HOST"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


class Unavailable(Exception):
    """The broker did not acknowledge a report in time."""


def _errors(status: int, errors: list[FieldError]) -> web.Response:
    body = {"errors": [{"field": field, "code": code, "message": message} for field, code, message in errors]}
    return web.json_response(body, status=status)


class _Refusal(Exception):
    """A request refused before its fields are read (wrong content type, too large, not JSON)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.response = _errors(status, [("body", code, message)])


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


async def _body(request: web.Request, *, form: bool = False) -> Any:
    """The parsed body: JSON (or, where ``form``, a url-encoded form as a dict of strings)."""
    allowed = (JSON, FORM) if form else (JSON,)
    if request.content_type not in allowed:
        raise _Refusal(415, "content_type", f"send the body as {' or '.join(allowed)}, not {request.content_type}")
    try:
        if request.content_type == FORM:
            return {name: str(value) for name, value in (await request.post()).items()}
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise _Refusal(413, "too_large", f"the body is larger than {MAX_BODY // 1024} KiB") from None
    try:
        return json.loads(raw, parse_constant=_no_constants)
    except ValueError as exc:
        raise _Refusal(400, "bad_json", f"the body is not valid JSON: {exc}") from None


class Channels:
    """The request handlers, around one door and one producer."""

    def __init__(self, door: Door, producer: KafkaProducer,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.door = door
        self.producer = producer
        self.clock = clock

    async def _publish(self, report: dict[str, Any]) -> Receipt:
        key, value = self.door.message(report)
        loop = asyncio.get_running_loop()
        done: asyncio.Future = loop.create_future()

        def settle(outcome: Any, failed: bool) -> None:
            if not done.done():
                (done.set_exception if failed else done.set_result)(outcome)

        try:
            future = self.producer.send(self.door.topic, key=key, value=value)
        except Exception as exc:  # metadata or buffer timeouts: the broker is not reachable
            raise Unavailable(repr(exc)) from exc
        future.add_callback(lambda metadata: loop.call_soon_threadsafe(settle, metadata, False))
        future.add_errback(lambda exc: loop.call_soon_threadsafe(settle, Unavailable(repr(exc)), True))
        try:
            await asyncio.wait_for(done, PUBLISH_TIMEOUT)
        except (TimeoutError, Unavailable) as exc:
            log.error("the broker did not acknowledge report %s: %r", key.decode(), exc)
            raise Unavailable(str(exc)) from exc
        self.door.published(report)
        return self.door.receipt(report)

    async def complaints(self, request: web.Request) -> web.Response:
        """POST /api/v1/complaints."""
        try:
            payload = await _body(request)
        except _Refusal as refusal:
            return refusal.response
        report, errors = read_complaint(payload, request.headers.get("Idempotency-Key"), self.clock(), self.door)
        if report is None:
            self.door.refused("WEB")
            return _errors(422, errors)
        receipt = await self._publish(report)
        body = receipt.as_json() | {"status": "accepted", "message": accepted_text(receipt.tracking_id)}
        return web.json_response(body, status=202)

    async def sms(self, request: web.Request) -> web.Response:
        """POST /api/v1/sms/inbound."""
        try:
            payload = await _body(request, form=True)
        except _Refusal as refusal:
            return refusal.response
        errors = field_errors(SMS_REQUEST, payload)
        if errors:
            return _errors(422, errors)
        read = read_sms(payload["from"], payload["text"], payload["message_id"], self.clock(), self.door)
        if read.report is None:
            ignored("SMS", read.reason or "invalid")
            return web.json_response({"reply": read.reply, "tracking_id": None})
        receipt = await self._publish(read.report)
        return web.json_response({"reply": accepted_text(receipt.tracking_id), "tracking_id": receipt.tracking_id})

    async def mentions(self, request: web.Request) -> web.Response:
        """POST /api/v1/social/mentions."""
        try:
            payload = await _body(request)
        except _Refusal as refusal:
            return refusal.response
        errors = field_errors(MENTION_REQUEST, payload)
        if errors:
            return _errors(422, errors)
        read: Read = read_mention(payload, self.clock(), self.door)
        if read.report is None:
            ignored("SOCIAL_MEDIA", read.reason or "invalid")
            return web.json_response({"outcome": "ignored", "tracking_id": None, "reason": read.reason})
        receipt = await self._publish(read.report)
        return web.json_response({"outcome": "accepted", "tracking_id": receipt.tracking_id, "reason": None},
                                 status=202)

    async def openapi(self, request: web.Request) -> web.Response:
        """GET /api/v1/openapi.json."""
        return web.json_response(document())

    async def health(self, request: web.Request) -> web.Response:
        """GET /healthz."""
        connected = self.producer.metrics().get("producer-metrics", {}).get("connection-count", 0) > 0
        return web.json_response({"status": "ok" if connected else "degraded", "broker": connected},
                                 status=200 if connected else 503)


async def metrics(request: web.Request) -> web.Response:
    """GET /metrics."""
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


@web.middleware
async def _unavailable(request: web.Request, handler: Callable) -> web.StreamResponse:
    try:
        return await handler(request)
    except Unavailable:
        return _errors(503, [("body", "unavailable", "the report could not be recorded right now; nothing was "
                                                     "saved: retry later with the same idempotency key")])


def build_app(channels: Channels) -> web.Application:
    """The aiohttp application of every HTTP channel."""
    app = web.Application(client_max_size=MAX_BODY, middlewares=[_unavailable])
    app.router.add_post("/api/v1/complaints", channels.complaints)
    app.router.add_post("/api/v1/sms/inbound", channels.sms)
    app.router.add_post("/api/v1/social/mentions", channels.mentions)
    app.router.add_get("/api/v1/openapi.json", channels.openapi)
    app.router.add_get("/healthz", channels.health)
    app.router.add_get("/metrics", metrics)
    return app


async def serve(settings: Settings) -> None:
    """Serve until SIGTERM or SIGINT, then finish the requests in flight and flush the producer."""
    loop = asyncio.get_running_loop()
    door = Door(settings)
    # idempotent whatever ADUAN_PRODUCER_IDEMPOTENCE says: its producer id keeps a broker connection open, which
    # is what /healthz reports (a plain producer connects only at its first send)
    producer = kafka.producer(settings, client_id="aduan-channels-http", enable_idempotence=True)
    await loop.run_in_executor(None, producer.partitions_for, door.topic)  # metadata before the first request
    runners = [web.AppRunner(build_app(Channels(door, producer)))]
    host = os.environ.get(HOST_ENV) or "127.0.0.1"
    await runners[0].setup()
    await web.TCPSite(runners[0], host, settings.http_port).start()
    if settings.metrics_port != settings.http_port:
        metrics_app = web.Application()
        metrics_app.router.add_get("/metrics", metrics)
        runners.append(web.AppRunner(metrics_app))
        await runners[1].setup()
        await web.TCPSite(runners[1], metrics_host(), settings.metrics_port).start()
    log.info("channels-http listening on http://%s:%d (metrics also on :%d)", host, settings.http_port,
                settings.metrics_port)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    for runner in runners:
        await runner.cleanup()
    await loop.run_in_executor(None, producer.close)


def run(settings: Settings) -> None:
    """The ``channels-http`` process."""
    asyncio.run(serve(settings))
