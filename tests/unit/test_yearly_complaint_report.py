"""The yearly complaint analysis report (客户投诉报告): the year's figures from hand-built complaints, and its
hand-in to the deputy general manager (R-RV-5, R-RV-3; seed 001 八)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest

from server.domain import complaint_report as cr
from server.domain import monthly_report as mr
from server.domain.errors import DomainError
from server.domain.roles import Role
from server.domain.surveys import Grade

SH = ZoneInfo("Asia/Shanghai")
R = cr.YearlyRefusal
A, B, C = Grade.A, Grade.B, Grade.C


def local(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=SH)


def complaint(no: str, received: datetime, *, unit: str = "", building: str = "", **kw) -> mr.CaseRow:
    unit_id = f"unit_{unit}" if unit else None
    return mr.CaseRow(case_no=no, kind="complaint", channel="phone", received_at=received, unit_id=unit_id,
                      unit=unit, building=building, **kw)


ROWS = [
    # December 2025, due on 4 January 2026 (15 days on): in 2026's timely-handling rate, not its register.
    complaint("Y0", local(2025, 12, 20, 10), complaint_category="cleaning", closed_at=local(2026, 1, 3, 9),
              valid_complaint=True),
    complaint("Y1", local(2026, 1, 5, 9), unit="1栋-202", building="1栋", complaint_category="cleaning",
              valid_complaint=True, deadline_at=local(2026, 1, 7, 9), closed_at=local(2026, 1, 6, 15),
              satisfaction=A),
    complaint("Y2", local(2026, 1, 31, 23, 50), unit="1栋-202", building="1栋", complaint_category="security",
              valid_complaint=False, closed_at=local(2026, 2, 3, 10), satisfaction=B),
    complaint("Y3", local(2026, 6, 10, 14), unit="1栋-202", building="1栋", complaint_category="cleaning",
              valid_complaint=True, deadline_at=local(2026, 6, 12, 14), closed_at=local(2026, 6, 13, 9),
              satisfaction=C),  # late
    complaint("Y4", local(2026, 6, 11, 8), unit="2栋-301", building="2栋", complaint_category="decoration",
              closed_at=local(2026, 6, 20, 8)),  # not judged: out of the validity rate
    complaint("Y5", local(2026, 8, 1, 8), unit="2栋-301", building="2栋", complaint_category="cleaning",
              valid_complaint=True, not_opened=True),  # explained at intake (R-OP-2 F): never open
    # 23:30 on New Year's Eve in Shanghai (15:30 UTC): 2026's, and open when the year ends.
    complaint("Y6", local(2026, 12, 31, 23, 30), unit="3栋-104", building="3栋", complaint_category="cleaning",
              valid_complaint=True, closed_at=local(2027, 1, 5, 9)),
    # 00:10 on New Year's Day in Shanghai (16:10 UTC on 31 December): 2027's.
    complaint("Y7", local(2027, 1, 1, 0, 10), unit="1栋-202", building="1栋", complaint_category="security"),
    # Other kinds are not complaints.
    mr.CaseRow(case_no="R1", kind="repair", channel="phone", received_at=local(2026, 3, 1, 9)),
]
AFTER = local(2027, 2, 1, 9)  # read after the year, with every limit of 2026 passed


def year(rows=ROWS, y: int = 2026, as_of: datetime = AFTER) -> cr.YearlyComplaintReport:  # noqa: ANN001
    return cr.build_yearly_report(rows, year=y, tz=SH, as_of=as_of)


def test_a_complaint_counts_in_the_year_of_the_compounds_calendar_not_utcs() -> None:  # R-RV-5
    rep, next_year = year(), year(y=2027)
    assert [c.case_no for c in rep.complaints] == ["Y1", "Y2", "Y3", "Y4", "Y5", "Y6"]
    assert rep.received == 6 and rep.months[11].received == 1 and rep.months[0].received == 2
    assert [c.case_no for c in next_year.complaints] == ["Y7"] and next_year.months[0].received == 1
    assert (rep.period_start, rep.period_end) == (local(2026, 1, 1), local(2027, 1, 1))
    assert [m.month for m in rep.months] == list(range(1, 13))


def test_the_rates_are_the_monthly_definitions_summed_over_the_year() -> None:  # R-RV-5
    rep = year()
    for m, fig in zip(range(1, 13), rep.months, strict=True):
        monthly = mr.build_monthly_report(ROWS, year=2026, month=m, tz=SH, as_of=AFTER)
        assert (fig.validity.numerator, fig.validity.denominator) == (
            mr.rate(monthly, "complaint_validity").numerator, mr.rate(monthly, "complaint_validity").denominator), m
        assert (fig.timely_handling.numerator, fig.timely_handling.denominator) == (
            mr.rate(monthly, "timely_handling").numerator, mr.rate(monthly, "timely_handling").denominator), m
    # Validity: Y1 Y3 Y5 Y6 valid, Y2 not, Y4 unjudged (left out) -> 4 / 5.
    assert (rep.validity.numerator, rep.validity.denominator, rep.validity.value) == (4, 5, 80.0)
    assert rep.validity.numerator == sum(f.validity.numerator for f in rep.months)
    # Due in 2026: Y0 (4 Jan, closed the 3rd), Y1 (7 Jan), Y2 (15 Feb), Y3 (12 Jun, closed late), Y4 (26 Jun).
    # Y5 was explained at intake (R-OP-2 F): no limit ran, so it is not due at all. Y6 is due in 2027.
    assert (rep.timely_handling.numerator, rep.timely_handling.denominator) == (4, 5)
    assert rep.timely_handling.denominator == sum(f.timely_handling.denominator for f in rep.months)
    assert rep.months[0].timely_handling.denominator == 2  # Y0 and Y1, both in time


def test_categories_places_and_units_are_counted_most_frequent_first() -> None:  # R-RV-5
    rep = year()
    assert rep.counts_by_category["cleaning"] == 4 and rep.counts_by_category["greening"] == 0
    assert [(t.key, t.count) for t in rep.top_categories] == [("cleaning", 4), ("decoration", 1), ("security", 1)]
    assert [(t.key, t.count) for t in rep.top_buildings] == [("1栋", 3), ("2栋", 2), ("3栋", 1)]
    assert [(t.key, t.count) for t in rep.top_units][:2] == [("1栋-202", 3), ("2栋-301", 2)]


def test_a_unit_complaining_three_times_in_the_year_is_a_repeat_complainant() -> None:  # R-RV-5
    rep = year()
    assert [(u.unit, u.count, u.case_nos) for u in rep.repeat_units] == [("1栋-202", 3, ("Y1", "Y2", "Y3"))]
    # Its fourth complaint came in 2027: the next year starts counting again.
    assert year(y=2027).repeat_units == ()
    # A complaint with no registered unit is nobody's repeat, however many there are.
    bare = [complaint(f"N{i}", local(2026, 5, i + 1, 9)) for i in range(4)]
    assert year(bare).repeat_units == ()


def test_the_complaints_still_open_at_the_years_end_are_listed() -> None:  # R-RV-5
    rep = year()
    # Y6 closed on 5 January 2027: open at the year's end. Y5 was never opened: nothing to follow.
    assert [(o.case_no, o.unit, o.days_open) for o in rep.open_at_year_end] == [("Y6", "3栋-104", 0)]
    still = [complaint("Z1", local(2026, 3, 1, 9), unit="1栋-101", complaint_category="greening")]
    assert [(o.case_no, o.days_open) for o in year(still).open_at_year_end] == [("Z1", 305)]


def test_call_back_satisfaction_counts_a_b_and_c_over_the_complaints_graded() -> None:  # R-RV-3
    rep = year()
    grades = rep.call_backs
    assert (grades.a, grades.b, grades.c, grades.not_graded) == (1, 1, 1, 3)
    assert (grades.rate.numerator, grades.rate.denominator) == (2, 3)
    assert grades.rate.value == pytest.approx(66.67)
    assert rep.months[0].call_back_satisfaction.numerator == 2 and rep.months[5].call_back_satisfaction.denominator == 1
    assert year([]).call_backs.rate.value is None  # nothing graded: "—", never 0 %


def test_a_year_read_before_it_ends_counts_up_to_now() -> None:  # R-RV-5
    now = local(2026, 6, 11, 0)
    rep = year(as_of=now)
    assert rep.period_end == now and [c.case_no for c in rep.complaints] == ["Y1", "Y2", "Y3"]
    assert all(m.received == 0 for m in rep.months[6:])
    assert not cr.covers_whole_year(rep) and cr.covers_whole_year(year())


# --- hand-in to the deputy general manager (seed 001 八) ----------------------------------------------------

TEXT = cr.Analysis(cause_analysis="保洁排班不足，1栋-202 反复投诉楼道卫生", corrective_actions="增加 1栋 保洁频次，每周抽查")


def handed_in() -> cr.YearlyComplaintReport:
    return cr.submit_report(year(), TEXT, by_role=Role.MANAGER, by_id="usr_manager", now=local(2027, 1, 4, 9))


def refusal(fn) -> DomainError:  # noqa: ANN001
    with pytest.raises(DomainError) as e:
        fn()
    return e.value


def test_the_report_is_handed_in_only_after_its_year_ends() -> None:  # R-RV-5
    live = year(as_of=local(2026, 12, 31, 23, 59))
    err = refusal(lambda: cr.submit_report(live, TEXT, by_role=Role.MANAGER, by_id="m", now=local(2026, 12, 31, 23, 59)))
    assert err.refusal.code == R.YEAR_NOT_OVER and err.refusal.details["opens_at"] == local(2027, 1, 1).isoformat()
    # From midnight on New Year's Day in the compound's zone (16:00 UTC on 31 December).
    done = cr.submit_report(year(as_of=local(2027, 1, 1)), TEXT, by_role=Role.MANAGER, by_id="m", now=local(2027, 1, 1))
    assert done.status is cr.YearlyStatus.SUBMITTED and done.submitted_by == "m"
    assert done.analysis == TEXT and [e.action for e in done.history] == [cr.YearlyAction.SUBMITTED]


@pytest.mark.parametrize(("text", "missing"), [
    (cr.Analysis(), ["cause_analysis", "corrective_actions"]),
    (cr.Analysis(cause_analysis="原因", corrective_actions="  "), ["corrective_actions"]),
])
def test_the_report_is_not_handed_in_without_its_analysis(text: cr.Analysis, missing: list[str]) -> None:  # R-RV-5
    err = refusal(lambda: cr.submit_report(year(), text, by_role=Role.MANAGER, by_id="m", now=AFTER))
    assert err.refusal.code == R.ANALYSIS_REQUIRED and err.refusal.details["missing"] == missing


def test_only_the_manager_writes_and_hands_in_and_only_the_deputy_gm_acknowledges() -> None:  # R-RV-5
    for role in (Role.DISPATCHER, Role.DEPUTY_GM):
        err = refusal(lambda role=role: cr.submit_report(year(), TEXT, by_role=role, by_id="x", now=AFTER))
        assert (err.refusal.code, err.refusal.kind) == (R.NOT_AUTHOR, "forbidden")
        err = refusal(lambda role=role: cr.save_analysis(year(), TEXT, by_role=role, by_id="x", now=AFTER))
        assert err.refusal.code == R.NOT_AUTHOR
    for role in (Role.MANAGER, Role.GENERAL_MANAGER):
        err = refusal(lambda role=role: cr.acknowledge_report(handed_in(), by_role=role, by_id="x", comment="", now=AFTER))
        assert (err.refusal.code, err.refusal.kind) == (R.NOT_DEPUTY_GM, "forbidden")


def test_the_deputy_gm_acknowledges_with_a_dated_signature_and_it_stays_acknowledged() -> None:  # R-RV-5
    at = local(2027, 1, 6, 10)
    done = cr.acknowledge_report(handed_in(), by_role=Role.DEPUTY_GM, by_id="usr_deputy", comment=" 阅，按措施落实 ", now=at)
    assert (done.status, done.acknowledged_by, done.acknowledged_at, done.acknowledgement_comment) == (
        cr.YearlyStatus.ACKNOWLEDGED, "usr_deputy", at, "阅，按措施落实")
    assert [e.action for e in done.history] == [cr.YearlyAction.SUBMITTED, cr.YearlyAction.ACKNOWLEDGED]
    steps = [
        lambda: cr.acknowledge_report(done, by_role=Role.DEPUTY_GM, by_id="d", comment="", now=at),
        lambda: cr.return_report(done, by_role=Role.DEPUTY_GM, by_id="d", reason="再改", now=at),
        lambda: cr.submit_report(done, TEXT, by_role=Role.MANAGER, by_id="m", now=at),
        lambda: cr.save_analysis(done, TEXT, by_role=Role.MANAGER, by_id="m", now=at),
    ]
    for step in steps:
        assert refusal(step).refusal.code == R.ALREADY_ACKNOWLEDGED


def test_the_deputy_gm_returns_it_with_a_reason_and_the_analysis_is_kept_for_revision() -> None:  # R-RV-5
    assert refusal(lambda: cr.return_report(handed_in(), by_role=Role.DEPUTY_GM, by_id="d", reason=" ",
                                            now=AFTER)).refusal.code == R.REASON_REQUIRED
    back = cr.return_report(handed_in(), by_role=Role.DEPUTY_GM, by_id="d", reason="整改措施未写责任人", now=AFTER)
    assert back.status is cr.YearlyStatus.DRAFT and back.analysis == TEXT and back.submitted_by is None
    assert back.history[-1].reason == "整改措施未写责任人"
    # A draft cannot be acknowledged: it waits for the author's hand-in.
    err = refusal(lambda: cr.acknowledge_report(back, by_role=Role.DEPUTY_GM, by_id="d", comment="", now=AFTER))
    assert err.refusal.code == R.WRONG_STATUS
    revised = cr.save_analysis(back, msgspec.structs.replace(TEXT, corrective_actions="增加保洁频次，责任人：保洁主管"),
                               by_role=Role.MANAGER, by_id="m", now=AFTER + timedelta(hours=1))
    assert revised.analysis.corrective_actions.endswith("保洁主管") and revised.analysis_saved_by == "m"


def test_a_handed_in_report_is_not_edited_until_it_is_returned() -> None:  # R-RV-5
    err = refusal(lambda: cr.save_analysis(handed_in(), TEXT, by_role=Role.MANAGER, by_id="m", now=AFTER))
    assert err.refusal.code == R.WRONG_STATUS
    err = refusal(lambda: cr.submit_report(handed_in(), TEXT, by_role=Role.MANAGER, by_id="m", now=AFTER))
    assert err.refusal.code == R.WRONG_STATUS


def test_fresh_figures_keep_the_stored_workflow() -> None:  # R-RV-5
    saved = cr.save_analysis(year(as_of=local(2026, 12, 20)), TEXT, by_role=Role.MANAGER, by_id="m",
                             now=local(2026, 12, 20))
    fresh = cr.with_workflow_of(year(), saved)
    assert fresh.analysis == TEXT and fresh.received == 6 and fresh.analysis_saved_by == "m"
