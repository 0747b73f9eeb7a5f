"""The deadline engine: each rule's clock, due times across evenings, holidays and 调休."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import msgspec
import pytest

from server.domain import cases as c
from server.domain.cases import (
    Case,
    Channel,
    FollowUpKind,
    HelpKind,
    Kind,
    PaidService,
    RepairClass,
    ReplyMedium,
)
from server.domain.cases import RepairResponsibility as Resp
from server.domain.deadlines import (
    Clock,
    ClockCode,
    DeadlinePolicy,
    clocks,
    follow_up_queue,
    next_due,
    reminders_due,
)
from server.domain.roles import Role
from tests.unit.test_cases import (
    CAL,
    DISPATCHER,
    MANAGER,
    T0,
    completed_repair,
    dispatched,
    make_case,
    ok,
    opened,
    sh,
)

M = timedelta(minutes=1)
H = timedelta(hours=1)


def clock(
    case: Case, code: ClockCode, now: datetime | None = None, policy: DeadlinePolicy | None = None
) -> Clock:
    found = [k for k in clocks(case, CAL, now or case.received_at, policy) if k.code == code]
    assert len(found) == 1, [k.code for k in clocks(case, CAL, now or case.received_at, policy)]
    return found[0]


def codes(case: Case, now: datetime | None = None) -> set[ClockCode]:
    return {k.code for k in clocks(case, CAL, now or case.received_at)}


# --- R-FU-1 / R-FU-2 / R-FU-3 across the week, holidays and make-up days ----------------------


@pytest.mark.parametrize(
    ("opened_at", "fu1_due", "fu2_due", "fu3_due"),
    [
        # Friday 16:45: the 2-hour follow-up runs into the evening, so the second one is the next
        # working day's, here the make-up Saturday 2026-05-09 (D90).
        (sh(2026, 5, 8, 16, 45), sh(2026, 5, 8, 18, 45), sh(2026, 5, 9, 17, 30), sh(2026, 5, 11, 17, 30)),
        # Thursday 22:00 belongs to Friday.
        (sh(2026, 5, 7, 22, 0), sh(2026, 5, 8, 0, 0), sh(2026, 5, 8, 17, 30), sh(2026, 5, 11, 17, 30)),
        # Friday 22:00 before a make-up Saturday (2026-05-09) belongs to that Saturday.
        (sh(2026, 5, 8, 22, 0), sh(2026, 5, 9, 0, 0), sh(2026, 5, 9, 17, 30), sh(2026, 5, 11, 17, 30)),
        # Eve of National Day: the next working day is 10-08; Monday 10-05 is a holiday too.
        (sh(2026, 9, 30, 18, 0), sh(2026, 9, 30, 20, 0), sh(2026, 10, 8, 17, 30), sh(2026, 10, 8, 17, 30)),
        # During the holiday.
        (sh(2026, 10, 3, 9, 0), sh(2026, 10, 3, 11, 0), sh(2026, 10, 8, 17, 30), sh(2026, 10, 8, 17, 30)),
        # Friday 10-09 evening: Saturday 10-10 is a make-up working day.
        (sh(2026, 10, 9, 20, 0), sh(2026, 10, 9, 22, 0), sh(2026, 10, 10, 17, 30), sh(2026, 10, 12, 17, 30)),
    ],
)
def test_follow_up_clocks_from_opening(
    opened_at: datetime, fu1_due: datetime, fu2_due: datetime, fu3_due: datetime
) -> None:  # R-FU-1 R-FU-2 R-FU-3
    case = opened(now=opened_at)
    assert clock(case, ClockCode.FU1_FIRST_FOLLOW_UP).due_at == fu1_due
    assert clock(case, ClockCode.FU2_END_OF_DAY).due_at == fu2_due
    assert clock(case, ClockCode.FU3_MONDAY_REVIEW).due_at == fu3_due


def test_first_follow_up_is_satisfied_by_recording_it() -> None:  # R-FU-1
    case = opened(now=T0)
    k = clock(case, ClockCode.FU1_FIRST_FOLLOW_UP, now=T0 + 3 * H)
    assert k.overdue and k.running and k.responsible_role == Role.DISPATCHER and k.responsible_id == "d1"
    case = ok(c.record_follow_up(case, kind=FollowUpKind.FIRST, by="d1", now=T0 + 90 * M)).case
    k = clock(case, ClockCode.FU1_FIRST_FOLLOW_UP, now=T0 + 3 * H)
    assert (k.satisfied_at, k.overdue, k.running) == (T0 + 90 * M, False, False)


def test_second_follow_up_due_end_of_day_is_satisfied_by_recording_it() -> None:  # R-FU-2
    case = dispatched(opened(now=T0), T0)
    case = ok(c.record_follow_up(case, kind=FollowUpKind.SECOND, by="d1", now=sh(2026, 5, 6, 17, 0))).case
    k = clock(case, ClockCode.FU2_END_OF_DAY, now=sh(2026, 5, 7, 9, 0))
    assert k.due_at == sh(2026, 5, 6, 17, 30) and not k.overdue


def test_monday_review_rearms_after_each_review_until_closed() -> None:  # R-FU-3
    case = opened(now=T0)
    case = ok(
        c.record_follow_up(case, kind=FollowUpKind.WEEKLY_REVIEW, by="d1", now=sh(2026, 5, 11, 9, 0))
    ).case
    assert clock(case, ClockCode.FU3_MONDAY_REVIEW).due_at == sh(2026, 5, 18, 17, 30)


def test_unopened_intake_has_no_clocks() -> None:  # R-OP-2
    case = ok(
        c.decide_opening(
            make_case(Kind.INQUIRY), open=False, note="已解释", by="d1", roles=DISPATCHER, now=T0
        )
    ).case
    assert clocks(case, CAL, T0) == []


def test_opened_case_keeps_being_followed_until_closed() -> None:  # R-OP-4
    case = opened(now=T0)
    month_later = T0 + timedelta(days=30)
    k = clock(case, ClockCode.FU3_MONDAY_REVIEW, now=month_later)
    assert k.running and k.overdue


# --- R-FU-4 repairs ------------------------------------------------------------------------------


def test_on_site_within_15_minutes_of_work_order_uses_server_time_only() -> None:  # R-FU-4
    case = dispatched(opened(now=T0), T0 + 5 * M, to="t1")
    k = clock(case, ClockCode.FU4_ON_SITE_15M)
    assert k.due_at == T0 + 20 * M and k.responsible_id == "t1"
    # The phone claims it arrived on time, but the server saw it 30 minutes after the order.
    case = ok(c.arrive(case, work_order_id="wo1", by="t1", now=T0 + 35 * M, device_at=T0 + 10 * M)).case
    k = clock(case, ClockCode.FU4_ON_SITE_15M, now=T0 + 40 * M)
    assert k.satisfied_at == T0 + 35 * M and k.overdue  # design guarantee 4


@pytest.mark.parametrize(
    ("repair_class", "expected"),
    [
        (RepairClass.SMALL, {ClockCode.FU4_REPAIR_2H: 2 * H, ClockCode.FU4_REPAIR_24H: 24 * H}),
        (RepairClass.COMMON_FACILITY, {ClockCode.FU4_REPAIR_2H: 2 * H, ClockCode.FU4_REPAIR_24H: 24 * H}),
        (RepairClass.URGENT, {ClockCode.FU4_REPAIR_2H: 2 * H, ClockCode.FU4_REPAIR_24H: 24 * H}),
        (RepairClass.GENERAL, {ClockCode.FU4_GENERAL_72H: 72 * H}),
        (RepairClass.MAJOR, {ClockCode.FU4_MAJOR_NOTICE_48H: 48 * H}),
        (RepairClass.OUTSOURCED, {ClockCode.FU4_MAJOR_NOTICE_48H: 48 * H}),
        (RepairClass.PARTS_ELSEWHERE, {ClockCode.FU4_MAJOR_NOTICE_48H: 48 * H}),
    ],
)
def test_repair_limits_by_class(
    repair_class: RepairClass, expected: dict[ClockCode, timedelta]
) -> None:  # R-FU-4
    case = opened(now=T0, repair_class=repair_class)
    fu4 = {k.code: k.due_at - T0 for k in clocks(case, CAL, T0) if k.rule == "R-FU-4"}
    assert fu4 == expected


def test_major_repair_notice_is_satisfied_by_telling_expected_completion() -> None:  # R-FU-4
    case = opened(now=T0, repair_class=RepairClass.OUTSOURCED)
    case = ok(
        c.record_follow_up(
            case, kind=FollowUpKind.COMPLETION_NOTICE, note="预计下周三", by="d1", now=T0 + 20 * H
        )
    ).case
    assert clock(case, ClockCode.FU4_MAJOR_NOTICE_48H).satisfied_at == T0 + 20 * H


def test_small_repair_done_in_50_minutes_meets_both_limits() -> None:  # R-FU-4
    case = completed_repair(T0)
    for code in (ClockCode.FU4_REPAIR_2H, ClockCode.FU4_REPAIR_24H, ClockCode.FU4_ON_SITE_15M):
        k = clock(case, code, now=T0 + 5 * H)
        assert k.satisfied_at is not None and not k.overdue


# --- R-FU-5 long repairs -------------------------------------------------------------------------


def test_long_repair_needs_plan_approval_and_daily_progress() -> None:  # R-FU-5
    case = dispatched(opened(now=T0), T0, to="t1")
    assert ClockCode.FU5_PLAN not in codes(case)
    short = ok(c.submit_plan(case, expected_days=3, text="3天", by="t1", now=T0)).case
    assert ClockCode.FU5_PLAN not in codes(short)
    case = ok(c.submit_plan(case, expected_days=5, text="更换立管", by="t1", now=T0)).case
    assert clock(case, ClockCode.FU5_PLAN).due_at == sh(2026, 5, 6, 17, 30)
    assert clock(case, ClockCode.FU5_DAILY_PROGRESS).due_at == sh(2026, 5, 7, 17, 30)
    case = ok(c.approve_plan(case, by="e1", roles={Role.ENGINEERING}, now=T0 + H)).case
    case = ok(c.approve_plan(case, by="m1", roles=MANAGER, now=T0 + 2 * H)).case
    assert clock(case, ClockCode.FU5_PLAN).satisfied_at == T0 + 2 * H
    # Progress on Friday 05-08: next entry due on the make-up Saturday 05-09.
    case = ok(c.record_progress(case, text="第三天", by="t1", now=sh(2026, 5, 8, 16, 0))).case
    k = clock(case, ClockCode.FU5_DAILY_PROGRESS, now=sh(2026, 5, 9, 18, 0))
    assert k.due_at == sh(2026, 5, 9, 17, 30) and k.overdue


# --- R-FU-6 slip back and call-back --------------------------------------------------------------


def test_slip_back_in_24h_then_callback_in_72h() -> None:  # R-FU-6
    case = completed_repair(T0)
    done = T0 + 50 * M
    k = clock(case, ClockCode.FU6_SLIP_BACK_24H)
    assert k.due_at == done + 24 * H and ClockCode.FU6_CALLBACK_72H not in codes(case)
    case = ok(c.return_slip(case, by="d1", roles=DISPATCHER, now=done + 30 * H)).case
    assert clock(case, ClockCode.FU6_SLIP_BACK_24H).overdue
    cb = clock(case, ClockCode.FU6_CALLBACK_72H)
    assert cb.due_at == done + 102 * H and cb.responsible_role == Role.MANAGER
    case = ok(c.record_follow_up(case, kind=FollowUpKind.CALLBACK, by="m1", now=done + 50 * H)).case
    assert not clock(case, ClockCode.FU6_CALLBACK_72H, now=done + 200 * H).overdue


# --- R-FU-7 paid services ------------------------------------------------------------------------


def test_paid_home_service_arrive_20_promise_25() -> None:  # R-FU-7
    case = opened(Kind.SPECIAL_SERVICE, now=T0)
    assert clock(case, ClockCode.FU7_PAID_PROMISE_25M).due_at == T0 + 25 * M
    case = dispatched(case, T0 + 2 * M, to="t1")
    assert clock(case, ClockCode.FU7_PAID_ARRIVE_20M).due_at == T0 + 22 * M
    case = ok(c.arrive(case, work_order_id="wo1", by="t1", now=T0 + 24 * M)).case
    assert clock(case, ClockCode.FU7_PAID_ARRIVE_20M).overdue
    assert not clock(case, ClockCode.FU7_PAID_PROMISE_25M).overdue


def test_paid_service_delay_told_within_20_minutes_sets_new_time() -> None:  # R-FU-7
    case = opened(Kind.SPECIAL_SERVICE, now=T0)
    late_notice = ok(
        c.record_follow_up(case, kind=FollowUpKind.DELAY_NOTICE, by="d1", now=T0 + 21 * M, new_due_at=T0 + H)
    ).case
    assert clock(late_notice, ClockCode.FU7_PAID_PROMISE_25M).due_at == T0 + 25 * M
    case = ok(
        c.record_follow_up(case, kind=FollowUpKind.DELAY_NOTICE, by="d1", now=T0 + 15 * M, new_due_at=T0 + H)
    ).case
    assert clock(case, ClockCode.FU7_PAID_PROMISE_25M).due_at == T0 + H


@pytest.mark.parametrize(
    ("service", "code", "minutes"),
    [(PaidService.LAUNDRY, ClockCode.FU7_LAUNDRY_15M, 15), (PaidService.GAMES, ClockCode.FU7_GAMES_10M, 10)],
)
def test_laundry_and_games_limits(service: PaidService, code: ClockCode, minutes: int) -> None:  # R-FU-7
    case = opened(Kind.SPECIAL_SERVICE, now=T0, service_code=service)
    assert clock(case, code).due_at == T0 + minutes * M


# --- R-IN-5, R-IN-6 ------------------------------------------------------------------------------


def test_help_request_reply_within_5_minutes() -> None:  # R-IN-5
    case = make_case(Kind.HELP, now=T0)
    k = clock(case, ClockCode.IN5_HELP_REPLY_5M, now=T0 + 6 * M)
    assert k.due_at == T0 + 5 * M and k.overdue and k.responsible_id == "d1"
    case = ok(c.record_follow_up(case, kind=FollowUpKind.REPLY, medium=ReplyMedium.PHONE, by="d1", now=T0 + 3 * M)).case
    assert not clock(case, ClockCode.IN5_HELP_REPLY_5M, now=T0 + 6 * M).overdue


def test_written_inquiry_reply_within_two_calendar_days_even_over_holiday() -> None:  # R-IN-5
    at = sh(2026, 9, 30, 16, 0)
    case = make_case(Kind.INQUIRY, now=at, channel=Channel.WRITTEN)
    assert clock(case, ClockCode.IN5_WRITTEN_REPLY_2D).due_at == sh(2026, 10, 2, 16, 0)
    assert ClockCode.IN5_WRITTEN_REPLY_2D not in codes(make_case(Kind.INQUIRY, now=at))


@pytest.mark.parametrize(
    ("responsibility", "has_clock"),
    [
        (Resp.OWNER_PRIVATE, True),
        (Resp.COMMON, True),
        (Resp.DEVELOPER_DEFECT, True),
        (Resp.OWNER_PAYS_DEFECT, False),
        # To be judged on site (D45): the team must go and look, so the order is due in 5 minutes too.
        (None, True),
    ],
)
def test_order_reaches_team_in_5_minutes_for_a_b_d(responsibility: Resp, has_clock: bool) -> None:  # R-IN-6
    case = make_case(now=T0, repair_responsibility=responsibility)
    assert (ClockCode.IN6_ORDER_TO_TEAM_5M in codes(case)) is has_clock


def test_order_to_team_clock_stops_at_first_dispatch() -> None:  # R-IN-6
    case = dispatched(opened(now=T0), T0 + 4 * M)
    k = clock(case, ClockCode.IN6_ORDER_TO_TEAM_5M)
    assert (k.due_at, k.satisfied_at, k.overdue) == (T0 + 5 * M, T0 + 4 * M, False)


# --- R-FU-8, R-FU-9 complaints -------------------------------------------------------------------


def test_feedback_clock_follows_the_latest_promised_date() -> None:  # R-FU-8
    case = opened(Kind.COMPLAINT, now=T0)
    case = ok(c.set_feedback_date(case, promised=date(2026, 5, 8), calendar=CAL, by="d1", now=T0)).case
    assert clock(case, ClockCode.FU8_FEEDBACK_DATE).due_at == sh(2026, 5, 8, 17, 30)
    case = ok(
        c.set_feedback_date(
            case, promised=date(2026, 5, 12), reason="待答复", calendar=CAL, by="d1", now=T0 + H
        )
    ).case
    assert clock(case, ClockCode.FU8_FEEDBACK_DATE).due_at == sh(2026, 5, 12, 17, 30)
    case = ok(c.record_follow_up(case, kind=FollowUpKind.FEEDBACK, by="d1", now=sh(2026, 5, 11, 10))).case
    assert clock(case, ClockCode.FU8_FEEDBACK_DATE).satisfied_at == sh(2026, 5, 11, 10)


def test_complaint_closed_within_configured_days() -> None:  # R-FU-9
    case = opened(Kind.COMPLAINT, now=T0)
    assert clock(case, ClockCode.FU9_COMPLAINT_15D).due_at == T0 + timedelta(days=15)
    assert clock(
        case, ClockCode.FU9_COMPLAINT_15D, policy=DeadlinePolicy(complaint_close_days=10)
    ).due_at == T0 + timedelta(days=10)
    assert clock(case, ClockCode.FU9_COMPLAINT_15D, now=T0 + timedelta(days=16)).overdue


# --- the queue -----------------------------------------------------------------------------------


def test_next_due_is_the_earliest_running_clock() -> None:  # R-FU-1
    case = opened(Kind.HELP, now=T0)
    all_clocks = clocks(case, CAL, T0)
    assert next_due(all_clocks).code == ClockCode.IN5_HELP_REPLY_5M  # type: ignore[union-attr]
    case = ok(c.record_follow_up(case, kind=FollowUpKind.REPLY, medium=ReplyMedium.PHONE, by="d1", now=T0 + M)).case
    queue = follow_up_queue(clocks(case, CAL, T0))
    assert queue[0].code == ClockCode.FU1_FIRST_FOLLOW_UP
    assert [k.code for k in reminders_due(queue, T0 + 110 * M)] == [ClockCode.FU1_FIRST_FOLLOW_UP]
    assert next_due([]) is None


def test_closed_case_has_no_running_clocks() -> None:  # R-OP-4
    case = ok(c.verify(opened(Kind.INQUIRY, now=T0), note="已答复", by="d1", roles=DISPATCHER, now=T0)).case
    case = ok(c.close(case, result="已答复", by="d1", roles=DISPATCHER, now=T0 + H)).case
    assert next_due(clocks(case, CAL, T0 + timedelta(days=40))) is None


def test_clocks_round_trip_through_json() -> None:
    ks = clocks(opened(Kind.COMPLAINT, now=T0), CAL, T0)
    assert msgspec.json.decode(msgspec.json.encode(ks), type=list[Clock]) == ks


def test_emergency_help_kind_gets_reply_clock_too() -> None:  # R-IN-5
    case = make_case(Kind.HELP, now=T0, help_kind=HelpKind.MEDICAL_EMERGENCY)
    assert ClockCode.IN5_HELP_REPLY_5M in codes(case)
