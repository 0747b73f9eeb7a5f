"""The second follow-up (R-FU-2) comes after the first (R-FU-1); closing stops a follow-up, it does not make it.

A case opened at 17:23 with the day ending at 17:30 had its "当日下班前第二次跟进" due 7 minutes after
opening, before its 2-hour first follow-up (19:23), and headed the queue as overdue. And closing the
case marked both follow-ups done at the close, though none was ever recorded (D90).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain import cases as c
from server.domain.cases import FollowUpKind, Kind
from server.domain.deadlines import Clock, ClockCode, ClockStop, DeadlinePolicy, clocks
from server.domain.roles import Role
from tests.unit.test_cases import CAL, DISPATCHER, ok, opened, sh

M = timedelta(minutes=1)
H = timedelta(hours=1)


def _clock(case: c.Case, code: ClockCode, now: datetime) -> Clock:
    [k] = [k for k in clocks(case, CAL, now) if k.code == code]
    return k


def _due(opened_at: datetime, code: ClockCode) -> datetime:
    return _clock(opened(Kind.COMPLAINT, now=opened_at), code, opened_at).due_at


def test_case_opened_just_before_end_of_day_gets_its_second_follow_up_next_working_day():  # R-FU-2
    # Monday 2026-12-07 17:23, the day ending 17:30: the first is due 19:23, the second Tuesday 17:30.
    at = sh(2026, 12, 7, 17, 23)
    assert _due(at, ClockCode.FU1_FIRST_FOLLOW_UP) == sh(2026, 12, 7, 19, 23)
    assert _due(at, ClockCode.FU2_END_OF_DAY) == sh(2026, 12, 8, 17, 30)


def test_case_opened_early_afternoon_keeps_its_second_follow_up_that_day():  # R-FU-1 R-FU-2
    # 15:29: the first is due 17:29, still inside the day, so the second is that day's 17:30.
    at = sh(2026, 12, 7, 15, 29)
    assert _due(at, ClockCode.FU1_FIRST_FOLLOW_UP) == sh(2026, 12, 7, 17, 29)
    assert _due(at, ClockCode.FU2_END_OF_DAY) == sh(2026, 12, 7, 17, 30)


def test_first_follow_up_due_exactly_at_end_of_day_moves_the_second_to_the_next_day():  # R-FU-2
    at = sh(2026, 12, 7, 15, 30)  # first due 17:30 sharp: the day is over by then
    assert _due(at, ClockCode.FU2_END_OF_DAY) == sh(2026, 12, 8, 17, 30)


def test_case_opened_after_hours_gets_its_second_follow_up_next_working_day():  # R-FU-2
    at = sh(2026, 12, 7, 19, 33)  # the demo's emergency: first due 21:33
    assert _due(at, ClockCode.FU1_FIRST_FOLLOW_UP) == sh(2026, 12, 7, 21, 33)
    assert _due(at, ClockCode.FU2_END_OF_DAY) == sh(2026, 12, 8, 17, 30)


def test_case_opened_before_dawn_is_followed_up_the_same_day():  # R-FU-2
    at = sh(2026, 12, 8, 6, 0)  # first due 08:00, before the desk opens; the day is still ahead
    assert _due(at, ClockCode.FU2_END_OF_DAY) == sh(2026, 12, 8, 17, 30)


def test_friday_evening_case_gets_its_second_follow_up_on_monday():  # R-FU-2
    # Friday 2026-12-11 16:45: the first is due 18:45, after the day; the weekend is skipped.
    at = sh(2026, 12, 11, 16, 45)
    assert _due(at, ClockCode.FU1_FIRST_FOLLOW_UP) == sh(2026, 12, 11, 18, 45)
    assert _due(at, ClockCode.FU2_END_OF_DAY) == sh(2026, 12, 14, 17, 30)


def test_late_case_before_a_holiday_waits_for_the_first_working_day_after_it():  # R-FU-2
    # 2026-09-30 (Wednesday) 16:00: the first is due 18:00; 10-01..10-07 is National Day.
    at = sh(2026, 9, 30, 16, 0)
    assert _due(at, ClockCode.FU2_END_OF_DAY) == sh(2026, 10, 8, 17, 30)


def test_late_friday_case_before_a_make_up_saturday_is_followed_up_that_saturday():  # R-FU-2
    # 2026-10-09 (Friday) 16:00: Saturday 10-10 is a 调休 working day.
    at = sh(2026, 10, 9, 16, 0)
    assert _due(at, ClockCode.FU2_END_OF_DAY) == sh(2026, 10, 10, 17, 30)


def test_a_compound_with_a_longer_first_follow_up_counts_the_day_from_it():  # R-FU-1 R-FU-2
    at = sh(2026, 12, 7, 14, 0)
    case = opened(Kind.COMPLAINT, now=at)
    policy = DeadlinePolicy(first_follow_up_minutes=240)  # first due 18:00
    [fu2] = [k for k in clocks(case, CAL, at, policy) if k.code == ClockCode.FU2_END_OF_DAY]
    assert fu2.due_at == sh(2026, 12, 8, 17, 30)


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20), timezones=st.just(UTC)))
def test_second_follow_up_is_always_due_after_the_first(at: datetime):  # R-FU-1 R-FU-2
    ks = {k.code: k for k in clocks(opened(Kind.COMPLAINT, now=at), CAL, at)}
    assert ks[ClockCode.FU2_END_OF_DAY].due_at > ks[ClockCode.FU1_FIRST_FOLLOW_UP].due_at
    # Never further than the end of the working day the first one falls in.
    assert ks[ClockCode.FU2_END_OF_DAY].due_at == CAL.end_of_working_day(ks[ClockCode.FU1_FIRST_FOLLOW_UP].due_at)


# --- closing stops a follow-up; it does not make it --------------------------------------------


def _closed_inquiry(opened_at: datetime, closed_at: datetime, **follow_ups: datetime) -> c.Case:
    case = opened(Kind.INQUIRY, now=opened_at)
    for kind, at in follow_ups.items():
        # Nothing was dispatched for an inquiry: the second follow-up names the manager told (R-FU-2).
        case = ok(c.record_follow_up(case, kind=FollowUpKind(kind), by="d1", now=at, reported_to_manager_id="m1",
                                     manager_roles=[Role.MANAGER])).case
    case = ok(c.verify(case, note="已答复", by="d1", roles=DISPATCHER, now=closed_at)).case
    return ok(c.close(case, result="已答复", by="d1", roles=DISPATCHER, now=closed_at)).case


def test_closing_without_a_second_follow_up_stops_the_clock_unmet():  # R-FU-2
    opened_at, closed_at = sh(2026, 12, 7, 17, 23), sh(2026, 12, 7, 19, 53)
    case = _closed_inquiry(opened_at, closed_at, first=sh(2026, 12, 7, 19, 21))
    k = _clock(case, ClockCode.FU2_END_OF_DAY, closed_at + H)
    assert (k.satisfied_at, k.stopped_at, k.stopped_by, k.running) == (None, closed_at, ClockStop.CLOSED, False)
    assert not k.overdue  # closed before its due (Tuesday 17:30)
    first = _clock(case, ClockCode.FU1_FIRST_FOLLOW_UP, closed_at + H)
    assert (first.satisfied_at, first.stopped_at, first.stopped_by) == (sh(2026, 12, 7, 19, 21), None, None)


def test_closing_after_a_missed_follow_up_keeps_it_missed_and_unmet():  # R-FU-1
    opened_at = sh(2026, 12, 7, 9, 0)
    closed_at = opened_at + 5 * H  # the first follow-up (11:00) never recorded
    k = _clock(_closed_inquiry(opened_at, closed_at), ClockCode.FU1_FIRST_FOLLOW_UP, closed_at + H)
    assert (k.satisfied_at, k.stopped_at, k.overdue, k.running) == (None, closed_at, True, False)


def test_closing_stops_the_monday_review_without_meeting_it():  # R-FU-3
    opened_at, closed_at = sh(2026, 12, 7, 9, 0), sh(2026, 12, 8, 9, 0)
    k = _clock(_closed_inquiry(opened_at, closed_at), ClockCode.FU3_MONDAY_REVIEW, closed_at)
    assert (k.satisfied_at, k.stopped_at, k.stopped_by) == (None, closed_at, ClockStop.CLOSED)


def test_a_recorded_second_follow_up_is_met_not_stopped():  # R-FU-2
    opened_at, closed_at = sh(2026, 12, 7, 9, 0), sh(2026, 12, 7, 18, 0)
    case = _closed_inquiry(opened_at, closed_at, second=sh(2026, 12, 7, 17, 0))
    k = _clock(case, ClockCode.FU2_END_OF_DAY, closed_at)
    assert (k.satisfied_at, k.stopped_at, k.stopped_by) == (sh(2026, 12, 7, 17, 0), None, None)


def test_a_case_marked_cannot_handle_stops_its_follow_ups_as_such():  # R-FU-2 R-FU-3
    at = sh(2026, 12, 7, 9, 0)
    parked_at = at + H
    case = ok(c.mark_cannot_handle(opened(Kind.INQUIRY, now=at), reason="产权纠纷", by="m1",
                                   roles=[Role.MANAGER], now=parked_at)).case
    for code in (ClockCode.FU2_END_OF_DAY, ClockCode.FU3_MONDAY_REVIEW):
        k = _clock(case, code, parked_at)
        assert (k.satisfied_at, k.stopped_at, k.stopped_by) == (None, parked_at, ClockStop.CANNOT_HANDLE)


# --- the work completed: the follow-ups of R-FU-1/2 have nothing left to press (D109) ---------------

from tests.unit.test_cases import T0, completed_repair  # noqa: E402


def test_completing_the_work_stops_the_first_and_second_follow_ups_unmet():  # R-FU-1 R-FU-2
    # Done 50 minutes after opening, before the 2-hour follow-up: nothing left to chase, so the
    # follow-up queue no longer counts down "立项后2小时首次跟进" on finished work; not met either.
    case = completed_repair(T0)
    done_at = T0 + 50 * M
    for code in (ClockCode.FU1_FIRST_FOLLOW_UP, ClockCode.FU2_END_OF_DAY):
        k = _clock(case, code, T0 + 3 * H)
        assert (k.satisfied_at, k.stopped_at, k.stopped_by, k.running) == (None, done_at, ClockStop.COMPLETED, False)
        assert not k.overdue  # judged at the completion, before the due time


def test_a_follow_up_already_missed_when_the_work_completed_stays_missed():  # R-FU-1
    case = completed_repair(T0)  # completed at +50 min; here the first follow-up was due at +30 min
    k = _clock_with(case, ClockCode.FU1_FIRST_FOLLOW_UP, T0 + 3 * H, DeadlinePolicy(first_follow_up_minutes=30))
    assert (k.stopped_by, k.running, k.overdue) == (ClockStop.COMPLETED, False, True)


def test_completing_the_work_leaves_the_monday_review_running_until_the_close():  # R-FU-3
    # The weekly review still looks at a finished case whose slip is not back (R-FU-3, R-CL-1).
    k = _clock(completed_repair(T0), ClockCode.FU3_MONDAY_REVIEW, T0 + 3 * H)
    assert (k.stopped_at, k.running) == (None, True)


def _clock_with(case: c.Case, code: ClockCode, now: datetime, policy: DeadlinePolicy) -> Clock:
    [k] = [k for k in clocks(case, CAL, now, policy) if k.code == code]
    return k
