"""The portal's submit form: what it turns into for the web door, and how the door's errors come back to it."""

from __future__ import annotations

from datetime import datetime, timezone

from channels.web import read_complaint
from portal import form
from portal.charts import horizontal
from portal.wording import angka, persen

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def values(**changes: str) -> dict[str, str]:
    return form.values_of({"jenis": "complaint", "judul": "Jalan berlubang", "uraian": "Lubang besar di depan pasar.",
                           "kategori": "infrastructure.roads", "provinsi": "74", "kabupaten": "74.04",
                           "kecamatan": "74.04.11", "telepon": "0812-3456-7890", "kunci": "k" * 32, **changes})


def test_a_complete_form_becomes_the_report_the_api_would_make(door) -> None:
    body, errors = form.request_body(values(anonim="ya", lampiran="https://foto.example/1.jpg\n\n"), door.rules.regions)
    report, door_errors = read_complaint(body, None, NOW, door, indonesian=True)
    assert errors == door_errors == [] and report is not None
    assert report["region_code"] == "74.04.11" and report["category"] == "infrastructure.roads"
    assert report["privacy"] == {"anonymous": True, "confidential": False} and report["reporter"] is None
    assert [a["url"] for a in report["attachments"]] == ["https://foto.example/1.jpg"]
    assert report["channel"] == "WEB" and report["channel_message_id"] == "k" * 32


def test_a_regency_of_another_province_is_dropped_from_the_choice(door) -> None:
    regions = door.rules.regions
    assert form.chosen_region(values(provinsi="73"), regions) == "73"
    assert form.chosen_region(values(kecamatan=""), regions) == "74.04"
    choices = form.region_choices(values(), regions)
    assert len(choices["provinsi"]) == 38 and len(choices["kabupaten"]) == 17
    assert all(r.parent_code == "74.04" for r in choices["kecamatan"])


def test_every_error_comes_back_to_its_field_in_indonesian(door) -> None:
    body, errors = form.request_body(values(jenis="x", judul="", provinsi="", telepon="12", lintang="a", bujur="b",
                                            lampiran="ftp://x", kunci=""), door.rules.regions)
    _, door_errors = read_complaint(body, None, NOW, door, indonesian=True)
    messages = form.field_messages(errors + door_errors)
    assert set(messages) == {"jenis", "judul", "provinsi", "telepon", "koordinat", "lampiran", "kunci"}
    assert messages["telepon"] == ["Nomor telepon tidak valid: tulis +62... atau 08...."]
    assert messages["lampiran"] == ["Alamat lampiran ke-1 tidak valid."]


def test_numbers_and_bars_in_indonesian() -> None:
    assert (angka(1234567), angka(12.345, 1), angka(None), persen(0.8137)) == ("1.234.567", "12,3", "–", "81,4%")
    chart = horizontal("t", [("a", 10), ("b", 5), ("c", None)])
    assert [b.value for b in chart.bars] == ["10", "5", "–"] and chart.bars[1].width == chart.bars[0].width / 2
