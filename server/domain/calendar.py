"""A compound's business calendar: working days, hours, holidays and 调休, in its own time zone.

Deadlines that speak of "the end of the working day", "next Monday" or "the quarterly review"
(R-FU-2, R-FU-3, R-CL-4) are computed here from server time only (design guarantee 4). Every
function takes and returns tz-aware datetimes; results are always in UTC.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec

from server.domain.errors import Refusal, refuse

# How close to the end of a quarter the once-a-quarter review (R-CL-4, seed 000 "每季度一次") may
# be held. The seeds name no day; the last ten calendar days of the quarter leave room for the
# manager's schedule without letting a "quarterly" close happen mid-quarter.
QUARTER_REVIEW_WINDOW_DAYS = 10
# The longest stretch of days without a working day a calendar may declare, counted from a
# holiday (the Spring Festival with its weekends is about ten). A longer one is a mistyped
# calendar, and the deadline functions stop looking for the next working day after a year.
MAX_CLOSED_DAYS = 31
# Holidays or make-up days a calendar may list: decades of them, not an unbounded list.
MAX_CALENDAR_DATES = 1000

# Wall-clock times of the compound: naive, read in `tz` (a time with its own offset could not be
# compared with the local clock at all).
LocalTime = Annotated[time, msgspec.Meta(tz=False)]
Weekday = Annotated[int, msgspec.Meta(ge=0, le=6)]  # Monday = 0, as date.weekday()
Dates = Annotated[frozenset[date], msgspec.Meta(max_length=MAX_CALENDAR_DATES)]


class CalendarReason(StrEnum):
    UNKNOWN_TIME_ZONE = "calendar.unknown_time_zone"
    HOURS_OUT_OF_ORDER = "calendar.hours_out_of_order"
    LUNCH_OUTSIDE_HOURS = "calendar.lunch_outside_hours"
    NO_WORKING_DAY = "calendar.no_working_day"


def parse_hhmm(value: str | time) -> time:
    """Accept "HH:MM" (how compounds configure hours) or a time."""
    if isinstance(value, time):
        return value
    hh, mm = value.strip().split(":")[:2]
    return time(int(hh), int(mm))


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        # A naive time would silently be read in the host's zone and move every deadline.
        raise ValueError("calendar functions need tz-aware datetimes")


class BusinessCalendar(msgspec.Struct, frozen=True, kw_only=True, dict=True):
    """Per-compound working time. Holidays win over weekdays; make-up days win over weekends."""

    tz: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] = "Asia/Shanghai"
    work_start: LocalTime = time(8, 30)
    work_end: LocalTime = time(17, 30)
    # A lunch break makes `is_working_time` false and is skipped by `add_working_minutes`;
    # set both to None for a desk that is staffed through lunch.
    lunch_start: LocalTime | None = time(12, 0)
    lunch_end: LocalTime | None = time(13, 30)
    working_weekdays: Annotated[frozenset[Weekday], msgspec.Meta(max_length=7)] = frozenset({0, 1, 2, 3, 4})
    holidays: Dates = frozenset()
    # 调休: weekend dates that are working days because a holiday borrowed them.
    makeup_workdays: Dates = frozenset()

    @classmethod
    def build(
        cls,
        *,
        tz: str = "Asia/Shanghai",
        work_start: str | time = "08:30",
        work_end: str | time = "17:30",
        lunch_start: str | time | None = "12:00",
        lunch_end: str | time | None = "13:30",
        working_weekdays: frozenset[int] | set[int] | list[int] | None = None,
        holidays: frozenset[date] | set[date] | list[date] = (),  # type: ignore[assignment]
        makeup_workdays: frozenset[date] | set[date] | list[date] = (),  # type: ignore[assignment]
    ) -> BusinessCalendar:
        """Build from configuration values ("HH:MM" strings, lists)."""
        return cls(
            tz=tz,
            work_start=parse_hhmm(work_start),
            work_end=parse_hhmm(work_end),
            lunch_start=None if lunch_start is None else parse_hhmm(lunch_start),
            lunch_end=None if lunch_end is None else parse_hhmm(lunch_end),
            working_weekdays=frozenset(working_weekdays if working_weekdays is not None else {0, 1, 2, 3, 4}),
            holidays=frozenset(holidays),
            makeup_workdays=frozenset(makeup_workdays),
        )

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    # --- days -------------------------------------------------------------------------------

    def local(self, instant: datetime) -> datetime:
        _require_aware(instant)
        return instant.astimezone(self.zone)

    def at(self, day: date, clock: time) -> datetime:
        """The UTC instant of a local wall-clock time on a day."""
        return datetime.combine(day, clock, tzinfo=self.zone).astimezone(UTC)

    def shown(self, instant: datetime, now: datetime) -> str:
        """An instant as every screen writes it (D81), for the texts the server writes (reminders):
        "12/07 16:50" in the current year — the compound's, at the server's `now` — and
        "2025/12/07 16:50" in another; the same digits in both languages, 24-hour, no seconds."""
        local = self.local(instant)
        return local.strftime("%m/%d %H:%M" if local.year == self.local(now).year else "%Y/%m/%d %H:%M")

    def shown_day(self, day: date, now: datetime) -> str:
        """A date as the screens write it (D81): "12/07" in the compound's current year, "2025/12/07" in another."""
        return day.strftime("%m/%d" if day.year == self.local(now).year else "%Y/%m/%d")

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.makeup_workdays:
            return True
        return day.weekday() in self.working_weekdays

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        candidate = day + timedelta(days=1)
        for _ in range(400):  # a calendar with no working day in a year is a configuration error
            if self.is_working_day(candidate):
                return candidate
            candidate += timedelta(days=1)
        raise ValueError("calendar has no working day within a year")

    def working_day_on_or_after(self, day: date) -> date:
        return day if self.is_working_day(day) else self.next_working_day(day)

    def working_day_on_or_before(self, day: date) -> date:
        """`day` if it is a working day, else the last working day before it."""
        candidate = day
        for _ in range(400):
            if self.is_working_day(candidate):
                return candidate
            candidate -= timedelta(days=1)
        raise ValueError("calendar has no working day within a year")

    # --- instants ---------------------------------------------------------------------------

    def _in_lunch(self, clock: time) -> bool:
        if self.lunch_start is None or self.lunch_end is None:
            return False
        return self.lunch_start <= clock < self.lunch_end

    def is_working_time(self, instant: datetime) -> bool:
        loc = self.local(instant)
        clock = loc.time().replace(tzinfo=None)
        return (
            self.is_working_day(loc.date())
            and self.work_start <= clock < self.work_end
            and not self._in_lunch(clock)
        )

    def working_day_of(self, instant: datetime) -> date:
        """The working day an instant belongs to.

        Before work_end on a working day: that day (an early-morning report belongs to the day it
        was made). After hours or on a non-working day: the next working day.
        """
        loc = self.local(instant)
        day = loc.date()
        if self.is_working_day(day) and loc.time().replace(tzinfo=None) < self.work_end:
            return day
        return self.next_working_day(day)

    def end_of_working_day(self, instant: datetime) -> datetime:
        """work_end of the working day the instant belongs to (R-FU-2), in UTC."""
        return self.at(self.working_day_of(instant), self.work_end)

    def next_working_moment(self, instant: datetime) -> datetime:
        """The instant itself if within working time, otherwise the next time the desk opens."""
        if self.is_working_time(instant):
            return instant.astimezone(UTC)
        loc = self.local(instant)
        day = loc.date()
        clock = loc.time().replace(tzinfo=None)
        if self.is_working_day(day):
            if clock < self.work_start:
                return self.at(day, self.work_start)
            if self._in_lunch(clock):
                assert self.lunch_end is not None
                return self.at(day, self.lunch_end)
        return self.at(self.next_working_day(day), self.work_start)

    def week_start(self, instant: datetime) -> datetime:
        """Local midnight starting the Monday of the instant's week: where the Monday review's "this
        week" begins (R-FU-3). A review recorded since then is this week's; a case received before it
        is one of the cases the review looks at."""
        day = self.local(instant).date()
        return self.at(day - timedelta(days=day.weekday()), time(0))

    def monday_review_due(self, instant: datetime) -> datetime:
        """When the weekly review (R-FU-3) of something that happened at `instant` is due.

        The review looks at *last week's* cases, so its day is the Monday strictly after the
        instant's local date — a case of Monday morning is reviewed a week later, not the same
        morning. If that Monday is not a working day (e.g. a public holiday), the review moves to
        the first working day on or after it: nobody reviews on a holiday, and moving later rather
        than earlier keeps "the whole of last week" in scope. "Every Monday" gives the desk that
        day: the review is due by its work_end, not at its first minute.
        """
        day = self.local(instant).date()
        monday = day + timedelta(days=(7 - day.weekday()) % 7 or 7)
        return self.at(self.working_day_on_or_after(monday), self.work_end)

    def end_of_quarter(self, instant: datetime) -> datetime:
        """work_end on the last working day of the calendar quarter containing the instant."""
        day = self.local(instant).date()
        quarter_last_month = ((day.month - 1) // 3) * 3 + 3
        if quarter_last_month == 12:
            last = date(day.year, 12, 31)
        else:
            last = date(day.year, quarter_last_month + 1, 1) - timedelta(days=1)
        while not self.is_working_day(last):
            last -= timedelta(days=1)
        return self.at(last, self.work_end)

    def is_quarter_review_time(self, instant: datetime) -> bool:
        """True within the last QUARTER_REVIEW_WINDOW_DAYS calendar days of a quarter (R-CL-4)."""
        end = self.end_of_quarter(instant)
        end_day = self.local(end).date()
        day = self.local(instant).date()
        # The window is counted back from the quarter's last working day, up to its work_end.
        return end_day - timedelta(days=QUARTER_REVIEW_WINDOW_DAYS - 1) <= day and instant <= end

    def add_working_minutes(self, instant: datetime, minutes: int) -> datetime:
        """Move forward by `minutes` of working time, skipping nights, lunch and non-working days."""
        if minutes < 0:
            raise ValueError("minutes must be >= 0")
        cursor = self.next_working_moment(instant)
        remaining = timedelta(minutes=minutes)
        while True:
            loc = self.local(cursor)
            day = loc.date()
            clock = loc.time().replace(tzinfo=None)
            # End of the current working stretch: lunch_start if before lunch, else work_end.
            if self.lunch_start is not None and self.lunch_end is not None and clock < self.lunch_start:
                stretch_end = self.at(day, self.lunch_start)
            else:
                stretch_end = self.at(day, self.work_end)
            available = stretch_end - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
            cursor = self.next_working_moment(stretch_end)


def check_calendar(cal: BusinessCalendar, *, zones: Collection[str]) -> Refusal | None:
    """Why a calendar cannot be the compound's, or None. Every deadline is computed from it.

    `zones` is the set of IANA time-zone names the server knows (zoneinfo.available_timezones()):
    a name outside it would fail every deadline computed afterwards, not just this request.
    """
    if cal.tz not in zones:
        return refuse(
            CalendarReason.UNKNOWN_TIME_ZONE,
            f"未知的时区：{cal.tz}",
            f"Unknown time zone: {cal.tz}",
            kind="invalid",
            tz=cal.tz,
        )
    if not cal.work_start < cal.work_end:
        return refuse(
            CalendarReason.HOURS_OUT_OF_ORDER,
            "下班时间须晚于上班时间",
            "The working day must end after it starts",
            kind="invalid",
            work_start=cal.work_start.isoformat(),
            work_end=cal.work_end.isoformat(),
        )
    if (cal.lunch_start is None) != (cal.lunch_end is None) or (
        cal.lunch_start is not None
        and cal.lunch_end is not None
        and not cal.work_start <= cal.lunch_start < cal.lunch_end <= cal.work_end
    ):
        return refuse(
            CalendarReason.LUNCH_OUTSIDE_HOURS,
            "午休须同时填写开始和结束，且在上班时间之内",
            "A lunch break needs a start and a later end, both within working hours",
            kind="invalid",
        )
    if not cal.working_weekdays:
        return refuse(
            CalendarReason.NO_WORKING_DAY,
            "至少须有一个工作日",
            "At least one weekday must be a working day",
            kind="invalid",
        )
    # With a working weekday, only holidays can close the desk for more than six days in a row.
    checked: set[date] = set()
    for holiday in sorted(cal.holidays):
        day, closed = holiday, 0
        while day not in checked and not cal.is_working_day(day) and day < date.max:
            checked.add(day)
            closed += 1
            if closed > MAX_CLOSED_DAYS:
                return refuse(
                    CalendarReason.NO_WORKING_DAY,
                    f"从 {holiday} 起连续 {MAX_CLOSED_DAYS} 天以上没有工作日",
                    f"No working day for more than {MAX_CLOSED_DAYS} days from {holiday}",
                    kind="invalid",
                    from_day=holiday.isoformat(),
                    max_days=MAX_CLOSED_DAYS,
                )
            day += timedelta(days=1)
    return None


# Chinese public holidays and make-up working days for 2026, transcribed from the State Council's
# notice on the 2026 holiday arrangement. Compounds load their own calendar each year (check it
# against the official notice); this set is a convenience and the fixture the tests use.
CN_2026_HOLIDAYS: frozenset[date] = frozenset(
    [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)]
    + [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]  # Spring Festival 2/15–2/23
    + [date(2026, 4, 4), date(2026, 4, 5), date(2026, 4, 6)]
    + [date(2026, 5, 1) + timedelta(days=i) for i in range(5)]
    + [date(2026, 6, 19), date(2026, 6, 20), date(2026, 6, 21)]
    + [date(2026, 9, 25), date(2026, 9, 26), date(2026, 9, 27)]
    + [date(2026, 10, 1) + timedelta(days=i) for i in range(7)]
)
CN_2026_MAKEUP_WORKDAYS: frozenset[date] = frozenset(
    {
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    }
)
