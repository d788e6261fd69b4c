"""The region a free text (SMS, email subject, social media post) starts with, if it starts with one.

The rule, in order:

1. a leading official code (``74``, ``74.04``, ``74.04.11``) that ``regions.csv`` knows;
2. a leading province, regency or city name, with or without its prefix (``Kabupaten Buton``, ``Kab. Buton``,
   ``Buton``, ``Kota Kendari``, ``Kendari``, ``Sulawesi Tenggara``; ``DKI``/``Jakarta`` and ``DIY``/``Jogja``
   too). The longest matching name wins (``Buton Utara`` before ``Buton``). A short name shared by several
   regions means the narrowest region containing them all (``Bogor``: the regency and the city of Bogor, so the
   province Jawa Barat); none in common means no region. District names are not matched: thousands repeat;
3. otherwise no region: the complaint goes to national triage (``region_code`` null).

The name or code must be a whole word or words (followed by a space, ``:``, ``,``, ``-``, ``.`` or the end);
it is removed from the text.
"""

from __future__ import annotations

import re
from functools import cache

from aduan.domain.directory import Directory
from aduan.domain.regions import RegionLevel, Regions

_CODE = re.compile(r"^\s*(\d{2}(?:\.\d{2}){0,2})(?=[\s:,\-]|\.(?!\d)|$)[\s:,\-.]*")
_PREFIXES = ("kabupaten administrasi ", "kota administrasi ", "kabupaten ", "kota ", "daerah khusus ibukota ",
             "daerah istimewa ")
_EXTRA = {"31": ("dki", "dki jakarta", "jakarta"), "34": ("diy", "jogja", "jogjakarta", "yogyakarta")}
_LONGEST_NAME = 6


class RegionFinder:
    """Finds a leading region code or name in free text (see the module docstring for the rule)."""

    def __init__(self, regions: Regions) -> None:
        self.regions = regions
        self._names = _names(regions)

    def find(self, text: str) -> tuple[str | None, str]:
        """``(region code or None, the text without it)``."""
        code = _CODE.match(text)
        if code and self.regions.is_valid(code.group(1)):
            return code.group(1), text[code.end():].strip()
        words = text.split()
        lowered = [w.lower().strip(":,-.") for w in words[:_LONGEST_NAME]]
        for size in range(min(_LONGEST_NAME, len(lowered)), 0, -1):
            candidate = " ".join(lowered[:size])
            found = self._names.get(candidate)
            if found:
                return found, " ".join(words[size:]).lstrip(":,-. ").strip()
        return None, text.strip()


def _names(regions: Regions) -> dict[str, str]:
    """Every name people use for a province, regency or city -> its code (shared names: the common ancestor)."""
    owners: dict[str, set[str]] = {}
    for region in regions:
        if region.level is RegionLevel.DISTRICT:
            continue
        name = " ".join(region.name.lower().split())
        aliases = {name, *_EXTRA.get(region.code, ())}
        for prefix in _PREFIXES:
            if name.startswith(prefix):
                short = name[len(prefix):]
                aliases |= {short, f"kab. {short}", f"kab {short}"} if prefix.startswith("kab") else {short}
        for alias in aliases:
            owners.setdefault(alias, set()).add(region.code)
    names = {}
    for alias, codes in owners.items():
        common = _common_ancestor(regions, codes)
        if common is not None:
            names[alias] = common
    return names


def _common_ancestor(regions: Regions, codes: set[str]) -> str | None:
    chains = [[r.code for r in reversed(regions.chain(code))] for code in codes]
    common = None
    for level in zip(*chains, strict=False):
        if len(set(level)) != 1:
            break
        common = level[0]
    return common


@cache
def region_finder() -> RegionFinder:
    """The finder over the directory's regions, built once per process."""
    return RegionFinder(Directory.load().regions)
