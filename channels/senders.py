"""Where reporter notifications leave the system: one :class:`Sender` per reply channel.

The real SMS gateway, mail server and social media APIs are not reachable from here, so by default each channel
has an :class:`OutboxSender`: it appends one JSON line per message to ``<ADUAN_HOME>/outbox/<channel>.jsonl``
(mode 0600: the lines hold phone numbers and addresses), which a gateway can tail.

To plug in a gateway, write a factory ``f(settings) -> Sender`` (an object with ``send(outgoing)`` that raises when
the gateway did not take the message) and name it in ``ADUAN_SENDER_<CHANNEL>``, e.g.
``ADUAN_SENDER_SMS=mygateway.sms:sender``. ``send`` may be called again for a message after a crash: pass
``outgoing.notification_id`` to the gateway as its deduplication key where it has one.
"""

from __future__ import annotations

import importlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from aduan.kernel.config import Settings

REPLY_CHANNELS = ("SMS", "EMAIL", "SOCIAL_MEDIA")
SENDER_ENV = "ADUAN_SENDER_{channel}"


@dataclass(frozen=True)
class Outgoing:
    """One message to one reporter."""

    notification_id: str
    channel: str
    address: str
    kind: str
    tracking_id: str | None
    text: str


class Sender(Protocol):
    """Hands messages of one channel to its gateway."""

    def send(self, outgoing: Outgoing) -> None:
        """Send or raise; never return without the gateway having taken the message."""


class OutboxSender:
    """Appends each message as a JSON line to a file, flushed to disk before ``send`` returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def send(self, outgoing: Outgoing) -> None:
        line = (json.dumps(asdict(outgoing), ensure_ascii=False) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)


def outbox_path(settings: Settings, channel: str) -> Path:
    """The outbox file of ``channel``."""
    return settings.home / "outbox" / f"{channel.lower()}.jsonl"


def senders(settings: Settings) -> dict[str, Sender]:
    """The sender of every reply channel: the configured gateway, else the outbox file."""
    found: dict[str, Sender] = {}
    for channel in REPLY_CHANNELS:
        target = os.environ.get(SENDER_ENV.format(channel=channel))
        if target:
            module, _, factory = target.partition(":")
            found[channel] = getattr(importlib.import_module(module), factory)(settings)
        else:
            found[channel] = OutboxSender(outbox_path(settings, channel))
    return found
