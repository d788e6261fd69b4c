"""The log survives: `aduan up` on its durable default, stopped, killed and restarted, loses and doubles nothing,
and refuses to run on a log that is not the one its offsets belong to."""

from __future__ import annotations

import errno
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psutil
import psycopg2
import pytest

from aduan.domain.tracking import complaint_id
from aduan.kernel import kafka_clients, topics
from aduan.kernel.config import Settings
from aduan.kernel.topics import Topics, TopicSpec
from aduan.runtime.embedded.broker import EmbeddedBroker, S3Storage
from aduan.runtime.embedded.objectstore import BUCKET, ObjectStore, free_base_port
from aduan.runtime.embedded.process import free_port
from tests.support import TopicReader, Up, up_environment, wait_for

AUTO_VERIFY = {"ADUAN_AUTO_VERIFY_CHANNELS": "WEB"}


def _report(tag: str, number: int) -> dict:
    return {
        "type": "complaint",
        "title": "Jalan berlubang di depan sekolah",
        "description": f"Lubang besar di Jalan Poros nomor {number} membahayakan anak sekolah ({tag}).",
        "category": "health",
        "location": {"region": "74.04.11"},
        "reporter": {"name": "Wa Ode", "phone": "+6281234567890"},
        "privacy": {"anonymous": False, "confidential": False},
        "idempotency_key": f"{tag}-{number:06d}-durable-log-test",
    }


def _post(up: Up, body: dict) -> dict:
    request = urllib.request.Request(f"{up.http}/api/v1/complaints", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 202
        return json.load(response)


def _submit(up: Up, tag: str, count: int) -> list[dict]:
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda n: _post(up, _report(tag, n)), range(count)))


def _stream(up: Up, tag: str, count: int, accepted: list[str], *, until_gone: bool = False) -> None:
    """POST reports one after another as a client would, recording each complaint that got its 202. A 503 (the
    broker did not acknowledge) is retried with the same idempotency key; a refused connection ends the stream
    when ``until_gone`` (the stack was killed)."""
    for number in range(count):
        give_up = time.monotonic() + 180
        while True:
            try:
                accepted.append(_post(up, _report(tag, number))["complaint_id"])
                break
            except urllib.error.HTTPError as exc:
                assert exc.code == 503, exc.read()
            except (urllib.error.URLError, OSError):
                if until_gone:
                    return
            assert time.monotonic() < give_up, f"report {tag}-{number} was never accepted"
            time.sleep(0.5)  # a client's pause before retrying, not a wait for a condition


def _query(up: Up, sql: str, *args: object) -> list[tuple]:
    conn = psycopg2.connect(up.settings.dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()
    finally:
        conn.close()


def _statuses(up: Up, complaint_ids: list[str]) -> dict[str, str]:
    return dict(_query(up, "SELECT complaint_id, status FROM projection.complaint_status WHERE complaint_id = "
                           "ANY(%s)", complaint_ids))


def _wait_dispositioned(up: Up, complaint_ids: list[str], timeout: float = 180) -> None:
    try:
        wait_for(lambda: list(_statuses(up, complaint_ids).values()).count("DISPOSITIONED") == len(complaint_ids),
                 timeout, f"{len(complaint_ids)} complaints DISPOSITIONED in the read model")
    except AssertionError as timed_out:
        statuses = _statuses(up, complaint_ids)
        behind = [c for c in complaint_ids if statuses.get(c) != "DISPOSITIONED"]
        raise AssertionError(f"{timed_out}; statuses: {dict(Counter(statuses.get(c) for c in complaint_ids))}; "
                             f"where the others are: {_whereabouts(up, behind[:5])}; aduan up said:\n"
                             f"{up.output()[-6000:]}") from None


def _whereabouts(up: Up, complaint_ids: list[str]) -> dict[str, dict[str, int]]:
    """For each complaint, how many messages of each topic on its way name it (read raw, from the start)."""
    names = Topics()
    found: dict[str, dict[str, int]] = {c: {} for c in complaint_ids}
    for topic in (names.intake, names.complaint_events, names.commands, names.dead_letter):
        reader = TopicReader(up.settings, topic)
        try:
            messages = reader.read_to_end()
        finally:
            reader.close()
        for complaint in complaint_ids:  # an intake report is keyed by its delivery, the complaint id's source
            found[complaint][topic] = sum(complaint.encode() in (m.value or b"") or
                                          (topic == names.intake and complaint_id(m.key.decode()) == complaint)
                                          for m in messages)
    return found


def _log_events(up: Up) -> list:
    """Every decoded event on the complaint log (read raw, from the start)."""
    reader = TopicReader(up.settings, Topics().complaint_events)
    try:
        reader.read_to_end()
        return [decoded.record | {"type": decoded.name} for decoded in reader.decoded()]
    finally:
        reader.close()


def _distinct_events(events: list, kind: str) -> Counter:
    """Distinct event ids of one kind per complaint (a processor may republish an event; ids make it one)."""
    seen = {(e["header"]["complaint_id"], e["header"]["event_id"]) for e in events if e["type"].endswith(kind)}
    return Counter(complaint for complaint, _ in seen)


def _exactly_once_on_log_and_read_model(up: Up, complaint_ids: list[str]) -> None:
    events = _log_events(up)
    for kind in ("ComplaintSubmitted", "ComplaintDispositioned"):
        on_log = _distinct_events(events, kind)
        assert {c: on_log[c] for c in complaint_ids if on_log[c] != 1} == {}, kind
        rows = dict(_query(up, "SELECT complaint_id, count(*) FROM projection.complaint_timeline WHERE event = %s "
                               "GROUP BY complaint_id", kind))
        assert {c: rows.get(c) for c in complaint_ids if rows.get(c) != 1} == {}, kind


def _processes_of(home) -> list[psutil.Process]:
    """Every process started for the stack of ``home`` (they all inherit its ADUAN_HOME)."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("ADUAN_HOME") == str(home):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


@pytest.fixture
def home(work_dir, request):
    path = work_dir / f"durable-{request.node.name[:40]}"
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.usefixtures("small_directory")
def test_a_restart_keeps_every_report_and_the_broker_is_restarted_when_it_dies(home):
    env = up_environment(home, **AUTO_VERIFY)
    up = Up(env).wait_ready()
    try:
        assert "durable: the log is kept in" in up.output()
        first = [r["complaint_id"] for r in _submit(up, "first", 200)]
        _wait_dispositioned(up, first)
        timeline_before = _query(up, "SELECT event_id, complaint_id, event FROM projection.complaint_timeline "
                                     "ORDER BY event_id")
    finally:
        assert up.stop() == 0, up.output()

    up = Up(env).wait_ready()
    try:
        assert _statuses(up, first) == {c: "DISPOSITIONED" for c in first}
        timeline_after = _query(up, "SELECT event_id, complaint_id, event FROM projection.complaint_timeline WHERE "
                                    "complaint_id = ANY(%s) ORDER BY event_id", first)
        assert set(timeline_before) <= set(timeline_after)
        on_log = {e["header"]["event_id"] for e in _log_events(up)}
        assert {event_id for event_id, _, _ in timeline_after} <= on_log

        # the broker alone killed mid-stream: the supervisor starts it again, nothing is lost or doubled
        broker = next(p for p in psutil.Process(up.proc.pid).children() if "tansu" in " ".join(p.cmdline()))
        accepted: list[str] = []
        stream = threading.Thread(target=_stream, args=(up, "second", 100, accepted))
        stream.start()
        wait_for(lambda: len(accepted) >= 20, 60, "the second reports to start arriving")
        broker.kill()
        wait_for(lambda: "broker (tansu) started again" in up.output(), 60, "the supervisor to restart the broker")
        stream.join(300)
        assert len(accepted) == 100
        _wait_dispositioned(up, accepted)
        _exactly_once_on_log_and_read_model(up, first + accepted)
    finally:
        assert up.stop() == 0, up.output()


@pytest.mark.usefixtures("small_directory")
def test_kill_9_of_the_whole_stack_loses_no_accepted_report_and_a_lost_log_is_refused_until_recovered(home):
    env = up_environment(home, **AUTO_VERIFY)
    up = Up(env).wait_ready()
    accepted: list[str] = []
    stream = threading.Thread(target=_stream, args=(up, "crash", 2000, accepted), kwargs={"until_gone": True})
    stream.start()
    wait_for(lambda: len(accepted) >= 300, 120, "300 accepted reports")
    up.kill_group()
    stream.join(60)
    wait_for(lambda: not [p for p in _processes_of(home) if "postgres" not in p.name()], 20,
             "every child to die with the killed stack (PostgreSQL, a daemon of its own, is stopped by the next up)")

    up = Up(env).wait_ready()
    try:
        _wait_dispositioned(up, accepted)
        _exactly_once_on_log_and_read_model(up, accepted)
    finally:
        assert up.stop() == 0, up.output()

    # the broker's data removed between two runs: aduan up refuses, saying what to do, and skips nothing
    shutil.rmtree(home / "broker")
    refused = Up(env)
    assert refused.wait_exit() == 1
    assert "the log was lost or replaced" in refused.output()
    assert "aduan offsets reset --to-log-start --yes" in refused.output()

    reset = subprocess.run([sys.executable, "-m", "aduan.cli", "offsets", "reset", "--to-log-start", "--yes"],
                           env=env, capture_output=True, text=True, timeout=180)
    assert reset.returncode == 0, reset.stdout + reset.stderr
    up = Up(env).wait_ready()
    try:
        assert "the read models are stale" in up.output()
        fresh = [r["complaint_id"] for r in _submit(up, "after-recovery", 20)]
        _wait_dispositioned(up, fresh)
        _exactly_once_on_log_and_read_model(up, fresh)
    finally:
        assert up.stop() == 0, up.output()


@pytest.fixture
def small_log_disk(home):
    """A 200 MB tmpfs mounted where the stack keeps its log, so that the test can fill that disk."""
    folder = home / "broker"
    folder.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200m", "tmpfs", str(folder)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small disk for the log here (needs root): {mounted.stderr.strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(path):
    """Write ``path`` until its disk is full (in ever smaller pieces, down to one page)."""
    with open(path, "wb", buffering=0) as handle:
        for size in (1 << 20, 1 << 16, 1 << 12):
            try:
                while True:
                    handle.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
    return path


def _first_refusal(up: Up, tag: str, most: int) -> urllib.error.HTTPError:
    """The door's answer to the first of up to ``most`` reports it refuses. A few may still be accepted after the
    disk filled up, into space the object store had already taken (each was acknowledged with an offset, so it is
    stored); the door must refuse before ``most``."""
    for number in range(most):
        try:
            _post(up, _report(tag, number))
        except urllib.error.HTTPError as refused:
            return refused
    raise AssertionError(f"{most} reports were accepted on a full log disk; none was refused")


@pytest.mark.usefixtures("small_directory")
def test_a_full_log_disk_refuses_reports_with_503_and_the_reason(home, small_log_disk):
    up = Up(up_environment(home, **AUTO_VERIFY)).wait_ready()
    try:
        before = [r["complaint_id"] for r in _submit(up, "before-full", 5)]
        _wait_dispositioned(up, before)
        _fill(small_log_disk / "filler")
        refused = _first_refusal(up, "while-full", 100)
        assert refused.code == 503
        assert "nothing was saved: retry later with the same idempotency key" in refused.read().decode()
    finally:
        assert up.stop() == 0, up.output()


def test_an_object_store_port_already_taken_is_one_clear_line_and_nothing_is_left_running(home):
    env = up_environment(home)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(env["ADUAN_EMBEDDED_OBJECT_STORE_PORT"])))
        taken.listen()
        refused = subprocess.run([sys.executable, "-m", "aduan.cli", "up"], env=env, capture_output=True, text=True,
                                 timeout=120)
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert f"port {env['ADUAN_EMBEDDED_OBJECT_STORE_PORT']}" in refused.stderr
    assert "ADUAN_EMBEDDED_OBJECT_STORE_PORT" in refused.stderr
    assert not _processes_of(home)


def test_every_record_the_broker_answers_with_an_offset_is_on_the_log_after_kill_9_restarts(home):
    """Producers on the embedded durable broker, each record sent again until it is acknowledged, while tansu is
    killed with ``kill -9`` and started again four times: every record that :func:`aduan.kernel.kafka_clients.acknowledged`
    accepted is on the log afterwards. (Around a restart tansu answers some sends with no error and offset -1, for
    records it does not always store: that is no acknowledgement.)"""
    store = ObjectStore(home / "broker", free_base_port()).start()
    broker = EmbeddedBroker(free_port(), home / "broker.log", S3Storage(store.endpoint, BUCKET)).start()
    try:
        settings = Settings(kafka_bootstrap=broker.bootstrap, home=home, producer_idempotence=False)
        names = [f"durability-{name}" for name in ("door", "events", "inboxes")]
        topics.ensure(settings, [TopicSpec(name, 6, {}, "test") for name in names])
        acknowledged: list[str] = []
        writing = [threading.Thread(target=_send_until_acknowledged, args=(settings, topic, batch, acknowledged))
                   for topic, batch in zip(names, (1, 5, 50))]
        for writer in writing:
            writer.start()
        for round_ in range(1, 5):
            wait_for(lambda: len(acknowledged) >= 1500 * round_, 120, f"{1500 * round_} acknowledged records")
            mine = f"tcp://{broker.bootstrap}"  # this test's broker, not the session's
            next(p for p in psutil.Process().children() if mine in p.cmdline() and "tansu" in p.cmdline()[0]).kill()
            wait_for(lambda: broker.exit_status() is not None, 10, "the killed broker to be gone")
            broker.start()
        for writer in writing:
            writer.join(300)
        assert not any(writer.is_alive() for writer in writing)
        on_log = set()
        for topic in names:
            reader = TopicReader(settings, topic)
            on_log |= {m.value.decode() for m in reader.read_to_end()}
            reader.close()
        assert len(acknowledged) == 3 * 3000
        assert [value for value in acknowledged if value not in on_log] == []
    finally:
        broker.stop()
        store.stop()


def _send_until_acknowledged(settings: Settings, topic: str, batch: int, acknowledged: list[str]) -> None:
    """Send 3,000 records in batches, each record again (on a new producer) until it is acknowledged."""
    producer = kafka_clients.producer(settings, request_timeout_ms=10000)
    for first in range(0, 3000, batch):
        sent = [(value, producer.send(topic, value.encode(), value.encode()))
                for value in (f"{topic}-{number:05d}" for number in range(first, first + batch))]
        for value, future in sent:
            give_up = time.monotonic() + 180
            while True:
                try:
                    kafka_clients.acknowledged(future.get(timeout=15))
                    break
                except Exception:  # noqa: BLE001 - not acknowledged, whatever the reason: send it again
                    assert time.monotonic() < give_up, f"{value} was never acknowledged"
                    producer = kafka_clients.renewed(producer)
                    future = producer.send(topic, value.encode(), value.encode())
            acknowledged.append(value)
    producer.close()
