"""Synthetic complaints for the demo and the benchmarks: spread over every regency/city of the official region
list (half of them at district level), every in-scope category, the report types and channels."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator

from aduan.domain.directory import Directory
from aduan.domain.regions import RegionLevel

CHANNELS = ["WEB", "MOBILE_APP", "SMS", "EMAIL", "SOCIAL_MEDIA"]
TYPES = ["COMPLAINT"] * 7 + ["ASPIRATION"] * 2 + ["INFORMATION_REQUEST"]
TITLES = {
    "health": "Antrean puskesmas sangat panjang",
    "education": "Dana BOS tidak transparan",
    "infrastructure": "Jalan rusak di depan sekolah",
    "transport": "Angkutan umum tidak beroperasi",
    "adminduk": "KTP elektronik belum jadi setelah tiga bulan",
    "environment": "Sampah menumpuk di pinggir sungai",
}
DEFAULT_TITLE = "Layanan publik tidak sesuai standar"


@dataclass(frozen=True)
class Complaint:
    """One generated report."""

    index: int
    complaint_id: str
    report_type: str
    channel: str
    category: str
    region_code: str
    anonymous: bool
    confidential: bool
    submitted_at: datetime

    @property
    def title(self) -> str:
        return TITLES.get(self.category.split(".")[0], DEFAULT_TITLE)

    @property
    def description(self) -> str:
        return (f"{self.title}. Sudah dilaporkan ke kelurahan namun belum ada tindak lanjut. "
                "Mohon segera ditangani oleh instansi yang berwenang.")


def complaints(count: int | None, seed: int = 1708,
               start: datetime = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)) -> Iterator[Complaint]:
    """``count`` reports (endless when None), the same for the same seed."""
    directory = Directory.load()
    rng = random.Random(seed)
    regencies = list(directory.regions.at_level(RegionLevel.REGENCY))
    districts_of = {r.code: directory.regions.children(r.code) for r in regencies}
    categories = [c.code for c in directory.taxonomy if not c.out_of_scope and c.code != "uncategorised"]
    index = 0
    while count is None or index < count:
        regency = regencies[index % len(regencies)]
        districts = districts_of[regency.code]
        region = rng.choice(districts).code if districts and rng.random() < 0.5 else regency.code
        yield Complaint(
            index=index,
            complaint_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            report_type=rng.choice(TYPES),
            channel=rng.choice(CHANNELS),
            category=rng.choice(categories),
            region_code=region,
            anonymous=rng.random() < 0.1,
            confidential=rng.random() < 0.05,
            submitted_at=start + timedelta(seconds=index * 7),
        )
        index += 1
