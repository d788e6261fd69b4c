"""One complaint as its reporter may see it (``aduan status``, ``GET /api/v1/status/{tracking_id}``): the public
fields and the timeline, with Indonesian wording for people.

The public view never shows a confidential (rahasia) report, so for one of those the answer is "not found",
exactly as for a tracking id that does not exist: nobody can learn from the answer that such a report exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg2.extensions
import psycopg2.extras

from aduan.domain.calendar import PROVINCE_TIMEZONES, WIB, WIT, WITA
from aduan.domain.labels import EVENT_LABELS, STATUS_LABELS
from projections.output import json_value
from projections.schema import SCHEMA

_ZONE_NAMES = {WIB: "WIB", WITA: "WITA", WIT: "WIT"}


@dataclass(frozen=True)
class ComplaintView:
    """A complaint's row of a status view and its timeline, oldest event first."""

    complaint: dict[str, Any]
    timeline: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: timestamps in ISO 8601 (UTC), Indonesian labels added."""
        complaint = {k: json_value(v) for k, v in self.complaint.items()}
        complaint["status_label"] = STATUS_LABELS.get(self.complaint["status"], self.complaint["status"])
        timeline = [{**{k: json_value(v) for k, v in entry.items()},
                     "label": EVENT_LABELS.get(entry["event"], entry["event"])} for entry in self.timeline]
        return {"complaint": complaint, "timeline": timeline}


def find_complaint(conn: psycopg2.extensions.connection, tracking_id: str, *,
                   internal: bool = False) -> ComplaintView | None:
    """The complaint with ``tracking_id`` in the public view (internal: every report, every field), or None."""
    audience = "internal" if internal else "public"
    order = "log_offset" if internal else "position"
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(f"SELECT * FROM {SCHEMA}.{audience}_complaint_status WHERE tracking_id = %s "
                    "ORDER BY submitted_at DESC LIMIT 1", (tracking_id,))
        complaint = cur.fetchone()
        if complaint is None:
            return None
        cur.execute(f"SELECT * FROM {SCHEMA}.{audience}_complaint_timeline WHERE tracking_id = %s ORDER BY {order}",
                    (tracking_id,))
        timeline = cur.fetchall()
    return ComplaintView(dict(complaint), [dict(entry) for entry in timeline])


def render_text(view: ComplaintView) -> str:
    """The complaint for a person: status, where it is, the deadline, then the timeline in local time."""
    c = view.complaint
    when = lambda moment: local_time(moment, c.get("province_code"))  # noqa: E731
    place = ", ".join(p for p in (c.get("regency_name") or c.get("region_name"), c.get("province_name")) if p)
    lines = [
        f"Laporan #{c['tracking_id']}: {c['title']}",
        f"Status      : {STATUS_LABELS.get(c['status'], c['status'])} ({c['status']})",
        f"Jenis       : {c['report_type']}   Kanal: {c['channel']}",
        f"Kategori    : {c.get('category_name') or c.get('category') or 'belum dikategorikan'}",
        f"Wilayah     : {place or c['region_code'] or 'belum ditentukan'}",
    ]
    if c.get("agency"):
        lines.append(f"Instansi    : {c.get('agency_name') or c['agency']} ({c['agency']})")
    if c.get("deadline_due_at"):
        passed = " - terlampaui" if c.get("deadline_breached") else ""
        lines.append(f"Batas waktu : {c['deadline_stage']} {when(c['deadline_due_at'])}{passed}")
    if c.get("rating") is not None:
        lines.append(f"Penilaian   : {c['rating']}/5")
    lines.append("Riwayat:")
    for entry in view.timeline:
        label = EVENT_LABELS.get(entry["event"], entry["event"])
        stage = f" ({entry['stage']})" if entry.get("stage") else ""
        who = f" [{entry['agency']}]" if entry.get("agency") else ""
        detail = f": {entry['detail']}" if entry.get("detail") else ""
        lines.append(f"  {when(entry['occurred_at'])}  {label}{stage}{who}{detail}")
    return "\n".join(lines) + "\n"


def local_time(moment: datetime, province_code: str | None) -> str:
    """``moment`` in the time zone of the province (WIB where unknown): ``2026-03-02 09:00 WITA``."""
    zone = PROVINCE_TIMEZONES.get(province_code or "", WIB)
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} {_ZONE_NAMES.get(zone, '')}".rstrip()

