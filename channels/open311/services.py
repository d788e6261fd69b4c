"""The Open311 services: one per complaint category of ``categories.yaml`` (its code is the ``service_code``,
its Indonesian name the ``service_name``, its parent's Indonesian name the ``group``), each with the same
attributes (:data:`ATTRIBUTES`): the report type, *anonim*, *rahasia*, the region code and an optional title."""

from __future__ import annotations

from typing import Any

from aduan.domain.categories import UNCATEGORISED, Category, Taxonomy
from aduan.domain.intake import TITLE_MAX, TITLE_MIN

REPORT_TYPES = {"pengaduan": "COMPLAINT", "aspirasi": "ASPIRATION", "permintaan_informasi": "INFORMATION_REQUEST"}
YES_NO = {"ya": True, "tidak": False}


def _choice(code: str, order: int, description: str, values: dict[str, str]) -> dict[str, Any]:
    return {"variable": True, "code": code, "datatype": "singlevaluelist", "required": False,
            "datatype_description": None, "order": order, "description": description,
            "values": [{"key": key, "name": name} for key, name in values.items()]}


def _text(code: str, order: int, description: str, datatype_description: str) -> dict[str, Any]:
    return {"variable": True, "code": code, "datatype": "string", "required": False,
            "datatype_description": datatype_description, "order": order, "description": description}


ATTRIBUTES: list[dict[str, Any]] = [
    _choice("jenis", 1, "Jenis laporan (bawaan: pengaduan)",
            {"pengaduan": "Pengaduan", "aspirasi": "Aspirasi", "permintaan_informasi": "Permintaan informasi"}),
    _choice("anonim", 2, "Anonim: identitas pelapor dirahasiakan dari siapa pun, termasuk instansi (bawaan: tidak)",
            {"tidak": "Tidak", "ya": "Ya"}),
    _choice("rahasia", 3, "Rahasia: laporan tidak ditampilkan kepada publik (bawaan: tidak)",
            {"tidak": "Tidak", "ya": "Ya"}),
    _text("wilayah", 4, "Kode wilayah resmi (Kepmendagri) tempat kejadian",
          "74 (provinsi), 74.71 (kabupaten/kota) atau 74.71.01 (kecamatan); wajib bila address_string tidak "
          "menyebut provinsi, kabupaten atau kota"),
    _text("judul", 5, "Judul singkat laporan",
          f"{TITLE_MIN}-{TITLE_MAX} karakter; bawaan: awal dari description"),
]


def service(category: Category, group: str) -> dict[str, Any]:
    """The ``GET services`` entry of ``category``, in the group named ``group``."""
    description = f"{category.name_id} ({category.name_en})"
    if category.out_of_scope:
        description += f". Di luar lingkup LAPOR!: {category.refer_to}"
    return {"service_code": category.code, "service_name": category.name_id, "description": description,
            "metadata": True, "type": "realtime",
            "keywords": ", ".join(dict.fromkeys([category.name_en.lower(), *category.code.split(".")])),
            "group": group}


def services(taxonomy: Taxonomy) -> list[dict[str, Any]]:
    """Every service, in the taxonomy's order (``uncategorised`` last: for a report that fits no category); the
    group of a sub-category is its parent's Indonesian name, that of a top-level category its own."""
    names = {c.code: c.name_id for c in taxonomy}
    ordered = sorted(taxonomy, key=lambda c: c.code == UNCATEGORISED)
    return [service(c, names[c.parent_code or c.code]) for c in ordered]


def definition(taxonomy: Taxonomy, code: str) -> dict[str, Any] | None:
    """The ``GET services/{code}`` definition, or None for an unknown code."""
    if code not in taxonomy:
        return None
    return {"service_code": code, "attributes": ATTRIBUTES}
