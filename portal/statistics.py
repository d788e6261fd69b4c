"""The statistics pages' sections: each a chart, the table it draws and its CSV download, from the documented
statistics views (:func:`projections.stats.statistics`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg2.extensions

from aduan.domain.regions import Region
from portal.charts import Chart, columns, horizontal
from portal.wording import STAGES, angka, persen
from projections.output import render
from projections.stats import StatsTable, statistics

# CSV name -> the statistics dimension it downloads.
DOWNLOADS = {"provinsi": "province", "kabupaten": "regency", "instansi": "agency", "tahap-instansi": "agency-stage",
             "kategori": "category", "harian": "day"}
AGENCY_STAGES = ("FIRST_RESPONSE", "FOLLOW_UP")
CHART_AGENCIES = 15
CHART_DAYS = 31


@dataclass(frozen=True)
class Section:
    """One statistic on a page: heading, chart, the table's header and rows (as text), and its CSV link."""

    anchor: str
    heading: str
    chart: Chart
    header: list[str]
    rows: list[list[str]]
    csv: str
    note: str = ""
    links: tuple[str, ...] = ()  # where the first cell of each row leads, if anywhere


def national(conn: psycopg2.extensions.connection) -> list[Section]:
    """The national page: by province, by agency, by category, per day."""
    provinces = statistics(conn, "province")
    agencies = statistics(conn, "agency")
    stage_rates = statistics(conn, "agency-stage")
    categories = statistics(conn, "category")
    days = statistics(conn, "day")
    return [_provinces(provinces), _agencies(agencies, stage_rates), _categories(categories), _days(days)]


def by_regency(conn: psycopg2.extensions.connection, province: Region) -> list[Section]:
    """One province's page: complaints per regency and city, every one of them, zeros included."""
    table = _dicts(statistics(conn, "regency", province.code))
    items = [(row["regency"], row["complaints"]) for row in table]
    return [Section("kabupaten", f"Laporan per kabupaten/kota di {province.name}",
                    horizontal(f"Jumlah laporan per kabupaten/kota di {province.name}", items),
                    ["Kabupaten/kota", "Kode", "Laporan"],
                    [[row["regency"], row["regency_code"], angka(row["complaints"])] for row in table],
                    f"/statistik/provinsi/{province.code}.csv",
                    "Laporan yang hanya menyebut provinsi tidak dihitung di kabupaten/kota mana pun.")]


def csv_text(conn: psycopg2.extensions.connection, name: str, province: str | None = None) -> str:
    """The CSV download ``name`` (:data:`DOWNLOADS`); a province code gives its regencies and cities."""
    table = statistics(conn, "regency", province) if province else statistics(conn, DOWNLOADS[name])
    return render(table.columns, table.rows, "csv")


def _dicts(table: StatsTable) -> list[dict[str, Any]]:
    return [dict(zip(table.columns, row)) for row in table.rows]


def _provinces(table: StatsTable) -> Section:
    rows = _dicts(table)
    return Section("provinsi", "Laporan per provinsi",
                   horizontal("Jumlah laporan per provinsi", [(r["province"], r["complaints"]) for r in rows]),
                   ["Provinsi", "Laporan"], [[r["province"], angka(r["complaints"])] for r in rows],
                   "/statistik/provinsi.csv", "Pilih provinsi untuk melihat kabupaten/kotanya.",
                   tuple(f"/statistik/provinsi/{r['province_code']}" for r in rows))


def _agencies(table: StatsTable, stages: StatsTable) -> Section:
    rows = _dicts(table)
    rates: dict[tuple[str, str], Any] = {(r["agency"], r["stage"]): r["on_time_rate"] for r in _dicts(stages)}
    return Section("instansi", "Kinerja instansi",
                   horizontal("Jumlah laporan per instansi (15 terbanyak)",
                              [(r["name"] or r["agency"], r["complaints"]) for r in rows[:CHART_AGENCIES]]),
                   ["Instansi", "Laporan", *(f"Tepat waktu: {STAGES[s].lower()}" for s in AGENCY_STAGES),
                    "Median tanggapan pertama (jam)", "Penilaian rata-rata"],
                   [[r["name"] or r["agency"], angka(r["complaints"]),
                     *(persen(rates.get((r["agency"], s))) for s in AGENCY_STAGES),
                     angka(r["first_response_median_hours"], 1), angka(r["average_rating"], 2)] for r in rows],
                   "/statistik/instansi.csv",
                   "Tepat waktu: bagian tahap yang selesai sebelum batas waktunya (per tahap: "
                   "/statistik/tahap-instansi.csv).")


def _categories(table: StatsTable) -> Section:
    rows = _dicts(table)
    return Section("kategori", "Laporan per kategori",
                   horizontal("Jumlah laporan per kategori",
                              [(r["name"] or r["category"], r["complaints"]) for r in rows]),
                   ["Kategori", "Laporan"], [[r["name"] or r["category"], angka(r["complaints"])] for r in rows],
                   "/statistik/kategori.csv")


def _days(table: StatsTable) -> Section:
    rows = _dicts(table)[-CHART_DAYS:]
    return Section("harian", "Laporan per hari",
                   columns("Jumlah laporan per hari (31 hari terakhir)",
                           [(f"{r['day']:%d-%m-%Y}", r["complaints"]) for r in rows], CHART_DAYS),
                   ["Tanggal", "Laporan"], [[f"{r['day']:%d-%m-%Y}", angka(r["complaints"])] for r in rows],
                   "/statistik/harian.csv", "Tanggal menurut waktu setempat wilayah laporan.")
