"""Work reopened by an unsatisfied call-back: timeliness stays with the first completion or close, the
rework is counted once, with the repair that needed it (R-FU-4, R-FU-9, R-FU-10, R-RV-5; D133).
Pure: the case is built through the domain, the report row through the report's own flattening."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from server.domain import cases as c
from server.domain import monthly_report as mr
from server.domain import surveys as sv
from server.domain.deadlines import ClockCode, DeadlinePolicy, clocks, work_order_deadline
from server.domain.roles import Role
from server.services.reports import case_row
from tests.unit.test_cases import CAL, DISPATCHER, T0, closable_repair, ok, opened, signed_slip

SH = ZoneInfo("Asia/Shanghai")
M = timedelta(minutes=1)
H = timedelta(hours=1)
FIRST_DONE = T0 + 50 * M  # completed_repair completes 50 minutes after intake
NAMES = {"d1": "王调度", "t1": "张师傅", "lead1": "李班长"}


def _redo(case: c.Case, at: datetime) -> c.Case:
    """The rework order, sent to the lead who does it himself, done at `at`."""
    case = ok(c.dispatch(case, work_order_id="wo3", job="返修：水龙头再次漏水", assignee_id="lead1",
                         assignee_role=Role.TEAM_LEAD, deadline_at=at + H, by="d1", roles=DISPATCHER,
                         now=at - 30 * M)).case
    case = ok(c.accept(case, work_order_id="wo3", by="lead1", now=at - 29 * M)).case
    case = ok(c.arrive(case, work_order_id="wo3", by="lead1", now=at - 20 * M)).case
    return ok(c.complete(case, work_order_id="wo3", by="lead1", now=at, slip=signed_slip(at))).case


def _reworked_repair(redo_at: datetime) -> c.Case:
    """A small repair done in 50 minutes and closed; a C call-back the next day reopens it; redone later."""
    case = closable_repair(T0)
    case = ok(c.close(case, result="已修好", by="d1", roles=DISPATCHER, now=T0 + 4 * H)).case
    case = ok(c.reopen_for_review(case, reason="回访结果 房屋维修保养:C;又漏水了", by="d1", now=T0 + 24 * H)).case
    return _redo(case, redo_at)


def _graded(task: sv.CallBackTask, grades: dict, at: datetime) -> sv.CallBackTask:
    return sv.record_call_back(task, by_role=Role.DISPATCHER, by_id="d1", grades=grades, comment="又漏水了",
                               now=at, work_areas=sv.work_areas("repair", "small"))


def test_a_reworked_repair_is_held_to_its_limits_by_its_first_completion():  # R-FU-4 R-FU-10
    case = _reworked_repair(T0 + 35 * H)  # the redo comes after the 24-hour cap
    assert case.first_completed_at == FIRST_DONE
    assert case.last_completed_at == T0 + 35 * H
    by_code = {k.code: k for k in clocks(case, CAL, T0 + 40 * H)}
    for code in (ClockCode.FU4_REPAIR_2H, ClockCode.FU4_REPAIR_24H):
        k = by_code[code]
        # Met when the work was first done; the redo does not re-judge it (nor make it late).
        assert (k.satisfied_at, k.overdue, k.running) == (FIRST_DONE, False, False), code


def test_the_report_counts_a_reworked_repair_once_in_the_month_of_its_first_completion():  # R-FU-10 R-RV-5
    case = _reworked_repair(T0 + 35 * H)
    first = sv.open_call_back(id="cb0", subject=sv.CallBackSubject.REPAIR, subject_id=case.id,
                              completed_at=FIRST_DONE)
    first = _graded(first, {sv.SurveyArea.BUILDING_REPAIR: sv.Grade.C}, T0 + 24 * H)
    second = sv.open_call_back(id="cb1", subject=sv.CallBackSubject.REPAIR, subject_id=case.id,
                               completed_at=T0 + 35 * H, completion_round=1)
    second = _graded(second, {sv.SurveyArea.BUILDING_REPAIR: sv.Grade.A}, T0 + 40 * H)
    row = case_row(case, calendar=CAL, policy=DeadlinePolicy(), now=T0 + 40 * H, names=NAMES,
                   call_backs=(first, second), booking=None)
    assert row.closed_at == FIRST_DONE and mr.in_time(row)
    assert row.reworked  # the first round's C, not undone by the second round's A
    assert row.satisfaction == sv.Grade.A  # what the resident says now, after the rework
    report = mr.build_monthly_report([row], year=2026, month=5, tz=SH, as_of=datetime(2026, 6, 10, tzinfo=SH))
    timely, rework = mr.rate(report, "timely_repair"), mr.rate(report, "rework")
    assert (timely.numerator, timely.denominator) == (1, 1)
    assert (rework.numerator, rework.denominator) == (1, 1)
    assert report.overdue == ()


def _reopened_complaint() -> c.Case:
    case = opened(c.Kind.COMPLAINT)
    case = ok(c.judge_complaint(case, fault=c.ComplaintFault.COMPANY, explanation="保洁漏扫",
                                agreed_solution="当天补扫", by="d1", now=T0 + 5 * M)).case
    case = ok(c.verify(case, note="已补扫", by="d1", roles=DISPATCHER, now=T0 + 40 * M)).case
    case = ok(c.close(case, result="已补扫，业主满意", by="d1", roles=DISPATCHER, now=T0 + 50 * M)).case
    return ok(c.reopen_for_review(case, reason="回访结果 服务与投诉处理:C;还是脏", by="d1", now=T0 + 24 * H)).case


def test_a_reopened_complaint_keeps_its_first_close_for_its_limits():  # R-FU-9 R-FU-1 R-FU-2
    case = _reopened_complaint()
    assert case.close is None and case.first_close is not None and case.first_close.closed_at == T0 + 50 * M
    by_code = {k.code: k for k in clocks(case, CAL, T0 + 20 * 24 * H)}
    k = by_code[ClockCode.FU9_COMPLAINT_15D]
    assert (k.satisfied_at, k.overdue, k.running) == (T0 + 50 * M, False, False)
    # The follow-ups the close stopped stay stopped: reopening does not make them days overdue (D90, D109).
    for code in (ClockCode.FU1_FIRST_FOLLOW_UP, ClockCode.FU2_END_OF_DAY):
        assert not by_code[code].running, code


def test_a_reopened_complaint_is_listed_as_handled_by_whoever_closed_it_with_its_result():  # R-RV-5 R-FU-9
    case = _reopened_complaint()
    row = case_row(case, calendar=CAL, policy=DeadlinePolicy(), now=T0 + 20 * 24 * H, names=NAMES,
                   call_backs=(), booking=None)
    assert row.closed_at == T0 + 50 * M and mr.in_time(row)
    assert (row.handler, row.result) == ("王调度", "已补扫，业主满意")


def test_a_rework_order_is_due_within_the_repairs_limits_counted_from_the_reopening():  # R-FU-4 R-DI-3
    # Counted from the report, every limit of the first round has passed: the order would be due before
    # it was sent, and the desk could not send it without typing a time.
    case = closable_repair(T0)
    case = ok(c.close(case, result="已修好", by="d1", roles=DISPATCHER, now=T0 + 4 * H)).case
    case = ok(c.reopen_for_review(case, reason="回访结果 房屋维修保养:C;又漏水了", by="d1", now=T0 + 24 * H)).case
    assert work_order_deadline(case, T0 + 26 * H) == T0 + (24 + 24) * H  # the 2 hours gone, the 24 stand
    assert work_order_deadline(case, T0 + 25 * H) == T0 + (24 + 2) * H


def test_each_round_of_work_is_called_back_when_it_is_done():  # R-FU-6 R-SS-5
    case = closable_repair(T0)
    case = ok(c.close(case, result="已修好", by="d1", roles=DISPATCHER, now=T0 + 4 * H)).case
    assert c.round_done(case) == c.RoundDone(round=0, at=FIRST_DONE, staff_ids=("t1",))
    case = ok(c.reopen_for_review(case, reason="回访结果 房屋维修保养:C;又漏水了", by="d1", now=T0 + 24 * H)).case
    assert c.round_done(case) is None  # the redo is not done yet: nothing to call back about
    case = _redo(case, T0 + 35 * H)
    # The redo's call-back asks about the redo, and its grades are the one who redid it (R-SS-5).
    assert c.round_done(case) == c.RoundDone(round=1, at=T0 + 35 * H, staff_ids=("lead1",))


def test_a_complaint_handled_at_the_desk_is_called_back_at_each_close():  # R-FU-6 R-RV-1
    case = _reopened_complaint()
    assert c.round_done(case) is None
    case = ok(c.close(case, result="重新安排保洁，已确认", by="d1", roles=DISPATCHER, now=T0 + 30 * H)).case
    assert c.round_done(case) == c.RoundDone(round=1, at=T0 + 30 * H)
