"""A survey's month closes to new ballots once that month's report no longer reads the survey: handed in
with the whole month's figures, or signed (R-RV-3, R-RV-4, D103, D140)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from server.domain import monthly_report as mr
from server.domain import surveys as sv
from server.domain.errors import DomainError
from server.domain.roles import Role
from server.domain.surveys import Ballot, Grade, SurveyArea

CST = timezone(timedelta(hours=8))
R = sv.SurveyRefusal
OV = SurveyArea.OVERALL
HANDED_IN, SIGNED = sv.MonthClosed.HANDED_IN, sv.MonthClosed.SIGNED
NOV_SIGNED = sv.ClosedMonth(period="2026-11", state=SIGNED)
NOV_HANDED_IN = sv.ClosedMonth(period="2026-11", state=HANDED_IN)


def at(m: int, d: int, h: int = 0, y: int = 2026) -> datetime:
    return datetime(y, m, d, h, tzinfo=CST)


def november(as_of: datetime) -> mr.MonthlyReport:
    return mr.build_monthly_report([], year=2026, month=11, tz=CST, as_of=as_of)


def _submitted_after_the_month() -> mr.MonthlyReport:
    return mr.submit_report(november(at(12, 2, 9)), by_role=Role.DISPATCHER, by_id="d", now=at(12, 2, 9))


def test_a_month_closes_to_surveys_once_its_figures_are_frozen():  # R-RV-4 D103
    assert mr.survey_month_closed(None) is None  # no report stored: a live draft
    assert mr.survey_month_closed(november(at(11, 20))) is None
    # Handed in on the 30th before the month is over: its figures still grow, the survey still counts.
    early = mr.submit_report(november(at(11, 30, 9)), by_role=Role.DISPATCHER, by_id="d", now=at(11, 30, 9))
    assert not mr.covers_whole_month(early) and mr.survey_month_closed(early) is None
    handed_in = _submitted_after_the_month()
    assert mr.survey_month_closed(handed_in) == sv.ClosedMonth(period="2026-11", state=HANDED_IN)
    signed = mr.sign_report(handed_in, by_role=Role.MANAGER, by_id="m", comment="好", now=at(12, 3, 9))
    assert mr.survey_month_closed(signed) == sv.ClosedMonth(period="2026-11", state=SIGNED)
    # The GM's reopening puts it back to handed in, its figures still frozen (D103): still closed.
    reopened = mr.reopen_report(signed, by_role=Role.GENERAL_MANAGER, by_id="g", reason="补录调查", now=at(12, 4, 9))
    assert mr.survey_month_closed(reopened) == sv.ClosedMonth(period="2026-11", state=HANDED_IN)
    # The manager's return makes it a live draft again: the survey counts once more.
    returned = mr.return_report(reopened, by_role=Role.MANAGER, by_id="m", reason="补录调查", now=at(12, 4, 10))
    assert mr.survey_month_closed(returned) is None


def test_no_survey_is_opened_for_a_signed_month_and_the_message_names_who_can_reopen_it():  # R-RV-3 R-RV-4
    with pytest.raises(DomainError) as e:
        sv.open_survey(id="s", title="t", issued=5, period="2026-11", by_role=Role.MANAGER, by_id="m",
                       now=at(12, 5), closed=NOV_SIGNED)
    ref = e.value.refusal
    assert (ref.code, ref.kind, ref.details["period"]) == (R.PERIOD_SIGNED, "conflict", "2026-11")
    assert "2026年11月" in ref.zh and "已签批" in ref.zh and "总经理" in ref.zh and "撤回" in ref.zh
    assert "2026-11" in ref.en and "signed" in ref.en and "general manager" in ref.en and "reopen" in ref.en
    with pytest.raises(DomainError) as e:
        sv.open_survey(id="s", title="t", issued=5, period="2026-11", by_role=Role.MANAGER, by_id="m",
                       now=at(12, 5), closed=NOV_HANDED_IN)
    ref = e.value.refusal
    assert ref.code == R.PERIOD_HANDED_IN and "已提交" in ref.zh and "退回" in ref.zh
    assert "handed in" in ref.en and "return" in ref.en
    # The role is checked first: a dispatcher is told it is the manager's survey, not about the month.
    with pytest.raises(DomainError) as e:
        sv.open_survey(id="s", title="t", issued=5, period="2026-11", by_role=Role.DISPATCHER, by_id="d",
                       now=at(12, 5), closed=NOV_SIGNED)
    assert e.value.refusal.code == R.NOT_ALLOWED_TO_SURVEY
    opened = sv.open_survey(id="s", title="t", issued=5, period="2026-11", by_role=Role.MANAGER, by_id="m",
                            now=at(12, 5), closed=None)
    assert opened.period == "2026-11"


def test_no_ballot_is_entered_or_withdrawn_once_the_month_is_closed_but_a_retry_still_answers():  # R-RV-3
    s = sv.open_survey(id="s", title="t", issued=5, period="2026-11", by_role=Role.MANAGER, by_id="m", now=at(11, 25))
    s = sv.record_ballot(s, Ballot(id="b-1", grades={OV: Grade.A}))
    with pytest.raises(DomainError) as e:
        sv.record_ballot(s, Ballot(id="b-2", grades={OV: Grade.B}), closed=NOV_SIGNED)
    assert e.value.refusal.code == R.PERIOD_SIGNED and e.value.refusal.details["period"] == "2026-11"
    # The desk posted b-1 again after losing the answer: it was recorded before the month closed.
    assert sv.record_ballot(s, Ballot(id="b-1", grades={OV: Grade.A}), closed=NOV_SIGNED) is s
    # Taking b-1 out now would leave the signed report counting a ballot the survey no longer has.
    with pytest.raises(DomainError) as e:
        sv.withdraw_ballot(s, "b-1", closed=NOV_HANDED_IN)
    assert e.value.refusal.code == R.PERIOD_HANDED_IN
    assert sv.withdraw_ballot(s, "b-1").ballots == ()
