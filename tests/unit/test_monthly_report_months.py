"""Which months have a report: none before the compound's first month, none not yet begun (R-RV-4, R-RV-5)."""

from __future__ import annotations

from datetime import date

import pytest

from server.domain import monthly_report as mr
from server.domain.errors import DomainError

R = mr.ReportRefusal
FIRST = date(2026, 11, 23)  # set up on a Monday late in November


def refusal(year: int, month: int, today: date) -> str | None:
    try:
        mr.refuse_unlived_month(year, month, first_day=FIRST, today=today)
    except DomainError as e:
        return e.refusal.code
    return None


def test_the_first_month_counts_whole_though_the_compound_began_late_in_it():  # R-RV-5
    assert refusal(2026, 11, date(2026, 11, 23)) is None


@pytest.mark.parametrize(("year", "month"), [(2001, 1), (2026, 10), (2025, 11)])
def test_a_month_before_the_first_is_refused_naming_the_first(year, month):  # R-RV-4
    assert refusal(year, month, date(2027, 3, 1)) == R.BEFORE_COMPOUND
    with pytest.raises(DomainError) as e:
        mr.refuse_unlived_month(year, month, first_day=FIRST, today=date(2027, 3, 1))
    assert e.value.refusal.details == {"first_month": "2026-11"} and "2026年11月" in e.value.refusal.zh


def test_a_month_is_reported_from_its_first_day_not_before():  # R-RV-4
    assert refusal(2026, 12, date(2026, 11, 30)) == R.MONTH_NOT_BEGUN
    assert refusal(2027, 1, date(2026, 11, 30)) == R.MONTH_NOT_BEGUN
    assert refusal(2026, 12, date(2026, 12, 1)) is None
