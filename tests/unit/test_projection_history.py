"""The history builder of tests.support.history: every kind of complaint event can be built and encoded, and a
repeated event keeps its event id."""

from __future__ import annotations

from aduan.domain.events import Event
from tests.support.history import History, full_lifecycle


def test_every_complaint_event_type_can_be_built_and_encoded() -> None:
    history = History()
    full_lifecycle(history)
    other = history.submit("74.71", anonymous=True, confidential=True)
    other.reject()
    history.submit().withdraw()
    names = {name for name, _ in history.decoded()}
    assert names == {event.value for event in Event}


def test_repeated_events_keep_their_event_id() -> None:
    history = History()
    history.submit().verify()
    history.repeat()
    ids = [record["header"]["event_id"] for _, record in history.events]
    assert ids[-1] == ids[-2] and ids[0] != ids[1]
