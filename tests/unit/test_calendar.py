"""Business calendar: working days, 调休, end of working day, Monday review, quarters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.calendar import (
    CN_2026_HOLIDAYS,
    CN_2026_MAKEUP_WORKDAYS,
    MAX_CLOSED_DAYS,
    BusinessCalendar,
    CalendarReason,
    check_calendar,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = BusinessCalendar.build(holidays=CN_2026_HOLIDAYS, makeup_workdays=CN_2026_MAKEUP_WORKDAYS)


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A Shanghai wall-clock time as a UTC instant."""
    return datetime(y, m, d, hh, mm, tzinfo=SH).astimezone(UTC)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 5, 8), True),  # ordinary Friday
        (date(2026, 5, 9), True),  # Saturday made a working day (调休)
        (date(2026, 5, 10), False),  # Sunday
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # make-up Saturday after National Day
        (date(2026, 10, 11), False),
    ],
)
def test_working_days_follow_holidays_and_makeup_days(day: date, working: bool) -> None:  # R-FU-2
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (sh(2026, 5, 8, 16, 45), sh(2026, 5, 8, 17, 30)),  # Friday afternoon: same day
        (sh(2026, 5, 8, 7, 0), sh(2026, 5, 8, 17, 30)),  # before opening: same day
        (sh(2026, 5, 7, 22, 0), sh(2026, 5, 8, 17, 30)),  # Thursday 22:00 belongs to Friday
        (sh(2026, 5, 8, 22, 0), sh(2026, 5, 9, 17, 30)),  # Friday night -> make-up Saturday
        (sh(2026, 9, 30, 18, 0), sh(2026, 10, 8, 17, 30)),  # across National Day
        (sh(2026, 10, 3, 10, 0), sh(2026, 10, 8, 17, 30)),  # during the holiday
        (sh(2026, 10, 9, 20, 0), sh(2026, 10, 10, 17, 30)),  # -> make-up Saturday 10-10
        (sh(2026, 5, 8, 17, 30), sh(2026, 5, 9, 17, 30)),  # at closing time: already next day
    ],
)
def test_end_of_working_day_belongs_to_next_working_day_after_hours(
    instant: datetime, expected: datetime
) -> None:  # R-FU-2
    assert CAL.end_of_working_day(instant) == expected
    assert CAL.end_of_working_day(instant).tzinfo == UTC


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (sh(2026, 5, 6, 10, 0), sh(2026, 5, 6, 10, 0)),
        (sh(2026, 5, 6, 12, 30), sh(2026, 5, 6, 13, 30)),  # lunch
        (sh(2026, 5, 6, 7, 0), sh(2026, 5, 6, 8, 30)),
        (sh(2026, 9, 30, 18, 0), sh(2026, 10, 8, 8, 30)),
    ],
)
def test_next_working_moment_skips_lunch_nights_and_holidays(instant: datetime, expected: datetime) -> None:
    assert CAL.next_working_moment(instant) == expected


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # Due by the end of the review day's working hours, not at its first minute.
        (sh(2026, 5, 8, 16, 45), sh(2026, 5, 11, 17, 30)),  # Friday -> Monday
        (sh(2026, 5, 11, 9, 0), sh(2026, 5, 18, 17, 30)),  # a Monday case -> next week's Monday
        (sh(2026, 9, 30, 10, 0), sh(2026, 10, 8, 17, 30)),  # Monday 10-05 is National Day -> Thu 10-08
    ],
)
def test_monday_review_is_due_by_the_end_of_next_monday_or_the_first_working_day_after(
    instant: datetime, expected: datetime
) -> None:  # R-FU-3
    assert CAL.monday_review_due(instant) == expected


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (sh(2026, 5, 11, 0, 0), sh(2026, 5, 11, 0, 0)),
        (sh(2026, 5, 13, 15, 0), sh(2026, 5, 11, 0, 0)),
        (sh(2026, 5, 17, 23, 59), sh(2026, 5, 11, 0, 0)),
        (sh(2026, 5, 10, 23, 59), sh(2026, 5, 4, 0, 0)),
    ],
)
def test_the_week_starts_at_mondays_local_midnight(instant: datetime, expected: datetime) -> None:  # R-FU-3
    assert CAL.week_start(instant) == expected


def test_a_time_is_written_as_every_screen_writes_it() -> None:  # D81
    now = sh(2026, 12, 7, 10, 0)
    assert CAL.shown(sh(2026, 12, 7, 22, 54), now) == "12/07 22:54"
    assert CAL.shown(sh(2026, 1, 2, 8, 5), now) == "01/02 08:05"
    # Another year than the server's now (in the compound's zone) carries the year.
    assert CAL.shown(sh(2027, 1, 1, 0, 5), now) == "2027/01/01 00:05"
    assert CAL.shown(sh(2025, 12, 31, 23, 59), now) == "2025/12/31 23:59"
    assert CAL.shown(sh(2027, 1, 1, 0, 5), sh(2027, 1, 1, 0, 0)) == "01/01 00:05"


def test_end_of_quarter_is_last_working_day_of_quarter() -> None:  # R-CL-4
    assert CAL.end_of_quarter(sh(2026, 5, 8, 10, 0)) == sh(2026, 6, 30, 17, 30)
    # 2026-12-31 is a Thursday, a working day.
    assert CAL.end_of_quarter(sh(2026, 11, 2, 10, 0)) == sh(2026, 12, 31, 17, 30)


def test_quarter_review_window_is_the_end_of_the_quarter() -> None:  # R-CL-4
    assert CAL.is_quarter_review_time(sh(2026, 6, 25, 10, 0))
    assert not CAL.is_quarter_review_time(sh(2026, 5, 15, 10, 0))


def test_add_working_minutes_skips_weekend_and_lunch() -> None:
    # Wed 2026-05-06 16:45 + 60 working minutes: 45 today, 15 on Thursday morning.
    assert CAL.add_working_minutes(sh(2026, 5, 6, 16, 45), 60) == sh(2026, 5, 7, 8, 45)
    assert CAL.add_working_minutes(sh(2026, 5, 6, 11, 50), 20) == sh(2026, 5, 6, 13, 40)


def test_naive_datetimes_are_rejected() -> None:  # design guarantee 4
    with pytest.raises(ValueError):
        CAL.end_of_working_day(datetime(2026, 5, 8, 10, 0))


def test_calendar_round_trips_through_json() -> None:
    assert msgspec.json.decode(msgspec.json.encode(CAL), type=BusinessCalendar) == CAL


ZONES = frozenset({"Asia/Shanghai", "UTC"})


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"tz": "Mars/Olympus"}, CalendarReason.UNKNOWN_TIME_ZONE),
        ({"tz": "../../etc/passwd"}, CalendarReason.UNKNOWN_TIME_ZONE),
        ({"work_start": "18:00", "work_end": "09:00"}, CalendarReason.HOURS_OUT_OF_ORDER),
        ({"work_start": "09:00", "work_end": "09:00"}, CalendarReason.HOURS_OUT_OF_ORDER),
        ({"lunch_start": "13:30", "lunch_end": "12:00"}, CalendarReason.LUNCH_OUTSIDE_HOURS),
        ({"lunch_start": "07:00", "lunch_end": "08:00"}, CalendarReason.LUNCH_OUTSIDE_HOURS),
        ({"lunch_start": "12:00", "lunch_end": None}, CalendarReason.LUNCH_OUTSIDE_HOURS),
        ({"working_weekdays": []}, CalendarReason.NO_WORKING_DAY),
        # One working weekday, and a holiday on every one of those days for two months.
        (
            {"working_weekdays": [0], "holidays": [date(2027, 1, 4) + timedelta(weeks=i) for i in range(9)]},
            CalendarReason.NO_WORKING_DAY,
        ),
    ],
)
def test_a_calendar_every_deadline_would_fail_on_is_refused(change: dict, reason: CalendarReason) -> None:
    # A calendar is stored once and read by every deadline after it: an unknown zone, a day that ends
    # before it starts or a year without a working day broke every later request (a 500 or a hang).
    refusal = check_calendar(BusinessCalendar.build(**change), zones=ZONES)
    assert refusal is not None and refusal.code == reason and refusal.kind == "invalid"
    assert refusal.zh and refusal.en


def test_the_national_calendar_and_a_desk_staffed_through_lunch_are_accepted() -> None:
    assert check_calendar(CAL, zones=ZONES) is None
    assert check_calendar(BusinessCalendar.build(lunch_start=None, lunch_end=None), zones=ZONES) is None
    # The Spring Festival week with its weekends is a long closure, and still well inside the bound.
    assert MAX_CLOSED_DAYS >= 14


def test_calendar_times_must_be_wall_clock_and_weekdays_real() -> None:
    dec = msgspec.json.Decoder(BusinessCalendar)
    for bad in (
        b'{"work_start": "08:30:00+08:00"}',
        b'{"working_weekdays": [7]}',
        b'{"working_weekdays": [-1]}',
    ):
        with pytest.raises(msgspec.ValidationError):
            dec.decode(bad)


def test_build_accepts_hhmm_strings() -> None:
    cal = BusinessCalendar.build(work_start="09:00", work_end="18:00", lunch_start=None, lunch_end=None)
    assert cal.is_working_time(sh(2026, 5, 6, 12, 30))
    assert cal.end_of_working_day(sh(2026, 5, 6, 17, 45)) == sh(2026, 5, 6, 18, 0)


instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(instants)
def test_end_of_working_day_is_after_instant_and_on_a_working_day(instant: datetime) -> None:  # R-FU-2
    end = CAL.end_of_working_day(instant)
    assert end >= instant
    local = end.astimezone(SH)
    assert CAL.is_working_day(local.date())
    assert local.time() == CAL.work_end
    # Never more than one working day ahead: no working day is skipped in between.
    day = instant.astimezone(SH).date()
    while day < local.date():
        assert not CAL.is_working_day(day) or day == instant.astimezone(SH).date()
        day += timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(instants, st.integers(min_value=0, max_value=3000))
def test_add_working_minutes_lands_in_working_time(instant: datetime, minutes: int) -> None:
    result = CAL.add_working_minutes(instant, minutes)
    assert result >= instant
    if minutes > 0:
        # The end of a stretch (e.g. exactly 17:30) is a valid landing point; step back a second.
        assert CAL.is_working_time(result - timedelta(seconds=1))
