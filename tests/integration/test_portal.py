"""The portal over plain HTTP on a scripted history: every page is valid HTML, bad input gets an Indonesian page
with the right status and stores nothing, and a confidential report or an anonymous identity appears nowhere."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone

import html5lib
import pytest

from aduan.kernel.clock import CLOCK_FILE_ENV, FileClock
from aduan.kernel.config import Settings
from portal.wording import angka
from tests.support import TopicReader
from tests.support.portal import (
    ANONYMOUS_ID,
    ANONYMOUS_NAME,
    PUBLIC_ID,
    SECRET_ID,
    SECRET_TITLE,
    Visitor,
    portal_history,
    start_portal,
)
from tests.support.projection import SULAWESI_TENGGARA, project_all, publish, query

PAGES = ["/", "/lapor", "/lacak", f"/lacak/{PUBLIC_ID}", f"/lacak/{ANONYMOUS_ID}", "/statistik",
         "/statistik/provinsi/74", "/statistik/provinsi/73", "/laporan", "/laporan?wilayah=73&kategori=health",
         "/laporan?halaman=2", "/laporan?status=RESOLVED"]


@pytest.fixture
def portal(settings: Settings, shared_topics, run_process, monkeypatch) -> Visitor:
    publish(settings, portal_history().messages())
    project_all(settings)
    clock = settings.home / "clock"
    FileClock(clock).set(datetime(2026, 3, 20, 12, 0, tzinfo=timezone.utc))  # the month of the scripted history
    monkeypatch.setenv(CLOCK_FILE_ENV, str(clock))
    return Visitor(start_portal(run_process, settings, monkeypatch))


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)


def form_of(visitor: Visitor) -> dict[str, str]:
    """A complete, valid report as the empty form gives it (with its CSRF token and idempotency key)."""
    page = visitor.get("/lapor")[1]
    return {"csrf": csrf_of(page), "kunci": re.search(r'name="kunci" value="([0-9a-f]+)"', page).group(1),
            "jenis": "complaint", "judul": "Jalan berlubang", "uraian": "Lubang besar di depan pasar sejak Senin.",
            "kategori": "infrastructure.roads", "provinsi": "74", "kabupaten": "74.04", "kecamatan": "",
            "email": "warga@example.id"}


def test_every_page_is_valid_html_in_indonesian_and_hides_what_is_private(portal: Visitor, settings: Settings) -> None:
    parser = html5lib.HTMLParser(strict=True)
    for path in PAGES:
        status, page = portal.get(path)
        assert status == 200, (path, page)
        parser.parse(page)  # raises on any parse error
        assert '<html lang="id">' in page
        assert SECRET_ID not in page and SECRET_TITLE not in page, path
        assert ANONYMOUS_NAME not in page and "budi@example.id" not in page and "+6281234567890" not in page, path
    assert '<label for="judul">' in portal.get("/lapor")[1]
    (total,), (median,) = [list(row.values()) for row in query(
        settings, "SELECT sum(complaints) FROM projection.stats_by_day UNION ALL "
                  "SELECT first_response_median_hours FROM projection.stats_summary")]
    home = portal.get("/")[1]
    assert f"<dt>Laporan bulan ini</dt><dd>{total}</dd>" in home
    assert f"<dd>{angka(median, 1)} jam</dd>" in home
    for path, status in (("/lacak/ZZZZZ-ZZZZZ", 404), ("/lacak/UUUU!", 400), ("/tidak-ada", 404),
                         ("/laporan?halaman=0", 400)):
        answer = portal.get(path)
        assert answer[0] == status, path
        parser.parse(answer[1])


def test_without_javascript_the_form_lists_the_regencies_and_districts_of_the_choice(portal: Visitor) -> None:
    fields = {**form_of(portal), "provinsi": "74", "kabupaten": "", "langkah": "wilayah"}
    status, page = portal.post("/lapor", fields)
    assert status == 200 and '<option value="74.04">Kabupaten Buton</option>' in page and "galat" not in page
    status, page = portal.post("/lapor", {**fields, "kabupaten": "74.04"})
    assert status == 200 and '<option value="74.04" selected>' in page and 'value="74.04.11"' in page
    assert 'value="Jalan berlubang"' in page  # the rest of the form is kept
    html5lib.HTMLParser(strict=True).parse(page)


def test_a_confidential_report_and_an_unknown_one_get_the_same_not_found_page(portal: Visitor) -> None:
    secret_status, secret = portal.get(f"/lacak/{SECRET_ID}")
    unknown_status, unknown = portal.get("/lacak/ZZZZZ-ZZZZZ")
    assert (secret_status, unknown_status) == (404, 404)
    assert secret.replace(SECRET_ID, "X") == unknown.replace("ZZZZZ-ZZZZZ", "X") and SECRET_TITLE not in secret
    status, page = portal.get("/lacak/UUUU!-LLLLL")
    assert status == 400 and "Nomor lacak tidak valid" in page
    assert portal.get(f"/lacak/{PUBLIC_ID.lower()}")[0] == 200  # typed in lower case: redirected to the page


def test_the_track_page_shows_the_agency_and_the_deadline_in_local_time(portal: Visitor) -> None:
    status, page = portal.get(f"/lacak/{PUBLIC_ID}")
    assert status == 200 and '<dd id="instansi">Pemerintah Kota Makassar</dd>' in page
    assert "Batas waktu tahap tindak lanjut</dt><dd id=\"batas-waktu\">2026-03-09 17:00 WITA" in page
    assert re.search(r'<time datetime="2026-03-02T0[0-9]:[0-9:]+\+00:00">2026-03-02 [01][0-9]:[0-9]{2} WITA</time>',
                     page) and "Diterima oleh instansi" in page  # the timeline, in WITA (UTC+8)


def test_the_province_table_and_its_csv_list_every_regency_with_zeros(portal: Visitor) -> None:
    status, page = portal.get("/statistik/provinsi/74")
    assert status == 200
    cells = dict(re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td><td>([^<]+)</td>', page)[i][0::2]
                 for i in range(17))
    assert cells["Kabupaten Buton"] == "54" and cells["Kabupaten Kolaka"] == "29" and cells["Kota Kendari"] == "16"
    assert cells["Kabupaten Konawe Kepulauan"] == "0"
    status, text = portal.get("/statistik/provinsi/74.csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert status == 200 and sorted(r["regency_code"] for r in rows) == SULAWESI_TENGGARA
    for name in ("provinsi", "instansi", "tahap-instansi", "kategori", "harian"):
        assert portal.get(f"/statistik/{name}.csv")[0] == 200, name
    assert portal.get("/statistik/provinsi/99")[0] == 404 and portal.get("/statistik/planet.csv")[0] == 404


def test_bad_posts_get_an_indonesian_page_with_the_right_status_and_store_nothing(portal: Visitor,
                                                                                  settings: Settings) -> None:
    intake = TopicReader(settings, f"{settings.topic_prefix}.intake")
    valid = form_of(portal)
    status, page = portal.post("/lapor", {**valid, "csrf": "0" * 64})
    assert status == 403 and "Formulir tidak sah" in page
    status, page = portal.post(f"/lacak/{PUBLIC_ID}/informasi", {"token": "t", "teks": "x", "kunci": "k" * 20})
    assert status == 403 and "Formulir tidak sah" in page
    status, page = portal.post("/lapor", {**valid, "uraian": "x" * 70_000})
    assert status == 413 and "terlalu besar" in page
    status, page = portal.post("/lapor", {}, content_type="application/json", data=b'{"judul": 1}')
    assert status == 415
    for content_type, body in (("multipart/form-data", b"x"), ("multipart/form-data; boundary=b", b"--b\r\nx"),
                               ("application/x-www-form-urlencoded", b"\xff\xfe=%zz")):
        status, page = portal.post("/lapor", {}, content_type=content_type, data=body)
        assert status == 400 and "Permintaan tidak valid" in page, content_type
    status, page = portal.post("/lapor", {**valid, "provinsi": "99", "kabupaten": "", "kategori": "astrology",
                                          "judul": "ab", "email": "", "lintang": "utara", "bujur": "1"})
    assert status == 422
    for said in ("Kode wilayah &#39;99&#39; tidak dikenal", "Kategori &#39;astrology&#39; tidak dikenal",
                 "Tulis judul 3-200 karakter", "Isi lintang", "Cantumkan email"):
        assert said in page, said
    assert 'value="ab"' in page and 'value="utara"' in page  # what was typed is kept
    status, page = portal.get("/laporan?wilayah=99&halaman=x")
    assert status == 400 and "Wilayah tidak dikenal" in page
    metrics = portal.get("/metrics")[1]
    assert 'aduan_portal_requests_total{route="/lapor",status="403"} 1.0' in metrics
    assert 'aduan_portal_requests_total{route="/lapor",status="422"} 1.0' in metrics
    assert intake.poll() == []
    intake.close()


def test_a_resubmitted_form_makes_one_report_with_one_tracking_id(portal: Visitor, settings: Settings) -> None:
    intake = TopicReader(settings, f"{settings.topic_prefix}.intake")
    valid = form_of(portal)
    answers = [portal.post("/lapor", valid) for _ in range(2)]
    ids = [re.search(r'id="nomor-lacak">([0-9A-Z-]+)<', page).group(1) for _, page in answers]
    assert [status for status, _ in answers] == [200, 200] and ids[0] == ids[1]
    html5lib.HTMLParser(strict=True).parse(answers[0][1])
    keys = {m.key for m in intake.wait_for_count(2)}
    assert len(keys) == 1  # the same delivery twice: the intake processor records one complaint
    intake.close()
