"""``aduan projections rebuild``: the same rows as the live projection, swapped in while readers keep reading."""

from __future__ import annotations

import io
import threading

import psycopg2

from aduan.kernel import db
from aduan.kernel.config import Settings
from projections import rebuild as rebuild_module
from projections.lag import log_heads
from projections.rebuild import RETIRED, SHADOW, rebuild
from tests.support import wait_for
from tests.support.history import History
from tests.support.projection import (
    busy_history,
    caught_up,
    project_all,
    publish,
    query,
)

SNAPSHOT = {
    "complaint_status": "complaint_id",
    "complaint_timeline": "event_id",
    "stage_completions": "event_id",
    "complaint_counts": "day, province_code, regency_code, category, report_type, channel",
    "projection_offsets": "topic, partition",
    "stats_by_regency": "regency_code",
    "stats_by_agency": "agency",
    "stats_summary": "complaints",
    "public_complaint_timeline": "tracking_id, position",
}
READING = """SELECT (SELECT count(*) FROM projection.complaint_status) AS complaints,
                    (SELECT count(*) FROM projection.complaint_timeline) AS events,
                    (SELECT sum(complaints) FROM projection.complaint_counts) AS counted,
                    (SELECT sum(complaints) FROM projection.stats_by_regency) AS in_regencies,
                    (SELECT count(*) FROM projection.public_complaint_status) AS public,
                    (SELECT count(*) FROM projection.regions) AS regions"""


def snapshot(settings: Settings) -> dict[str, list]:
    """Every row of the read models and of some views, in a fixed order."""
    return {name: query(settings, f"SELECT * FROM projection.{name} ORDER BY {order}")
            for name, order in SNAPSHOT.items()}


class Reader(threading.Thread):
    """Queries the read models in a loop until stopped, keeping every answer and every error."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(daemon=True)
        self.settings = settings
        self.readings: list[tuple] = []
        self.errors: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        conn = db.connect(self.settings, autocommit=True)
        while not self.stopping.is_set():
            try:
                with conn.cursor() as cur:
                    cur.execute(READING)
                    self.readings.append(cur.fetchone())
            except psycopg2.Error as exc:
                self.errors.append(repr(exc))
                conn.close()
                conn = db.connect(self.settings, autocommit=True)
        conn.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(30)


def test_rebuild_gives_the_live_rows_while_readers_never_see_an_error_or_a_partial_state(
        settings: Settings, shared_topics, run_process) -> None:
    history = busy_history(2500)
    publish(settings, [(b"bad", b"\x00\x00\x00\x00\x01garbage"), *history.messages()])
    heads = log_heads(settings)
    run_process("run", "projector")
    wait_for(lambda: caught_up(settings, heads), 120, "the projector to reach the log's head")
    before = snapshot(settings)
    expected = query(settings, READING)[0]

    reader = Reader(settings)
    reader.start()
    wait_for(lambda: reader.readings, 30, "the first reading")
    rebuilding = run_process("projections", "rebuild", "--workers", "2")
    output = rebuilding.wait(300)
    reader.stop()

    assert rebuilding.proc.returncode == 0, output
    assert "rebuild [" in output and "100%" in output, "a progress bar on stderr"
    assert f"from {sum(heads.values()):,} log messages" in output and "1 undecodable skipped" in output
    assert reader.errors == []
    assert len(reader.readings) > 5 and {tuple(r) for r in reader.readings} == {tuple(expected.values())}
    assert snapshot(settings) == before
    assert not query(settings, "SELECT 1 FROM pg_namespace WHERE nspname IN (%s, %s)", (SHADOW, RETIRED))

    later = History(name="later")
    for _ in range(30):
        later.submit("74.12")
    publish(settings, later.messages())
    heads = log_heads(settings)
    wait_for(lambda: caught_up(settings, heads), 60, "the running projector to continue in the rebuilt read models")
    konawe = query(settings, "SELECT complaints FROM projection.stats_by_regency WHERE regency_code = '74.12'")
    assert konawe[0]["complaints"] == 30 + before_count(before, "74.12")


def before_count(rows: dict[str, list], regency_code: str) -> int:
    return next(r["complaints"] for r in rows["stats_by_regency"] if r["regency_code"] == regency_code)


def test_rebuild_catches_up_with_a_live_projection_that_moved_on_during_the_replay(
        settings: Settings, shared_topics, monkeypatch) -> None:
    first = busy_history(300)
    publish(settings, first.messages())
    heads_at_start = log_heads(settings)
    second = History(name="second")
    for i in range(50):
        second.submit("74.04").verify().disposition("pemkab-74-04").rate(1 + i % 5)
    publish(settings, second.messages())
    project_all(settings)
    live = snapshot(settings)

    monkeypatch.setattr(rebuild_module, "log_heads", lambda *args, **kwargs: heads_at_start)
    monkeypatch.setattr(rebuild_module, "_start_method", lambda: "spawn")  # the CLI forks; check the other way too
    report = rebuild(settings, workers=2, stream=io.StringIO())

    assert report.messages == sum(heads_at_start.values()) and report.caught_up == len(second.events)
    assert report.complaints == 300
    assert snapshot(settings) == live
