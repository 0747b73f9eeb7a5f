"""When the monthly summary may be handed in and signed, and how a hand-in or a signature is taken back
(R-RV-4, R-RV-5, D103)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from server.domain import monthly_report as mr
from server.domain.errors import DomainError
from server.domain.roles import Role

CST = timezone(timedelta(hours=8))
R = mr.ReportRefusal


def at(m: int, d: int, h: int = 0, mi: int = 0, y: int = 2026) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=CST)


def december(as_of: datetime) -> mr.MonthlyReport:
    return mr.build_monthly_report([], year=2026, month=12, tz=CST, as_of=as_of)


def test_a_month_cannot_be_handed_in_before_its_30th():  # R-RV-5
    with pytest.raises(DomainError) as e:
        mr.submit_report(december(at(12, 7, 20)), by_role=Role.DISPATCHER, by_id="d", now=at(12, 7, 20, 45))
    assert e.value.refusal.code == R.TOO_EARLY
    assert "12月30日" in e.value.refusal.zh and "2026-12-30" in e.value.refusal.en
    # 23:59 on the 29th in the compound is refused, 00:00 on the 30th accepted, whatever UTC says.
    with pytest.raises(DomainError):
        mr.submit_report(december(at(12, 29)), by_role=Role.DISPATCHER, by_id="d",
                         now=at(12, 29, 23, 59).astimezone(UTC))
    rep = mr.submit_report(december(at(12, 30)), by_role=Role.DISPATCHER, by_id="d", now=at(12, 30).astimezone(UTC))
    assert rep.status is mr.ReportStatus.SUBMITTED and not rep.submitted_late
    assert [e.action for e in rep.history] == [mr.ReportAction.SUBMITTED]


def test_a_report_handed_in_on_the_30th_is_signed_only_after_the_month_ends():  # R-RV-4 R-RV-5
    rep = mr.submit_report(december(at(12, 30, 9)), by_role=Role.DISPATCHER, by_id="d", now=at(12, 30, 9))
    assert not mr.covers_whole_month(rep)
    with pytest.raises(DomainError) as e:
        mr.sign_report(rep, by_role=Role.MANAGER, by_id="m", comment="好", now=at(12, 31, 23, 59))
    assert e.value.refusal.code == R.MONTH_NOT_OVER
    # After the month, the figures are rebuilt over the whole month with the hand-in carried over.
    whole = mr.with_workflow_of(december(at(1, 2, 9, y=2027)), rep)
    assert mr.covers_whole_month(whole) and whole.submitted_by == "d" and whole.history == rep.history
    signed = mr.sign_report(whole, by_role=Role.MANAGER, by_id="m", comment="好", now=at(1, 2, 9, y=2027))
    assert signed.status is mr.ReportStatus.SIGNED


def test_the_manager_returns_a_submitted_report_with_a_reason():  # R-RV-4
    rep = mr.submit_report(december(at(12, 30)), by_role=Role.DISPATCHER, by_id="d", now=at(12, 30, 9))
    with pytest.raises(DomainError) as e:
        mr.return_report(rep, by_role=Role.MANAGER, by_id="m", reason=" ", now=at(12, 30, 10))
    assert e.value.refusal.code == R.REASON_REQUIRED
    with pytest.raises(DomainError) as e:
        mr.return_report(rep, by_role=Role.DISPATCHER, by_id="d", reason="x", now=at(12, 30, 10))
    assert e.value.refusal.code == R.NOT_MANAGER
    back = mr.return_report(rep, by_role=Role.MANAGER, by_id="m", reason="投诉明细不全", now=at(12, 30, 10))
    assert back.status is mr.ReportStatus.DRAFT and back.submitted_by is None
    assert back.history[-1] == mr.ReportEvent(action=mr.ReportAction.RETURNED, by="m", at=at(12, 30, 10),
                                              reason="投诉明细不全")
    # A signed report is not returned by the manager: that is the GM's reopening.
    signed = mr.sign_report(mr.with_workflow_of(december(at(1, 2, y=2027)), rep), by_role=Role.MANAGER,
                            by_id="m", comment="好", now=at(1, 2, 9, y=2027))
    with pytest.raises(DomainError) as e:
        mr.return_report(signed, by_role=Role.MANAGER, by_id="m", reason="签错了", now=at(1, 2, 10, y=2027))
    assert e.value.refusal.code == R.WRONG_STATUS


def test_only_the_gm_reopens_a_signed_report_and_the_old_signature_stays_in_the_history():  # R-RV-4
    rep = mr.submit_report(december(at(1, 2, y=2027)), by_role=Role.DISPATCHER, by_id="d", now=at(1, 2, 8, y=2027))
    signed = mr.sign_report(rep, by_role=Role.MANAGER, by_id="m", comment="本月及时", now=at(1, 2, 9, y=2027))
    for role in (Role.MANAGER, Role.DEPUTY_GM, Role.DISPATCHER):
        with pytest.raises(DomainError) as e:
            mr.reopen_report(signed, by_role=role, by_id="x", reason="签错", now=at(1, 3, y=2027))
        assert e.value.refusal.code == R.NOT_GENERAL_MANAGER
    with pytest.raises(DomainError) as e:
        mr.reopen_report(signed, by_role=Role.GENERAL_MANAGER, by_id="gm", reason="", now=at(1, 3, y=2027))
    assert e.value.refusal.code == R.REASON_REQUIRED
    again = mr.reopen_report(signed, by_role=Role.GENERAL_MANAGER, by_id="gm", reason="漏记一件投诉",
                             now=at(1, 3, y=2027))
    assert (again.status, again.signed_by, again.manager_comment) == (mr.ReportStatus.SUBMITTED, None, "")
    assert [(e.action, e.by) for e in again.history] == [
        (mr.ReportAction.SUBMITTED, "d"), (mr.ReportAction.SIGNED, "m"), (mr.ReportAction.REOPENED, "gm")]
    assert again.history[1].comment == "本月及时" and again.history[2].reason == "漏记一件投诉"
    with pytest.raises(DomainError) as e:
        mr.reopen_report(rep, by_role=Role.GENERAL_MANAGER, by_id="gm", reason="x", now=at(1, 3, y=2027))
    assert e.value.refusal.code == R.WRONG_STATUS
