"""Helpers of the projection tests: publishing a history to the complaint event log, projecting it with the
projector's batch handler in the test's process, querying the read models, and the scripted and busy histories
several tests project."""

from __future__ import annotations

import random
from datetime import timedelta

import psycopg2.extras
from kafka import TopicPartition

from aduan.kernel import db, kafka_clients
from aduan.kernel.config import Settings
from aduan.kernel.stream_message import Message
from aduan.kernel.topics import Topics
from projections.lag import log_heads
from projections.projector import Projection
from tests.support import wait_for
from tests.support.history import START, History, full_lifecycle

SULAWESI_TENGGARA = ["74.01", "74.02", "74.03", "74.04", "74.05", "74.06", "74.07", "74.08", "74.09", "74.10",
                     "74.11", "74.12", "74.13", "74.14", "74.15", "74.71", "74.72"]


def publish(settings: Settings, messages: list[tuple[bytes, bytes]]) -> None:
    """Send ``(key, value)`` messages to the complaint event log and wait for every acknowledgement."""
    publisher = kafka_clients.Publisher(kafka_clients.producer(settings))
    topic = Topics(settings.topic_prefix).complaint_events
    for key, value in messages:
        publisher.send(topic, key, value)
    publisher.flush()
    publisher.close()


def stored_offsets(settings: Settings) -> dict[int, int]:
    conn = db.connect(settings, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT partition, next_offset FROM projection.projection_offsets")
            return dict(cur.fetchall())
    finally:
        conn.close()


def caught_up(settings: Settings, heads: dict[int, int]) -> bool:
    stored = stored_offsets(settings)
    return all(stored.get(p, 0) >= head for p, head in heads.items())


def project_all(settings: Settings) -> None:
    """Feed the log from the stored offsets to the projector's batch handler until the read models hold it all."""
    heads = log_heads(settings)
    publisher = kafka_clients.Publisher(kafka_clients.producer(settings))
    projection = Projection(settings, publisher)
    consumer = kafka_clients.consumer(settings, None)
    try:
        projection.start()
        stored = stored_offsets(settings)
        consumer.assign([TopicPartition(projection.topic, p) for p in heads])
        for tp in consumer.assignment():
            consumer.seek(tp, stored.get(tp.partition, 0))

        def step() -> bool:
            polled = consumer.poll(timeout_ms=200, max_records=5000)
            batch = [Message(r.topic, r.partition, r.offset, r.key, r.value, highwater=consumer.highwater(tp))
                     for tp, records in polled.items() for r in records]
            if batch:
                projection.handle(batch)
            return caught_up(settings, heads)

        wait_for(step, 60, "the projector to catch up")
    finally:
        consumer.close()
        projection.close()
        publisher.close()


def query(settings: Settings, sql: str, params: tuple = ()) -> list[dict]:
    conn = db.connect(settings, autocommit=True)
    try:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(sql, params)
            return [dict(row) for row in cur.fetchall()]
    finally:
        conn.close()


def counts(settings: Settings, view: str, key: str) -> dict:
    """``key`` -> complaints of a statistics view."""
    return {row[key]: row["complaints"] for row in query(settings, f"SELECT * FROM projection.{view}")}


VERIFICATION_DUE = START + timedelta(days=3)


def scripted_history() -> tuple[History, dict[str, object]]:
    """Reports in Sulawesi Tenggara (Buton 53, Kolaka 29, Kendari 16, province level 3) and Makassar (4)."""
    h = History(name="sultra")
    marks: dict[str, object] = {}
    for i in range(53):
        region = "74.04" if i % 2 else "74.04.11"
        if 40 <= i < 45:  # reported in Kolaka, forwarded to Buton: it counts in Buton
            c = h.submit("74.01").verify("infrastructure.roads", "74.01").disposition("pemkab-74-01")
            c.forward("WRONG_REGION", suggested_region="74.04").disposition("pemkab-74-04")
            continue
        c = h.submit(region, confidential=(i == 50), anonymous=(i == 51),
                     urls=(f"https://foto.example.id/{i}.jpg",) if i >= 50 else ())
        if i >= 50:
            marks.setdefault("waiting", []).append(c.tracking_id)  # type: ignore[union-attr]
            c.set_deadline("VERIFICATION", "STARTED", VERIFICATION_DUE)
            continue
        c.verify("health", "74.04").disposition("pemkab-74-04", "pemkab-74-04.dinkes").acknowledge()
        if i < 30:
            c.follow_up().resolve().close().rate(5)
        elif i < 40:
            c.request_information().add_information()
        else:
            c.follow_up().resolve().reopen()
    for i in range(29):
        c = h.submit("74.01", channel="SMS")
        if i < 10:
            c.reject("INCOMPLETE")
        elif i < 20:
            c.withdraw()
        else:
            c.verify("education", "74.01").disposition("pemkab-74-01")
    for i in range(16):  # Kendari: first response after i + 2 hours, resolution after i + 4 hours
        c = h.submit("74.71", "transport", report_type="ASPIRATION")
        c.verify("transport", "74.71", "ASPIRATION").disposition("pemkot-74-71").acknowledge(hours=i + 1)
        c.complete_stage("FIRST_RESPONSE", on_time=i < 12).follow_up().resolve().rate(1 + i % 5)
    for _ in range(3):
        h.submit("74", "environment")
    for _ in range(4):
        h.submit("73.71", "health", channel="EMAIL")
    marks["full"] = full_lifecycle(h)  # Buton, after a forward from Kolaka: the 54th in Buton
    return h, marks


REGIONS = ["74.04", "74.01.04", "74.71", "31.71", "73.71.01", "11.01", "91", ""]


def busy_history(complaints: int, seed: int = 7) -> History:
    """Complaints in every kind of state, with about 5% of the events republished later (same event ids)."""
    rng = random.Random(seed)
    history = History(name="busy")
    for i in range(complaints):
        c = history.submit(REGIONS[i % len(REGIONS)], rng.choice(["health", "education", None]),
                           anonymous=i % 9 == 0, confidential=i % 13 == 0, channel=rng.choice(["WEB", "SMS"]))
        steps = i % 6
        if steps == 0:
            continue
        c.verify(rng.choice(["health", "transport"]), rng.choice(["74.04", "74.12", "31.71"]))
        c.disposition("pemkab-74-04")
        if steps > 1:
            c.acknowledge(hours=rng.randint(1, 50))
        if steps > 2:
            c.forward(suggested_region="74.71").disposition("pemkot-74-71")
        if steps > 3:
            c.acknowledge().complete_stage("FIRST_RESPONSE", on_time=rng.random() < 0.7).follow_up().resolve()
        if steps > 4:
            c.close().rate(rng.randint(1, 5)).reopen()
    for _ in range(len(history.events) // 20):
        history.repeat(rng.randrange(len(history.events)))
    return history
