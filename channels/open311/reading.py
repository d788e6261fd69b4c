"""``GET requests`` and ``GET requests/{id}`` over the public read model (``projection.public_complaint_status``):
every complaint that is not confidential, from any channel, and never a reporter's identity (no reporter field is
read at all). ``service_request_id`` is the tracking id.

- ``status``: ``closed`` once closed, rejected or withdrawn, else ``open`` (a resolved complaint may still be
  answered or reopened until it closes); ``status_notes`` says aduan's own status in Indonesian;
  ``agency_responsible`` is the agency of the current disposition; ``service_notice`` says which stage's
  deadline runs and ``expected_datetime`` is that deadline (open only; known from the moment the stage's clock
  starts, empty while the agency waits for the reporter);
- times are ISO 8601 with the offset of the region's own time zone (WIB +07:00, WITA +08:00, WIT +09:00);
- ``media_url`` is the first file the reporter attached (to the report or to an addition), else null.

Filters: ``service_request_id`` (comma-separated; the other filters are then ignored), ``service_code``,
``status`` and, an aduan extension for agencies pulling their own, ``agency`` (agency codes of the directory;
all comma-separated), ``start_date`` / ``end_date`` (ISO 8601 with an offset, on ``requested_datetime``;
neither means the last 90 days), ``page`` (from 1) and ``page_size`` (1-1000, default 100); newest first.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping, TypeVar

import psycopg2.extensions
import psycopg2.extras

from aduan.domain.calendar import PROVINCE_TIMEZONES, WIB
from aduan.domain.labels import STATUS_LABELS
from aduan.kernel.config import Settings
from aduan.kernel.read_models import SCHEMA, ReadModels
from channels.open311.formats import Open311Error

T = TypeVar("T")
CLOSED = ("CLOSED", "REJECTED", "WITHDRAWN")
DEFAULT_WINDOW = timedelta(days=90)
PAGE_SIZE, PAGE_SIZE_MAX = 100, 1000
STAGE_NOTICES = {
    "VERIFICATION": "Menunggu verifikasi admin",
    "FIRST_RESPONSE": "Menunggu tanggapan pertama instansi",
    "FOLLOW_UP": "Menunggu tindak lanjut instansi",
    "CLOSURE": "Ditutup otomatis bila pelapor tidak menanggapi tindak lanjut",
}
# An unencoded "+" of an offset arrives as a space: ...T08:00:00 07:00.
_PLUS_AS_SPACE = re.compile(r" (\d\d:?\d\d)$")
_COLUMNS = ("tracking_id, status, category, category_name, description, agency_name, address, latitude, "
            "longitude, attachment_urls, province_code, submitted_at, last_event_at, deadline_stage, "
            "deadline_due_at, deadline_breached")


@dataclass(frozen=True)
class Query:
    """The filters of one ``GET requests``."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    page: int = 1
    page_size: int = PAGE_SIZE


def parse_query(params: Mapping[str, str], now: datetime) -> Query:
    """The filters in the query string; :class:`Open311Error` (400) names every malformed one."""
    errors: list[str] = []
    statuses = _list(params.get("status"))
    if not set(statuses) <= {"open", "closed"}:
        errors.append(f"status: {','.join(statuses)!r}: use open, closed or open,closed")
    start, end = _date(params, "start_date", errors), _date(params, "end_date", errors)
    if start is None and end is None and not errors:
        start, end = now - DEFAULT_WINDOW, now
    if start and end and start > end:
        errors.append("start_date is after end_date")
    page = _integer(params, "page", 1, 1, 1_000_000, errors)
    page_size = _integer(params, "page_size", PAGE_SIZE, 1, PAGE_SIZE_MAX, errors)
    if errors:
        raise Open311Error(400, *errors)
    return Query(_list(params.get("service_request_id")), _list(params.get("service_code")),
                 _list(params.get("agency")), statuses, start, end, page, page_size)


def find_requests(conn: psycopg2.extensions.connection, query: Query) -> list[dict[str, Any]]:
    """The Open311 requests matching ``query``, newest first."""
    where, args = ["TRUE"], []
    if query.ids:
        where.append("tracking_id = ANY(%s)")
        args.append(list(query.ids))
    else:
        for column, values in (("category", query.service_codes), ("agency", query.agencies)):
            if values:
                where.append(f"{column} = ANY(%s)")
                args.append(list(values))
        if set(query.statuses) == {"closed"}:
            where.append("status = ANY(%s)")
            args.append(list(CLOSED))
        elif set(query.statuses) == {"open"}:
            where.append("NOT status = ANY(%s)")
            args.append(list(CLOSED))
        for bound, operator in ((query.start, ">="), (query.end, "<=")):
            if bound is not None:
                where.append(f"submitted_at {operator} %s")
                args.append(bound)
    args += [query.page_size, (query.page - 1) * query.page_size]
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(f"SELECT {_COLUMNS} "
                    f"FROM {SCHEMA}.public_complaint_status WHERE {' AND '.join(where)} "
                    "ORDER BY submitted_at DESC, tracking_id LIMIT %s OFFSET %s", args)
        return [as_request(row) for row in cur.fetchall()]


def find_request(conn: psycopg2.extensions.connection, tracking_id: str) -> dict[str, Any] | None:
    """The Open311 request with this tracking id, None when there is none or it is confidential."""
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM {SCHEMA}.public_complaint_status WHERE tracking_id = %s "
                    "ORDER BY submitted_at DESC LIMIT 1", (tracking_id,))
        row = cur.fetchone()
    return None if row is None else as_request(row)


def as_request(row: Mapping[str, Any]) -> dict[str, Any]:
    """One row of the public status view as an Open311 service request."""
    zone = PROVINCE_TIMEZONES.get(row["province_code"] or "", WIB)
    local = lambda moment: moment.astimezone(zone).isoformat(timespec="seconds") if moment else None  # noqa: E731
    is_open = row["status"] not in CLOSED
    notice = STAGE_NOTICES.get(row["deadline_stage"] or "") if is_open else None
    if notice and row["deadline_breached"]:
        notice += " (batas waktu terlampaui)"
    return {
        "service_request_id": row["tracking_id"],
        "status": "open" if is_open else "closed",
        "status_notes": STATUS_LABELS.get(row["status"], row["status"]),
        "service_name": row["category_name"],
        "service_code": row["category"],
        "description": row["description"],
        "agency_responsible": row["agency_name"],
        "service_notice": notice,
        "requested_datetime": local(row["submitted_at"]),
        "updated_datetime": local(row["last_event_at"]),
        "expected_datetime": local(row["deadline_due_at"]) if is_open else None,
        "address": row["address"],
        "address_id": None,
        "zipcode": None,
        "lat": row["latitude"],
        "long": row["longitude"],
        "media_url": next(iter(row["attachment_urls"]), None),
    }


class RequestReader:
    """Runs read-model queries; the connection pool opens on first use, so ``channels-http`` starts (and takes
    reports) while PostgreSQL is down."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._models: ReadModels | None = None
        self._opening = asyncio.Lock()

    async def run(self, query: Callable[[psycopg2.extensions.connection], T]) -> T:
        """``query(conn)`` on a pooled connection (see :class:`aduan.kernel.read_models.ReadModels`)."""
        async with self._opening:
            if self._models is None:
                self._models = await asyncio.get_running_loop().run_in_executor(None, ReadModels, self.settings)
        return await self._models.run(query)

    def close(self) -> None:
        if self._models is not None:
            self._models.close()


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def _date(params: Mapping[str, str], name: str, errors: list[str]) -> datetime | None:
    text = params.get(name)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(_PLUS_AS_SPACE.sub(r"+\1", text))
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        errors.append(f"{name}: {text!r} is not an ISO 8601 date-time with an offset, e.g. 2026-12-01T08:00:00+07:00")
        return None
    return moment.astimezone(timezone.utc)


def _integer(params: Mapping[str, str], name: str, default: int, low: int, high: int, errors: list[str]) -> int:
    text = params.get(name)
    if text is None:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        errors.append(f"{name}: {text!r} is not a whole number from {low} to {high}")
        return default
    return int(text)
