"""The Open311 handlers of ``channels-http`` (paths: :data:`ROUTES`). Every answer, errors included, comes in
the format of the resource's extension; a path under ``/open311/`` that matches nothing gets the spec's error
body too (JSON, the format being unknown)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, TypeVar

import psycopg2
import psycopg2.extensions
from aiohttp import web

from aduan.domain.replies import accepted_text
from channels.bodies import FORM, Refusal, read_body
from channels.door import Door
from channels.open311.formats import Open311Error, format_of, render, render_error
from channels.open311.keys import ApiKeys
from channels.open311.reading import (
    RequestReader,
    find_request,
    find_requests,
    parse_query,
)
from channels.open311.services import definition, services
from channels.open311.submission import CHANNEL, read_request
from channels.publishing import ReportPublisher, Unavailable

T = TypeVar("T")
PREFIX = "/open311/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-01T00:00:00+07:00"
DISCOVERY = f"{PREFIX}/discovery.{{format}}"
SERVICES = f"{PREFIX}/services.{{format}}"
SERVICE = f"{PREFIX}/services/{{service_code}}.{{format}}"
REQUESTS = f"{PREFIX}/requests.{{format}}"
REQUEST = f"{PREFIX}/requests/{{service_request_id}}.{{format}}"
TOKEN = f"{PREFIX}/tokens/{{token}}.{{format}}"


class Open311:
    """The Open311 API over one door (intake), one publisher and the read models."""

    def __init__(self, door: Door, reports: ReportPublisher, reads: RequestReader | None, keys: ApiKeys,
                 clock: Callable[[], datetime]) -> None:
        self.door = door
        self.reports = reports
        self.reads = reads
        self.keys = keys
        self.clock = clock

    async def discovery(self, request: web.Request) -> web.Response:
        """GET discovery: where this API is and what it speaks."""
        fmt = format_of(request.match_info["format"])
        return render(fmt, "discovery", {
            "changeset": CHANGESET,
            "contact": "Pengelola SP4N-LAPOR! di instansi Anda",
            "key_service": "Minta api_key kepada operator aduan (ADUAN_OPEN311_KEYS)",
            "endpoints": [{"specification": SPECIFICATION, "url": f"{request.scheme}://{request.host}{PREFIX}",
                           "changeset": CHANGESET, "type": "production",
                           "formats": ["application/json", "text/xml"]}],
        })

    async def services(self, request: web.Request) -> web.Response:
        """GET services: one per complaint category."""
        fmt = format_of(request.match_info["format"])
        return render(fmt, "services", services(self.door.rules.taxonomy))

    async def service(self, request: web.Request) -> web.Response:
        """GET services/{service_code}: its attributes."""
        fmt = format_of(request.match_info["format"])
        code = request.match_info["service_code"]
        found = definition(self.door.rules.taxonomy, code)
        if found is None:
            raise Open311Error(404, f"unknown service_code {code!r}: GET services lists them")
        return render(fmt, "service_definition", found)

    async def submit(self, request: web.Request) -> web.Response:
        """POST requests: a new report through the intake door; its tracking id at once."""
        fmt = format_of(request.match_info["format"])
        try:
            form = await read_body(request, allowed=(FORM,))
        except Refusal as refusal:
            raise Open311Error(refusal.status, refusal.message) from None
        client = self.keys.client(form.get("api_key"))
        if client is None:
            self.door.refused(CHANNEL)
            raise Open311Error(403, "api_key is missing or unknown: ask the operator for one")
        receipt = await self.reports.publish(read_request(form, client, self.clock(), self.door))
        return render(fmt, "service_requests", [{
            "service_request_id": receipt.tracking_id, "token": receipt.tracking_id,
            "service_notice": accepted_text(receipt.tracking_id), "account_id": None}])

    async def requests(self, request: web.Request) -> web.Response:
        """GET requests: public complaints, filtered."""
        fmt = format_of(request.match_info["format"])
        query = parse_query(request.query, self.clock())
        return render(fmt, "service_requests", await self._read(lambda conn: find_requests(conn, query)))

    async def request(self, request: web.Request) -> web.Response:
        """GET requests/{service_request_id}: one public complaint."""
        fmt = format_of(request.match_info["format"])
        return render(fmt, "service_requests", [await self._public(request.match_info["service_request_id"])])

    async def token(self, request: web.Request) -> web.Response:
        """GET tokens/{token}: the token is the tracking id; known once the request is in the read model."""
        fmt = format_of(request.match_info["format"])
        token = request.match_info["token"]
        found = await self._public(token)
        return render(fmt, "service_requests", [{"service_request_id": found["service_request_id"],
                                                 "token": token}])

    async def _public(self, tracking_id: str) -> dict[str, Any]:
        """The public request with this tracking id; 404 when there is none (yet) or it is confidential."""
        found = await self._read(lambda conn: find_request(conn, tracking_id))
        if found is None:
            raise Open311Error(404, f"no public request {tracking_id!r} (yet)")
        return found

    async def _read(self, query: Callable[[psycopg2.extensions.connection], T]) -> T:
        if self.reads is None:
            raise Open311Error(503, "no read models here: this channels-http has no database configured")
        try:
            return await self.reads.run(query)
        except (RuntimeError, psycopg2.Error) as exc:
            raise Open311Error(503, f"the read models are unavailable right now: {exc}") from exc


ROUTES = [("GET", DISCOVERY, "discovery"), ("GET", SERVICES, "services"), ("GET", SERVICE, "service"),
          ("POST", REQUESTS, "submit"), ("GET", REQUESTS, "requests"), ("GET", REQUEST, "request"),
          ("GET", TOKEN, "token")]


def add_routes(app: web.Application, api: Open311) -> None:
    """Route every Open311 path of :data:`ROUTES` to ``api``."""
    for method, path, name in ROUTES:
        app.router.add_route(method, path, getattr(api, name))


@web.middleware
async def errors(request: web.Request, handler: Callable) -> web.StreamResponse:
    """Open311 answers for Open311 paths: the spec's error body, in the resource's format where it is known."""
    if not request.path.startswith(PREFIX + "/"):
        return await handler(request)
    fmt = request.match_info.get("format") if request.match_info.get("format") in ("json", "xml") else "json"
    try:
        return await handler(request)
    except Open311Error as error:
        return render_error(fmt, error)
    except Unavailable:
        return render_error(fmt, Open311Error(503, "the request could not be recorded right now; nothing was saved: "
                                                   "retry later with the same fields"))
    except web.HTTPException as error:
        if error.status < 400:
            raise
        response = render_error(fmt, Open311Error(error.status, f"{error.reason}: see {PREFIX}/discovery.json"))
        if "Allow" in error.headers:
            response.headers["Allow"] = error.headers["Allow"]
        return response
