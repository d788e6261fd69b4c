"""Bulk import of historical reports from CSV (``aduan import csv PATH``).

The file is UTF-8 with a header line. Columns (only the first four are required; unknown columns are ignored):

=================  =====================================================================================
id                 the old system's report id: the channel message id (with ``--source``: ``SOURCE:id``)
received_at        ISO 8601; without a UTC offset read as WIB (UTC+07:00)
title, description the report
type               complaint | aspiration | information_request (or pengaduan | aspirasi |
                   permintaan_informasi); empty: complaint
category           category code, empty: uncategorised
region_code        official region code, empty: national triage
lat, lon           WGS84 position
address            where, in words
reporter_name, reporter_email, reporter_phone   the reporter (optional for historical reports)
anonymous, confidential   true/false (also 1/0, yes/no, ya/tidak); empty: false
=================  =====================================================================================

A row that breaks a rule is skipped and listed with its line number; the others are published. Imported reports
are never answered (no notification) and carry no reporter ref: their reporters cannot act on them.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

from channels.door import Door, Read

REQUIRED = ("id", "received_at", "title", "description")
WIB = timezone(timedelta(hours=7), "WIB")
TYPES = {"": "COMPLAINT", "complaint": "COMPLAINT", "pengaduan": "COMPLAINT", "aspiration": "ASPIRATION",
         "aspirasi": "ASPIRATION", "information_request": "INFORMATION_REQUEST",
         "permintaan_informasi": "INFORMATION_REQUEST", "permintaan informasi": "INFORMATION_REQUEST"}
TRUE, FALSE = {"true", "1", "yes", "ya", "y"}, {"", "false", "0", "no", "tidak", "n"}


class RowError(ValueError):
    """A CSV value that cannot be read."""


def read_row(row: dict[str, str], door: Door, source: str = "") -> Read:
    """The report in one CSV row, or why it is skipped."""
    try:
        fields = _fields(row)
    except RowError as exc:
        return Read(reason=str(exc))
    row_id = (row.get("id") or "").strip()
    message_id = f"{source}:{row_id}" if source and row_id else row_id
    report = door.report(channel="BULK_IMPORT", message_id=message_id, **fields)
    problems = door.problems(report)
    if problems:
        return Read(reason="; ".join(f"{p.field}: {p.message}" for p in problems))
    return Read(report=report)


def _fields(row: dict[str, str]) -> dict[str, Any]:
    value = {name: (text or "").strip() for name, text in row.items() if name}
    kind = value.get("type", "").lower()
    if kind not in TYPES:
        raise RowError(f"type {kind!r} is not one of complaint, aspiration, information_request")
    lat, lon = value.get("lat", ""), value.get("lon", "")
    return {
        "received_at": _moment(value["received_at"]),
        "report_type": TYPES[kind],
        "title": value["title"],
        "description": value["description"],
        "category": value.get("category") or None,
        "region_code": value.get("region_code") or None,
        "coordinates": {"lat": _number("lat", lat), "lon": _number("lon", lon)} if lat or lon else None,
        "address": value.get("address") or None,
        "anonymous": _flag("anonymous", value.get("anonymous", "")),
        "confidential": _flag("confidential", value.get("confidential", "")),
        "reporter": {"name": value.get("reporter_name"), "email": value.get("reporter_email"),
                     "phone": value.get("reporter_phone")},
    }


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RowError(f"received_at {text!r} is not an ISO 8601 time such as 2024-05-02T09:30:00+07:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=WIB)


def _number(name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise RowError(f"{name} {text!r} is not a number") from None


def _flag(name: str, text: str) -> bool:
    if text.lower() in TRUE:
        return True
    if text.lower() in FALSE:
        return False
    raise RowError(f"{name} {text!r} is not true or false")


def csv_reads(path: Path, door: Door, source: str = "") -> tuple[int, Iterator[tuple[int, str, Read]]]:
    """``(file size, (bytes read, 'line N (id X)', read) per row)``; raises ValueError for a missing column."""
    size = path.stat().st_size
    raw = path.open("rb")
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    rows = csv.DictReader(text)
    missing = [name for name in REQUIRED if name not in (rows.fieldnames or [])]
    if missing:
        raw.close()
        raise ValueError(f"{path}: the header lacks the column(s) {', '.join(missing)}; required: "
                         f"{', '.join(REQUIRED)}")

    def reads() -> Iterator[tuple[int, str, Read]]:
        with raw:
            for row in rows:
                label = f"line {rows.line_num} (id {(row.get('id') or '').strip() or '?'})"
                yield raw.tell(), label, read_row(row, door, source)

    return size, reads()
