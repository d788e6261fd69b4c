"""Helpers for the portal's tests and benchmark: a running ``portal`` process, a scripted history to show, plain
HTTP with the portal's cookie, and a headless Chromium (Debian ``chromium`` + ``chromium-driver``)."""

from __future__ import annotations

import http.cookiejar
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from typing import Callable

import pytest

from aduan.kernel.config import Settings
from aduan.runtime.embedded.process import free_port
from tests.support import Process, wait_for
from tests.support.history import History
from tests.support.projection import scripted_history

CHROMIUM = "/usr/bin/chromium"
# Complaints outside Sulawesi Tenggara with tracking ids a person could type, for the track pages.
PUBLIC_ID, SECRET_ID, ANONYMOUS_ID = "K7Q2M-9XH4D", "R4HAS-1A000", "ANNM0-00001"
SECRET_TITLE = "Pungli di kantor kelurahan Bontoala"
ANONYMOUS_NAME = "Budi Santoso"
DUE = datetime(2026, 3, 9, 9, 0, tzinfo=timezone.utc)  # 17:00 WITA in Makassar


def portal_history() -> History:
    """The scripted Sulawesi Tenggara history, plus a public, a confidential and an anonymous report in Makassar."""
    history, _ = scripted_history()
    history.submit("73.71", "health", title="Puskesmas Kassi-Kassi tutup siang hari", tracking_id=PUBLIC_ID
                   ).verify("health", "73.71").disposition("pemkot-73-71").acknowledge().warn("FOLLOW_UP", DUE)
    history.submit("73.71", "health", title=SECRET_TITLE, tracking_id=SECRET_ID, confidential=True)
    history.submit("73.71", "health", title="Lampu jalan mati di Jl. Veteran", tracking_id=ANONYMOUS_ID,
                   anonymous=True)
    return history


def start_portal(run_process: Callable[..., Process], settings: Settings, monkeypatch: pytest.MonkeyPatch) -> str:
    """``aduan run portal`` on a free port; returns its base URL once it answers /healthz."""
    port = free_port()
    monkeypatch.setenv("ADUAN_PORTAL_PORT", str(port))
    process = run_process("run", "portal", with_settings=settings.with_(metrics_port=free_port()))
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: process.proc.poll() is not None or fetch(base + "/healthz")[0] == 200, 60, "the portal")
    assert process.proc.poll() is None, process.output()
    return base


class Visitor:
    """A plain HTTP client that keeps the portal's cookies, like one browser."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        return fetch(self.base + path, opener=self.opener)

    def post(self, path: str, fields: dict[str, str], *, content_type: str = "application/x-www-form-urlencoded",
             data: bytes | None = None) -> tuple[int, str]:
        body = data if data is not None else urllib.parse.urlencode(fields).encode()
        return fetch(self.base + path, body, content_type, opener=self.opener)


def fetch(url: str, data: bytes | None = None, content_type: str = "application/x-www-form-urlencoded",
          opener: urllib.request.OpenerDirector | None = None) -> tuple[int, str]:
    """``(status, body)`` of a GET (or a POST with ``data``); (0, error) when nothing answers."""
    request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type} if data else {})
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, repr(error)


def chromium_driver():
    """A headless Chromium under selenium, with the system chromedriver; skips where they cannot be installed."""
    driver_path = shutil.which("chromedriver")
    if driver_path is None or not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed: `apt-get install -y chromium chromium-driver` (.ci/run does it)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--lang=id", "--disable-extensions", "--no-first-run"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
