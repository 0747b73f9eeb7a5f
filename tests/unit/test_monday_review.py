"""R-FU-3's weekly review: when it is due, which cases it waits for, and its one reminder a week.

The review page (server/services/desk.monday_review), the desk queue (each case's FU3 clock) and the
reminder (server/notify/reminders.monday_review_plan) must agree on what is still to review. T0 in
tests/unit/test_cases is Wednesday 6 May 2026, 10:00 in Shanghai; Monday 11 May is a working day.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
import pytest

from server.domain import cases as c
from server.domain import deadlines
from server.domain.cases import Case, CaseState, FollowUpKind, Kind
from server.domain.deadlines import ClockCode, clocks
from server.domain.roles import Role
from server.notify.reminders import BEFORE_DUE, OVERDUE, monday_review_plan, payload_for, text_at_send
from tests.unit.test_cases import CAL, T0, make_case, ok, opened, sh

M = timedelta(minutes=1)
MONDAY = sh(2026, 5, 11, 0, 0)  # the week after T0's
REVIEW_DUE = sh(2026, 5, 11, 17, 30)


def fu3(case: Case, now: datetime) -> deadlines.Clock:
    [k] = [k for k in clocks(case, CAL, now) if k.code == ClockCode.FU3_MONDAY_REVIEW]
    return k


def reviewed(case: Case, at: datetime) -> Case:
    return ok(c.record_follow_up(case, kind=FollowUpKind.WEEKLY_REVIEW, by="d1", now=at)).case


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (sh(2026, 5, 8, 16, 45), sh(2026, 5, 11, 17, 30)),  # Friday -> Monday, by the end of its working day
        (sh(2026, 5, 11, 9, 0), sh(2026, 5, 18, 17, 30)),  # a Monday case -> next week's Monday
        (sh(2026, 9, 30, 10, 0), sh(2026, 10, 8, 17, 30)),  # Monday 10-05 is National Day -> Thu 10-08
    ],
)
def test_the_monday_review_is_due_by_the_end_of_mondays_working_day(received: datetime, due: datetime) -> None:  # R-FU-3
    # "Every Monday": the whole of Monday's working day, not its first minute (it was due 08:30 and
    # read overdue from then on, while the desk had the day to do it).
    assert CAL.monday_review_due(received) == due
    assert fu3(opened(now=received), received).due_at == due


def test_a_case_of_last_week_opened_on_monday_is_reviewed_that_monday() -> None:  # R-FU-3
    # The review page lists last week's cases by their receipt; the clock counts from it too, so a
    # case received on Sunday and opened on Monday morning is not due only a week later.
    sunday = sh(2026, 5, 10, 23, 0)
    case = ok(c.decide_opening(make_case(Kind.REPAIR, now=sunday), open=True, reason=c.OpenReason.A_SITE_FOLLOW_UP,
                               by="d1", roles={Role.DISPATCHER}, now=sh(2026, 5, 11, 9, 0))).case
    assert fu3(case, sh(2026, 5, 11, 9, 0)).due_at == REVIEW_DUE
    assert deadlines.awaits_monday_review(case, CAL, sh(2026, 5, 11, 9, 0))


def _cases() -> dict[str, Case]:
    last_week = opened(now=T0)
    return {
        "opened last week": last_week,
        "received last week, opening undecided": make_case(Kind.INQUIRY, now=T0),
        "reviewed last Wednesday": reviewed(opened(now=T0 - timedelta(days=7)), T0),
        "reviewed this Monday": reviewed(last_week, sh(2026, 5, 11, 9, 30)),
        "reviewed on Sunday night": reviewed(last_week, sh(2026, 5, 10, 23, 30)),
        "received this Monday": opened(now=sh(2026, 5, 11, 8, 0)),
        "parked as cannot-handle": msgspec.structs.replace(last_week, state=CaseState.CANNOT_HANDLE,
                                                           cannot_handle=c.CannotHandleRecord(
                                                               reason="无法处理", recorded_by="m1", recorded_at=T0 + M,
                                                               confirmed_by="m1")),
        "parked by this week's review": msgspec.structs.replace(
            reviewed(last_week, sh(2026, 5, 11, 9, 30)), state=CaseState.CANNOT_HANDLE,
            cannot_handle=c.CannotHandleRecord(reason="无法处理", recorded_by="m1", recorded_at=sh(2026, 5, 11, 9, 45),
                                               confirmed_by="m1")),
        "closed": msgspec.structs.replace(last_week, state=CaseState.CLOSED),
    }


@pytest.mark.parametrize("now", [sh(2026, 5, 11, 10, 0), sh(2026, 5, 11, 18, 0), sh(2026, 5, 12, 9, 0)])
def test_the_review_page_and_the_queue_agree_on_the_cases_still_to_review(now: datetime) -> None:  # R-FU-3
    expected = {"opened last week", "received last week, opening undecided", "reviewed last Wednesday",
                "reviewed on Sunday night"}
    this_weeks_due = deadlines.this_weeks_review_due(CAL, now)
    assert this_weeks_due == REVIEW_DUE
    awaiting = set()
    for name, case in _cases().items():
        k = fu3(case, now)
        # The queue: a running Monday-review clock due by this week's review (overdue after it).
        in_queue = k.running and k.due_at <= this_weeks_due
        assert deadlines.awaits_monday_review(case, CAL, now) == in_queue, name
        if in_queue:
            awaiting.add(name)
            # The review page lists every case the queue holds for the review.
            assert case.received_at < CAL.week_start(now) and deadlines.on_monday_review(case, CAL, now), name
    assert awaiting == expected
    # The page (of the cases received before this week, as its query selects them) also shows this
    # week's reviews, done (one the manager's answer then parked as cannot-handle among them, to show that
    # answer); not one parked before the review (R-CL-4: it waits for the quarterly review), nor a closed one.
    start = CAL.week_start(now)
    shown = {name for name, case in _cases().items()
             if case.received_at < start and deadlines.on_monday_review(case, CAL, now)}
    assert shown == expected | {"reviewed this Monday", "parked by this week's review"}


def test_one_reminder_a_week_tells_the_dispatchers_how_many_cases_to_review() -> None:  # R-FU-3
    opens = sh(2026, 5, 11, 8, 30)
    assert monday_review_plan(CAL, opens - M, awaiting=5) == []  # the week's review opens with the working day
    [p] = monday_review_plan(CAL, opens, awaiting=5)
    assert (p.kind, p.code, p.recipient_role, p.recipient_id) == (BEFORE_DUE, "FU3_MONDAY_REVIEW", Role.DISPATCHER, None)
    assert (p.send_at, p.due_at) == (opens, REVIEW_DUE)
    assert p.title == "即将到期：周一复查上周案件"
    assert p.body == "上周案件 5 件待复查（截止 05/11 17:30）"
    assert p.title_en == "Due soon: Monday review of last week's cases"
    assert p.body_en == "5 cases from last week to review (due 05/11 17:30)"
    assert monday_review_plan(CAL, opens, awaiting=1)[0].body_en == "1 case from last week to review (due 05/11 17:30)"
    # Nothing to review: nothing to remind of.
    assert monday_review_plan(CAL, opens, awaiting=0) == []
    # It opens the review page, and one week's reminder does not replace another's notification.
    payload = payload_for(None, p)
    assert (payload["url"], payload["case_id"], payload["job_id"]) == ("/#/review", None, None)
    assert payload["tag"] == "monday-review-2026-05-11"
    # Sent after the end of the day (the scheduler was down), it says overdue (D102).
    late = text_at_send(payload, BEFORE_DUE, p.due_at, REVIEW_DUE + M)
    assert (late["title"], late["body"]) == ("已超时：周一复查上周案件", "上周案件 5 件待复查（已超时，截止 05/11 17:30）")


def test_at_the_end_of_the_review_day_the_managers_hear_once_how_many_were_not_reviewed() -> None:  # R-FU-3
    assert [p.kind for p in monday_review_plan(CAL, REVIEW_DUE - M, awaiting=2)] == [BEFORE_DUE]
    [p] = monday_review_plan(CAL, REVIEW_DUE, awaiting=2)
    assert (p.kind, p.recipient_role, p.recipient_id, p.send_at, p.due_at) == (
        OVERDUE, Role.MANAGER, None, REVIEW_DUE, REVIEW_DUE)
    assert (p.title, p.body) == ("已超时：周一复查上周案件", "上周案件尚有 2 件未复查（时限 05/11 17:30）")
    assert p.body_en == "2 cases from last week not reviewed (limit 05/11 17:30)"
    assert monday_review_plan(CAL, REVIEW_DUE, awaiting=0) == []
    # A day later it is stale news, as for every overdue reminder; the page still lists the cases.
    assert monday_review_plan(CAL, REVIEW_DUE + timedelta(hours=24, minutes=1), awaiting=2) == []


def test_no_case_plans_its_own_monday_review_reminder() -> None:  # R-FU-3
    from server.notify.reminders import plan

    case = opened(now=T0)
    for now in (T0, sh(2026, 5, 11, 8, 20), REVIEW_DUE + M):
        ps = plan(case, clocks(case, CAL, now), now, CAL, deadlines.DeadlinePolicy())
        assert [p for p in ps if p.code == ClockCode.FU3_MONDAY_REVIEW] == [], now
