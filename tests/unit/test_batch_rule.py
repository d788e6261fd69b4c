"""The offset rule of stateful processors: skip what was handled, refuse a batch that starts beyond it."""

from __future__ import annotations

import pytest

from aduan.kernel.stream_message import Message
from aduan.processing.batch_rule import OffsetGap, accept_holes, unhandled


def _batch(*offsets: tuple[int, int], topic: str = "log") -> list[Message]:
    return [Message(topic, partition, offset, b"k", b"v") for partition, offset in offsets]


def test_messages_below_the_stored_offsets_are_skipped() -> None:
    fresh = unhandled("lifecycle", {("log", 0): 5, ("log", 1): 0}, _batch((0, 3), (0, 4), (0, 5), (1, 0)))
    assert [(m.partition, m.offset) for m in fresh] == [(0, 5), (1, 0)]


def test_a_batch_beyond_the_stored_offset_is_refused_with_where_to_read_again() -> None:
    with pytest.raises(OffsetGap) as refused:
        unhandled("lifecycle", {("log", 0): 5, ("log", 1): 2}, _batch((0, 5), (1, 4), (1, 5)))
    assert refused.value.gaps == {("log", 1): 2}


def test_a_partition_never_handled_may_start_later() -> None:
    assert len(unhandled("lifecycle", {("log", 0): 0}, _batch((0, 7), (0, 8)))) == 2


def test_a_hole_in_the_log_found_by_reading_again_is_no_gap_and_nothing_else_is_let_through() -> None:
    start = {("holed", 0): 257}
    with pytest.raises(OffsetGap) as first:
        unhandled("lifecycle", start, _batch((0, 258), (0, 259), topic="holed"))
    with pytest.raises(OffsetGap) as again:  # read again from 257: the log still starts at 258
        unhandled("lifecycle", start, _batch((0, 258), (0, 259), topic="holed"))
    assert again.value.same_as(first.value) and first.value.firsts == {("holed", 0): 258}
    accept_holes(again.value)
    assert [m.offset for m in unhandled("lifecycle", start, _batch((0, 258), (0, 259), topic="holed"))] == [258, 259]
    with pytest.raises(OffsetGap):  # a batch that starts later still is a gap
        unhandled("lifecycle", start, _batch((0, 260), topic="holed"))
