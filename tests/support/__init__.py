"""Helpers for tests: waiting on conditions with a deadline, reading topics, running aduan processes.

A helper that more than one test module uses lives in this package, never in a test module (the samples of
tests/samples.py and tests/golden/ aside), in the module of its subject: ``channels`` (channels-http, the HTTP API,
reports and mails), ``deadlines`` (WITA instants, one complaint's events, the tracker), ``deployment`` (a test's own
deployment), ``history`` (the complaint-history builder), ``lifecycle`` (submissions, the lifecycle processor,
inboxes), ``metrics``, ``portal`` and ``projection`` (publishing, projecting and querying a history). Shared
fixtures are in the ``conftest.py`` files."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, TypeVar

from aduan.kernel import kafka_clients
from aduan.kernel.config import Settings
from aduan.runtime.embedded.process import stop
from schemas import codec

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float = 60.0, what: str = "condition", interval: float = 0.1) -> T:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds saying ``what``."""
    deadline = time.monotonic() + timeout
    last: T = condition()
    while not last:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last value: {last!r}")
        time.sleep(interval)
        last = condition()
    return last


class TopicReader:
    """Reads a topic from the beginning and keeps everything it saw (no consumer group)."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self.topic = topic
        self._consumer = kafka_clients.consumer(settings, None, topic, consumer_timeout_ms=200)
        self.messages: list = []

    def poll(self) -> list:
        """Read what arrived since the last poll; returns everything seen so far."""
        for records in self._consumer.poll(timeout_ms=200, max_records=10000).values():
            self.messages.extend(records)
        return self.messages

    def read_to_end(self, timeout: float = 60.0) -> list:
        """Read until every partition's position reached its high-water mark (from fetches); everything seen."""
        def at_end() -> bool:
            self.poll()
            partitions = self._consumer.assignment()
            return bool(partitions) and all(
                self._consumer.highwater(tp) is not None and self._consumer.position(tp) >= self._consumer.highwater(tp)
                for tp in partitions)

        wait_for(at_end, timeout, f"the end of {self.topic}")
        return self.messages

    def decoded(self) -> list:
        """Everything seen so far, decoded with the project codec."""
        return [codec().decode(m.value) for m in self.poll()]

    def wait_for_count(self, count: int, timeout: float = 60.0) -> list:
        """Wait until at least ``count`` messages were read."""
        return wait_for(lambda: len(self.poll()) >= count and self.messages, timeout,
                        f"{count} messages on {self.topic}")

    def close(self) -> None:
        self._consumer.close()


class Process:
    """``aduan run NAME`` (or any aduan CLI command) as a child process, stopped at the end of the test."""

    def __init__(self, settings: Settings, *args: str) -> None:
        env = dict(os.environ, **settings.to_env())
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(args))[:60]
        self.log_path = settings.home / f"{name}-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "aduan.cli", *args], env=env,
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, text=True)

    def output(self) -> str:
        """Everything the process printed so far (it goes to a file, so a chatty process never blocks)."""
        return self.log_path.read_text()

    def wait(self, timeout: float) -> str:
        """Wait for the process to end; returns its output."""
        self.proc.wait(timeout)
        return self.output()

    def stop(self) -> None:
        stop(self.proc, grace=20)
        self._log.close()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


def up_environment(home: Path, **extra: str) -> dict[str, str]:
    """The environment of an ``aduan up`` of the tests: its own home and free ports, the test's directory data
    (``ADUAN_DIRECTORY_DATA``, as the test itself sees it), nothing else of ``ADUAN_*``."""
    from aduan.domain.directory_data import SETTING as DIRECTORY_DATA
    from aduan.runtime.embedded.objectstore import free_base_port
    from aduan.runtime.embedded.process import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith("ADUAN_") or k == DIRECTORY_DATA}
    env.update(ADUAN_HOME=str(home), ADUAN_EMBEDDED_BROKER_PORT=str(free_port()),
               ADUAN_EMBEDDED_POSTGRES_PORT=str(free_port()), ADUAN_EMBEDDED_OBJECT_STORE_PORT=str(free_base_port()),
               ADUAN_METRICS_PORT=str(free_port()), ADUAN_HTTP_PORT=str(free_port()),
               ADUAN_READ_API_PORT=str(free_port()), ADUAN_PORTAL_PORT=str(free_port()),
               ADUAN_SESSION_TIMEOUT_MS="3000", **extra)
    return env


class Up:
    """``aduan up`` as a child of the test, its output in a file; :meth:`stop` at the end of the test."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.home = Path(env["ADUAN_HOME"])
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_path = self.home / f"up-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "aduan.cli", "up"], env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, text=True, process_group=0)

    def output(self) -> str:
        return self.log_path.read_text()

    def wait_ready(self, timeout: float = 240) -> "Up":
        """Wait for "ready"; fails with the output when ``aduan up`` exits first."""
        wait_for(lambda: "ready: press Ctrl-C" in self.output() or self.proc.poll() is not None, timeout,
                 "aduan up to say ready")
        assert self.proc.poll() is None, self.output()
        from aduan.runtime.embedded.process import port_open

        wait_for(lambda: port_open(int(self.env["ADUAN_HTTP_PORT"])), 120, "the web/app API to listen")
        return self

    def wait_exit(self, timeout: float = 240) -> int:
        self.proc.wait(timeout)
        return self.proc.returncode

    @property
    def settings(self) -> Settings:
        """Settings that reach this stack's broker and database (from what it announced)."""
        announced = json.loads((self.home / "stack.json").read_text())
        return Settings(kafka_bootstrap=announced["kafka_bootstrap"], database_url=announced["database_url"],
                        home=self.home)

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.env['ADUAN_HTTP_PORT']}"

    def stop(self) -> int:
        """SIGTERM, as an operator would; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(120)
        self._log.close()
        return self.proc.returncode

    def kill_group(self) -> None:
        """``kill -9`` of ``aduan up``'s whole process group."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
