"""The month's weekly checks as the monthly report shows them, and what signing warns of (R-RV-4, R-FU-10)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import msgspec

from server.domain import monthly_report as mr

CST = timezone(timedelta(hours=8))
W = mr.SignWarning
# December 2026: its weeks are those of Mondays 7, 14, 21 and 28 (Monday 30 Nov is November's).
AFTER = datetime(2027, 1, 4, 10, tzinfo=CST)


def repair(no: str, late: bool, rework: bool = False) -> mr.CaseRow:
    received = datetime(2026, 12, 2, 9, tzinfo=CST)
    return mr.CaseRow(case_no=no, kind="repair", channel="phone", received_at=received,
                      deadline_at=received + timedelta(hours=24),
                      closed_at=received + timedelta(hours=30 if late else 2), reworked=rework)


def december(*rows: mr.CaseRow) -> mr.MonthlyReport:
    return mr.build_monthly_report(rows, year=2026, month=12, tz=CST, as_of=AFTER)


def check(day: int, poor: bool = False, **kw) -> mr.WeeklyCheck:  # noqa: ANN003
    return mr.WeeklyCheck(week_start=date(2026, 12, day), checked_by="usr_manager",
                          checked_at=datetime(2026, 12, day, 17, tzinfo=CST), cases_checked=3, poor_quality=poor,
                          findings="回访漏做" if poor else "", capa_required=poor, **kw)


def quality(report: mr.MonthlyReport, checks: list[mr.WeeklyCheck], *, first: date = date(2026, 1, 1),
            today: date = date(2027, 1, 4)) -> mr.MonthQuality:
    return mr.month_quality(report, checks, first_day=first, today=today, names={"usr_manager": "钱经理"})


def test_every_week_of_the_month_is_listed_and_the_unchecked_ones_flagged():  # R-RV-4
    q = quality(december(repair("R1", late=False)), [check(7), check(21)])
    assert [(w.week_start.day, w.checked) for w in q.weeks] == [(7, True), (14, False), (21, True), (28, False)]
    assert q.weeks[0].checked_by == "钱经理" and q.weeks[0].capa_state is mr.CapaState.NOT_REQUIRED
    assert q.unchecked_weeks == (date(2026, 12, 14), date(2026, 12, 28))
    assert (q.targets_missed, q.capa_needed, q.sign_warnings) == ((), False, (W.WEEKS_UNCHECKED,))


def test_weeks_to_come_and_weeks_before_the_compound_are_not_unchecked():  # R-RV-4
    q = quality(december(), [], first=date(2026, 12, 16), today=date(2026, 12, 23))
    assert [w.week_start.day for w in q.weeks] == [14, 21]  # the week the compound began in, and this one


def test_missed_targets_with_no_capa_report_call_for_one():  # R-FU-10 R-RV-4
    rep = december(repair("R1", late=True, rework=True), repair("R2", late=False))
    q = quality(rep, [check(d) for d in (7, 14, 21, 28)])
    assert q.targets_missed == ("timely_repair", "rework")
    assert q.capa_needed is True and q.sign_warnings == (W.CAPA_MISSING,)
    filed = check(14, poor=True, capa_report_no="CAPA-12", capa_status=mr.CapaStatus.SUBMITTED)
    q = quality(rep, [check(7), filed, check(21), check(28)])
    assert q.capa_needed is False and q.sign_warnings == ()
    assert q.weeks[1].capa_state is mr.CapaState.SUBMITTED and q.weeks[1].capa_report_no == "CAPA-12"


def test_a_poor_week_owes_its_capa_report_until_filed_and_again_when_sent_back():  # R-RV-4
    rep = december()
    owed = quality(rep, [check(7, poor=True)], today=date(2026, 12, 10))
    assert owed.capa_owed == (date(2026, 12, 7),) and owed.weeks[0].capa_state is mr.CapaState.OWED
    assert owed.sign_warnings == (W.CAPA_MISSING,)
    back = check(7, poor=True, capa_report_no="CAPA-1", capa_status=mr.CapaStatus.RETURNED)
    assert quality(rep, [back], today=date(2026, 12, 10)).capa_owed == (date(2026, 12, 7),)
    # A report filed before D117 carries only its number: filed, nothing owed.
    legacy = quality(rep, [check(7, poor=True, capa_report_no="CAPA-0")], today=date(2026, 12, 10))
    assert legacy.weeks[0].capa_state is mr.CapaState.FILED and legacy.capa_owed == ()


def test_a_signature_records_what_it_was_warned_of():  # R-RV-4
    rep = msgspec.structs.replace(december(), status=mr.ReportStatus.SUBMITTED)
    signed = mr.sign_report(rep, by_role=mr.SIGNER, by_id="usr_manager", comment="限期整改", now=AFTER,
                            warnings=(W.WEEKS_UNCHECKED, W.CAPA_MISSING))
    assert signed.status is mr.ReportStatus.SIGNED
    assert signed.history[-1].warnings == (W.WEEKS_UNCHECKED, W.CAPA_MISSING)
    # A signature stored before warnings were recorded decodes with none.
    old = msgspec.json.decode(b'{"action":"signed","by":"m","at":"2026-12-01T00:00:00Z"}', type=mr.ReportEvent)
    assert old.warnings == ()
