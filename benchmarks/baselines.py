"""Raw baselines measured on the same broker and database as the engine: what the parts allow."""

from __future__ import annotations

import io
import time

from aduan.kernel import db, kafka_clients
from aduan.kernel.config import Settings
from benchmarks.harness import Progress


def produce(settings: Settings, topic: str, messages: list[tuple[bytes, bytes]], label: str) -> float:
    """Publish ``messages`` (key, value) with the project's producer settings; returns messages/s."""
    producer = kafka_clients.producer(settings, linger_ms=20)
    progress = Progress(label, len(messages))
    started = time.perf_counter()
    for index, (key, value) in enumerate(messages, 1):
        producer.send(topic, key=key, value=value)
        if index % 20000 == 0:
            progress.update(index)
    producer.flush()
    elapsed = time.perf_counter() - started
    progress.done(len(messages))
    producer.close()
    return len(messages) / elapsed


def consume_produce_loop(settings: Settings, source: str, target: str, count: int) -> float:
    """A plain kafka-python loop: group consume, produce (acks=all, idempotent), commit; returns messages/s."""
    consumer = kafka_clients.consumer(settings, f"{settings.topic_prefix}-raw-loop", source)
    producer = kafka_clients.producer(settings, linger_ms=20)
    progress = Progress("raw consume-produce loop", count)
    moved = 0
    started = None
    while moved < count:
        batches = consumer.poll(timeout_ms=500, max_records=10000)
        if started is None and batches:
            started = time.perf_counter()
        for records in batches.values():
            for record in records:
                producer.send(target, key=record.key, value=record.value)
            moved += len(records)
        producer.flush()
        consumer.commit()
        progress.update(moved)
    elapsed = time.perf_counter() - (started or time.perf_counter())
    progress.done(moved)
    consumer.close()
    producer.close()
    return moved / elapsed


def consume_only(settings: Settings, topic: str, count: int) -> float:
    """A plain kafka-python read of ``count`` messages from the start, no group; returns messages/s."""
    consumer = kafka_clients.consumer(settings, None, topic)
    progress = Progress("raw consume", count)
    seen = 0
    started = time.perf_counter()
    while seen < count:
        for records in consumer.poll(timeout_ms=500, max_records=10000).values():
            seen += len(records)
        progress.update(seen)
    elapsed = time.perf_counter() - started
    progress.done(seen)
    consumer.close()
    return seen / elapsed


def copy_rows(settings: Settings, table_sql: str, rows_tsv: str, row_count: int) -> float:
    """COPY ``row_count`` tab-separated rows into a fresh table built by ``table_sql``; returns rows/s."""
    conn = db.connect(settings)
    with conn.cursor() as cur:
        cur.execute(table_sql)
    conn.commit()
    table = table_sql.split("TABLE", 1)[1].split("(", 1)[0].strip()
    started = time.perf_counter()
    with conn.cursor() as cur:
        cur.copy_expert(f"COPY {table} FROM STDIN", io.StringIO(rows_tsv))
    conn.commit()
    elapsed = time.perf_counter() - started
    conn.close()
    return row_count / elapsed
