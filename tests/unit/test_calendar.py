"""The working-day calendar: weekends, holidays, cuti bersama, region time zones, working time."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import holidays
import pytest

from aduan.domain.calendar import (
    WIB,
    WIT,
    WITA,
    HolidayOverrides,
    OverrideError,
    WorkingCalendar,
)
from aduan.domain.regions import RegionLevel, load_regions

KENDARI = "74.71"  # Sulawesi Tenggara, WITA
JAKARTA = "31.71"  # WIB
JAYAPURA = "91.71"  # Papua, WIT
END_OF_DAY = (23, 59, 59, 999000)


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar.load()


def end_of(day: date, zone) -> datetime:
    return datetime(day.year, day.month, day.day, *END_OF_DAY, tzinfo=zone)


def test_weekend_days_are_skipped(calendar: WorkingCalendar) -> None:
    thursday = datetime(2025, 11, 20, 10, 0, tzinfo=WITA)
    assert not calendar.is_working_day(date(2025, 11, 22))
    assert not calendar.is_working_day(date(2025, 11, 23))
    assert calendar.add_working_days(thursday, 2, KENDARI) == end_of(date(2025, 11, 24), WITA)


def test_deadline_is_returned_in_utc(calendar: WorkingCalendar) -> None:
    due = calendar.add_working_days(datetime(2025, 11, 20, 10, 0, tzinfo=WITA), 1, KENDARI)
    assert due.tzinfo is timezone.utc
    assert due == datetime(2025, 11, 21, 15, 59, 59, 999000, tzinfo=timezone.utc)


def test_start_on_a_weekend_counts_from_the_next_working_day(calendar: WorkingCalendar) -> None:
    friday = datetime(2025, 11, 21, 9, 0, tzinfo=WITA)
    saturday = datetime(2025, 11, 22, 9, 0, tzinfo=WITA)
    monday_end = end_of(date(2025, 11, 24), WITA)
    assert calendar.add_working_days(friday, 1, KENDARI) == monday_end
    assert calendar.add_working_days(saturday, 1, KENDARI) == monday_end


def test_national_holiday_is_not_a_working_day(calendar: WorkingCalendar) -> None:
    labour_day = date(2025, 5, 1)  # a Thursday
    assert not calendar.is_working_day(labour_day)
    assert calendar.holiday_name(labour_day)
    due = calendar.add_working_days(datetime(2025, 4, 30, 8, 0, tzinfo=WIB), 1, JAKARTA)
    assert due == end_of(date(2025, 5, 2), WIB)


def test_cuti_bersama_from_the_shipped_override_file(calendar: WorkingCalendar) -> None:
    boxing_day = date(2025, 12, 26)  # cuti bersama Natal, a Friday
    assert "Cuti bersama" in calendar.overrides.added[boxing_day]
    assert not calendar.is_working_day(boxing_day)


def test_cuti_bersama_added_by_an_override(calendar: WorkingCalendar) -> None:
    announced = date(2027, 9, 15)  # a Wednesday no source knows as a holiday
    overrides = HolidayOverrides.parse(
        'version: "t"\nadd:\n  - {date: 2027-09-15, name: "Cuti bersama (announced late)"}\n'
    )
    assert calendar.is_working_day(announced)
    edited = WorkingCalendar(overrides)
    assert not edited.is_working_day(announced)
    assert edited.holiday_name(announced) == "Cuti bersama (announced late)"


def test_override_can_remove_a_holiday(calendar: WorkingCalendar) -> None:
    tuesday = datetime(2025, 12, 23, 9, 0, tzinfo=WIB)
    # Dec 24 works; 25 Christmas, 26 cuti bersama, then the weekend: day 3 is Tuesday Dec 30.
    assert calendar.add_working_days(tuesday, 3, JAKARTA) == end_of(date(2025, 12, 30), WIB)
    edited = WorkingCalendar(
        HolidayOverrides.parse('version: "t"\nremove:\n  - {date: 2025-12-26, reason: "SKB amended"}\n')
    )
    assert edited.is_working_day(date(2025, 12, 26))
    assert edited.add_working_days(tuesday, 3, JAKARTA) == end_of(date(2025, 12, 29), WIB)


def test_deadline_crosses_the_new_year(calendar: WorkingCalendar) -> None:
    monday = datetime(2025, 12, 29, 9, 0, tzinfo=WIB)
    # Dec 30, Dec 31, (Jan 1 is New Year's Day), Jan 2.
    assert calendar.add_working_days(monday, 3, JAKARTA) == end_of(date(2026, 1, 2), WIB)


def test_the_same_instant_gives_different_deadlines_in_wib_and_wit(calendar: WorkingCalendar) -> None:
    instant = datetime(2025, 11, 20, 23, 30, tzinfo=WIB)  # Thursday in Jakarta, already Friday in Jayapura
    assert calendar.local_date(instant, JAYAPURA) == date(2025, 11, 21)
    assert calendar.add_working_days(instant, 1, JAKARTA) == end_of(date(2025, 11, 21), WIB)
    assert calendar.add_working_days(instant, 1, JAYAPURA) == end_of(date(2025, 11, 24), WIT)


def test_friday_late_evening_in_wib_is_saturday_in_wit(calendar: WorkingCalendar) -> None:
    friday_2330_wib = datetime(2025, 11, 21, 23, 30, tzinfo=WIB)
    half_hour_before = friday_2330_wib - timedelta(minutes=30)
    assert calendar.working_time_between(half_hour_before, friday_2330_wib, JAKARTA) == timedelta(minutes=30)
    assert calendar.working_time_between(half_hour_before, friday_2330_wib, JAYAPURA) == timedelta(0)


@pytest.mark.parametrize(
    ("region_code", "zone"),
    [
        ("74", WITA),
        ("74.04", WITA),  # Kabupaten Buton
        ("74.04.11", WITA),  # Pasarwajo
        ("31", WIB),
        ("61.71", WIB),  # Pontianak, West Kalimantan
        ("62", WIB),
        ("63", WITA),
        ("65", WITA),
        ("51.71", WITA),  # Denpasar
        ("53", WITA),
        ("81", WIT),
        ("82", WIT),
        ("91.71", WIT),
        ("96", WIT),  # Papua Barat Daya
    ],
)
def test_region_time_zone_by_province(calendar: WorkingCalendar, region_code: str, zone) -> None:
    assert calendar.timezone_for(region_code) is zone


def test_every_province_has_a_time_zone(calendar: WorkingCalendar) -> None:
    provinces = [region.code for region in load_regions().at_level(RegionLevel.PROVINCE)]
    assert len(provinces) == 38
    zones = {code: calendar.timezone_for(code) for code in provinces}
    assert sum(zone is WIT for zone in zones.values()) == 8
    assert sum(zone is WITA for zone in zones.values()) == 12


@pytest.mark.parametrize("region_code", ["99", "74.99", "", "Kendari"])
def test_unknown_region_is_refused(calendar: WorkingCalendar, region_code: str) -> None:
    with pytest.raises(ValueError, match="unknown region code"):
        calendar.timezone_for(region_code)


def test_naive_datetimes_are_refused(calendar: WorkingCalendar) -> None:
    naive = datetime(2025, 11, 20, 10, 0)
    aware = datetime(2025, 11, 20, 10, 0, tzinfo=WIB)
    with pytest.raises(ValueError, match="naive"):
        calendar.add_working_days(naive, 3, JAKARTA)
    with pytest.raises(ValueError, match="naive"):
        calendar.working_time_between(aware, naive, JAKARTA)
    with pytest.raises(ValueError, match="naive"):
        calendar.extend(naive, timedelta(hours=1), JAKARTA)
    with pytest.raises(TypeError, match="local_date"):
        calendar.is_working_day(aware)


def test_working_time_skips_weekends_and_holidays(calendar: WorkingCalendar) -> None:
    wednesday_noon = datetime(2025, 12, 24, 12, 0, tzinfo=WIB)
    monday_noon = datetime(2025, 12, 29, 12, 0, tzinfo=WIB)
    assert calendar.working_time_between(wednesday_noon, monday_noon, JAKARTA) == timedelta(hours=24)
    with pytest.raises(ValueError, match="earlier instant first"):
        calendar.working_time_between(monday_noon, wednesday_noon, JAKARTA)


def test_extend_moves_a_deadline_by_exactly_the_working_time(calendar: WorkingCalendar) -> None:
    friday_end = end_of(date(2025, 11, 21), WITA)
    assert calendar.extend(friday_end, timedelta(days=1), KENDARI) == end_of(date(2025, 11, 24), WITA)
    moved = calendar.extend(friday_end, timedelta(hours=30), KENDARI)
    assert moved == datetime(2025, 11, 25, 5, 59, 59, 999000, tzinfo=WITA)
    assert calendar.working_time_between(friday_end, moved, KENDARI) == timedelta(hours=30)
    assert calendar.extend(friday_end, -timedelta(days=1), KENDARI) == end_of(date(2025, 11, 20), WITA)


def test_version_names_the_package_and_the_override_file(calendar: WorkingCalendar) -> None:
    assert holidays.__version__ in calendar.version
    assert calendar.overrides.version in calendar.version
    first = WorkingCalendar(HolidayOverrides.parse('version: "x"\nadd: []\n'))
    second = WorkingCalendar(HolidayOverrides.parse('version: "x"\nadd:\n  - {date: 2027-09-15, name: "n"}\n'))
    assert first.version != second.version


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("add: []\n", "version"),
        ('version: "t"\nadd:\n  - {date: 2025-13-01, name: "x"}\n', r"add\[0\].*YYYY-MM-DD"),
        ('version: "t"\nadd:\n  - {date: 2025-12-01}\n', r"add\[0\]"),
        ('version: "t"\nremove:\n  - {date: 2025-12-25, reason: ""}\n', r"remove\[0\].*reason"),
        ('version: "t"\nadd:\n  - {date: 2025-12-01, name: "a"}\nremove:\n  - {date: 2025-12-01, reason: "b"}\n', "both"),
        ('version: "t"\nadd:\n  - {date: 2025-12-01, name: "a"}\n  - {date: 2025-12-01, name: "b"}\n', "twice"),
        ('version: "t"\nadded: []\n', "unknown keys"),
        ('version: "t"\nadd: [\n', "not valid YAML"),
    ],
)
def test_bad_override_entries_are_named(text: str, message: str) -> None:
    with pytest.raises(OverrideError, match=message):
        HolidayOverrides.parse(text, source="override.yaml")
