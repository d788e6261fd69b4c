"""Refused messages go to the dead-letter topic with the reason and the original bytes; nothing is dropped."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from aduan.kernel.stream_message import Message

DEAD_LETTER = "id.aduan.DeadLetter"


def dead_letter_record(processor: str, message: Message, code: str, reason: str) -> dict[str, Any]:
    """The ``DeadLetter`` record of ``message``, refused by ``processor`` with a machine code and a reason in words."""
    return {
        "processor": processor,
        "source_topic": message.topic,
        "source_partition": message.partition,
        "source_offset": message.offset,
        "source_key": message.key,
        "original": message.value or b"",
        "reason_code": code,
        "reason": reason,
        "failed_at": datetime.now(timezone.utc),
    }


def dead_letter_headers(processor: str, code: str) -> list[tuple[str, bytes]]:
    """The headers a dead letter carries, for consumers that filter without decoding."""
    return [("reason_code", code.encode()), ("processor", processor.encode())]
