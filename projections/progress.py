"""A progress bar on stderr: redrawn in place on a terminal, a line every ten per cent otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

_WIDTH = 30


class ProgressBar:
    """``[#########.....]  45%  90,000/200,000 events  85,000 events/s``"""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total = max(total, 0)
        self.label = label
        self.stream = stream or sys.stderr
        self._tty = self.stream.isatty()
        self._started = time.perf_counter()
        self._drawn = -1.0
        self._tenth = -1

    def update(self, done: int) -> None:
        """Show ``done`` of the total (drawn at most ten times a second on a terminal)."""
        now = time.perf_counter()
        if self._tty:
            if now - self._drawn >= 0.1:
                self._drawn = now
                self.stream.write("\r" + self._text(done, now))
                self.stream.flush()
            return
        tenth = 10 * done // self.total if self.total else 10
        if self._tenth < tenth < 10:  # the last line is finish()'s
            self._tenth = tenth
            self.stream.write(self._text(done, now) + "\n")
            self.stream.flush()

    def finish(self, done: int) -> None:
        """Show the final state."""
        self.stream.write(("\r" if self._tty else "") + self._text(done, time.perf_counter()) + "\n")
        self.stream.flush()

    def _text(self, done: int, now: float) -> str:
        share = done / self.total if self.total else 1.0
        filled = int(_WIDTH * min(share, 1.0))
        rate = done / max(now - self._started, 1e-9)
        return (f"{self.label} [{'#' * filled}{'.' * (_WIDTH - filled)}] {share:4.0%}  "
                f"{done:,}/{self.total:,} events  {rate:,.0f} events/s")
