"""The backbone on the real broker and PostgreSQL: topics, a plain client reading our events, `aduan up`."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import uuid

import psutil
import pytest
from fastavro import schemaless_reader
from fastavro.schema import load_schema
from kafka import KafkaConsumer, KafkaProducer

from aduan.kernel import db, topics
from schemas import SCHEMA_DIR, codec
from tests.samples import sample
from tests.support import up_environment, wait_for


@pytest.mark.usefixtures("small_directory")
def test_topics_ensure_twice_changes_nothing_the_second_time(settings, run_process):
    first = run_process("topics", "ensure")
    out1 = first.wait(120)
    assert first.proc.returncode == 0, out1
    second = run_process("topics", "ensure")
    out2 = second.wait(120)
    assert second.proc.returncode == 0, out2
    names = topics.Topics(settings.topic_prefix)
    assert f"created  {names.complaint_events}" in out1
    assert f"created  {names.agency_inbox('lapor-admin')}" in out1
    assert "\n0 created" in "\n" + out2.splitlines()[-1] or out2.splitlines()[-1].startswith("0 created"), out2


def test_migrations_apply_once(settings):
    assert db.migrate(settings) == []
    with db.connect(settings) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM schema_migrations")
        assert cur.fetchone()[0] >= 1


def test_a_plain_kafka_python_and_fastavro_consumer_reads_our_events(settings, shared_topics):
    """What an outside team would write: no aduan code, only the .avsc files and registry.json."""
    subject = codec().registry.latest("id.aduan.ComplaintSubmitted")
    record = sample(subject.parsed)
    record["header"]["complaint_id"] = str(uuid.uuid4())
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap, acks="all")
    producer.send(shared_topics.complaint_events, key=record["header"]["complaint_id"].encode(),
                  value=codec().encode(subject.name, record)).get(30)
    producer.close()

    registry = {entry["id"]: entry for entry in json.loads((SCHEMA_DIR / "registry.json").read_text())["subjects"]}
    consumer = KafkaConsumer(shared_topics.complaint_events, bootstrap_servers=settings.bootstrap,
                             auto_offset_reset="earliest", consumer_timeout_ms=20000)
    message = next(iter(consumer))
    consumer.close()
    assert message.value[0] == 0
    entry = registry[int.from_bytes(message.value[1:5], "big")]
    schema = load_schema(str(SCHEMA_DIR / entry["file"]))
    decoded = schemaless_reader(io.BytesIO(message.value[5:]), schema, None)
    assert entry["name"] == "id.aduan.ComplaintSubmitted"
    assert decoded["header"]["complaint_id"] == record["header"]["complaint_id"]
    assert decoded["region_code"] == record["region_code"]


@pytest.mark.usefixtures("small_directory")
def test_aduan_up_starts_the_embedded_stack_refuses_a_second_one_and_stops_cleanly(work_dir):
    home = work_dir / "up-home"
    env = up_environment(home)
    up = subprocess.Popen([sys.executable, "-m", "aduan.cli", "up"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    lines: list[str] = []
    try:
        wait_for(lambda: lines.append(up.stdout.readline()) or "ready" in lines[-1] or up.poll() is not None,
                 timeout=240, what="aduan up to say ready")
        assert up.poll() is None, "".join(lines)
        output = "".join(lines)
        assert "embedded tansu" in output and "postgresql  embedded" in output
        wait_for(lambda: lines.append(up.stdout.readline()) or lines[-1].startswith("ready") or up.poll() is not None,
                 timeout=240, what="aduan up to start every process")
        assert f"portal      http://127.0.0.1:{env['ADUAN_PORTAL_PORT']}/" in "".join(lines)
        children = psutil.Process(up.pid).children(recursive=True)

        second = subprocess.run([sys.executable, "-m", "aduan.cli", "up"], env=env, capture_output=True,
                                text=True, timeout=60)
        assert second.returncode == 1
        assert "already running" in second.stderr

        # other commands find the running stack through its home, with no broker or database configured
        migrate = subprocess.run([sys.executable, "-m", "aduan.cli", "migrate"], env=env, capture_output=True,
                                 text=True, timeout=60)
        assert migrate.returncode == 0, migrate.stderr
        assert "0 migrations applied" in migrate.stdout
    finally:
        up.send_signal(signal.SIGTERM)
        rest, _ = up.communicate(timeout=120)
    assert up.returncode == 0, rest
    assert "stopped" in rest
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
