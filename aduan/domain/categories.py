"""The complaint category taxonomy: LAPOR!'s report subjects and who handles each at every level.

``aduan/data/categories.yaml`` lists the categories. A code is a short slug; a dot makes a sub-category
(``permits.building`` is under ``permits``). For each category the file names the handler at each level:

* ``regency``: the kind of office (unit slug, e.g. ``dinkes``) of a regency or city government;
* ``province``: the kind of office of a province government;
* ``national``: the code of a national agency (ministry, agency or state company, e.g. ``kemenkes``, ``pln``).

A level left out has no handler there (``banking`` is handled by ``ojk`` nationally and nowhere else). A
sub-category that names no handler at all takes its parent's (unless it is out of scope); one that names any
handler uses only its own.
``out_of_scope: true`` marks subjects that LAPOR! does not handle (pure criminal, legislative, corruption
cases) with ``refer_to`` naming where they belong. ``uncategorised`` is the category of a complaint nobody
has classified yet.

Usage::

    taxonomy = Taxonomy.parse(text)          # usually through Directory.load().taxonomy
    health = taxonomy.get("health")          # UnknownCategory for a code not in the file
    health.handler(HandlerLevel.REGENCY)     # 'dinkes'
    taxonomy.normalise(None)                 # 'uncategorised'
    category_lineage("permits.building")     # ('permits.building', 'permits')
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import yaml

UNCATEGORISED = "uncategorised"

_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
CATEGORY_CODE = re.compile(rf"{_SLUG}(?:\.{_SLUG})*")


class HandlerLevel(str, Enum):
    """Where a category can be handled, from the most specific to the widest."""

    REGENCY = "regency"
    PROVINCE = "province"
    NATIONAL = "national"


class UnknownCategory(KeyError):
    """A category code that is not in the taxonomy."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"unknown category {self.code!r}: use a code from categories.yaml, or {UNCATEGORISED!r}"


def category_lineage(code: str) -> tuple[str, ...]:
    """The code and its ancestors, most specific first: ``permits.building`` -> ``permits.building, permits``."""
    parts = code.split(".")
    return tuple(".".join(parts[:n]) for n in range(len(parts), 0, -1))


@dataclass(frozen=True, slots=True)
class Category:
    """One report subject, with its handlers after inheritance from its parent."""

    code: str
    name_id: str
    name_en: str
    regency_unit: str | None = None
    province_unit: str | None = None
    national_agency: str | None = None
    out_of_scope: bool = False
    refer_to: str | None = None

    @property
    def parent_code(self) -> str | None:
        """The parent category's code, None for a top-level category."""
        return self.code.rpartition(".")[0] or None

    @property
    def label(self) -> str:
        """Code and Indonesian name: ``health (Kesehatan)``."""
        return f"{self.code} ({self.name_id})"

    def handler(self, level: HandlerLevel) -> str | None:
        """The unit slug (regency, province) or agency code (national) handling it at ``level``, if any."""
        if level is HandlerLevel.REGENCY:
            return self.regency_unit
        if level is HandlerLevel.PROVINCE:
            return self.province_unit
        return self.national_agency


class Taxonomy:
    """Every category by code, in file order."""

    def __init__(self, categories: list[Category]) -> None:
        self._by_code = {category.code: category for category in categories}
        if UNCATEGORISED not in self._by_code:
            raise ValueError(f"categories.yaml must define {UNCATEGORISED!r} (the category of unclassified reports)")

    @classmethod
    def parse(cls, text: str) -> "Taxonomy":
        """The taxonomy in the text of ``categories.yaml``; raises ValueError naming the entry to fix."""
        document = yaml.load(text, Loader=yaml.CSafeLoader) or {}
        categories: dict[str, Category] = {}
        for entry in document.get("categories") or []:
            category = _parse_category(entry, categories)
            categories[category.code] = category
        return cls(list(categories.values()))

    def __iter__(self) -> Iterator[Category]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def find(self, code: str) -> Category | None:
        """The category with this code, or None."""
        return self._by_code.get(code)

    def get(self, code: str) -> Category:
        """The category with this code; raises :class:`UnknownCategory` otherwise."""
        category = self._by_code.get(code)
        if category is None:
            raise UnknownCategory(code)
        return category

    @staticmethod
    def normalise(code: str | None) -> str:
        """A complaint's category code as routing reads it: trimmed, lower case, ``uncategorised`` when empty."""
        cleaned = (code or "").strip().lower()
        return cleaned or UNCATEGORISED


_HANDLER_KEYS = ("regency", "province", "national")


def _parse_category(entry: Any, known: dict[str, Category]) -> Category:
    if not isinstance(entry, dict) or not isinstance(entry.get("code"), str):
        raise ValueError(f"categories.yaml: every entry needs a code, got {entry!r}")
    code = entry["code"]
    where = f"categories.yaml, category {code!r}"
    if not CATEGORY_CODE.fullmatch(code):
        raise ValueError(f"{where}: a code is lower-case slugs joined by dots, e.g. 'permits.building'")
    if code in known:
        raise ValueError(f"{where} is defined twice: keep one entry")
    unknown_keys = set(entry) - {"code", "name_id", "name_en", "out_of_scope", "refer_to", *_HANDLER_KEYS}
    if unknown_keys:
        raise ValueError(f"{where}: unknown keys {sorted(unknown_keys)}")
    for name_key in ("name_id", "name_en"):
        if not entry.get(name_key):
            raise ValueError(f"{where}: {name_key} (the Indonesian and English names) is required")
    handlers = {key: entry[key] for key in _HANDLER_KEYS if entry.get(key)}
    out_of_scope = bool(entry.get("out_of_scope", False))
    if out_of_scope and handlers:
        raise ValueError(f"{where}: an out-of-scope category has no handlers; remove its handlers or out_of_scope")
    parent_code = code.rpartition(".")[0]
    if parent_code:
        parent = known.get(parent_code)
        if parent is None:
            raise ValueError(f"{where}: its parent {parent_code!r} must be defined above it")
        if not handlers and not out_of_scope:
            handlers = {key: parent.handler(HandlerLevel(key)) for key in _HANDLER_KEYS}
    if out_of_scope and not entry.get("refer_to"):
        raise ValueError(f"{where}: say where out-of-scope reports belong with refer_to")
    return Category(
        code=code,
        name_id=entry["name_id"],
        name_en=entry["name_en"],
        regency_unit=handlers.get("regency"),
        province_unit=handlers.get("province"),
        national_agency=handlers.get("national"),
        out_of_scope=out_of_scope,
        refer_to=entry.get("refer_to"),
    )
