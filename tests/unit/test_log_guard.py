"""The log guard's rules: a stored offset beyond the log's end is refused, never skipped, and says what to do."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from aduan.kernel import health
from aduan.kernel.log_guard import (
    RECOVERY,
    OffsetsBeyondLog,
    clear_refusals,
    refuse_beyond_log,
)
from aduan.kernel.stream_message import Message
from aduan.processing.batch_rule import unhandled

NOW = 1_800_000_000.0


def message(offset: int, highwater: int | None, partition: int = 0) -> Message:
    return Message("aduan.intake", partition, offset, b"k", b"v", highwater=highwater)


def test_offsets_within_the_log_pass_and_only_unhandled_messages_remain():
    batch = [message(3, 6), message(4, 6), message(5, 6)]
    assert [m.offset for m in unhandled("intake", {("aduan.intake", 0): 5}, batch)] == [5]


def test_a_redelivered_batch_below_the_stored_offset_is_skipped_not_refused():
    batch = [message(0, 10), message(1, 10)]
    assert unhandled("intake", {("aduan.intake", 0): 10}, batch) == []


def test_a_stored_offset_beyond_the_high_water_mark_refuses_the_batch():
    batch = [message(0, 2), message(1, 2)]  # a new, short log: offsets 0 and 1 were never seen
    with pytest.raises(OffsetsBeyondLog) as refused:
        unhandled("intake", {("aduan.intake", 0): 118}, batch)
    text = str(refused.value)
    assert "'intake'" in text and "aduan.intake partition 0" in text and "118" in text and "ends at offset 2" in text
    assert RECOVERY in text


def test_partitions_without_a_known_high_water_mark_are_not_judged():
    refuse_beyond_log("lifecycle", {("aduan.commands", 3): 50}, {("aduan.intake", 0): 0})


def test_a_refusal_is_confirmed_with_fresh_marks_first():
    # another worker took the partition in a rebalance and moved on: the batch's marks are older than the offsets
    asked: list = []

    def fresh(partitions):
        asked.append(list(partitions))
        return {("aduan.intake", 0): 1040}

    batch = [message(990, 1000), message(999, 1000)]
    assert unhandled("intake", {("aduan.intake", 0): 1040}, batch, fresh) == []
    assert asked == [[("aduan.intake", 0)]]
    with pytest.raises(OffsetsBeyondLog):
        unhandled("intake", {("aduan.intake", 0): 1040}, batch, lambda partitions: {("aduan.intake", 0): 2})


def test_the_refusal_is_exported_makes_the_processor_stalled_in_health_and_clears_after_a_batch():
    refusal = OffsetsBeyondLog("dispatcher", "aduan.complaint-events", 2, 118, 0)
    refusal.export()
    check = health.judge("dispatcher", health.progress(REGISTRY.collect()), NOW, health.Limits())
    assert check.status == health.STALLED
    assert "aduan.complaint-events partition 2" in check.detail and "118 beyond" in check.detail
    assert "aduan offsets check" in check.detail
    clear_refusals()
    assert health.judge("dispatcher", health.progress(REGISTRY.collect()), NOW, health.Limits()).status != \
        health.STALLED
