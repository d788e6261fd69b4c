"""The submit form (``/lapor``): its fields, the ``POST /api/v1/complaints`` body they make, and every error put
back next to its field in Indonesian.

The form only translates: the body goes through :func:`channels.web.read_complaint`, the same checks as the API.
"""

from __future__ import annotations

from typing import Any, Mapping

from aduan.domain.categories import UNCATEGORISED, Category
from aduan.domain.intake import (
    ADDRESS_MAX,
    ATTACHMENTS_MAX,
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    TITLE_MAX,
    TITLE_MIN,
)
from aduan.domain.regions import Region, RegionLevel, Regions
from channels.request_checks import FieldError
from channels.web import REPORT_TYPES

FIELDS = ("jenis", "judul", "uraian", "kategori", "provinsi", "kabupaten", "kecamatan", "alamat", "lintang", "bujur",
          "lampiran", "nama", "email", "telepon", "anonim", "rahasia", "kunci")
YES = "ya"
# What each field needs, shown when the API's schema refuses it (its own messages name JSON fields, in English).
NEEDS = {
    "jenis": "Pilih jenis laporan: pengaduan, aspirasi atau permintaan informasi.",
    "judul": f"Tulis judul {TITLE_MIN}-{TITLE_MAX} karakter.",
    "uraian": f"Tulis uraian {DESCRIPTION_MIN}-{DESCRIPTION_MAX:,} karakter: apa yang terjadi, di mana, kapan."
    .replace(",", "."),
    "kategori": "Pilih kategori dari daftar, atau biarkan kosong bila ragu.",
    "provinsi": "Pilih provinsi (lalu kabupaten/kota dan kecamatan bila tahu).",
    "alamat": f"Alamat paling banyak {ADDRESS_MAX} karakter.",
    "koordinat": "Isi lintang (-90..90) dan bujur (-180..180) sebagai angka, mis. -5.4627 dan 122.6137, atau "
                 "kosongkan keduanya.",
    "lampiran": f"Paling banyak {ATTACHMENTS_MAX} lampiran, satu alamat http(s) per baris.",
    "nama": "Nama paling banyak 200 karakter.",
    "email": "Alamat email paling banyak 254 karakter.",
    "telepon": "Nomor telepon paling banyak 32 karakter.",
    "kontak": "Cantumkan email atau nomor telepon, atau kirim sebagai laporan anonim.",
    "kunci": "Formulir ini sudah kedaluwarsa: muat ulang halaman lalu kirim lagi.",
}
# Where the error summary's link of a message goes, when the message has no field of its own name.
ANCHORS = {"kontak": "email", "koordinat": "lintang", "kunci": "judul"}
SCHEMA_CODES = {"null", "type", "enum", "too_short", "too_long", "pattern", "range", "too_many", "required",
                "unknown_field"}
_PATH_FIELDS = [("location.coordinates", "koordinat"), ("location.address", "alamat"), ("location", "provinsi"),
                ("attachments", "lampiran"), ("reporter.email", "email"), ("reporter.phone", "telepon"),
                ("reporter.name", "nama"), ("reporter", "kontak"), ("idempotency_key", "kunci"),
                ("type", "jenis"), ("title", "judul"), ("description", "uraian"), ("category", "kategori")]


def values_of(posted: Mapping[str, Any]) -> dict[str, str]:
    """The form's own fields as entered (anything else posted is ignored)."""
    return {name: str(posted.get(name, "")) for name in FIELDS}


def chosen_region(values: Mapping[str, str], regions: Regions) -> str:
    """The narrowest region picked: the district if it lies in the regency, the regency if in the province."""
    code = values["provinsi"].strip()
    for level in ("kabupaten", "kecamatan"):
        narrower = regions.find(values[level].strip())
        if narrower is None or narrower.parent_code != code:
            break
        code = narrower.code
    return code


def request_body(values: Mapping[str, str], regions: Regions) -> tuple[dict[str, Any], list[FieldError]]:
    """The ``POST /api/v1/complaints`` body of the form, and the errors of what cannot even be put in it."""
    coordinates, errors = _coordinates(values["lintang"], values["bujur"])
    reporter = {"name": values["nama"].strip() or None, "email": values["email"].strip() or None,
                "phone": values["telepon"].strip() or None}
    body: dict[str, Any] = {
        "type": values["jenis"],
        "title": values["judul"],
        "description": values["uraian"],
        "category": values["kategori"] or None,
        "location": {"region": chosen_region(values, regions), "coordinates": coordinates,
                     "address": values["alamat"].strip() or None},
        "attachments": [{"url": line.strip()} for line in values["lampiran"].splitlines() if line.strip()],
        "reporter": reporter if any(reporter.values()) else None,
        "privacy": {"anonymous": values["anonim"] == YES, "confidential": values["rahasia"] == YES},
        "idempotency_key": values["kunci"],
    }
    if body["type"] not in REPORT_TYPES:
        body["type"] = ""  # the schema names the valid ones
    return body, errors


def field_messages(errors: list[FieldError]) -> dict[str, list[str]]:
    """Form field -> its Indonesian messages, from the door's errors (business rules already say it in Indonesian)."""
    found: dict[str, list[str]] = {}
    for path, code, message in errors:
        field = next(name for prefix, name in [*_PATH_FIELDS, ("", "kunci")] if path.startswith(prefix))
        text = NEEDS[field] if code in SCHEMA_CODES else message[:1].upper() + message[1:] + "."
        if text not in found.setdefault(field, []):
            found[field].append(text)
    return found


def category_choices(categories: list[Category]) -> list[tuple[str, str]]:
    """``(code, Indonesian name)`` of every category a reporter may choose, sub-categories under their parent."""
    names = {c.code: c.name_id for c in categories}
    return [(c.code, f"{names[c.parent_code]} – {c.name_id}" if c.parent_code in names else c.name_id)
            for c in categories if c.code != UNCATEGORISED and not c.out_of_scope]


def region_choices(values: Mapping[str, str], regions: Regions) -> dict[str, tuple[Region, ...]]:
    """The options of the three region lists: every province, then the children of what is picked."""
    choices: dict[str, tuple[Region, ...]] = {"provinsi": regions.at_level(RegionLevel.PROVINCE),
                                              "kabupaten": (), "kecamatan": ()}
    picked = chosen_region(values, regions)
    chain = {r.level: r.code for r in regions.chain(picked)} if regions.is_valid(picked) else {}
    if RegionLevel.PROVINCE in chain:
        choices["kabupaten"] = regions.children(chain[RegionLevel.PROVINCE])
    if RegionLevel.REGENCY in chain:
        choices["kecamatan"] = regions.children(chain[RegionLevel.REGENCY])
    return choices


def _coordinates(lat: str, lon: str) -> tuple[dict[str, float] | None, list[FieldError]]:
    if not lat.strip() and not lon.strip():
        return None, []
    try:
        return {"lat": float(lat.replace(",", ".")), "lon": float(lon.replace(",", "."))}, []
    except ValueError:
        return None, [("location.coordinates", "type", "coordinates are not numbers")]
