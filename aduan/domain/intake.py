"""The rules an intake report (``id.aduan.intake.Report``) must meet; :mod:`channels.report` builds the record.

The same :class:`Rules` run at the door (the web API answers 422, SMS answers with help, the CSV import skips the
row) and in the intake processor (dead letter and a reply to the reporter), so a report the door accepted is
accepted downstream too. The rules:

* title 3-200 characters, description 10-10,000 characters (after trimming), address at most 500;
* region: an official code of ``regions.csv``, or none at all (national triage);
* category: a code of ``categories.yaml``, or none (uncategorised);
* coordinates within WGS84 bounds; at most 10 attachments, each with an http(s) URL and/or a SHA-256;
* a contact (email, phone or social media handle) unless the report is anonymous or a historical bulk import;
  an email must look like one, a phone must be E.164 after :func:`normalise_phone`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aduan.domain.categories import UNCATEGORISED, Taxonomy
from aduan.domain.directory import Directory

INTAKE_REPORT = "id.aduan.intake.Report"

TITLE_MIN, TITLE_MAX = 3, 200
DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 10_000
ADDRESS_MAX = 500
ATTACHMENTS_MAX = 10
URL_MAX = 2_000
MESSAGE_ID_MAX = 200
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"\+[1-9][0-9]{7,14}")
SHA256 = re.compile(r"[0-9a-f]{64}")
URL = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a report: the field, a machine code, and what to do, in English and Indonesian."""

    field: str
    code: str
    message: str
    pesan: str

    def as_json(self) -> dict[str, str]:
        """The problem as the web API lists it."""
        return {"field": self.field, "code": self.code, "message": self.message}


def normalise_phone(text: str) -> str:
    """An Indonesian phone number as E.164: ``0812-3456-7890`` and ``62 812...`` -> ``+6281234567890``."""
    digits = re.sub(r"[\s\-().]", "", text.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+62" + digits[1:]
    elif digits.startswith("62"):
        digits = "+" + digits
    return digits


def title_from(text: str, limit: int = 80) -> str:
    """A title from the start of a free text (SMS, social media): whole words, at most ``limit`` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit - 1].rsplit(" ", 1)[0] or flat[:limit - 1]
    return cut + "…"


class Rules:
    """The business rules of an intake report, over one directory version (regions and categories)."""

    def __init__(self, directory: Directory | None = None) -> None:
        directory = directory or Directory.load()
        self.regions = directory.regions
        self.taxonomy = directory.taxonomy

    def category(self, code: str | None) -> str | None:
        """The category as ComplaintSubmitted carries it: the normalised code, None for uncategorised."""
        normal = Taxonomy.normalise(code)
        return None if normal == UNCATEGORISED else normal

    def problems(self, report: dict[str, Any]) -> list[Problem]:
        """Everything wrong with ``report`` (an intake record), in field order; empty when it is acceptable."""
        found: list[Problem] = []
        message_id = report["channel_message_id"]
        if not message_id or len(message_id) > MESSAGE_ID_MAX:
            found.append(Problem("channel_message_id", "invalid",
                                 f"the channel's message id must have 1-{MESSAGE_ID_MAX} characters",
                                 f"nomor pesan kanal harus 1-{MESSAGE_ID_MAX} karakter"))
        found += _length("title", "judul", report["title"], TITLE_MIN, TITLE_MAX)
        found += _length("description", "uraian", report["description"], DESCRIPTION_MIN, DESCRIPTION_MAX)
        found += self._place(report)
        found += self._category(report["category"])
        found += _attachments(report["attachments"])
        found += _reporter_problems(report)
        return found

    def _place(self, report: dict[str, Any]) -> list[Problem]:
        found = []
        code = report["region_code"]
        if code and not self.regions.is_valid(code):
            found.append(Problem(
                "region", "unknown_region",
                f"unknown region code {code!r}: use an official code such as 74 (province), 74.04 (regency or city) "
                "or 74.04.11 (district); leave it out when the place is unknown",
                f"kode wilayah {code!r} tidak dikenal: tulis kode resmi (mis. 74.04) atau nama kabupaten/kota"))
        coordinates = report["coordinates"]
        if coordinates and not (-90 <= coordinates["lat"] <= 90 and -180 <= coordinates["lon"] <= 180):
            found.append(Problem("coordinates", "out_of_range",
                                 "coordinates must be WGS84: lat -90..90, lon -180..180",
                                 "koordinat tidak valid (lintang -90..90, bujur -180..180)"))
        if report["address"] and len(report["address"]) > ADDRESS_MAX:
            found.append(Problem("address", "too_long", f"address: at most {ADDRESS_MAX} characters",
                                 f"alamat terlalu panjang (paling banyak {ADDRESS_MAX} karakter)"))
        return found

    def _category(self, code: str | None) -> list[Problem]:
        if code is None or Taxonomy.normalise(code) in self.taxonomy:
            return []
        known = ", ".join(c.code for c in self.taxonomy)
        return [Problem("category", "unknown_category",
                        f"unknown category {code!r}: use one of {known}, or leave it out",
                        f"kategori {code!r} tidak dikenal; kosongkan bila ragu")]


def _length(name: str, nama: str, text: str, low: int, high: int) -> list[Problem]:
    size = len(text.strip())
    if size < low:
        return [Problem(name, "too_short", f"{name}: at least {low} characters (got {size})",
                        f"{nama} terlalu pendek (paling sedikit {low} karakter)")]
    if size > high:
        return [Problem(name, "too_long", f"{name}: at most {high:,} characters (got {size:,}); shorten it or attach "
                        "a document", f"{nama} terlalu panjang ({size:,} karakter, paling banyak {high:,}); "
                        "persingkat atau lampirkan dokumen")]
    return []


def _attachments(attachments: list[dict[str, Any]]) -> list[Problem]:
    found = []
    if len(attachments) > ATTACHMENTS_MAX:
        found.append(Problem("attachments", "too_many", f"at most {ATTACHMENTS_MAX} attachments",
                             f"lampiran paling banyak {ATTACHMENTS_MAX}"))
    for index, attachment in enumerate(attachments):
        url, digest = attachment["url"], attachment["sha256"]
        where = f"attachments[{index}]"
        if not url and not digest:
            found.append(Problem(where, "missing", f"{where}: give its url and/or its sha256",
                                 f"lampiran ke-{index + 1} tanpa alamat (url) maupun sha256"))
        if url and (len(url) > URL_MAX or not URL.fullmatch(url)):
            found.append(Problem(f"{where}.url", "invalid", f"{where}.url: an http(s) URL of at most {URL_MAX} "
                                 "characters", f"alamat lampiran ke-{index + 1} tidak valid"))
        if digest and not SHA256.fullmatch(digest):
            found.append(Problem(f"{where}.sha256", "invalid", f"{where}.sha256: 64 lower-case hex digits",
                                 f"sha256 lampiran ke-{index + 1} tidak valid"))
    return found


def _reporter_problems(report: dict[str, Any]) -> list[Problem]:
    reporter = report["reporter"]
    anonymous = report["privacy"]["anonymous"]
    if not anonymous and report["channel"] != "BULK_IMPORT" and not _has_contact(reporter):
        return [Problem("reporter", "missing_contact",
                        "give an email, a phone number or a social media handle, or send the report as anonymous",
                        "cantumkan email, nomor telepon atau akun media sosial, atau kirim sebagai laporan anonim")]
    found = []
    if reporter and reporter["email"] and not EMAIL.fullmatch(reporter["email"]):
        found.append(Problem("reporter.email", "invalid", f"{reporter['email']!r} is not an email address",
                             "alamat email tidak valid"))
    if reporter and reporter["phone"] and not PHONE.fullmatch(reporter["phone"]):
        found.append(Problem("reporter.phone", "invalid",
                             f"{reporter['phone']!r} is not a phone number: use +62... or 08...",
                             "nomor telepon tidak valid: tulis +62... atau 08..."))
    return found


def _has_contact(reporter: dict[str, Any] | None) -> bool:
    return bool(reporter) and any(reporter.get(f) for f in ("email", "phone", "social_handle"))
