"""Rows in PostgreSQL's COPY text format, and bulk loading with ``COPY ... FROM STDIN``.

Values: ``None`` -> ``\\N``; text escaped (backslash, tab, newline, carriage return); timestamps given as integer
milliseconds since the epoch (UTC); lists as text arrays; JSON as text. :mod:`projections.tables` builds whole
lines.
"""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Iterable, Sequence

import psycopg2.extensions

NULL = "\\N"
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MINUTES_KEPT = 500_000
_minutes: dict[int, str] = {}  # minute since the epoch -> "YYYY-MM-DD HH:MM:"


def text(value: object) -> str:
    """A text value."""
    if value is None:
        return NULL
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def timestamp(millis: object) -> str:
    """A ``timestamptz`` value from milliseconds since the epoch (UTC)."""
    if millis is None:
        return NULL
    minute, rest = divmod(millis, 60_000)  # type: ignore[call-overload]
    prefix = _minutes.get(minute)
    if prefix is None:
        if len(_minutes) > _MINUTES_KEPT:
            _minutes.clear()
        days, minutes = divmod(minute, 1440)
        prefix = _minutes[minute] = (f"{date.fromordinal(_EPOCH_ORDINAL + days).isoformat()} "
                                     f"{minutes // 60:02d}:{minutes % 60:02d}:")
    seconds, millis = divmod(rest, 1000)
    return f"{prefix}{seconds:02d}.{millis:03d}+00"


def text_array(values: list[str] | None) -> str:
    """A ``text[]`` value from a list of strings."""
    if values is None:
        return NULL
    items = ",".join('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return text("{" + items + "}")


def json_text(value: object) -> str:
    """A ``jsonb`` value from JSON-ready data."""
    if value is None:
        return NULL
    return text(json.dumps(value, separators=(",", ":")))


def copy_lines(cur: psycopg2.extensions.cursor, table: str, columns: Sequence[str], lines: Iterable[str]) -> None:
    """``COPY table (columns) FROM STDIN`` with ready-made lines."""
    buffer = io.StringIO("".join(lines))
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer, size=1 << 20)
