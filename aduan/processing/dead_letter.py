"""Refused messages go to the dead-letter topic with the reason and the original bytes; nothing is dropped."""

from __future__ import annotations

from datetime import datetime, timezone

from aduan.kernel.kafka_clients import Publisher
from aduan.kernel.metrics import DEAD_LETTERS
from aduan.kernel.stream_message import Message
from schemas import codec

DEAD_LETTER = "id.aduan.DeadLetter"


def dead_letter(publisher: Publisher, topic: str, processor: str, message: Message, code: str, reason: str) -> None:
    """Queue ``message`` on the dead-letter ``topic`` with a machine code and a reason in words."""
    record = {
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
    publisher.send(topic, message.key, codec().encode(DEAD_LETTER, record),
                   [("reason_code", code.encode()), ("processor", processor.encode())])
    DEAD_LETTERS.labels(processor=processor, reason=code).inc()
