"""The SMS 1708 door: one SMS as the gateway delivers it becomes a report, or a help reply.

Text format: ``[region code or name] report``, e.g. ``KENDARI jalan rusak di depan pasar`` or
``74.04.11 lampu jalan mati``; ``#anonim`` seals the sender's number, ``#rahasia`` keeps the report unpublished.
Without a recognisable region the complaint goes to national triage (see :mod:`channels.region_in_text`). An empty or
unusable text (fewer than 10 characters, no letters) gets :data:`aduan.domain.replies.SMS_HELP` and nothing is
published; a text that breaks a rule gets the reason. The sender's number is the reporter's contact.
"""

from __future__ import annotations

from datetime import datetime

from aduan.domain.replies import SMS_HELP, rejected_text
from channels.door import Door, Read
from channels.freetext import read_free_text


def read_sms(sender: str, text: str, message_id: str, received_at: datetime, door: Door) -> Read:
    """The report in one SMS, or why there is none and what to answer."""
    free = read_free_text(text)
    if not free.usable:
        return Read(reason="unusable_text", reply=SMS_HELP)
    report = door.report(channel="SMS", message_id=message_id, received_at=received_at, title=free.title,
                         description=free.description, region_code=free.region_code, anonymous=free.anonymous,
                         confidential=free.confidential, reporter={"phone": sender})
    problems = door.problems(report)
    if problems:
        return Read(reason="invalid", reply=rejected_text(problems))
    return Read(report=report)
