"""Helpers for tests: waiting on conditions with a deadline, reading topics, running aduan processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from typing import Callable, TypeVar

from aduan import kafka
from aduan.config import Settings
from aduan.embedded.process import stop
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
        self._consumer = kafka.consumer(settings, None, topic, consumer_timeout_ms=200)
        self.messages: list = []

    def poll(self) -> list:
        """Read what arrived since the last poll; returns everything seen so far."""
        for records in self._consumer.poll(timeout_ms=200, max_records=10000).values():
            self.messages.extend(records)
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
