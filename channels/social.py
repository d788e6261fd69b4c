"""The social media door: a post mentioning the LAPOR! account becomes a report when it carries ``#lapor``.

The platform relay posts one mention as JSON (:data:`channels.openapi.MENTION_REQUEST`)::

    {"platform": "x", "mention_id": "1790000000000000001",
     "author": {"handle": "@warga_kendari", "name": "Warga Kendari"},
     "text": "@LAPOR1708 #lapor Kendari jalan rusak di depan pasar sentral",
     "url": "https://x.example/warga_kendari/status/1790000000000000001",
     "media": ["https://media.example/foto1.jpg"]}

The channel message id is ``<platform>:<mention_id>``; the reporter's contact is ``<platform>:<handle>``, where
the reply goes. The text after ``#lapor`` is read like an SMS (region, ``#anonim``, ``#rahasia``). Ignored, and
counted in ``aduan_channel_ignored_total{channel="SOCIAL_MEDIA"}`` by reason: ``no_hashtag``, ``unusable_text``,
``invalid`` (breaks a rule of :class:`channels.report.Rules`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from channels.door import Door, Read
from channels.freetext import read_free_text

HASHTAG = re.compile(r"(?<![\w#])#lapor(?!\w)", re.IGNORECASE)
_MENTIONS = re.compile(r"(?<!\w)@\w+")


def read_mention(mention: dict[str, Any], received_at: datetime, door: Door) -> Read:
    """The report in one mention (shaped as MENTION_REQUEST), or why it is ignored."""
    if not HASHTAG.search(mention["text"]):
        return Read(reason="no_hashtag")
    free = read_free_text(_MENTIONS.sub(" ", HASHTAG.sub(" ", mention["text"])))
    if not free.usable:
        return Read(reason="unusable_text")
    platform, author = mention["platform"], mention["author"]
    report = door.report(
        channel="SOCIAL_MEDIA", message_id=f"{platform}:{mention['mention_id']}", received_at=received_at,
        title=free.title, description=free.description, region_code=free.region_code,
        attachments=[{"url": url} for url in mention.get("media") or []],
        anonymous=free.anonymous, confidential=free.confidential,
        reporter={"name": author.get("name"), "social_handle": f"{platform}:{author['handle']}"})
    if door.problems(report):
        return Read(reason="invalid")
    return Read(report=report)
