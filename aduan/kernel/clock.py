"""Injectable time: every processor asks a :class:`Clock` for "now" instead of the system.

``SystemClock`` is the real time. ``FileClock`` reads the current instant from a file (ISO 8601 with a time
zone), so a test or a demo can drive a processor running in another process through weeks of calendar in
seconds, deterministically::

    export ADUAN_CLOCK_FILE=/tmp/aduan-now          # every aduan process started from here reads it
    echo 2026-03-02T09:00:00+07:00 > /tmp/aduan-now  # or FileClock(path).set(instant), which is atomic

``clock_from_env()`` gives a ``FileClock`` when ``ADUAN_CLOCK_FILE`` is set and the system clock otherwise.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Protocol

CLOCK_FILE_ENV = "ADUAN_CLOCK_FILE"


class Clock(Protocol):
    """A source of the current instant."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FileClock:
    """The instant written in a file; it stands still until the file changes."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def now(self) -> datetime:
        """The instant in the file, in UTC; raises ``ValueError`` saying how to fix a missing or bad file."""
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise ValueError(
                f"clock file {self.path} does not exist: write an ISO 8601 instant into it, "
                f"e.g. 2026-03-02T09:00:00+07:00, or unset {CLOCK_FILE_ENV} to use the system clock"
            ) from None
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"clock file {self.path} holds {text!r}, not an ISO 8601 instant: write one such as "
                "2026-03-02T09:00:00+07:00"
            ) from None
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError(
                f"clock file {self.path} holds {text!r} without a time zone: add one, e.g. {text}+07:00 or {text}Z"
            )
        return instant.astimezone(timezone.utc)

    def set(self, instant: datetime) -> None:
        """Write ``instant`` (timezone-aware) atomically, so a reader never sees half a timestamp."""
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError(f"{instant!r} has no time zone: pass an aware datetime, e.g. with tzinfo=timezone.utc")
        scratch = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        scratch.write_text(instant.astimezone(timezone.utc).isoformat(), encoding="utf-8")
        os.replace(scratch, self.path)


def clock_from_env(environ: Mapping[str, str] = os.environ) -> Clock:
    """A :class:`FileClock` on ``$ADUAN_CLOCK_FILE`` when it is set, else the :class:`SystemClock`."""
    path = environ.get(CLOCK_FILE_ENV)
    return FileClock(path) if path else SystemClock()
