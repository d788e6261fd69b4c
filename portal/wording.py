"""Indonesian words and number formats of the portal (statuses and events come from :mod:`projections.status`)."""

from __future__ import annotations

from decimal import Decimal

from channels.web import REPORT_TYPES as WEB_REPORT_TYPES

REPORT_TYPES = {"complaint": "Pengaduan", "aspiration": "Aspirasi", "information_request": "Permintaan informasi"}
REPORT_TYPE_VALUES = {value: name for name, value in WEB_REPORT_TYPES.items()}  # COMPLAINT -> complaint
STAGES = {"VERIFICATION": "Verifikasi", "FIRST_RESPONSE": "Tanggapan pertama", "FOLLOW_UP": "Tindak lanjut",
          "CLOSURE": "Penutupan"}

Number = int | float | Decimal


def angka(value: Number | None, decimals: int = 0) -> str:
    """``1234.5`` -> ``1.234,5`` (Indonesian separators); None -> an en dash."""
    if value is None:
        return "–"
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def persen(share: Number | None) -> str:
    """A share 0..1 as a percentage: ``0.8125`` -> ``81,3%``."""
    return "–" if share is None else f"{angka(float(share) * 100, 1)}%"


def report_type(value: str) -> str:
    """``COMPLAINT`` (or ``complaint``) -> ``Pengaduan``."""
    return REPORT_TYPES.get(REPORT_TYPE_VALUES.get(value, value), value)
