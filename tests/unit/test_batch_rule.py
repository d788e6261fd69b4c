"""The offset rule of stateful processors: skip what was handled, refuse a batch that starts beyond it."""

from __future__ import annotations

import pytest

from aduan.stream_message import Message
from streams.batch_rule import OffsetGap, unhandled


def _batch(*offsets: tuple[int, int]) -> list[Message]:
    return [Message("log", partition, offset, b"k", b"v") for partition, offset in offsets]


def test_messages_below_the_stored_offsets_are_skipped() -> None:
    fresh = unhandled("lifecycle", {("log", 0): 5, ("log", 1): 0}, _batch((0, 3), (0, 4), (0, 5), (1, 0)))
    assert [(m.partition, m.offset) for m in fresh] == [(0, 5), (1, 0)]


def test_a_batch_beyond_the_stored_offset_is_refused_with_where_to_read_again() -> None:
    with pytest.raises(OffsetGap) as refused:
        unhandled("lifecycle", {("log", 0): 5, ("log", 1): 2}, _batch((0, 5), (1, 4), (1, 5)))
    assert refused.value.gaps == {("log", 1): 2}


def test_a_partition_never_handled_may_start_later() -> None:
    assert len(unhandled("lifecycle", {("log", 0): 0}, _batch((0, 7), (0, 8)))) == 2
