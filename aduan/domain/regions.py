"""Indonesia's administrative regions with their official (Kepmendagri) codes.

``aduan/data/regions.csv`` lists the 38 provinces, 514 regencies and cities and 7,285 districts as
``code,name,level,parent_code``. Codes nest: district ``74.04.11`` (Pasarwajo) lies in regency ``74.04``
(Kabupaten Buton), which lies in province ``74`` (Sulawesi Tenggara). A regency whose name starts with ``Kota``
is a city.

Usage::

    regions = load_regions()                 # parsed once per process, then cached
    regions.get("74.04.11").name             # 'Pasarwajo'; an unknown code raises UnknownRegion
    regions.is_valid("74.99")                # False
    [r.code for r in regions.chain("74.04.11")]   # ['74.04.11', '74.04', '74']
    regions.regency_of("74.04.11").name      # 'Kabupaten Buton'
    len(regions.children("74"))              # 17 regencies and cities of Sulawesi Tenggara
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path

from aduan.domain.directory_data import PACKAGED, configured_folder, data_file

REGIONS_FILE = "regions.csv"
REGIONS_PATH = PACKAGED / REGIONS_FILE


class RegionLevel(str, Enum):
    """The administrative level of a region, from the widest to the narrowest."""

    PROVINCE = "province"
    REGENCY = "regency"
    DISTRICT = "district"

    @property
    def depth(self) -> int:
        """1 for a province, 2 for a regency or city, 3 for a district."""
        return _DEPTHS[self]


_DEPTHS = {RegionLevel.PROVINCE: 1, RegionLevel.REGENCY: 2, RegionLevel.DISTRICT: 3}


class UnknownRegion(KeyError):
    """A region code that is not in the official list."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return (
            f"unknown region code {self.code!r}: use an official Kepmendagri code such as 74 (province), "
            "74.04 (regency or city) or 74.04.11 (district)"
        )


@dataclass(frozen=True, slots=True)
class Region:
    """One province, regency/city or district."""

    code: str
    name: str
    level: RegionLevel
    parent_code: str | None

    @property
    def is_city(self) -> bool:
        """True for a city (*kota*), which has a city government instead of a regency government."""
        return self.level is RegionLevel.REGENCY and self.name.startswith("Kota")

    @property
    def label(self) -> str:
        """Name and code, as people read them: ``Kabupaten Buton (74.04)``."""
        return f"{self.name} ({self.code})"


class Regions:
    """Every region, indexed by code, with its parent chain and children."""

    def __init__(self, regions: list[Region]) -> None:
        self._by_code: dict[str, Region] = {}
        self._children: dict[str, list[Region]] = {}
        for region in regions:
            if region.code in self._by_code:
                raise ValueError(f"region code {region.code} is listed twice in regions.csv: keep one line")
            self._by_code[region.code] = region
            if region.parent_code is not None:
                self._children.setdefault(region.parent_code, []).append(region)
        for region in regions:
            if region.parent_code is not None and region.parent_code not in self._by_code:
                raise ValueError(
                    f"region {region.label} names parent {region.parent_code}, which regions.csv does not list"
                )

    @classmethod
    def parse(cls, text: str) -> "Regions":
        """Regions from the text of a ``code,name,level,parent_code`` CSV file."""
        rows = csv.DictReader(io.StringIO(text))
        regions = []
        for line, row in enumerate(rows, start=2):
            try:
                level = RegionLevel(row["level"].strip())
            except ValueError:
                raise ValueError(
                    f"regions.csv line {line}: level {row['level']!r} is not one of province, regency, district"
                ) from None
            parent = (row["parent_code"] or "").strip() or None
            regions.append(Region(row["code"].strip(), row["name"].strip(), level, parent))
        return cls(regions)

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Region]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def is_valid(self, code: str) -> bool:
        """Whether ``code`` is an official region code."""
        return code in self._by_code

    def find(self, code: str) -> Region | None:
        """The region with this code, or None."""
        return self._by_code.get(code)

    def get(self, code: str) -> Region:
        """The region with this code; raises :class:`UnknownRegion` for any other code."""
        region = self._by_code.get(code)
        if region is None:
            raise UnknownRegion(code)
        return region

    def chain(self, code: str) -> tuple[Region, ...]:
        """The region and every region containing it, narrowest first: district, regency, province."""
        chain = [self.get(code)]
        while chain[-1].parent_code is not None:
            chain.append(self._by_code[chain[-1].parent_code])
        return tuple(chain)

    def children(self, code: str) -> tuple[Region, ...]:
        """The regions directly inside this one (a province's regencies and cities, a regency's districts)."""
        self.get(code)
        return tuple(self._children.get(code, ()))

    def at_level(self, level: RegionLevel) -> tuple[Region, ...]:
        """Every region of one level, in file order."""
        return tuple(region for region in self._by_code.values() if region.level is level)

    def province_of(self, code: str) -> Region:
        """The province containing this region (a province is its own)."""
        return self.chain(code)[-1]

    def regency_of(self, code: str) -> Region | None:
        """The regency or city containing this region, None for a province."""
        for region in self.chain(code):
            if region.level is RegionLevel.REGENCY:
                return region
        return None


def load_regions(path: Path | str | None = None) -> Regions:
    """The regions of a CSV file (by default the directory's: ``ADUAN_DIRECTORY_DATA``'s, else the packaged one),
    parsed once per process and file."""
    return _parsed(Path(path or data_file(REGIONS_FILE, configured_folder())).resolve())


@cache
def _parsed(path: Path) -> Regions:
    return Regions.parse(path.read_text(encoding="utf-8"))
