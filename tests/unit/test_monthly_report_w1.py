"""Monthly report figures a manager checks by hand against the cases shown (found walking the demo)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from server.domain import monthly_report as mr

CST = timezone(timedelta(hours=8))


def _complaint(no: str, day: int, valid: bool | None) -> mr.CaseRow:
    return mr.CaseRow(case_no=no, kind="complaint", channel="phone",
                      received_at=datetime(2026, 11, day, 9, tzinfo=CST), valid_complaint=valid)


def _build(rows: list[mr.CaseRow]) -> mr.MonthlyReport:
    return mr.build_monthly_report(rows, year=2026, month=11, tz=CST,
                                   as_of=datetime(2026, 11, 28, 12, tzinfo=CST))


def test_complaints_not_yet_judged_do_not_count_as_invalid():  # R-RV-5 R-IN-8
    # Two complaints received, neither judged yet: nothing is known about validity, so the rate is
    # undefined ("—"), not 0 % — 0 % would tell the manager every complaint was the resident's own.
    v = mr.rate(_build([_complaint("C1", 3, None), _complaint("C2", 4, None)]), "complaint_validity")
    assert (v.numerator, v.denominator, v.value) == (0, 0, None)


def test_validity_rate_divides_by_the_judged_complaints_only():  # R-RV-5 R-IN-8
    rows = [_complaint("C1", 3, True), _complaint("C2", 4, False), _complaint("C3", 5, None)]
    v = mr.rate(_build(rows), "complaint_validity")
    # valid C1 of judged C1, C2: 1 / 2 = 50 %; C3 awaits its judgement
    assert (v.numerator, v.denominator, v.value) == (1, 2, 50.0)
    assert "已判定" in v.definition_zh and "judged" in v.definition_en
