"""Bar charts drawn on the server as SVG geometry (the template writes the elements): no script, no CDN."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from portal.wording import Number, angka

WIDTH = 420  # of a horizontal chart, in SVG units (the page scales it to the screen)
ROW = 22  # height of one horizontal bar's row
LABEL_WIDTH = 195  # kept left of the bars for their labels
VALUE_WIDTH = 45  # kept right of the longest bar for its value
DAY_WIDTH = 12  # width of one day's column
LABEL_HEIGHT = 16  # below the columns, for the first and last day


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value as text, and its geometry in the chart's coordinates."""

    label: str
    value: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    """An SVG chart: its title (for screen readers too), viewBox size and bars."""

    title: str
    width: float
    height: float
    bars: list[Bar]
    horizontal: bool


def _text(value: Number | None) -> str:
    return "–" if value is None else angka(value, 0 if float(value).is_integer() else 2)


def horizontal(title: str, items: Sequence[tuple[str, Number | None]]) -> Chart:
    """One bar per item, longest for the largest value; a missing value draws no bar."""
    top = max((float(v) for _, v in items if v is not None), default=0.0) or 1.0
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = [Bar(label, _text(value), LABEL_WIDTH, i * ROW + 3, 0.0 if value is None else float(value) / top * span,
                ROW - 6) for i, (label, value) in enumerate(items)]
    return Chart(title, WIDTH, max(len(items), 1) * ROW, bars, True)


def columns(title: str, items: Sequence[tuple[str, int]], slots: int, height: float = 120) -> Chart:
    """One column per item (a day), the last at the right of ``slots`` places, tallest for the largest value."""
    top = max((v for _, v in items), default=0) or 1
    start = max(slots - len(items), 0)
    bars = [Bar(label, _text(value), (start + i) * DAY_WIDTH + 1, height - value / top * height, DAY_WIDTH - 2,
                value / top * height) for i, (label, value) in enumerate(items)]
    return Chart(title, max(slots, len(items)) * DAY_WIDTH, height + LABEL_HEIGHT, bars, False)
