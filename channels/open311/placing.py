"""Which region an Open311 request is in. aduan routes by official region code and holds no region boundaries,
so a point alone cannot be placed. The rule, in order:

1. ``attribute[wilayah]``: an official code (``74``, ``74.71``, ``74.71.01``); an unknown one is refused;
2. ``address_string``: of its comma-separated parts, those that are wholly a province, regency or city name or
   code (``Kota Kendari``, ``Kendari``, ``Sulawesi Tenggara``, ``74.71``; see :mod:`channels.region_in_text`) name the
   region; the narrowest one wins when they nest (``..., Kendari, Sulawesi Tenggara`` is 74.71); parts that do
   not nest (``Kendari, Bali``) are refused as contradictory;
3. otherwise the request is refused with 400, ``lat``/``long`` or not: say the region with one of the two.
"""

from __future__ import annotations

from channels.open311.formats import Open311Error
from channels.region_in_text import RegionFinder


def region_of(code: str | None, address: str | None, finder: RegionFinder) -> str:
    """The region code of a request from its ``wilayah`` attribute and address (see the module docstring)."""
    regions = finder.regions
    if code:
        if not regions.is_valid(code):
            raise Open311Error(400, f"attribute[wilayah]: unknown region code {code!r}; use an official code such "
                                    "as 74 (province), 74.71 (regency or city) or 74.71.01 (district)")
        return code
    named = []
    for part in (address or "").split(","):
        found, rest = finder.find(part)
        if found and not rest:
            named.append(found)
    if not named:
        raise Open311Error(400, "the request has no region: aduan routes by region and cannot place lat/long "
                                "alone; give attribute[wilayah] (an official code such as 74.71) or an "
                                "address_string naming the regency, city or province (e.g. 'Jl. Mayjen Sutoyo, "
                                "Kota Kendari, Sulawesi Tenggara')")
    narrowest = max(named, key=lambda c: len(regions.chain(c)))
    containing = {r.code for r in regions.chain(narrowest)}
    if not set(named) <= containing:
        raise Open311Error(400, f"address_string names regions that do not contain one another "
                                f"({', '.join(sorted(set(named)))}): give attribute[wilayah]")
    return narrowest
