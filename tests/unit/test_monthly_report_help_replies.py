"""The monthly report's help-reply figure: a help request replied to within 5 minutes (R-IN-5, D71).

Each row carries its IN5_HELP_REPLY_5M clock as the service reads it (due 5 minutes after receipt; the
first reply or the close). A help request counts in the month it was received, judged on its reply.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import msgspec

from server.domain import monthly_report as mr

CST = timezone(timedelta(hours=8))
FIVE = timedelta(minutes=5)


def at(m: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(2026, m, d, h, mi, s, tzinfo=CST)


def help_row(no: str, received: datetime, replied: datetime | None, *, clock: bool = True) -> mr.CaseRow:
    return mr.CaseRow(case_no=no, kind="help", channel="phone", received_at=received, receiver="王调度",
                      help_reply_due_at=received + FIVE if clock else None, help_replied_at=replied)


def november(rows: list[mr.CaseRow], as_of: datetime) -> mr.MonthlyReport:
    return mr.build_monthly_report(rows, year=2026, month=11, tz=CST, as_of=as_of)


def test_a_reply_at_five_minutes_exactly_is_in_time_and_a_second_later_is_late():  # R-IN-5
    t = at(11, 10, 9)
    rep = november([help_row("H1", t, t + FIVE), help_row("H2", t, t + FIVE + timedelta(seconds=1))], at(12, 1, 9))
    fig = rep.help_replies
    assert (fig.received, fig.in_time, fig.late, fig.pending) == (2, 1, 1, 0)
    assert (fig.rate.numerator, fig.rate.denominator, fig.rate.value) == (1, 2, 50.0)
    # A second late is late: a part-minute counts as a minute on the list, never "0 minutes late".
    [line] = rep.help_late
    assert (line.case_no, line.late_minutes, line.replied_at) == ("H2", 1, t + FIVE + timedelta(seconds=1))


def test_a_help_request_never_replied_is_late_once_its_five_minutes_are_over():  # R-IN-5
    t = at(11, 10, 9)
    rep = november([help_row("H1", t, None)], at(11, 10, 9, 4))  # 4 minutes in: still pending
    fig = rep.help_replies
    assert (fig.in_time, fig.late, fig.pending) == (0, 0, 1)
    assert fig.rate.value is None and rep.help_late == ()  # nothing judged yet: "—", not 0 %
    rep = november([help_row("H1", t, None)], at(11, 10, 9, 47))
    fig = rep.help_replies
    assert (fig.in_time, fig.late, fig.pending, fig.rate.value) == (0, 1, 0, 0.0)
    [line] = rep.help_late
    assert line.replied_at is None and line.late_minutes == 42  # counted to the report's time


def test_a_help_request_received_late_on_the_last_day_counts_in_its_month_judged_on_its_reply():  # R-IN-5
    t = at(11, 30, 23, 58)  # due 00:03 on 1 December
    in_time = november([help_row("H1", t, at(12, 1, 0, 2))], at(12, 2, 10))
    assert (in_time.help_replies.received, in_time.help_replies.in_time, in_time.help_replies.late) == (1, 1, 0)
    late = november([help_row("H1", t, at(12, 1, 0, 9))], at(12, 2, 10))
    assert (late.help_replies.late, late.help_late[0].late_minutes) == (1, 6)
    never = november([help_row("H1", t, None)], at(12, 2, 10))
    assert never.help_replies.late == 1
    # Seen on the evening of the 30th (a draft before the month is over) it is still within its 5 minutes.
    draft = november([help_row("H1", t, None)], at(11, 30, 23, 59))
    assert (draft.help_replies.received, draft.help_replies.pending, draft.help_replies.rate.value) == (1, 1, None)
    # December does not count it: it was received in November.
    december = mr.build_monthly_report([help_row("H1", t, at(12, 1, 0, 9))], year=2026, month=12, tz=CST,
                                       as_of=at(12, 2, 10))
    assert december.help_replies.received == 0 and december.help_late == ()


def test_a_help_request_left_unopened_runs_no_clock_and_is_not_counted_in_the_rate():  # R-IN-5 R-OP-2
    t = at(11, 10, 9)
    rep = november([help_row("H1", t, None, clock=False), help_row("H2", t, t + timedelta(minutes=2))], at(12, 1))
    fig = rep.help_replies
    assert (fig.received, fig.not_opened, fig.in_time, fig.rate.denominator) == (2, 1, 1, 1)
    assert rep.counts_by_kind["help"] == fig.received


def test_the_late_help_replies_are_not_on_the_overdue_list_and_other_kinds_are_not_counted():  # R-IN-5 R-RV-5
    t = at(11, 10, 9)
    repair = mr.CaseRow(case_no="R1", kind="repair", channel="phone", received_at=t, deadline_at=t + FIVE,
                        closed_at=t + timedelta(hours=1))
    rep = november([help_row("H1", t, None), repair], at(12, 1))
    assert [o.case_no for o in rep.overdue] == ["R1"]  # the overdue list keeps its own limits
    assert [line.case_no for line in rep.help_late] == ["H1"]
    assert rep.help_replies.received == 1


def test_a_month_with_no_help_request_shows_the_rate_as_undefined():  # R-IN-5
    fig = november([], at(12, 1)).help_replies
    assert (fig.received, fig.rate.denominator, fig.rate.value) == (0, 0, None)
    assert fig.rate.definition_zh.startswith("求助 5 分钟内答复率 =")
    assert fig.rate.definition_en.startswith("Help-reply rate =")


def test_a_report_frozen_before_the_figure_existed_still_decodes_without_one():  # R-RV-4
    rep = november([], at(12, 1))
    old = msgspec.to_builtins(rep)
    del old["help_replies"], old["help_late"]
    back = msgspec.convert(old, mr.MonthlyReport)
    assert back.help_replies is None and back.help_late == ()
