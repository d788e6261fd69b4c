"""Reading a report out of free text (SMS, email, social media): privacy tags, the region, title and description.

* ``#anonim`` anywhere makes the report anonymous, ``#rahasia`` confidential; both tags are removed.
* The region is the leading code or name of the subject (email) or else of the text (:mod:`channels.region_in_text`).
* The title is the rest of the subject, or the start of the text; the description is the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aduan.domain.intake import DESCRIPTION_MIN, title_from
from channels.region_in_text import region_finder

_ANONYMOUS = re.compile(r"(?<![\w#])#anonim(?!\w)", re.IGNORECASE)
_CONFIDENTIAL = re.compile(r"(?<![\w#])#rahasia(?!\w)", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]{2,}")


@dataclass(frozen=True)
class FreeText:
    """What a free-text report says."""

    region_code: str | None
    title: str
    description: str
    anonymous: bool
    confidential: bool

    @property
    def usable(self) -> bool:
        """Whether there is something to report: a few words with letters in them."""
        return len(self.description) >= DESCRIPTION_MIN and any(c.isalpha() for c in self.description)


def read_free_text(text: str, subject: str = "") -> FreeText:
    """The report in ``text`` (and the email ``subject``, when there is one)."""
    anonymous = bool(_ANONYMOUS.search(subject) or _ANONYMOUS.search(text))
    confidential = bool(_CONFIDENTIAL.search(subject) or _CONFIDENTIAL.search(text))
    subject, text = (_untag(part) for part in (subject, text))
    finder = region_finder()
    region, title = finder.find(subject) if subject else (None, "")
    if region is None:
        region, text = finder.find(text)
    return FreeText(region, title or title_from(text), text, anonymous, confidential)


def _untag(text: str) -> str:
    return _SPACES.sub(" ", _CONFIDENTIAL.sub(" ", _ANONYMOUS.sub(" ", text))).strip()
