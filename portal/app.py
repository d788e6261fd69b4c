"""The ``portal`` process: the public website, on ``ADUAN_PORTAL_PORT`` (default 8082, host ``ADUAN_PORTAL_HOST``).

``/`` home and live counters, ``/lapor`` submit a report, ``/lacak/{tracking_id}`` track it (and, with the reporter
token, add information, rate, reopen), ``/statistik`` statistics with tables and CSV, ``/laporan`` public reports.
Every error is a page in Indonesian with the right status; a post without the right CSRF token changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Awaitable, Callable

import jinja2
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from aduan.clients.command_sender import CommandSender
from aduan.domain.calendar import WIB
from aduan.domain.labels import EVENT_LABELS, STATUS_LABELS
from aduan.domain.regions import RegionLevel
from aduan.domain.tracking import normalise_tracking_id
from aduan.kernel import kafka_clients
from aduan.kernel.clock import Clock, clock_from_env
from aduan.kernel.config import Settings
from aduan.kernel.read_models import ReadModels
from aduan.kernel.serving import metrics, serve_until_stopped
from channels.door import Door
from channels.publishing import ReportPublisher, Unavailable
from channels.web import read_complaint
from portal import form, reads, reporter, statistics
from portal.csrf import FIELD, Csrf
from portal.metrics import PORTAL_REQUESTS
from portal.wording import REPORT_TYPES, STAGES, angka, persen, report_type
from projections.status import find_complaint, local_time

log = logging.getLogger(__name__)

PORT_ENV = "ADUAN_PORTAL_PORT"
HOST_ENV = "ADUAN_PORTAL_HOST"
DEFAULT_PORT = 8082
MAX_FORM = 64 * 1024
HERE = Path(__file__).resolve().parent
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
ERRORS = {
    400: ("Permintaan tidak valid", "Alamat atau isian tidak dapat dibaca. Periksa kembali lalu coba lagi."),
    403: ("Formulir tidak sah", "Token keamanan formulir salah atau kedaluwarsa. Muat ulang halaman lalu kirim "
                                "lagi; tidak ada yang tersimpan."),
    404: ("Tidak ditemukan", "Halaman atau laporan ini tidak ada."),
    405: ("Metode tidak diizinkan", "Halaman ini tidak menerima permintaan seperti itu."),
    413: ("Kiriman terlalu besar", f"Formulir paling besar {MAX_FORM // 1024} KiB; tidak ada yang tersimpan. "
                                   "Lampirkan berkas sebagai alamat (URL)."),
    415: ("Format tidak didukung", "Kirim formulir dari halaman portal ini."),
    500: ("Terjadi kesalahan", "Maaf, terjadi kesalahan pada server. Silakan coba lagi nanti."),
    503: ("Layanan sedang sibuk", "Laporan belum dapat dicatat; tidak ada yang tersimpan. Coba lagi sebentar lagi."),
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def portal_port() -> int:
    """The portal's port: ``ADUAN_PORTAL_PORT`` or 8082."""
    return int(os.environ.get(PORT_ENV) or DEFAULT_PORT)


def templates() -> jinja2.Environment:
    """The page templates, with the portal's Indonesian filters."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update(angka=angka, persen=persen, jenis=report_type, waktu=local_time,
                       status=lambda s: STATUS_LABELS.get(s, s), peristiwa=lambda e: EVENT_LABELS.get(e, e),
                       tahap=lambda s: STAGES.get(s, s))
    return env


class Portal:
    """The page handlers, around the read models, the intake door and the commands topic."""

    def __init__(self, settings: Settings, models: ReadModels, publisher: ReportPublisher, sender: CommandSender,
                 clock: Clock) -> None:
        self.settings = settings
        self.models = models
        self.publisher = publisher
        self.sender = sender
        self.clock = clock
        self.csrf = Csrf.from_settings(settings)
        self.pages = templates()
        self.regions = publisher.door.rules.regions
        self.categories = form.category_choices(list(publisher.door.rules.taxonomy))

    def page(self, request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
        """``template`` rendered as an HTML response carrying this request's CSRF token."""
        html = self.pages.get_template(template).render(csrf=self.csrf.token(request), csrf_field=FIELD,
                                                        path=request.path, **context)
        response = web.Response(text=html, status=status, content_type="text/html")
        response.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
        response.headers["X-Content-Type-Options"] = "nosniff"
        self.csrf.keep(request, response)
        return response

    def error(self, request: web.Request, status: int, detail: str | None = None) -> web.Response:
        """The error page of ``status``, with ``detail`` instead of the standard explanation."""
        title, text = ERRORS.get(status, ERRORS[500])
        return self.page(request, "galat.html", status, title=title, detail=detail or text)

    async def posted(self, request: web.Request) -> dict[str, str]:
        """The posted form's fields, once its type, size and CSRF token are right (else an HTTP error)."""
        if request.content_type not in FORM_TYPES:
            raise web.HTTPUnsupportedMediaType()
        try:
            posted = await request.post()
        except (ValueError, HttpProcessingError):  # not UTF-8, a broken multipart body: unreadable, nothing stored
            raise web.HTTPBadRequest() from None
        fields = {name: value for name, value in posted.items() if isinstance(value, str)}
        if not self.csrf.valid(request, fields.get(FIELD, "")):
            raise web.HTTPForbidden()
        return fields

    # --- home and reports ------------------------------------------------------------------------------------------

    async def home(self, request: web.Request) -> web.Response:
        """GET /."""
        month = self.clock.now().astimezone(WIB).date().replace(day=1)
        counters = await self.models.run(lambda conn: reads.counters(conn, month))
        return self.page(request, "beranda.html", counters=counters)

    async def reports(self, request: web.Request) -> web.Response:
        """GET /laporan?wilayah=74&kategori=health&status=RESOLVED&halaman=2."""
        query = request.query
        wanted = reads.ReportFilter(query.get("wilayah") or None, query.get("kategori") or None,
                                    query.get("status") or None)
        page = query.get("halaman", "1")
        problems = [text for bad, text in [
            (wanted.region is not None and not self.regions.is_valid(wanted.region), "Wilayah tidak dikenal."),
            (wanted.category is not None and wanted.category not in dict(self.categories), "Kategori tidak dikenal."),
            (wanted.status is not None and wanted.status not in STATUS_LABELS, "Status tidak dikenal."),
            (not page.isdecimal() or not 1 <= int(page) <= 10_000, "Nomor halaman tidak valid."),
        ] if bad]
        rows, more = ([], False) if problems else await self.models.run(
            lambda conn: reads.public_reports(conn, wanted, int(page)))
        return self.page(request, "laporan.html", 400 if problems else 200, rows=rows, more=more, wanted=wanted,
                         page=int(page) if page.isdecimal() else 1, problems=problems, categories=self.categories,
                         provinces=self.regions.at_level(RegionLevel.PROVINCE), statuses=STATUS_LABELS)

    # --- submit ----------------------------------------------------------------------------------------------------

    def submit_page(self, request: web.Request, values: dict[str, str], status: int = 200,
                    errors: dict[str, list[str]] | None = None, notice: str | None = None) -> web.Response:
        return self.page(request, "lapor.html", status, values=values, errors=errors or {}, notice=notice,
                         types=REPORT_TYPES, categories=self.categories, anchors=form.ANCHORS,
                         regions=form.region_choices(values, self.regions))

    async def submit_form(self, request: web.Request) -> web.Response:
        """GET /lapor: an empty form with a fresh idempotency key."""
        values = form.values_of({"jenis": "complaint", "kunci": uuid.uuid4().hex})
        return self.submit_page(request, values)

    async def submit(self, request: web.Request) -> web.Response:
        """POST /lapor: the report through the web door, or the form again with every error next to its field."""
        posted = await self.posted(request)
        values = form.values_of(posted)
        if posted.get("langkah") == "wilayah":  # without JavaScript: show the regencies/districts of the choice
            return self.submit_page(request, values)
        body, errors = form.request_body(values, self.regions)
        report, door_errors = read_complaint(body, None, self.clock.now(), self.publisher.door, indonesian=True)
        errors += door_errors
        if errors or report is None:
            self.publisher.door.refused("WEB")
            return self.submit_page(request, values, 422, form.field_messages(errors))
        try:
            receipt = await self.publisher.publish(report)
        except Unavailable:
            return self.submit_page(request, values, 503, notice=ERRORS[503][1])
        return self.page(request, "diterima.html", receipt=receipt)

    async def subregions(self, request: web.Request) -> web.Response:
        """GET /lapor/wilayah/{code}: the regions inside one, for the form's script."""
        code = request.match_info["code"]
        if not self.regions.is_valid(code):
            return web.json_response({"error": "wilayah tidak dikenal"}, status=404)
        return web.json_response([{"code": r.code, "name": r.name} for r in self.regions.children(code)])

    # --- track -----------------------------------------------------------------------------------------------------

    async def track_search(self, request: web.Request) -> web.Response:
        """GET /lacak (?id=... goes to the report's page)."""
        typed = request.query.get("id")
        if typed is None:
            return self.page(request, "lacak.html", typed="", problem=None)
        tracking_id = normalise_tracking_id(typed)
        if tracking_id is None:
            return self.page(request, "lacak.html", 400, typed=typed, problem=_BAD_ID)
        raise web.HTTPSeeOther(f"/lacak/{tracking_id}")

    async def track(self, request: web.Request, notice: tuple[bool, str] | None = None,
                    status: int = 200) -> web.Response:
        """GET /lacak/{tracking_id}: a confidential report and an unknown one get the same page."""
        typed = request.match_info["tracking_id"]
        tracking_id = normalise_tracking_id(typed)
        if tracking_id is None:
            return self.page(request, "lacak.html", 400, typed=typed, problem=_BAD_ID)
        if tracking_id != typed and request.method == "GET":
            raise web.HTTPMovedPermanently(f"/lacak/{tracking_id}")
        view = await self.models.run(lambda conn: find_complaint(conn, tracking_id))
        if view is None:
            return self.page(request, "lacak.html", 404, typed=tracking_id,
                             problem=f"Laporan {tracking_id} tidak ditemukan. Periksa kembali nomor lacak Anda.")
        return self.page(request, "status.html", status, c=view.complaint, timeline=view.timeline, notice=notice,
                         actions=reporter.ACTIONS, key=uuid.uuid4().hex)

    async def act(self, request: web.Request) -> web.Response:
        """POST /lacak/{tracking_id}/{aksi}: a reporter action with the reporter token."""
        fields = await self.posted(request)
        action = request.match_info["aksi"]
        tracking_id = normalise_tracking_id(request.match_info["tracking_id"])
        if action not in reporter.ACTIONS or tracking_id is None:
            raise web.HTTPNotFound()
        if await self.models.run(lambda conn: find_complaint(conn, tracking_id)) is None:
            return await self.track(request)
        loop = asyncio.get_running_loop()
        try:
            decided = await loop.run_in_executor(None, reporter.act, self.settings, self.sender, tracking_id,
                                                 action, fields, self.clock.now())
        except reporter.Refused as refused:
            return await self.track(request, (False, str(refused)), 422)
        accepted, text = reporter.outcome_text(decided)
        return await self.track(request, (accepted, text), 200 if accepted else 409)

    # --- statistics ------------------------------------------------------------------------------------------------

    async def statistics(self, request: web.Request) -> web.Response:
        """GET /statistik: by province, agency, category and day."""
        sections = await self.models.run(statistics.national)
        return self.page(request, "statistik.html", sections=sections, province=None)

    async def province(self, request: web.Request) -> web.Response:
        """GET /statistik/provinsi/{code}: by regency/city of one province, zeros included."""
        region = self.regions.find(request.match_info["code"])
        if region is None or region.level is not RegionLevel.PROVINCE:
            return self.error(request, 404, "Provinsi ini tidak dikenal: pilih dari daftar di halaman statistik.")
        sections = await self.models.run(lambda conn: statistics.by_regency(conn, region))
        return self.page(request, "statistik.html", sections=sections, province=region)

    async def csv(self, request: web.Request) -> web.Response:
        """GET /statistik/{name}.csv (and /statistik/provinsi/{code}.csv): a table as CSV."""
        name = request.match_info.get("name", "kabupaten")
        code = request.match_info.get("code")
        if code is not None:
            region = self.regions.find(code)
            if region is None or region.level is not RegionLevel.PROVINCE:
                raise web.HTTPNotFound()
        elif name not in statistics.DOWNLOADS:
            raise web.HTTPNotFound()
        text = await self.models.run(lambda conn: statistics.csv_text(conn, name, code))
        return web.Response(text=text, content_type="text/csv", charset="utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})

    async def health(self, request: web.Request) -> web.Response:
        """GET /healthz: 200 when the read models answer."""
        try:
            await self.models.run(lambda conn: reads.counters(conn, datetime.now().date()))
        except Exception as exc:  # any failure means the pages cannot be served
            return web.json_response({"status": "unavailable", "error": str(exc)}, status=503)
        return web.json_response({"status": "ok"})


_BAD_ID = ("Nomor lacak tidak valid: 10 huruf/angka seperti K7Q2M-9XH4D (tanpa huruf I, L, O, U). Periksa "
           "kembali SMS atau halaman tanda terima Anda.")


def _error_pages(portal: Portal) -> Callable:
    @web.middleware
    async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every error as an Indonesian page, never a stack trace; every answer counted by route."""
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                PORTAL_REQUESTS.labels(route=route, status=str(exc.status)).inc()
                raise
            response = portal.error(request, exc.status)
        except Exception:  # the log has the trace
            log.exception("portal page %s failed", request.path)
            response = portal.error(request, 500)
        PORTAL_REQUESTS.labels(route=route, status=str(response.status)).inc()
        return response
    return error_pages


def build_app(portal: Portal) -> web.Application:
    """The aiohttp application of the portal."""
    app = web.Application(client_max_size=MAX_FORM, middlewares=[_error_pages(portal)])
    routes = app.router
    routes.add_get("/", portal.home)
    routes.add_get("/lapor", portal.submit_form)
    routes.add_post("/lapor", portal.submit)
    routes.add_get("/lapor/wilayah/{code}", portal.subregions)
    routes.add_get("/lacak", portal.track_search)
    routes.add_get("/lacak/{tracking_id}", portal.track)
    routes.add_post("/lacak/{tracking_id}/{aksi}", portal.act)
    routes.add_get("/statistik", portal.statistics)
    routes.add_get("/statistik/provinsi/{code}.csv", portal.csv, name="regency-csv")
    routes.add_get("/statistik/provinsi/{code}", portal.province)
    routes.add_get("/statistik/{name}.csv", portal.csv)
    routes.add_get("/laporan", portal.reports)
    routes.add_get("/healthz", portal.health)
    routes.add_get("/metrics", metrics)
    routes.add_static("/static", HERE / "static")
    return app


async def serve(settings: Settings) -> None:
    """Serve until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    door = Door(settings)
    producer = kafka_clients.producer(settings, client_id="aduan-portal")
    await loop.run_in_executor(None, producer.partitions_for, door.topic)
    models, sender = ReadModels(settings), CommandSender(settings)
    portal = Portal(settings, models, ReportPublisher(door, producer), sender, clock_from_env())
    await serve_until_stopped(build_app(portal), "portal", os.environ.get(HOST_ENV) or "127.0.0.1", portal_port(),
                              settings)
    models.close()
    sender.close()
    await loop.run_in_executor(None, portal.publisher.producer.close)


def run(settings: Settings) -> None:
    """The ``portal`` process."""
    asyncio.run(serve(settings))
