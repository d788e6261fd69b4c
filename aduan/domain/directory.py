"""The agency directory: every institution connected to the system, its offices, and who supervises it.

An **agency** is an institution with its own coordinating admin (a ministry, a regional government, a state
company...); its **units** are the offices inside it that handle complaints (``pemkab-74-04.dinkes``, Dinas
Kesehatan of Kabupaten Buton). Agency codes are stable and usable inside Kafka topic names (``[a-z0-9-]``):

* regional governments are generated from ``regions.csv``: ``pemprov-74`` (Provinsi Sulawesi Tenggara),
  ``pemkab-74-04`` (Kabupaten Buton), ``pemkot-74-71`` (Kota Kendari), each with the units of
  ``directory_regional_units.yaml``;
* national institutions come from the operator-edited ``agencies_national.yaml`` (``kemenkes``, ``ojk``,
  ``pln``, the national admin ``lapor-admin`` and the ``ombudsman``).

The **parent** of an agency is the next level escalation climbs: a regency or city government's parent is its
province government; a province government's, a ministry's, a national agency's and a state company's is the
national admin; the national admin's is the Ombudsman.

The directory is one snapshot of every data file that routing reads (regions, categories, agencies, regional
units, routing rules). Its **version** is the human release in ``directory_version.txt`` plus a content hash
of all of them (``2025.1+3f9a0c1d2e4b``): the same files give the same version, any edit gives a new one. Every
agency and unit carries the version it came from, and so does every routing decision.

Usage::

    directory = Directory.load()                  # packaged data, or ADUAN_DIRECTORY_DATA's; cached per content
    directory = Directory.load(Path("/etc/aduan/directory"))  # files there replace the packaged ones
    directory.version                             # '2025.1+...'
    buton = directory.government_for_region("74.04.11")   # district -> Pemerintah Kabupaten Buton
    directory.unit("pemkab-74-04.dinkes").name    # 'Dinas Kesehatan'
    directory.parent_of("pemkab-74-04").code      # 'pemprov-74'
    [(s.level, s.agency.code) for s in directory.escalation_chain("pemkab-74-04.dinkes")]
    # AGENCY_COORDINATOR pemkab-74-04, AGENCY_COORDINATOR pemprov-74, NATIONAL_ADMIN lapor-admin,
    # OMBUDSMAN ombudsman
    directory.taxonomy, directory.regions, directory.rules   # the categories, regions and routing rules

Routing itself is in :mod:`aduan.domain.routing`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from aduan.domain.categories import HandlerLevel, Taxonomy, category_lineage
from aduan.domain.directory_data import configured_folder, data_file
from aduan.domain.regions import Region, RegionLevel, Regions
from aduan.domain.routing import RoutingRules

RELEASE_FILE = "directory_version.txt"
NATIONAL_FILE = "agencies_national.yaml"
REGIONAL_UNITS_FILE = "directory_regional_units.yaml"
# Every file the directory version covers, in the order they are hashed.
DATA_FILES = (
    RELEASE_FILE,
    "regions.csv",
    "categories.yaml",
    NATIONAL_FILE,
    REGIONAL_UNITS_FILE,
    "routing_rules.yaml",
)

# Agency codes and unit slugs: lower-case words joined by '-', safe inside a Kafka topic name.
CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class AgencyKind(str, Enum):
    """What kind of institution an agency is."""

    MINISTRY = "MINISTRY"
    NATIONAL_AGENCY = "NATIONAL_AGENCY"
    PROVINCE_GOVERNMENT = "PROVINCE_GOVERNMENT"
    REGENCY_GOVERNMENT = "REGENCY_GOVERNMENT"
    CITY_GOVERNMENT = "CITY_GOVERNMENT"
    STATE_COMPANY = "STATE_COMPANY"
    NATIONAL_ADMIN = "NATIONAL_ADMIN"
    OMBUDSMAN = "OMBUDSMAN"


REGIONAL_KINDS = frozenset(
    {AgencyKind.PROVINCE_GOVERNMENT, AgencyKind.REGENCY_GOVERNMENT, AgencyKind.CITY_GOVERNMENT}
)
REGIONAL_LEVELS = (HandlerLevel.PROVINCE, HandlerLevel.REGENCY)
_CODE_PREFIXES = {
    AgencyKind.PROVINCE_GOVERNMENT: "pemprov",
    AgencyKind.REGENCY_GOVERNMENT: "pemkab",
    AgencyKind.CITY_GOVERNMENT: "pemkot",
}
_NAME_PREFIXES = {
    AgencyKind.PROVINCE_GOVERNMENT: "Pemerintah Provinsi ",
    AgencyKind.REGENCY_GOVERNMENT: "Pemerintah ",
    AgencyKind.CITY_GOVERNMENT: "Pemerintah ",
}


# (slug, name, categories) of each unit every government of one level has.
_Template = tuple[tuple[str, str, tuple[str, ...]], ...]


class EscalationLevel(str, Enum):
    """The level a late complaint reaches; the values are the symbols of the Avro ``EscalationLevel``."""

    AGENCY_COORDINATOR = "AGENCY_COORDINATOR"
    NATIONAL_ADMIN = "NATIONAL_ADMIN"
    OMBUDSMAN = "OMBUDSMAN"


class UnknownAgency(KeyError):
    """An agency or unit code that is not in the directory."""

    def __init__(self, code: str, version: str) -> None:
        super().__init__(code)
        self.code = code
        self.version = version

    def __str__(self) -> str:
        return (
            f"no agency or unit {self.code!r} in directory {self.version}: check the code (regional governments "
            f"are pemprov-74, pemkab-74-04, pemkot-74-71; units add .slug) or add the institution to {NATIONAL_FILE}"
        )


@dataclass(frozen=True, slots=True)
class Unit:
    """An office inside an agency, and the categories it handles (a category covers its sub-categories)."""

    code: str
    name: str
    agency_code: str
    categories: tuple[str, ...]
    directory_version: str

    @property
    def slug(self) -> str:
        """The part after the agency code: ``dinkes`` for ``pemkab-74-04.dinkes``."""
        return self.code.rpartition(".")[2]


@dataclass(frozen=True, slots=True)
class Agency:
    """An institution with its own coordinating admin."""

    code: str
    name: str
    kind: AgencyKind
    parent_code: str | None
    region_code: str | None
    units: tuple[Unit, ...]
    directory_version: str

    @property
    def can_handle(self) -> bool:
        """Whether complaints can be dispositioned to it (the Ombudsman only oversees)."""
        return self.kind is not AgencyKind.OMBUDSMAN

    def unit_for(self, category_code: str) -> Unit | None:
        """The unit handling the category or its nearest parent category, None when no unit does."""
        for code in category_lineage(category_code):
            for unit in self.units:
                if code in unit.categories:
                    return unit
        return None


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """One rung of the escalation ladder: who is chased, at which level."""

    level: EscalationLevel
    agency: Agency


class Directory:
    """One version of the directory; build it with :meth:`load`."""

    _loaded: dict[str, "Directory"] = {}

    def __init__(self, sources: Mapping[str, bytes]) -> None:
        """Build and validate the directory from the bytes of every file in :data:`DATA_FILES`."""
        text = {name: sources[name].decode("utf-8") for name in DATA_FILES}
        self.release = _release(text[RELEASE_FILE])
        self.version = f"{self.release}+{content_hash(sources)}"
        self.regions = Regions.parse(text["regions.csv"])
        self.taxonomy = Taxonomy.parse(text["categories.yaml"])
        self._agencies: dict[str, Agency] = {}
        self._units: dict[str, Unit] = {}
        national = self._national(text[NATIONAL_FILE])
        admin = _only(national, AgencyKind.NATIONAL_ADMIN).code
        ombudsman = _only(national, AgencyKind.OMBUDSMAN).code
        parents = {AgencyKind.NATIONAL_ADMIN: ombudsman, AgencyKind.OMBUDSMAN: None}
        for agency in national:
            self._add(replace(agency, parent_code=parents.get(agency.kind, admin)))
        templates = self._unit_templates(text[REGIONAL_UNITS_FILE])
        self._regional_slugs = {level: frozenset(slug for slug, _, _ in units) for level, units in templates.items()}
        for agency in self._regional(templates, admin):
            self._add(agency)
        self.national_admin = self._agencies[admin]
        self.ombudsman = self._agencies[ombudsman]
        self._check_national_handlers()
        self.rules = RoutingRules.parse(text["routing_rules.yaml"], self)

    @classmethod
    def load(cls, data_dir: Path | str | None = None) -> "Directory":
        """The directory of the packaged data files, each replaced by a file of the same name in ``data_dir``
        (by default the folder ``ADUAN_DIRECTORY_DATA`` names, if any).

        Loading the same contents again returns the same (cached) object; a changed file gives a new version.
        Raises ValueError naming the file and entry to fix when the data is inconsistent.
        """
        sources = read_sources(data_dir)
        key = content_hash(sources)
        directory = cls._loaded.get(key)
        if directory is None:
            directory = cls._loaded[key] = cls(sources)
        return directory

    # Lookups ---------------------------------------------------------------------------------------------------

    def __contains__(self, code: object) -> bool:
        return code in self._agencies or code in self._units

    def __len__(self) -> int:
        return len(self._agencies)

    def agencies(self, *kinds: AgencyKind) -> tuple[Agency, ...]:
        """Every agency, or those of the given kinds: national institutions first, then regional governments."""
        return tuple(a for a in self._agencies.values() if not kinds or a.kind in kinds)

    def find_agency(self, code: str) -> Agency | None:
        """The agency with this code, or None."""
        return self._agencies.get(code)

    def agency(self, code: str) -> Agency:
        """The agency with this code; raises :class:`UnknownAgency` otherwise."""
        agency = self._agencies.get(code)
        if agency is None:
            raise UnknownAgency(code, self.version)
        return agency

    def unit(self, code: str) -> Unit:
        """The unit with this code (``pemkab-74-04.dinkes``); raises :class:`UnknownAgency` otherwise."""
        unit = self._units.get(code)
        if unit is None:
            raise UnknownAgency(code, self.version)
        return unit

    def agency_of(self, code: str) -> Agency:
        """The agency itself for an agency code, the agency a unit belongs to for a unit code."""
        unit = self._units.get(code)
        return self.agency(unit.agency_code if unit is not None else code)

    def parent_of(self, code: str) -> Agency | None:
        """The supervising agency: a unit's agency, an agency's parent; None above the Ombudsman."""
        if code in self._units:
            return self.agency_of(code)
        parent_code = self.agency(code).parent_code
        return self._agencies[parent_code] if parent_code is not None else None

    def escalation_chain(self, code: str) -> tuple[EscalationStep, ...]:
        """Who a late complaint handled by this agency or unit climbs to, nearest first.

        It starts at the coordinating admin of the handling agency, climbs the parents (a regency government's
        province government), then the national admin, then the Ombudsman.
        """
        steps = []
        agency: Agency | None = self.agency_of(code)
        while agency is not None:
            steps.append(EscalationStep(_escalation_level(agency.kind), agency))
            agency = self._agencies[agency.parent_code] if agency.parent_code is not None else None
        return tuple(steps)

    def regional_unit_slugs(self, level: HandlerLevel) -> frozenset[str]:
        """The slugs of the units every province (``PROVINCE``) or regency/city (``REGENCY``) government has."""
        return self._regional_slugs[level]

    def government_for_region(self, region_code: str) -> Agency:
        """The regional government of a region: a district's regency or city government, a province's own.

        Raises :class:`aduan.domain.regions.UnknownRegion` for a code that is not official.
        """
        region = self.regions.regency_of(region_code) or self.regions.province_of(region_code)
        return self._agencies[_government_code(region)]

    # Building --------------------------------------------------------------------------------------------------

    def _add(self, agency: Agency) -> None:
        if agency.code in self._agencies:
            raise ValueError(f"{NATIONAL_FILE}: agency code {agency.code!r} is used twice: codes must be unique")
        self._agencies[agency.code] = agency
        for unit in agency.units:
            self._units[unit.code] = unit

    def _national(self, text: str) -> list[Agency]:
        """The national institutions, their parents not yet set."""
        document = yaml.load(text, Loader=yaml.CSafeLoader) or {}
        return [self._national_agency(entry) for entry in document.get("agencies") or []]

    def _national_agency(self, entry: Any) -> Agency:
        code = entry.get("code") if isinstance(entry, dict) else None
        where = f"{NATIONAL_FILE}, agency {code!r}"
        if not isinstance(code, str) or not CODE.fullmatch(code):
            raise ValueError(f"{where}: a code is lower-case letters, digits and '-' (it is part of topic names)")
        if code.split("-")[0] in _CODE_PREFIXES.values():
            raise ValueError(f"{where}: codes starting with pemprov-, pemkab- or pemkot- are kept for regions")
        try:
            kind = AgencyKind(entry.get("kind"))
        except ValueError:
            kind = None
        if kind is None or kind in REGIONAL_KINDS:
            national = ", ".join(k.value for k in AgencyKind if k not in REGIONAL_KINDS)
            raise ValueError(f"{where}: kind must be one of {national}")
        if not entry.get("name"):
            raise ValueError(f"{where}: name is required")
        units = tuple(self._national_unit(code, unit, where) for unit in entry.get("units") or [])
        return Agency(code, entry["name"], kind, None, None, units, self.version)

    def _national_unit(self, agency_code: str, entry: Any, where: str) -> Unit:
        slug = entry.get("slug") if isinstance(entry, dict) else None
        if not isinstance(slug, str) or not CODE.fullmatch(slug) or not entry.get("name"):
            raise ValueError(f"{where}: every unit needs a slug of lower-case letters, digits and '-', and a name")
        categories = tuple(entry.get("categories") or [])
        unknown = [category for category in categories if category not in self.taxonomy]
        if unknown:
            raise ValueError(f"{where}, unit {slug!r}: categories {unknown} are not in categories.yaml")
        return Unit(f"{agency_code}.{slug}", entry["name"], agency_code, categories, self.version)

    def _regional(self, templates: Mapping[HandlerLevel, _Template], national_admin: str) -> Iterator[Agency]:
        """One government per province and per regency or city, each with the units of its level."""
        for region in self.regions.at_level(RegionLevel.PROVINCE):
            yield self._government(region, templates[HandlerLevel.PROVINCE], national_admin)
        for region in self.regions.at_level(RegionLevel.REGENCY):
            province = _government_code(self.regions.province_of(region.code))
            yield self._government(region, templates[HandlerLevel.REGENCY], province)

    def _unit_templates(self, text: str) -> dict[HandlerLevel, _Template]:
        document = yaml.load(text, Loader=yaml.CSafeLoader) or {}
        return {level: self._unit_template(level, document) for level in REGIONAL_LEVELS}

    def _unit_template(self, level: HandlerLevel, document: dict) -> _Template:
        """(slug, name, categories) of every unit of a government at ``level``, checked against the taxonomy."""
        handled: dict[str, list[str]] = {}
        for category in self.taxonomy:
            slug = category.handler(level)
            if slug is not None:
                handled.setdefault(slug, []).append(category.code)
        template = []
        for entry in document.get(level.value) or []:
            if not isinstance(entry, dict) or not CODE.fullmatch(str(entry.get("slug"))) or not entry.get("name"):
                raise ValueError(f"{REGIONAL_UNITS_FILE}, {level.value}: a unit needs a slug and a name, not {entry!r}")
            template.append((entry["slug"], entry["name"], tuple(handled.pop(entry["slug"], ()))))
        if handled:
            missing = ", ".join(f"{slug} (for {', '.join(codes)})" for slug, codes in sorted(handled.items()))
            raise ValueError(
                f"categories.yaml names {level.value} units that {REGIONAL_UNITS_FILE} lacks: {missing}; "
                "add them there or fix the category"
            )
        return tuple(template)

    def _government(self, region: Region, template: _Template, parent: str) -> Agency:
        code, kind = _government_code(region), _government_kind(region)
        units = tuple(Unit(f"{code}.{slug}", name, code, handled, self.version) for slug, name, handled in template)
        return Agency(code, _NAME_PREFIXES[kind] + region.name, kind, parent, region.code, units, self.version)

    def _check_national_handlers(self) -> None:
        for category in self.taxonomy:
            code = category.national_agency
            if code is not None and code not in self._agencies:
                raise ValueError(
                    f"categories.yaml, category {category.code!r}: national handler {code!r} is not in "
                    f"{NATIONAL_FILE}; add it there or fix the category"
                )


def _only(agencies: list[Agency], kind: AgencyKind) -> Agency:
    found = [agency for agency in agencies if agency.kind is kind]
    if len(found) != 1:
        raise ValueError(f"{NATIONAL_FILE} must list exactly one agency of kind {kind.value}, found {len(found)}")
    return found[0]


def _escalation_level(kind: AgencyKind) -> EscalationLevel:
    if kind is AgencyKind.OMBUDSMAN:
        return EscalationLevel.OMBUDSMAN
    if kind is AgencyKind.NATIONAL_ADMIN:
        return EscalationLevel.NATIONAL_ADMIN
    return EscalationLevel.AGENCY_COORDINATOR


def _government_kind(region: Region) -> AgencyKind:
    if region.level is RegionLevel.PROVINCE:
        return AgencyKind.PROVINCE_GOVERNMENT
    return AgencyKind.CITY_GOVERNMENT if region.is_city else AgencyKind.REGENCY_GOVERNMENT


def _government_code(region: Region) -> str:
    """``pemprov-74``, ``pemkab-74-04`` or ``pemkot-74-71``."""
    return f"{_CODE_PREFIXES[_government_kind(region)]}-{region.code.replace('.', '-')}"


def _release(text: str) -> str:
    release = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not release:
        raise ValueError(f"{RELEASE_FILE} must hold the directory's release on its first line, e.g. 2025.1")
    return release


def read_sources(data_dir: Path | str | None = None) -> dict[str, bytes]:
    """The bytes of every data file: from ``data_dir`` (by default ``ADUAN_DIRECTORY_DATA``'s folder) where it
    has the file, else the packaged one."""
    folder = Path(data_dir) if data_dir is not None else configured_folder()
    return {name: data_file(name, folder).read_bytes() for name in DATA_FILES}


def content_hash(sources: Mapping[str, bytes]) -> str:
    """12 hex digits of SHA-256 over every data file's name and bytes."""
    digest = hashlib.sha256()
    for name in DATA_FILES:
        data = sources[name]
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()[:12]
