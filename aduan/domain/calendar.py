"""Indonesia's working-day calendar, counted in the local time zone of a complaint's region.

Rules (what every deadline in aduan is computed with):

* A **working day** is Monday to Friday, unless it is a national public holiday or a collective leave day
  (*cuti bersama*). Holidays come from the ``holidays`` package (country ``ID``, categories ``public`` and
  ``government``; the latter holds the cuti bersama the package knows), then the operator-edited
  ``aduan/data/holidays_override.yaml`` adds dates (newly announced cuti bersama) and removes dates.
* Days are the **local days of the complaint's region**: WIB (Asia/Jakarta, UTC+7), WITA (Asia/Makassar,
  UTC+8) or WIT (Asia/Jayapura, UTC+9), chosen by the province part of the official region code
  (``74.04.11`` -> province ``74`` Sulawesi Tenggara -> WITA). An unknown code raises ``ValueError``.
* **Working time** is the whole of every working day, local midnight to local midnight (office hours are not
  modelled: a deadline is the end of a day).
* ``add_working_days(start, n, region)``: the start's own local day never counts, whatever the hour; day 1 is
  the first working day after it (so a start on a Saturday has Monday as day 1, the same as a start on
  Friday). The deadline is the last millisecond, 23:59:59.999 local time, of the n-th day. A deadline is
  inclusive: something done at ``due`` is on time, anything later is late.
* ``count_start(start, region)`` is the local midnight that ends the start's day: working time counted
  against a deadline begins there, so a pause inside the start day moves nothing.
* Every datetime taken must be timezone-aware (naive ones raise ``ValueError``); every datetime returned is
  aware and in UTC.

Usage::

    calendar = WorkingCalendar.load()           # package holidays + the shipped override file
    due = calendar.add_working_days(submitted_at, 3, "74.04")
    paused = calendar.working_time_between(paused_at, resumed_at, "74.04")
    due = calendar.extend(due, paused, "74.04")  # the deadline moves by the paused working time
    calendar.version                             # record it on events: which calendar computed a deadline
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import yaml

from aduan.domain.directory_data import PACKAGED
from aduan.domain.regions import load_regions

DEFAULT_OVERRIDE_PATH = PACKAGED / "holidays_override.yaml"

HOLIDAY_CATEGORIES = ("public", "government")

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")

_PROVINCES_BY_ZONE: dict[ZoneInfo, tuple[str, ...]] = {
    # Sumatra, Riau Islands, Bangka Belitung, Java, Banten, West and Central Kalimantan
    WIB: ("11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35", "36", "61", "62"),
    # Bali, the Nusa Tenggaras, South, East and North Kalimantan, all of Sulawesi
    WITA: ("51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"),
    # Maluku, North Maluku and every Papua province
    WIT: ("81", "82", "91", "92", "93", "94", "95", "96"),
}
PROVINCE_TIMEZONES: Mapping[str, ZoneInfo] = MappingProxyType(
    {province: zone for zone, provinces in _PROVINCES_BY_ZONE.items() for province in provinces}
)

_ONE_DAY = timedelta(days=1)
_LAST_MILLISECOND = timedelta(milliseconds=1)


def require_aware(value: datetime, what: str) -> datetime:
    """``value`` in UTC; raises ``ValueError`` for a naive datetime, ``TypeError`` for anything else."""
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{what} is a naive datetime ({value.isoformat()}): pass a timezone-aware one, "
            "e.g. datetime.now(timezone.utc)"
        )
    return value.astimezone(timezone.utc)


class OverrideError(ValueError):
    """The holiday override file has a bad entry; the message names the file and the entry."""


@dataclass(frozen=True)
class HolidayOverrides:
    """Operator edits to the package's holidays: dates added (with names) and dates removed."""

    version: str
    added: Mapping[date, str]
    removed: frozenset[date]
    digest: str

    @classmethod
    def load(cls, path: Path = DEFAULT_OVERRIDE_PATH) -> HolidayOverrides:
        """Read and check an override file."""
        return cls.parse(path.read_text(encoding="utf-8"), source=str(path))

    @classmethod
    def parse(cls, text: str, source: str = "<override>") -> HolidayOverrides:
        """Check override YAML: ``version``, ``add: [{date, name}]``, ``remove: [{date, reason}]``."""
        try:
            data = yaml.load(text, Loader=_DatesAsTextLoader) or {}
        except yaml.YAMLError as exc:
            raise OverrideError(f"{source}: not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise OverrideError(f"{source}: expected a mapping with version, add and remove")
        unknown = set(data) - {"version", "add", "remove"}
        if unknown:
            raise OverrideError(f"{source}: unknown keys {sorted(unknown)}; allowed are version, add, remove")
        version = data.get("version")
        if not isinstance(version, str) or not version.strip():
            raise OverrideError(f'{source}: set a non-empty string version, e.g. version: "2025.1"')
        added = dict(_entries(data, "add", "name", source))
        removed = frozenset(day for day, _ in _entries(data, "remove", "reason", source))
        both = sorted(added.keys() & removed)
        if both:
            raise OverrideError(f"{source}: {both[0].isoformat()} is both added and removed; keep one of the two")
        return cls(
            version=version.strip(),
            added=MappingProxyType(added),
            removed=removed,
            digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        )


def _entries(data: dict[str, Any], key: str, label: str, source: str) -> Iterator[tuple[date, str]]:
    """The (date, text) pairs of the list ``data[key]``, each entry a mapping with ``date`` and ``label``."""
    entries = data.get(key) or []
    if not isinstance(entries, list):
        raise OverrideError(f"{source}: {key} must be a list of entries with date and {label}")
    seen: set[date] = set()
    for index, entry in enumerate(entries):
        where = f"{source}: {key}[{index}]"
        if not isinstance(entry, dict) or set(entry) != {"date", label}:
            raise OverrideError(f"{where}: write it as {{date: YYYY-MM-DD, {label}: ...}}, got {entry!r}")
        day = _as_date(entry["date"], where)
        text = entry[label]
        if not isinstance(text, str) or not text.strip():
            raise OverrideError(f"{where}: {label} must be a non-empty text")
        if day in seen:
            raise OverrideError(f"{where}: {day.isoformat()} is listed twice under {key}; remove one")
        seen.add(day)
        yield day, text.strip()


def _as_date(value: object, where: str) -> date:
    try:
        return datetime.strptime(str(value), "%Y-%m-%d").date()
    except ValueError:
        raise OverrideError(f"{where}: date must be a calendar date written YYYY-MM-DD, got {value!r}") from None


class _DatesAsTextLoader(yaml.SafeLoader):
    """YAML's safe loader, but dates stay text, so a bad one is reported with the entry it is in."""


_DatesAsTextLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@lru_cache(maxsize=16384)
def _timezone_for(code: str) -> ZoneInfo:
    """The time zone of an official region code; cached, since deadline processing asks for every event."""
    if not load_regions().is_valid(code):
        raise ValueError(
            f"unknown region code {code!r}: use an official code from aduan/data/regions.csv, "
            "e.g. '74' (province), '74.04' (regency) or '74.04.11' (district)"
        )
    province = code.split(".")[0]
    try:
        return PROVINCE_TIMEZONES[province]
    except KeyError:
        raise ValueError(
            f"province {province} has no time zone: add it to _PROVINCES_BY_ZONE in aduan/domain/calendar.py"
        ) from None


class WorkingCalendar:
    """Working days and working time of Indonesia's public service, per region time zone (see module doc)."""

    def __init__(self, overrides: HolidayOverrides) -> None:
        self.overrides = overrides
        self.version = (
            f"holidays-{holidays.__version__}+override-{overrides.version}-sha256:{overrides.digest[:12]}"
        )
        self._holidays_by_year: dict[int, Mapping[date, str]] = {}

    @classmethod
    def load(cls, override_path: Path = DEFAULT_OVERRIDE_PATH) -> WorkingCalendar:
        """The calendar with the given override file (by default the one shipped in ``aduan/data``)."""
        return cls(HolidayOverrides.load(override_path))

    def holidays_in(self, year: int) -> Mapping[date, str]:
        """Holidays and cuti bersama of ``year`` (package plus override file), date -> name."""
        found = self._holidays_by_year.get(year)
        if found is None:
            source = holidays.country_holidays("ID", years=year, categories=HOLIDAY_CATEGORIES)
            merged = {day: name for day, name in source.items() if day not in self.overrides.removed}
            merged.update((day, name) for day, name in self.overrides.added.items() if day.year == year)
            found = self._holidays_by_year[year] = MappingProxyType(merged)
        return found

    def holiday_name(self, day: date) -> str | None:
        """The holiday's name when ``day`` is a holiday or cuti bersama, else None."""
        return self.holidays_in(_plain_date(day).year).get(day)

    def is_working_day(self, day: date) -> bool:
        """True for Monday to Friday that is neither a holiday nor cuti bersama."""
        day = _plain_date(day)
        return day.weekday() < 5 and day not in self.holidays_in(day.year)

    def timezone_for(self, region_code: str) -> ZoneInfo:
        """The time zone of a region, by its official code (province, regency/city or district)."""
        return _timezone_for(str(region_code).strip())

    def local_date(self, instant: datetime, region_code: str) -> date:
        """The calendar date of ``instant`` in the region's time zone."""
        return require_aware(instant, "instant").astimezone(self.timezone_for(region_code)).date()

    def add_working_days(self, start: datetime, days: int, region_code: str) -> datetime:
        """End (23:59:59.999 local) of the ``days``-th working day after the start's local day, in UTC."""
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ValueError(f"days must be a whole number of at least 1, got {days!r}")
        day = self.local_date(start, region_code)
        while days:
            day += _ONE_DAY
            days -= self.is_working_day(day)
        return self._day_bounds(day, self.timezone_for(region_code))[1] - _LAST_MILLISECOND

    def count_start(self, start: datetime, region_code: str) -> datetime:
        """The local midnight that ends the start's day (UTC): working time against a deadline counts from here."""
        return self._day_bounds(self.local_date(start, region_code), self.timezone_for(region_code))[1]

    def working_time_between(self, a: datetime, b: datetime, region_code: str) -> timedelta:
        """Working time in ``[a, b)``: the parts of working days between the two instants."""
        a, b = require_aware(a, "a"), require_aware(b, "b")
        if b < a:
            raise ValueError(f"b ({b.isoformat()}) is before a ({a.isoformat()}): pass the earlier instant first")
        total = timedelta(0)
        for low, high in self._working_spans(a, self.timezone_for(region_code), forward=True):
            if low >= b:
                break
            total += min(high, b) - low
        return total

    def extend(self, due: datetime, by: timedelta, region_code: str) -> datetime:
        """The instant ``by`` working time after ``due`` (before it when ``by`` is negative), in UTC.

        The result is the earliest instant ``t`` with ``working_time_between(due, t) == by``: a deadline moved by
        a pause of whole working days lands again on the end of a working day, weekends and holidays skipped.
        """
        due = require_aware(due, "due")
        if not isinstance(by, timedelta):
            raise TypeError(f"by must be a timedelta, got {type(by).__name__}")
        forward = by >= timedelta(0)
        remaining = abs(by)
        if not remaining:
            return due
        for low, high in self._working_spans(due, self.timezone_for(region_code), forward=forward):
            if remaining <= high - low:
                return low + remaining if forward else high - remaining
            remaining -= high - low
        raise AssertionError("unreachable: working spans never end")

    def _working_spans(self, instant: datetime, zone: ZoneInfo, forward: bool) -> Iterator[tuple[datetime, datetime]]:
        """Working days as UTC ``(start, end)`` spans, walking from ``instant`` (clipped at it) in one direction."""
        day = instant.astimezone(zone).date()
        step = _ONE_DAY if forward else -_ONE_DAY
        while True:
            if self.is_working_day(day):
                low, high = self._day_bounds(day, zone)
                low, high = (max(low, instant), high) if forward else (low, min(high, instant))
                if low < high:
                    yield low, high
            day += step

    @staticmethod
    def _day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Local midnight starting ``day`` and the one ending it, in UTC."""
        start = datetime.combine(day, time(0), tzinfo=zone)
        end = datetime.combine(day + _ONE_DAY, time(0), tzinfo=zone)
        return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def _plain_date(day: date) -> date:
    if isinstance(day, datetime):
        raise TypeError(
            "pass a date, not a datetime: turn an instant into the region's local date with "
            "WorkingCalendar.local_date(instant, region_code)"
        )
    if not isinstance(day, date):
        raise TypeError(f"expected a date, got {type(day).__name__}")
    return day
