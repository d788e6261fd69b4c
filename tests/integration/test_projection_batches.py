"""One batch applied by the projector's batch code: offsets and event ids decide what is applied."""

from __future__ import annotations

from aduan.kernel import db
from aduan.kernel.config import Settings
from aduan.kernel.stream_message import Message
from aduan.kernel.topics import Topics
from projections.applier import BatchApplier
from tests.support.history import History
from tests.support.projection import query


def messages(settings: Settings, history: History, partition: int = 0, first_offset: int = 0) -> list[Message]:
    topic = Topics(settings.topic_prefix).complaint_events
    return [Message(topic, partition, first_offset + i, key, value)
            for i, (key, value) in enumerate(history.messages())]


def apply(settings: Settings, batch: list[Message], expected: dict[int, int]):
    applier = BatchApplier(Topics(settings.topic_prefix).complaint_events)
    conn = db.connect(settings)
    try:
        with conn.cursor() as cur:
            result = applier.apply(cur, batch, expected)
        conn.commit()
        return result
    finally:
        conn.close()


def test_a_batch_applies_each_event_id_once_and_records_the_next_offset(settings: Settings) -> None:
    history = History(name="batch")
    history.submit("74.04").verify().disposition("pemkab-74-04")
    history.repeat(1)
    batch = messages(settings, history, partition=2)
    result = apply(settings, batch, {})
    assert (result.applied, result.duplicates, result.next_offsets, result.rewind) == (3, 1, {2: 4}, {})
    again = apply(settings, batch[:2], {2: 4})
    assert (again.applied, again.next_offsets) == (0, {}), "offsets below the stored one were applied before"
    assert query(settings, "SELECT events, status FROM projection.complaint_status") == [
        {"events": 3, "status": "DISPOSITIONED"}]


def test_a_batch_that_does_not_start_where_the_database_is_asks_to_read_from_there(settings: Settings) -> None:
    history = History(name="moved")
    history.submit("74.04").verify()
    apply(settings, messages(settings, history, partition=1), {})
    later = History(name="later")
    later.submit("74.71")
    result = apply(settings, messages(settings, later, partition=1, first_offset=7), {1: 0})
    assert (result.applied, result.rewind, result.next_offsets) == (0, {1: 2}, {})
    assert query(settings, "SELECT count(*) AS n FROM projection.complaint_status")[0]["n"] == 1
