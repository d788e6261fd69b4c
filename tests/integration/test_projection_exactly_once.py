"""The projector process killed with SIGKILL in the middle of its batches and restarted: every row and count exact."""

from __future__ import annotations

import urllib.request

from aduan.kernel import db, kafka_clients
from aduan.kernel.config import Settings
from aduan.kernel.topics import Topics
from projections.lag import log_heads
from projections.model import STATUS_COLUMNS, TIMELINE_COLUMNS, ComplaintRow, Fold
from projections.tables import status_select_list
from tests.support import wait_for
from tests.support.history import History
from tests.support.projection import (
    busy_history,
    caught_up,
    counts,
    query,
    stored_offsets,
)


def expected_rows(history: History) -> tuple[dict[str, tuple], set[tuple]]:
    """Status rows and timeline entries (without log positions) from folding the history in memory, once per id."""
    fold, seen, timeline = Fold(), set(), set()
    for name, record in history.decoded():
        if record["header"]["event_id"] in seen:
            continue
        seen.add(record["header"]["event_id"])
        entry, _ = fold.apply(name, record, 0, 0)
        timeline.add(entry[:2] + entry[4:])
    return {cid: row.values() for cid, row in fold.rows.items()}, timeline


def projected_rows(settings: Settings) -> tuple[dict[str, tuple], set[tuple]]:
    conn = db.connect(settings, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT {status_select_list()} FROM projection.complaint_status")
            status = {values[0]: ComplaintRow.from_values(values).values() for values in cur.fetchall()}
            columns = ", ".join("(extract(epoch FROM occurred_at) * 1000)::bigint" if c == "occurred_at" else c
                                for c in TIMELINE_COLUMNS if c not in ("log_partition", "log_offset"))
            cur.execute(f"SELECT {columns} FROM projection.complaint_timeline")
            return status, set(cur.fetchall())
    finally:
        conn.close()


def batch_in_flight(settings: Settings) -> bool:
    """Whether another session has an open transaction that has written something (the projector's batch)."""
    return query(settings, "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
                           "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()")[0]["n"] > 0


def publish_with_positions(settings: Settings, history: History) -> list[tuple[int, int, str]]:
    """Publish; returns (partition, offset, event id) of every message."""
    producer = kafka_clients.producer(settings)
    topic = Topics(settings.topic_prefix).complaint_events
    futures = [(producer.send(topic, key=key, value=value), record["header"]["event_id"])
               for (key, value), (_, record) in zip(history.messages(), history.events)]
    producer.flush()
    positions = [(f.get(30).partition, f.get(30).offset, event_id) for f, event_id in futures]
    producer.close()
    return positions


def test_projector_killed_mid_batch_and_restarted_projects_everything_exactly_once(
        settings: Settings, shared_topics, run_process) -> None:
    history = busy_history(4000)
    positions = publish_with_positions(settings, history)
    heads = log_heads(settings)
    assert sum(heads.values()) == len(history.events) > 20_000

    first = run_process("run", "projector")
    applied_before_kill = wait_for(lambda: 0 < (n := sum(stored_offsets(settings).values())) < len(positions) and n,
                                   120, "the projector to commit its first batches")
    wait_for(lambda: batch_in_flight(settings), 60, "the projector to be writing a batch")
    first.kill()

    stored = stored_offsets(settings)
    assert sum(stored.values()) < len(positions), "killed before the end, as the test intends"
    committed_ids = {event_id for partition, offset, event_id in positions if offset < stored.get(partition, 0)}
    timeline_ids = {r["event_id"] for r in query(settings, "SELECT event_id FROM projection.complaint_timeline")}
    assert timeline_ids == committed_ids, "what was committed is exactly the events below the stored offsets"
    assert sum(stored.values()) >= applied_before_kill

    run_process("run", "projector")
    wait_for(lambda: caught_up(settings, heads), 120, "the restarted projector to reach the log's head")

    expected_status, expected_timeline = expected_rows(history)
    status, timeline = projected_rows(settings)
    assert status == expected_status
    assert timeline == expected_timeline
    assert query(settings, "SELECT sum(complaints) AS n FROM projection.complaint_counts")[0]["n"] == 4000
    by_province = counts(settings, "stats_by_province", "province_code")
    provinces = ("74", "31", "73", "11", "91")
    expected_provinces = tuple(sum(1 for row in expected_status.values()
                                   if row[STATUS_COLUMNS.index("province_code")] == code) for code in provinces)
    assert tuple(by_province[code] for code in provinces) == expected_provinces
    lag = wait_for(lambda: [line for line in urllib.request.urlopen(
        f"http://127.0.0.1:{settings.metrics_port}/metrics", timeout=5).read().decode().splitlines()
        if line.startswith("aduan_consumer_lag_messages{") and 'processor="projector"' in line], 30, "the lag metric")
    assert len(lag) == settings.partitions and all(line.endswith(" 0.0") for line in lag)
