"""Injectable time: the file clock reads what a test writes, in UTC, and says how to fix a bad file."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from aduan.kernel.clock import FileClock, SystemClock, clock_from_env


def test_the_file_clock_stands_still_until_the_file_changes(tmp_path):
    clock = FileClock(tmp_path / "now")
    clock.set(datetime(2026, 10, 5, 9, 0, tzinfo=timezone(timedelta(hours=8))))
    assert clock.now() == datetime(2026, 10, 5, 1, 0, tzinfo=timezone.utc)
    assert clock.now().tzinfo == timezone.utc
    clock.set(clock.now() + timedelta(weeks=3))
    assert clock.now() == datetime(2026, 10, 26, 1, 0, tzinfo=timezone.utc)


def test_the_file_clock_reads_what_anyone_wrote(tmp_path):
    (tmp_path / "now").write_text("2026-10-05T09:00:00+07:00\n")
    assert FileClock(tmp_path / "now").now() == datetime(2026, 10, 5, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("content, hint", [
    (None, "does not exist"),
    ("next monday", "not an ISO 8601 instant"),
    ("2026-10-05T09:00:00", "without a time zone"),
])
def test_a_missing_or_bad_clock_file_says_what_to_write(tmp_path, content, hint):
    path = tmp_path / "now"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValueError, match=hint):
        FileClock(path).now()


def test_setting_a_naive_time_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no time zone"):
        FileClock(tmp_path / "now").set(datetime(2026, 10, 5, 9, 0))


def test_the_environment_chooses_the_clock(tmp_path):
    assert isinstance(clock_from_env({}), SystemClock)
    chosen = clock_from_env({"ADUAN_CLOCK_FILE": str(tmp_path / "now")})
    assert isinstance(chosen, FileClock) and chosen.path == tmp_path / "now"


def test_the_system_clock_is_aware_utc():
    before = datetime.now(timezone.utc)
    now = SystemClock().now()
    assert now.tzinfo == timezone.utc and now >= before
