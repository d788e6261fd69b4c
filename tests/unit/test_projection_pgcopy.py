"""COPY text formatting, the projection decoder, how a replay shares partitions between workers, the migrations a
rebuild replays, and its progress bar."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from projections import pgcopy
from projections.decode import EventDecoder
from projections.progress import ProgressBar
from projections.rebuild import share
from projections.schema import model_sql
from schemas import DecodeError, codec
from tests.support.history import History, full_lifecycle


def test_text_is_escaped_for_copy_and_none_is_null() -> None:
    assert pgcopy.text("a\tb\nc\\d\re") == "a\\tb\\nc\\\\d\\re"
    assert pgcopy.text(None) == "\\N"


@pytest.mark.parametrize("moment", [
    datetime(2026, 3, 2, 1, 2, 3, 456000, tzinfo=timezone.utc),
    datetime(1969, 12, 31, 23, 59, 59, 1000, tzinfo=timezone.utc),
    datetime(2024, 2, 29, 0, 0, tzinfo=timezone.utc),
])
def test_timestamps_in_milliseconds_become_utc_text(moment: datetime) -> None:
    millis = int(moment.timestamp() * 1000)
    text = pgcopy.timestamp(millis)
    assert datetime.fromisoformat(text) == moment


def test_arrays_quote_their_items() -> None:
    assert pgcopy.text_array(["pemkab-74-04", 'a"b', "c\\d"]) == '{"pemkab-74-04","a\\\\"b","c\\\\\\\\d"}'
    assert pgcopy.text_array([]) == "{}"


def test_the_decoder_reads_what_the_codec_reads_with_timestamps_in_milliseconds() -> None:
    history = History()
    full_lifecycle(history)
    decoder = EventDecoder()
    for _, value in history.messages():
        name, record = decoder.decode(value)
        expected = codec().decode(value)
        assert name == expected.name
        assert record["header"]["occurred_at"] == int(expected.record["header"]["occurred_at"].timestamp() * 1000)
        assert {k: v for k, v in record.items() if k != "header" and not k.endswith("_at")} == {
            k: v for k, v in expected.record.items() if k != "header" and not k.endswith("_at")}


def test_the_decoder_refuses_what_is_not_a_complaint_event() -> None:
    decoder = EventDecoder()
    other = codec().encode("id.aduan.DeadLetter", {
        "processor": "x", "source_topic": "t", "source_partition": 0, "source_offset": 1, "source_key": None,
        "original": b"", "reason_code": "r", "reason": "r", "failed_at": datetime.now(timezone.utc)})
    with pytest.raises(DecodeError) as refused:
        decoder.decode(other)
    assert refused.value.code == "wrong_type"
    for garbage, code in [(b"\x00\x00\x00\x03\xe7", "unknown_schema"), (b"not avro", "bad_magic"), (None, "empty")]:
        with pytest.raises(DecodeError) as refused:
            decoder.decode(garbage)
        assert refused.value.code == code


def test_partitions_are_shared_evenly_between_replay_workers() -> None:
    groups = share({0: 100, 1: 90, 2: 10, 3: 5, 4: 0}, 2)
    assert sorted(sum(g.values()) for g in groups) == [100, 105]
    assert sorted(p for g in groups for p in g) == [0, 1, 2, 3, 4]
    assert len(share({0: 5}, 4)) == 1


def test_every_read_model_migration_can_be_replayed_into_a_fresh_schema() -> None:
    bodies = model_sql()
    assert [name for name, _ in bodies][:2] == ["0001_read_models.sql", "0002_views.sql"]
    code = [line for _, body in bodies for line in body.splitlines() if not line.lstrip().startswith("--")]
    assert not [line for line in code if "projection." in line], "objects must be named without their schema"


def test_the_progress_bar_prints_a_line_per_tenth_when_not_on_a_terminal() -> None:
    stream = io.StringIO()
    bar = ProgressBar(1000, "rebuild", stream)
    for done in range(0, 1001, 50):
        bar.update(done)
    bar.finish(1000)
    lines = stream.getvalue().splitlines()
    assert [line.split("]")[1].split()[0] for line in lines] == [f"{10 * i}%" for i in range(11)]
    assert lines[-1].startswith("rebuild [" + "#" * 30 + "] 100%  1,000/1,000 events")
