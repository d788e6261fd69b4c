"""Publishing a stream of read messages (email, CSV rows) to the intake topic, with a progress display."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Iterable, TextIO

from aduan.kernel.kafka_clients import Publisher
from channels.door import Door, Read

FLUSH_EVERY = 5000


class Progress:
    """A one-line progress display on a terminal (a line every few seconds elsewhere)."""

    def __init__(self, total: int, unit: str, stream: TextIO = sys.stderr) -> None:
        self.total = max(total, 1)
        self.unit = unit
        self.stream = stream
        self.started = self._shown = time.monotonic()
        self._tty = stream.isatty()

    def show(self, position: int, count: int, *, final: bool = False) -> None:
        """Show ``count`` items done, ``position`` of ``total`` (bytes or items) read."""
        now = time.monotonic()
        if not final and now - self._shown < (0.2 if self._tty else 5.0):
            return
        self._shown = now
        rate = count / max(now - self.started, 1e-6)
        line = f"{min(position / self.total, 1.0):6.1%}  {count:,} {self.unit}  {rate:,.0f} {self.unit}/s"
        self.stream.write(("\r" + line + ("\n" if final else "")) if self._tty else line + "\n")
        self.stream.flush()


@dataclass
class Summary:
    """What an import did."""

    published: int = 0
    skipped: list[str] = field(default_factory=list)


def publish_reads(reads: Iterable[tuple[int, str, Read]], door: Door, publisher: Publisher,
                  progress: Progress) -> Summary:
    """Publish every report of ``reads`` (position, label, read); a read without a report is skipped and listed.

    Flushes every few thousand messages and at the end: returns only when the broker acknowledged every one.
    """
    summary = Summary()
    pending: list[dict] = []
    position = 0
    for position, label, read in reads:
        if read.report is None:
            summary.skipped.append(f"{label}: {read.reason}")
        else:
            publisher.send(door.topic, *door.message(read.report))
            pending.append(read.report)
        if len(pending) >= FLUSH_EVERY:
            summary.published += _flush(publisher, pending, door)
        progress.show(position, summary.published + len(pending))
    summary.published += _flush(publisher, pending, door)
    progress.show(progress.total if position else 0, summary.published, final=True)
    return summary


def _flush(publisher: Publisher, pending: list[dict], door: Door) -> int:
    publisher.flush()
    for report in pending:
        door.published(report)
    count = len(pending)
    pending.clear()
    return count
