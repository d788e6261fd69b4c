"""The portal in a real headless Chromium: a report submitted through the form gets its tracking id, an admin's
verification shows on its track page with the agency, a form with errors keeps its values, the province table
shows the scripted counts with its zero rows, and a confidential report appears on no page. Every test saves a
screenshot (in pytest's cache folder: ``.pytest_cache/d/screenshots/``) and ends with no browser console error."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from aduan.clients.command_sender import find_complaint
from aduan.kernel.config import Settings
from aduan.runtime.embedded.process import free_port
from tests.support import wait_for
from tests.support.portal import (
    ANONYMOUS_ID,
    PUBLIC_ID,
    SECRET_ID,
    SECRET_TITLE,
    chromium_driver,
    portal_history,
    start_portal,
)
from tests.support.projection import project_all, publish


class Browser:
    """One Chromium window on the portal."""

    def __init__(self, driver, base: str, screenshots: Path) -> None:
        self.driver = driver
        self.base = base
        self.screenshots = screenshots
        self.documents: set[str] = set()  # pages loaded: their own error status (422, 404) is expected

    def open(self, path: str) -> None:
        self.documents.add(self.base + path)
        self.driver.get(self.base + path)

    def submit(self) -> None:
        """Press the report form's button."""
        self.documents.add(self.driver.find_element(By.ID, "formulir-lapor").get_attribute("action"))
        self.driver.find_element(By.ID, "kirim").click()

    def text(self, css: str) -> str:
        return self.driver.find_element(By.CSS_SELECTOR, css).text

    def value(self, element_id: str) -> str:
        return self.driver.find_element(By.ID, element_id).get_attribute("value")

    def type(self, element_id: str, text: str) -> None:
        field = self.driver.find_element(By.ID, element_id)
        field.clear()
        field.send_keys(text)

    def choose(self, element_id: str, code: str) -> None:
        """Pick an option, once the form's script has filled the list."""
        wait_for(lambda: self.driver.find_elements(By.CSS_SELECTOR, f"#{element_id} option[value='{code}']"), 10,
                 f"option {code} in #{element_id}")
        Select(self.driver.find_element(By.ID, element_id)).select_by_value(code)

    def screenshot(self, name: str) -> Path:
        path = self.screenshots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def console_errors(self) -> list[dict]:
        """Errors in the console: scripts, and resources that failed, but not a page's own (expected) status."""
        return [entry for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE" and not (
            entry["source"] == "network" and entry["message"].split(" - ")[0] in self.documents)]


@pytest.fixture
def browser(request: pytest.FixtureRequest) -> Iterator:
    """A Chromium for one test; returns a function that points it at a portal."""
    screenshots = Path(request.config.cache.mkdir("screenshots"))
    driver = chromium_driver()
    yield lambda base: Browser(driver, base, screenshots)
    driver.quit()


def start(run_process, settings: Settings, name: str) -> None:
    run_process("run", name, with_settings=settings.with_(metrics_port=free_port()))


def known(settings: Settings, tracking_id: str) -> bool:
    try:
        return bool(find_complaint(settings, tracking_id))
    except KeyError:
        return False


def fill_report(page: Browser, title: str) -> None:
    page.type("judul", title)
    page.type("uraian", "Puskesmas Wabula tutup pada jam pelayanan sejak Senin.")
    Select(page.driver.find_element(By.ID, "kategori")).select_by_value("health")
    page.choose("provinsi", "74")
    page.choose("kabupaten", "74.04")
    page.type("alamat", "Jl. Betoambari No. 12")
    page.type("lintang", "-5.4627")
    page.type("bujur", "122.6137")
    page.type("nama", "Siti Aminah")


def notice(page) -> str:
    """The notice on the page now; the previous page's may still be shown (or vanish) while the next one loads."""
    try:
        return " ".join(e.text for e in page.driver.find_elements(By.ID, "pemberitahuan"))
    except StaleElementReferenceException:
        return ""


def test_a_report_through_the_form_is_tracked_to_its_agency(settings, shared_topics, run_process, monkeypatch,
                                                             browser) -> None:
    monkeypatch.setenv("ADUAN_AUTO_VERIFY_CHANNELS", "")
    for name in ("intake", "lifecycle", "projector"):
        start(run_process, settings, name)
    page = browser(start_portal(run_process, settings, monkeypatch))
    page.open("/lapor")
    fill_report(page, "Pu")  # too short, and no contact: two errors
    page.submit()
    wait_for(lambda: page.driver.find_elements(By.ID, "galat-judul"), 30, "the form's errors")
    assert "Tulis judul 3-200 karakter." in page.text("#galat-judul")
    assert "Cantumkan email" in page.text("#galat-kontak")
    kept = {name: page.value(name) for name in ("judul", "uraian", "kategori", "provinsi", "kabupaten", "alamat",
                                               "lintang", "bujur", "nama")}
    assert kept == {"judul": "Pu", "uraian": "Puskesmas Wabula tutup pada jam pelayanan sejak Senin.",
                    "kategori": "health", "provinsi": "74", "kabupaten": "74.04", "alamat": "Jl. Betoambari No. 12",
                    "lintang": "-5.4627", "bujur": "122.6137", "nama": "Siti Aminah"}
    page.screenshot("lapor-galat")

    page.type("judul", "Puskesmas tutup siang hari")
    page.type("email", "siti@example.id")
    page.submit()
    tracking_id = wait_for(lambda: page.driver.find_elements(By.ID, "nomor-lacak"), 30, "the receipt")[0].text
    assert len(tracking_id) == 11 and tracking_id[5] == "-"
    token = page.text("#token-pelapor")
    page.screenshot("diterima")

    def shown(status: str) -> bool:
        page.open(f"/lacak/{tracking_id}")
        return status in [e.text for e in page.driver.find_elements(By.ID, "status")]

    wait_for(lambda: shown("Menunggu verifikasi"), 60, "the new report on its track page")
    wait_for(lambda: known(settings, tracking_id), 60, "the lifecycle to know the report")
    status = run_process("admin", "verify", tracking_id, "--category", "health", "--region", "74.04")
    assert status.wait(120).startswith("accepted"), status.output()

    wait_for(lambda: shown("Diteruskan ke instansi berwenang"), 60, "the disposition on the track page")
    assert page.text("#instansi") == "Pemerintah Kabupaten Buton"
    assert "WITA" in page.text(".riwayat") and "Didisposisikan ke instansi" in page.text(".riwayat")
    assert "Siti Aminah" not in page.driver.page_source and "siti@example.id" not in page.driver.page_source
    page.screenshot("lacak")

    for action in (["acknowledge"], ["follow-up", "--text", "Jam buka dipulihkan"]):
        act = run_process("agency", "act", "pemkab-74-04", action[0], tracking_id, *action[1:])
        assert act.wait(120).startswith("accepted"), act.output()
    wait_for(lambda: shown("Sudah ditindaklanjuti"), 60, "the agency's follow-up on the track page")
    for given, said in (("bukan-token-saya", "Token pelapor tidak cocok"), (token, "Diterima")):
        page.type("token-informasi", given)
        page.type("teks-informasi", "Puskesmas tutup lagi hari Rabu")
        page.documents.add(page.base + f"/lacak/{tracking_id}/informasi")
        page.driver.find_element(By.CSS_SELECTOR, "form[action$='/informasi'] button").click()
        wait_for(lambda: said in notice(page), 30, f"the outcome {said!r}")
    wait_for(lambda: shown("Sedang diproses instansi"), 60, "the added information on the track page")
    assert "Puskesmas tutup lagi hari Rabu" in page.text(".riwayat")
    page.screenshot("lacak-pelapor")
    assert page.console_errors() == []


def test_statistics_show_the_scripted_history_and_no_page_shows_a_confidential_report(
        settings, shared_topics, run_process, monkeypatch, browser) -> None:
    publish(settings, portal_history().messages())
    project_all(settings)
    page = browser(start_portal(run_process, settings, monkeypatch))
    page.open("/statistik/provinsi/74")
    rows = {row.find_element(By.TAG_NAME, "th").text: row.find_elements(By.TAG_NAME, "td")[-1].text
            for row in page.driver.find_elements(By.CSS_SELECTOR, "tbody tr")}
    assert len(rows) == 17 and rows["Kabupaten Buton"] == "54" and rows["Kabupaten Kolaka"] == "29"
    assert rows["Kota Kendari"] == "16" and rows["Kabupaten Konawe Kepulauan"] == "0"
    assert page.driver.find_element(By.CSS_SELECTOR, "svg[role=img] title").text.startswith("Jumlah laporan")
    page.screenshot("statistik-provinsi-74")
    for path in ("/", "/laporan", "/laporan?wilayah=73", "/statistik", f"/lacak/{PUBLIC_ID}",
                 f"/lacak/{ANONYMOUS_ID}", f"/lacak/{SECRET_ID}"):
        page.open(path)
        source = page.driver.page_source
        assert SECRET_TITLE not in source and (SECRET_ID not in source or path.endswith(SECRET_ID)), path
        assert "budi@example.id" not in source and "Budi Santoso" not in source, path
    assert "tidak ditemukan" in page.text("#tidak-ditemukan")
    page.screenshot("lacak-rahasia")
    page.open("/statistik")
    page.screenshot("statistik")
    for section in ("instansi", "kategori", "harian"):
        page.driver.execute_script("arguments[0].scrollIntoView()", page.driver.find_element(By.ID, section))
        page.screenshot(f"statistik-{section}")
    page.driver.set_window_size(390, 844)  # a phone: nothing wider than the screen
    for path in ("/statistik", "/statistik/provinsi/74", "/lapor", f"/lacak/{PUBLIC_ID}"):
        page.open(path)
        assert page.driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"), path
        page.screenshot("ponsel" + path.replace("/", "-"))
    assert page.console_errors() == []
