"""Routing: which agency (and unit) handles a complaint, and which agencies get a copy.

Routing is a pure function of the complaint's category, its region and the directory version: the same three
always give the same :class:`Disposition`, which names the rule that matched, says why in words, and records
the directory version. In order:

1. ``uncategorised``, an unknown category, an out-of-scope category (crime, legislative, corruption) or a region
   code that is not official go to the national triage queue (the directory's national admin, ``lapor-admin``).
2. **Explicit rules** of ``routing_rules.yaml`` come before the taxonomy's defaults. Of the rules matching the
   complaint, the most specific region wins (district > regency > province > anywhere), then the higher
   ``priority``, then the more specific category (``permits.building`` > ``permits`` > ``*``). A rule whose
   handler cannot be resolved for the complaint (``@regency`` for a complaint placed only in a province) is
   passed over.
3. **The taxonomy's defaults** (``categories.yaml``): the complaint's regency or city government's unit, then the
   province government's unit, then the national agency: the most specific level with a handler wins. A district
   code resolves to its regency.
4. Nothing matched: the national triage queue.

A complaint with no region (``None`` or ``""``) is a national matter: only rules for anywhere and national
handlers apply.

Rules look like::

    - id: village-funds-dpmd
      category: village-funds        # a category code (covers its sub-categories) or '*'
      region: "*"                    # a region code (covers the regions inside it) or '*'
      priority: 0                    # optional, higher wins among rules of the same region specificity
      handler: "@regency.dpmd"       # see targets below
      copies: [kemendes]             # optional
      reason: Village funds are disbursed and supervised by the regency's DPMD.

A target is an agency code (``pln``), a unit code (``kemendagri.dukcapil``), or the complaint's own regional
government: ``@regency`` / ``@province``, optionally with a unit slug (``@regency.dpmd``). Without a unit, the
agency's unit handling the category is chosen when it has one.

Usage::

    directory = Directory.load()
    disposition = route("health", "74.04.11", directory)
    disposition.agency, disposition.unit     # 'pemkab-74-04', 'pemkab-74-04.dinkes'
    disposition.rule_reason                  # 'category health (Kesehatan) at regency level: ...'
    event.update(disposition.event_fields()) # agency, unit, copies, rule_id, rule_reason, directory_version

    # after ComplaintForwarded events: never back to an agency that declined it
    again = reroute("health", "74.04.11", directory, declined=["pemkab-74-04"], suggested_agency="kemenkes")
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from aduan.domain.categories import (
    UNCATEGORISED,
    Category,
    HandlerLevel,
    Taxonomy,
    category_lineage,
)
from aduan.domain.regions import Region, RegionLevel

if TYPE_CHECKING:
    from aduan.domain.directory import Agency, Directory, Unit

RULES_FILE = "routing_rules.yaml"
ANYWHERE = "*"
TRIAGE_RULE = "fallback.triage"
SUGGESTED_RULE = "forward.suggested-agency"
_RULE_ID = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")
_REGION_LEVELS = {HandlerLevel.REGENCY: RegionLevel.REGENCY, HandlerLevel.PROVINCE: RegionLevel.PROVINCE}
_RULE_KEYS = {"id", "category", "region", "priority", "handler", "copies", "reason"}


@dataclass(frozen=True, slots=True)
class Disposition:
    """Where a complaint goes, which rule decided it and why, and under which directory version.

    ``category`` and ``region_code`` are what routing used: after a reroute that honoured a suggestion they
    differ from the complaint's.
    """

    agency: str
    unit: str | None
    copies: tuple[str, ...]
    rule_id: str
    rule_reason: str
    directory_version: str
    category: str
    region_code: str | None

    def event_fields(self) -> dict[str, Any]:
        """The fields of an ``id.aduan.ComplaintDispositioned`` event it fills (all but header and round)."""
        return {
            "agency": self.agency,
            "unit": self.unit,
            "copies": list(self.copies),
            "rule_id": self.rule_id,
            "rule_reason": self.rule_reason,
            "directory_version": self.directory_version,
        }


@dataclass(frozen=True, slots=True)
class Place:
    """Where a complaint is: its region and the regions containing it, narrowest first (empty: national)."""

    chain: tuple[Region, ...]

    @property
    def codes(self) -> frozenset[str]:
        """The codes of the region and of every region containing it."""
        return frozenset(region.code for region in self.chain)

    def at(self, level: HandlerLevel) -> Region | None:
        """The complaint's regency/city (``REGENCY``) or province (``PROVINCE``) when it lies in one, else None."""
        wanted = _REGION_LEVELS.get(level)
        return next((region for region in self.chain if region.level is wanted), None)

    def levels(self) -> tuple[HandlerLevel, ...]:
        """The levels whose default handlers apply, most specific first."""
        return tuple(level for level in HandlerLevel if level is HandlerLevel.NATIONAL or self.at(level))

    def covers(self, region: Region) -> str:
        """A clause naming the complaint's own region when it is narrower than ``region``, else ``""``."""
        inner = self.chain[0] if self.chain else None
        if inner is None or inner == region:
            return ""
        return f", which covers {inner.level.value} {inner.label},"


@dataclass(frozen=True, slots=True)
class Target:
    """Where a rule sends a complaint or a copy: ``pln``, ``kemendagri.dukcapil``, ``@regency``, ``@province.dpmd``."""

    spec: str
    level: HandlerLevel | None
    agency_code: str | None
    unit_slug: str | None

    @classmethod
    def parse(cls, spec: Any, where: str, directory: Directory) -> "Target":
        """A target checked against the directory; raises ValueError saying what to write instead."""
        if not isinstance(spec, str) or not spec:
            raise ValueError(f"{where}: a target is an agency or unit code, or @regency/@province[.unit]")
        head, _, slug = spec.partition(".")
        if head.startswith("@"):
            try:
                level = HandlerLevel(head[1:])
            except ValueError:
                level = None
            if level not in (HandlerLevel.REGENCY, HandlerLevel.PROVINCE):
                raise ValueError(f"{where}: {spec!r}: write @regency or @province, optionally with .unit")
            if slug and slug not in directory.regional_unit_slugs(level):
                known = ", ".join(sorted(directory.regional_unit_slugs(level)))
                raise ValueError(f"{where}: {spec!r}: a {level.value} government has no unit {slug!r} ({known})")
            return cls(spec, level, None, slug or None)
        if spec not in directory:
            raise ValueError(f"{where}: {spec!r} is neither an agency nor a unit in the directory")
        return cls(spec, None, head, slug or None)

    def resolve(self, place: Place, category: str, directory: Directory) -> tuple[Agency, Unit | None] | None:
        """The agency and unit for this complaint; None when the complaint has no region at the target's level."""
        if self.level is not None:
            region = place.at(self.level)
            if region is None:
                return None
            agency = directory.government_for_region(region.code)
        else:
            agency = directory.agency(self.agency_code)  # type: ignore[arg-type]
        if self.unit_slug is not None:
            return agency, directory.unit(f"{agency.code}.{self.unit_slug}")
        return agency, agency.unit_for(category)


@dataclass(frozen=True, slots=True)
class RoutingRule:
    """An explicit rule of ``routing_rules.yaml``."""

    id: str
    category: str
    region: str
    region_label: str
    region_depth: int
    priority: int
    handler: Target
    copies: tuple[Target, ...]
    reason: str

    @property
    def rank(self) -> tuple[int, int, int]:
        """Higher ranks first: region specificity, then priority, then category specificity."""
        category_depth = 0 if self.category == ANYWHERE else self.category.count(".") + 1
        return self.region_depth, self.priority, category_depth

    @property
    def scope(self) -> str:
        """``village-funds, anywhere`` or ``health in Kabupaten Buton (74.04)``."""
        category = "any category" if self.category == ANYWHERE else self.category
        return f"{category}, anywhere" if self.region == ANYWHERE else f"{category} in {self.region_label}"

    def matches(self, category: str, place: Place) -> bool:
        """Whether the rule covers this category (or a parent of it) and this region (or one containing it)."""
        category_ok = self.category == ANYWHERE or self.category in category_lineage(category)
        return category_ok and (self.region == ANYWHERE or self.region in place.codes)


class RoutingRules:
    """The explicit rules of one directory version, best-ranked first."""

    def __init__(self, rules: Iterable[RoutingRule]) -> None:
        self._rules = tuple(sorted(rules, key=lambda rule: rule.rank, reverse=True))

    @classmethod
    def parse(cls, text: str, directory: Directory) -> "RoutingRules":
        """The rules of ``routing_rules.yaml``, checked against the directory; ValueError names the rule to fix."""
        document = yaml.load(text, Loader=yaml.CSafeLoader) or {}
        rules: dict[str, RoutingRule] = {}
        scopes: dict[tuple[str, str, int], str] = {}
        for entry in document.get("rules") or []:
            rule = _parse_rule(entry, directory)
            if rule.id in rules:
                raise ValueError(f"{RULES_FILE}: rule id {rule.id!r} is used twice: ids must be unique")
            scope = (rule.category, rule.region, rule.priority)
            if scope in scopes:
                raise ValueError(
                    f"{RULES_FILE}: rules {scopes[scope]!r} and {rule.id!r} both route {rule.scope} at priority "
                    f"{rule.priority}: give one of them a higher priority or remove one"
                )
            rules[rule.id], scopes[scope] = rule, rule.id
        return cls(rules.values())

    def __iter__(self) -> Iterator[RoutingRule]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def matching(self, category: str, place: Place) -> Iterator[RoutingRule]:
        """The rules covering the complaint, best first."""
        return (rule for rule in self._rules if rule.matches(category, place))


def route(category: str | None, region_code: str | None, directory: Directory) -> Disposition:
    """The disposition of a complaint of this category in this region (see the module docstring)."""
    return _Request(directory, Taxonomy.normalise(category), _region(region_code)).decide()


def reroute(
    category: str | None,
    region_code: str | None,
    directory: Directory,
    *,
    declined: Iterable[str],
    suggested_agency: str | None = None,
    suggested_category: str | None = None,
    suggested_region: str | None = None,
) -> Disposition:
    """The disposition of a forwarded complaint.

    ``declined`` are the agencies that already said it is not their authority (the forwarding one included):
    none of them is chosen again, nor copied. A suggested category or region replaces the complaint's when it
    is in the taxonomy or an official code; a suggested agency or unit is chosen when it exists, can handle
    complaints and has not declined. Suggestions that are not valid are ignored, and the reason says so.
    """
    refused = frozenset(declined)
    request = _Request(directory, Taxonomy.normalise(category), _region(region_code), refused)
    if refused:
        request.notes.append(f"declined by {_names(sorted(refused), directory)}")
    if suggested_category:
        code = Taxonomy.normalise(suggested_category)
        if code in directory.taxonomy:
            request.category = code
            request.notes.append(f"category set to {directory.taxonomy.get(code).label} as suggested")
        else:
            request.notes.append(f"suggested category {suggested_category!r} ignored: it is not in the taxonomy")
    if suggested_region:
        code = suggested_region.strip()
        if directory.regions.is_valid(code):
            request.region_code = code
            request.notes.append(f"region set to {directory.regions.get(code).label} as suggested")
        else:
            request.notes.append(f"suggested region {suggested_region!r} ignored: it is not an official region code")
    if suggested_agency:
        return request.suggested(suggested_agency.strip()) or request.decide()
    return request.decide()


# The decision ------------------------------------------------------------------------------------------------------


def _region(code: str | None) -> str | None:
    return (code or "").strip() or None


@dataclass(slots=True)
class _Request:
    """One routing decision in progress; ``notes`` collect what was passed over and why."""

    directory: Directory
    category: str
    region_code: str | None
    declined: frozenset[str] = frozenset()
    notes: list[str] = field(default_factory=list)

    def dispose(
        self, agency: Agency, unit: Unit | None, copies: tuple[str, ...], rule_id: str, why: str
    ) -> Disposition:
        """The disposition to ``agency``; the reason is the notes so far, then ``why``."""
        reason = "; ".join(self.notes) + ". " + why if self.notes else why
        unit_code = unit.code if unit is not None else None
        version = self.directory.version
        return Disposition(agency.code, unit_code, copies, rule_id, reason, version, self.category, self.region_code)

    def triage(self, why: str) -> Disposition:
        admin = self.directory.national_admin
        return self.dispose(admin, None, (), TRIAGE_RULE, f"{why}: sent to the national triage queue ({admin.name})")

    def decide(self) -> Disposition:
        directory, code = self.directory, self.category
        found = directory.taxonomy.find(code)
        if found is None:
            return self.triage(f"category {code!r} is not in the taxonomy")
        if code == UNCATEGORISED:
            return self.triage("the complaint has no category yet")
        if found.out_of_scope:
            return self.triage(f"category {found.label} is outside LAPOR!'s scope; it belongs to {found.refer_to}")
        if self.region_code is not None and not directory.regions.is_valid(self.region_code):
            return self.triage(f"region code {self.region_code!r} is not an official region code")
        place = Place(directory.regions.chain(self.region_code) if self.region_code else ())

        for rule in directory.rules.matching(code, place):
            resolved = rule.handler.resolve(place, code, directory)
            if resolved is None:
                continue
            agency, unit = resolved
            if agency.code in self.declined:
                self.notes.append(f"rule {rule.id} passed over: {agency.name} declined it")
                continue
            copies = self._copies(rule, agency, place)
            copied = f"; copy to {_names(copies, directory)}" if copies else ""
            why = f"rule {rule.id} ({rule.scope}): {agency.name} handles it{_through(unit)}{copied}. {rule.reason}"
            return self.dispose(agency, unit, copies, rule.id, why)

        for level in place.levels():
            handled = _default(directory, found, level, place)
            if handled is None:
                continue
            agency, unit, why = handled
            if agency.code in self.declined:
                self.notes.append(f"{level.value} level passed over: {agency.name} declined it")
                continue
            return self.dispose(agency, unit, (), f"default.{code}.{level.value}", why)

        where = f"in {place.chain[0].label}" if place.chain else "nationally"
        left = " that has not declined" if self.declined else ""
        return self.triage(f"no rule and no office{left} handles category {found.label} {where}")

    def suggested(self, code: str) -> Disposition | None:
        """The disposition to a suggested agency or unit, or None (with a note) when it cannot take it."""
        if code not in self.directory:
            self.notes.append(f"suggested agency {code!r} ignored: it is not in the directory")
            return None
        agency = self.directory.agency_of(code)
        if agency.code in self.declined:
            self.notes.append(f"suggested agency {agency.name} ignored: it declined already")
            return None
        if not agency.can_handle:
            self.notes.append(f"suggested agency {agency.name} ignored: it does not handle complaints")
            return None
        unit = self.directory.unit(code) if code != agency.code else agency.unit_for(self.category)
        why = f"{agency.name} handles it{_through(unit)}, as the forwarding agency suggested"
        return self.dispose(agency, unit, (), SUGGESTED_RULE, why)

    def _copies(self, rule: RoutingRule, handler: Agency, place: Place) -> tuple[str, ...]:
        """The rule's copy targets that resolve for this complaint, without the handler, decliners or repeats."""
        copies: list[str] = []
        for target in rule.copies:
            resolved = target.resolve(place, self.category, self.directory)
            if resolved is None:
                continue
            code = resolved[0].code
            if code != handler.code and code not in self.declined and code not in copies:
                copies.append(code)
        return tuple(copies)


def _default(
    directory: Directory, category: Category, level: HandlerLevel, place: Place
) -> tuple[Agency, Unit | None, str] | None:
    """The taxonomy's handler of the category at one level, and why in words."""
    handler = category.handler(level)
    if handler is None:
        return None
    lead = f"category {category.label} at {level.value} level: "
    if level is HandlerLevel.NATIONAL:
        agency = directory.agency(handler)
        unit = agency.unit_for(category.code)
        regional = category.regency_unit or category.province_unit
        alone = " (no regional government office handles it)" if place.chain and not regional else ""
        return agency, unit, f"{lead}{agency.name} handles it{_through(unit)}{alone}"
    region = place.at(level)
    assert region is not None, "levels() only yields regional levels the place lies in"
    agency = directory.government_for_region(region.code)
    unit = directory.unit(f"{agency.code}.{handler}")
    return agency, unit, f"{lead}{agency.name} ({region.code}){place.covers(region)} handles it{_through(unit)}"


def _through(unit: Unit | None) -> str:
    return f" through {unit.name}" if unit is not None else ""


def _names(codes: Iterable[str], directory: Directory) -> str:
    """``Pemerintah Kabupaten Buton (pemkab-74-04), ...``; a code not in the directory as it is."""
    return ", ".join(f"{a.name} ({a.code})" if (a := directory.find_agency(c)) else c for c in codes)


def _parse_rule(entry: Any, directory: Directory) -> RoutingRule:
    rule_id = entry.get("id") if isinstance(entry, dict) else None
    where = f"{RULES_FILE}, rule {rule_id!r}"
    if not isinstance(rule_id, str) or not _RULE_ID.fullmatch(rule_id):
        raise ValueError(f"{where}: every rule needs an id of lower-case words joined by '-' or '.'")
    unknown = set(entry) - _RULE_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}; rules take {sorted(_RULE_KEYS)}")
    category = str(entry.get("category") or "")
    if category != ANYWHERE and category not in directory.taxonomy:
        raise ValueError(f"{where}: category {category!r} is not in categories.yaml (or write '*')")
    region = str(entry.get("region") or ANYWHERE).strip()
    if region != ANYWHERE and not directory.regions.is_valid(region):
        raise ValueError(f"{where}: region {region!r} is not an official region code (or write '*')")
    priority = entry.get("priority", 0)
    if not isinstance(priority, int):
        raise ValueError(f"{where}: priority must be a whole number")
    if not entry.get("reason"):
        raise ValueError(f"{where}: say why the rule exists with reason (it is shown on every disposition)")
    handler = Target.parse(entry.get("handler"), f"{where}, handler", directory)
    if handler.level is None and not directory.agency_of(handler.spec).can_handle:
        raise ValueError(f"{where}: handler {handler.spec!r} does not handle complaints")
    copies = tuple(Target.parse(spec, f"{where}, copies", directory) for spec in entry.get("copies") or [])
    label = directory.regions.get(region).label if region != ANYWHERE else "anywhere"
    depth = directory.regions.get(region).level.depth if region != ANYWHERE else 0
    return RoutingRule(rule_id, category, region, label, depth, priority, handler, copies, str(entry["reason"]))
