"""The email door: RFC 5322 messages from a Maildir or an mbox file (``aduan import mail PATH``).

Each message becomes a report keyed by its Message-ID (a message without one: ``sha256:`` of its bytes), so
importing the same mailbox again adds nothing. The sender is the reporter and gets the reply by email; the
subject is the title (a leading region code or name in it, or else in the body, gives the region); the plain
text body (or the HTML body without tags) is the description; attachments are recorded by name and SHA-256.
``#anonim`` / ``#rahasia`` in the subject or body work as in SMS. Every message with a body is published: the
intake processor refuses one that breaks a rule and tells the sender why by email.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import html
import mailbox
import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Iterator

from channels.door import Door, Read
from channels.freetext import read_free_text

_TAGS = re.compile(r"<[^>]+>")


def open_mailbox(path: Path) -> mailbox.Mailbox:
    """The Maildir (a folder with cur/, new/, tmp/) or mbox file at ``path``."""
    if path.is_dir():
        if not (path / "cur").is_dir() or not (path / "new").is_dir():
            raise ValueError(f"{path} is a folder but not a Maildir (it needs cur/ and new/): give a Maildir or "
                             "an mbox file")
        return mailbox.Maildir(path, factory=None, create=False)
    if path.is_file():
        return mailbox.mbox(path, create=False)
    raise ValueError(f"{path} does not exist: give a Maildir folder or an mbox file")


def message_id(message: EmailMessage, raw: bytes) -> str:
    """The Message-ID without its angle brackets, or ``sha256:...`` of the raw bytes when there is none."""
    found = str(message.get("Message-ID") or "").strip().strip("<>").strip()
    return found or "sha256:" + hashlib.sha256(raw).hexdigest()[:40]


def read_mail(raw: bytes, door: Door, now: datetime) -> Read:
    """The report in one RFC 5322 message."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    name, address = parseaddr(str(message.get("From") or ""))
    free = read_free_text(_body(message), str(message.get("Subject") or ""))
    report = door.report(
        channel="EMAIL", message_id=message_id(message, raw), received_at=_sent_at(message) or now,
        title=free.title, description=free.description, region_code=free.region_code,
        attachments=[_attachment(part) for part in message.iter_attachments()],
        anonymous=free.anonymous, confidential=free.confidential,
        reporter={"name": name or None, "email": address or None})
    return Read(report=report)


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    if part.get_content_subtype() == "html":
        text = html.unescape(_TAGS.sub(" ", text))
    return text.strip()


def _sent_at(message: EmailMessage) -> datetime | None:
    try:
        moment = parsedate_to_datetime(str(message.get("Date") or ""))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else None


def _attachment(part: EmailMessage) -> dict[str, str | None]:
    content = part.get_payload(decode=True) or b""
    return {"url": None, "sha256": hashlib.sha256(content).hexdigest(), "name": part.get_filename()}


def mail_reads(path: Path, door: Door, now: datetime) -> tuple[int, Iterator[tuple[int, str, Read]]]:
    """``(number of messages, (position, label, read) per message)``."""
    box = open_mailbox(path)
    keys = list(box.keys())

    def reads() -> Iterator[tuple[int, str, Read]]:
        for position, key in enumerate(keys, start=1):
            yield position, f"message {key}", read_mail(box.get_bytes(key), door, now)

    return len(keys), reads()
