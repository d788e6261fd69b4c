"""One batch applied by the projector's batch handler: offsets and event ids decide what is applied."""

from __future__ import annotations

import pytest

from aduan.kernel import kafka_clients
from aduan.kernel.config import Settings
from aduan.kernel.stream_message import Message
from aduan.kernel.topics import Topics
from aduan.processing.batch_rule import OffsetGap
from projections.projector import Projection
from tests.support.history import History
from tests.support.projection import query, stored_offsets


def messages(settings: Settings, history: History, partition: int = 0, first_offset: int = 0) -> list[Message]:
    topic = Topics(settings.topic_prefix).complaint_events
    return [Message(topic, partition, first_offset + i, key, value)
            for i, (key, value) in enumerate(history.messages())]


def handle(settings: Settings, batch: list[Message]) -> None:
    publisher = kafka_clients.Publisher(kafka_clients.producer(settings))
    projection = Projection(settings, publisher)
    try:
        projection.handle(batch)
    finally:
        projection.close()
        publisher.close()


def test_a_batch_applies_each_event_id_once_and_records_the_next_offset(settings: Settings) -> None:
    history = History(name="batch")
    history.submit("74.04").verify().disposition("pemkab-74-04")
    history.repeat(1)
    batch = messages(settings, history, partition=2)
    handle(settings, batch)
    assert stored_offsets(settings) == {2: 4}
    assert query(settings, "SELECT count(*) AS n FROM projection.complaint_timeline")[0]["n"] == 3
    handle(settings, batch[:2])  # offsets below the stored one were applied before
    assert stored_offsets(settings) == {2: 4}
    assert query(settings, "SELECT events, status FROM projection.complaint_status") == [
        {"events": 3, "status": "DISPOSITIONED"}]


def test_a_batch_that_does_not_start_where_the_database_is_asks_to_read_from_there(settings: Settings) -> None:
    history = History(name="moved")
    history.submit("74.04").verify()
    handle(settings, messages(settings, history, partition=1))
    later = History(name="later")
    later.submit("74.71")
    with pytest.raises(OffsetGap) as gap:
        handle(settings, messages(settings, later, partition=1, first_offset=7))
    assert gap.value.gaps == {(Topics(settings.topic_prefix).complaint_events, 1): 2}
    assert stored_offsets(settings) == {1: 2}
    assert query(settings, "SELECT count(*) AS n FROM projection.complaint_status")[0]["n"] == 1
