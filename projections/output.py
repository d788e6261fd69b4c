"""Query results for people and programs: aligned tables, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any, Sequence

FORMATS = ("table", "csv", "json")


def json_value(value: Any) -> Any:
    """``value`` as JSON can hold it: decimals as numbers, dates and times in ISO 8601."""
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def render(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> str:
    """``rows`` as an aligned text table (numbers to the right), CSV, or a JSON list of objects."""
    if fmt == "json":
        return json.dumps([{c: json_value(v) for c, v in zip(columns, row)} for row in rows], indent=2,
                          ensure_ascii=False) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else json_value(v) for v in row] for row in rows])
        return buffer.getvalue()
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    cells = [list(columns)] + [["" if v is None else str(json_value(v)) for v in row] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    numeric = [all(isinstance(row[i], (int, float, Decimal)) or row[i] is None for row in rows) and bool(rows)
               for i in range(len(columns))]
    lines = ["  ".join(cell.rjust(w) if num else cell.ljust(w) for cell, w, num in zip(line, widths, numeric))
             .rstrip() for line in cells]
    return "\n".join(lines) + "\n"
