"""Where a complaint is, as the read models group it: its regency or city, its province, and its local day."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import NamedTuple

from aduan.domain.calendar import PROVINCE_TIMEZONES, WIB
from aduan.domain.regions import RegionLevel, Regions, load_regions

_DAY_MS = 86_400_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_NO_DST = datetime(2024, 1, 1, tzinfo=timezone.utc)  # Indonesia keeps no daylight saving time


class Place(NamedTuple):
    """The regency/city and province of a region code (None where the code does not say or is unknown), and the
    UTC offset of its time zone in milliseconds (WIB where the province is unknown)."""

    regency_code: str | None
    province_code: str | None
    utc_offset_ms: int


class Places:
    """Region codes -> :class:`Place`, cached per code."""

    def __init__(self, regions: Regions | None = None) -> None:
        self._regions = regions or load_regions()
        self._places: dict[str, Place] = {}
        self._days: dict[int, str] = {}

    def of(self, region_code: str) -> Place:
        """The place of ``region_code``; an unknown code gives no regency or province."""
        place = self._places.get(region_code)
        if place is None:
            place = self._places[region_code] = self._place(region_code)
        return place

    def local_day(self, millis: int, place: Place) -> str:
        """The local calendar day (``YYYY-MM-DD``) of an instant in milliseconds since the epoch."""
        days = (millis + place.utc_offset_ms) // _DAY_MS
        text = self._days.get(days)
        if text is None:
            text = self._days[days] = date.fromordinal(_EPOCH_ORDINAL + days).isoformat()
        return text

    def _place(self, region_code: str) -> Place:
        region = self._regions.find(region_code)
        if region is None:
            return Place(None, None, _offset_ms(WIB))
        chain = self._regions.chain(region_code)
        regency = next((r.code for r in chain if r.level is RegionLevel.REGENCY), None)
        province = chain[-1].code
        return Place(regency, province, _offset_ms(PROVINCE_TIMEZONES.get(province, WIB)))


def _offset_ms(zone) -> int:  # noqa: ANN001 - a tzinfo
    return int(_NO_DST.astimezone(zone).utcoffset().total_seconds() * 1000)
