"""A scripted history through the real broker and PostgreSQL: exactly the expected rows, statistics and views."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest

from aduan.cli import main
from aduan.kernel.config import Settings
from projections.lag import projection_lag
from tests.support import TopicReader
from tests.support.history import History
from tests.support.projection import (
    SULAWESI_TENGGARA,
    VERIFICATION_DUE,
    counts,
    project_all,
    publish,
    query,
    scripted_history,
)


def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture,
        *args: str) -> tuple[int, str]:
    for name, value in settings.to_env().items():
        monkeypatch.setenv(name, value)
    code = main(list(args))
    return code, capsys.readouterr().out


@pytest.fixture
def projected(settings: Settings, shared_topics) -> tuple[History, dict]:
    history, marks = scripted_history()
    history.repeat(5)  # a republished event (same id) must change nothing
    publish(settings, history.messages())
    project_all(settings)
    return history, marks


def test_province_table_lists_every_regency_with_zeros(settings: Settings, projected, monkeypatch, capsys) -> None:
    code, out = cli(settings, monkeypatch, capsys, "stats", "--by", "regency", "--province", "74", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sorted(r["regency_code"] for r in rows) == SULAWESI_TENGGARA
    counts = {r["regency"]: int(r["complaints"]) for r in rows}
    assert counts["Kabupaten Buton"] == 54 and counts["Kabupaten Kolaka"] == 29 and counts["Kota Kendari"] == 16
    assert counts["Kabupaten Konawe Kepulauan"] == 0 and sum(counts.values()) == 99
    assert [r["regency"] for r in rows[:3]] == ["Kabupaten Buton", "Kabupaten Kolaka", "Kota Kendari"]
    code, table = cli(settings, monkeypatch, capsys, "stats", "--by", "province")
    line = next(line for line in table.splitlines() if "Sulawesi Tenggara" in line)
    assert line.split()[-1] == "102" and len(table.splitlines()) == 1 + 38


def test_status_and_counts_are_exact(settings: Settings, projected) -> None:
    history, _ = projected
    assert counts(settings, "stats_by_status", "status") == {
        "SUBMITTED": 3 + 3 + 4, "POSTPONED": 0, "REJECTED": 10, "DISPOSITIONED": 5 + 9, "IN_PROGRESS": 10 + 5,
        "WAITING_FOR_REPORTER": 0, "FOLLOWED_UP": 0, "RESOLVED": 16 + 1, "CLOSED": 30, "WITHDRAWN": 10}
    total = len(history.complaints)
    assert query(settings, "SELECT count(*) AS n FROM projection.complaint_status")[0]["n"] == total
    assert query(settings, "SELECT sum(complaints) AS n FROM projection.complaint_counts")[0]["n"] == total
    assert query(settings, "SELECT count(*) AS n FROM projection.complaint_timeline")[0]["n"] == len(
        {r["header"]["event_id"] for _, r in history.events})
    assert counts(settings, "stats_by_report_type", "report_type") == {
        "COMPLAINT": total - 16, "ASPIRATION": 16, "INFORMATION_REQUEST": 0}
    channels = counts(settings, "stats_by_channel", "channel")
    assert (channels["WEB"], channels["SMS"], channels["EMAIL"], channels["MOBILE_APP"]) == (total - 33, 29, 4, 0)
    categories = Counter(r["category"] for r in query(settings, "SELECT category FROM projection.complaint_status"))
    by_category = counts(settings, "stats_by_category", "category")
    assert by_category["infrastructure.roads"] == categories["infrastructure.roads"] == 5
    assert by_category["banking"] == 0 and len(by_category) == 25


def test_agency_times_on_time_rates_and_summary(settings: Settings, projected) -> None:
    kendari = query(settings, "SELECT * FROM projection.stats_by_agency WHERE agency = 'pemkot-74-71'")[0]
    assert kendari["name"] == "Pemerintah Kota Kendari" and kendari["complaints"] == 16
    assert (float(kendari["first_response_median_hours"]), float(kendari["first_response_p90_hours"])) == (9.5, 15.5)
    assert (float(kendari["resolution_median_hours"]), float(kendari["resolution_p90_hours"])) == (11.5, 17.5)
    assert float(kendari["on_time_rate"]) == 0.75 and float(kendari["average_rating"]) == 2.88
    stages = {(r["agency"], r["stage"]): r for r in query(settings, "SELECT * FROM projection.stats_on_time_by_agency")}
    first_response = stages["pemkot-74-71", "FIRST_RESPONSE"]
    assert (first_response["completed"], first_response["on_time"]) == (16, 12)
    summary = query(settings, "SELECT * FROM projection.stats_summary")[0]
    assert summary["complaints"] == 106 and summary["forwarded"] == 6
    assert float(summary["forwarded_share"]) == round(6 / 106, 4) and summary["rated"] == 30 + 16 + 1


def test_public_view_hides_confidential_reports_and_anonymous_identities(settings: Settings, projected) -> None:
    _, marks = projected
    confidential, anonymous, named = marks["waiting"]
    public = {r["tracking_id"]: r for r in query(settings, "SELECT * FROM projection.public_complaint_status")}
    assert confidential not in public and len(public) == 105
    assert not query(settings, "SELECT 1 FROM projection.public_complaint_timeline WHERE tracking_id = %s",
                     (confidential,))
    assert public[anonymous]["reporter_name"] is None and public[named]["reporter_name"] == "Budi Santoso"
    columns = set(public[named])
    assert not columns & {"reporter_email", "reporter_phone", "reporter_social_handle", "reporter_ref", "complaint_id"}
    internal = query(settings, "SELECT * FROM projection.internal_complaint_status WHERE tracking_id = %s",
                     (confidential,))
    assert internal[0]["confidential"] and internal[0]["reporter_email"] == "budi@example.id"
    assert internal[0]["attachment_urls"] == ["https://foto.example.id/50.jpg"]
    assert public[named]["attachment_urls"] == ["https://foto.example.id/52.jpg"]
    assert public[anonymous]["attachment_urls"] == ["https://foto.example.id/51.jpg"]


def test_a_deadline_is_in_the_read_model_from_the_start_of_its_clock(settings: Settings, projected) -> None:
    _, marks = projected
    for tracking_id in marks["waiting"]:  # type: ignore[union-attr]
        [row] = query(settings, "SELECT * FROM projection.internal_complaint_status WHERE tracking_id = %s",
                      (tracking_id,))
        assert (row["deadline_stage"], row["deadline_due_at"], row["deadline_breached"]) == (
            "VERIFICATION", VERIFICATION_DUE, False)
        assert row["open_deadlines"] == {"VERIFICATION": [int(VERIFICATION_DUE.timestamp() * 1000), False]}


def test_erased_reporter_and_the_complainants_view(settings: Settings, projected, monkeypatch, capsys) -> None:
    _, marks = projected
    full = marks["full"]
    row = query(settings, "SELECT * FROM projection.internal_complaint_status WHERE tracking_id = %s",
                (full.tracking_id,))[0]
    assert row["personal_data_erased"] and row["reporter_name"] is None and row["reporter_ref"] is None
    assert (row["status"], row["agency_name"], row["regency_name"], row["forwards"]) == (
        "RESOLVED", "Pemerintah Kabupaten Buton", "Kabupaten Buton", 1)
    code, out = cli(settings, monkeypatch, capsys, "status", full.tracking_id)
    assert code == 0 and "Status      : Selesai (RESOLVED)" in out and "Instansi    : Pemerintah Kabupaten Buton" in out
    assert "Laporan diterima" in out and "Laporan dibuka kembali" in out
    assert out.count("\n  ") == len(full_events(projected[0], full.complaint_id))
    confidential = marks["waiting"][0]
    code, out = cli(settings, monkeypatch, capsys, "status", confidential)
    assert code == 1 and out == ""
    code, out = cli(settings, monkeypatch, capsys, "status", confidential, "--internal", "--format", "json")
    assert code == 0 and '"confidential": true' in out


def full_events(history: History, complaint_id: str) -> set[str]:
    return {r["header"]["event_id"] for _, r in history.events if r["header"]["complaint_id"] == complaint_id}


def test_lag_is_zero_when_caught_up_and_counts_new_events(settings: Settings, projected, monkeypatch, capsys) -> None:
    assert sum(p.lag for p in projection_lag(settings)) == 0
    more = History(name="more")
    for _ in range(7):
        more.submit("74.12")
    publish(settings, more.messages())
    assert sum(p.lag for p in projection_lag(settings)) == 7
    code, out = cli(settings, monkeypatch, capsys, "projections", "lag")
    assert code == 0 and out.splitlines()[-1].split()[-1] == "7"


def test_undecodable_messages_are_dead_lettered_and_do_not_stop_the_projection(settings: Settings,
                                                                                 shared_topics) -> None:
    history = History(name="bad")
    history.submit("74.12")
    messages = history.messages()
    publish(settings, [(b"x", b"not an event"), *messages])
    project_all(settings)
    assert query(settings, "SELECT count(*) AS n FROM projection.complaint_status")[0]["n"] == 1
    reader = TopicReader(settings, shared_topics.dead_letter)
    try:
        reader.wait_for_count(1)
        letters = reader.decoded()
    finally:
        reader.close()
    assert [(d.record["processor"], d.record["reason_code"]) for d in letters] == [("projector", "bad_magic")]
