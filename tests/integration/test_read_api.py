"""The ``read-api`` process over HTTP: a complaint's public status, statistics, health and metrics."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from aduan.kernel.config import Settings
from aduan.runtime.embedded.process import free_port
from tests.support import wait_for
from tests.support.history import History
from tests.support.projection import project_all, publish


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def up(port: int) -> bool:
    try:
        return get(port, "/healthz")[0] == 200
    except OSError:
        return False


@pytest.fixture
def api(settings: Settings, shared_topics, run_process, monkeypatch) -> tuple[int, dict[str, str]]:
    history = History(name="api")
    named = history.submit("74.04", title="Air PDAM tidak mengalir").verify().disposition("pemkab-74-04")
    named.acknowledge().follow_up("Pipa sudah diganti.")
    hidden = history.submit("74.04", confidential=True)
    anonymous = history.submit("74.71", anonymous=True)
    publish(settings, history.messages())
    project_all(settings)
    port = free_port()
    monkeypatch.setenv("ADUAN_READ_API_PORT", str(port))
    run_process("run", "read-api")
    wait_for(lambda: up(port), 30, "the read API to answer /healthz")
    return port, {"named": named.tracking_id, "hidden": hidden.tracking_id, "anonymous": anonymous.tracking_id}


def test_status_shows_the_public_fields_and_the_timeline(api) -> None:
    port, ids = api
    status, body = get(port, f"/api/v1/status/{ids['named']}")
    assert status == 200
    answer = json.loads(body)
    assert answer["complaint"]["status"] == "FOLLOWED_UP"
    assert answer["complaint"]["status_label"] == "Sudah ditindaklanjuti"
    assert answer["complaint"]["agency_name"] == "Pemerintah Kabupaten Buton"
    assert [e["event"] for e in answer["timeline"]] == ["ComplaintSubmitted", "ComplaintVerified",
                                                       "ComplaintDispositioned", "ComplaintAcknowledged",
                                                       "FollowUpPosted"]
    assert answer["timeline"][-1]["detail"] == "Pipa sudah diganti."
    assert "budi@example.id" not in body and "+6281234567890" not in body and "reporter-ref" not in body


def test_confidential_and_unknown_reports_are_not_found_alike(api) -> None:
    port, ids = api
    hidden_status, hidden_body = get(port, f"/api/v1/status/{ids['hidden']}")
    unknown_status, _ = get(port, "/api/v1/status/NOPE123")
    assert (hidden_status, unknown_status) == (404, 404) and "Budi" not in hidden_body
    status, body = get(port, f"/api/v1/status/{ids['anonymous']}")
    assert status == 200 and json.loads(body)["complaint"]["reporter_name"] is None and "Budi" not in body


def test_stats_by_regency_of_a_province_and_bad_requests(api) -> None:
    port, _ = api
    status, body = get(port, "/api/v1/stats?by=regency&province=74")
    rows = json.loads(body)["rows"]
    assert status == 200 and len(rows) == 17
    assert [(r["regency"], r["complaints"]) for r in rows[:3]] == [
        ("Kabupaten Buton", 2), ("Kota Kendari", 1), ("Kabupaten Bombana", 0)]
    assert get(port, "/api/v1/stats?by=planet")[0] == 400
    assert get(port, "/api/v1/stats?by=agency&province=74")[0] == 400
    status, body = get(port, "/api/v1/stats")
    assert status == 200 and json.loads(body)["rows"][0]["complaints"] == 3


def test_health_and_metrics(api) -> None:
    port, _ = api
    assert get(port, "/healthz") == (200, '{"status": "ok"}')
    get(port, "/api/v1/status/NOPE123")
    status, metrics = get(port, "/metrics")
    assert status == 200 and 'aduan_read_api_requests_total{route="status",status="404"}' in metrics
