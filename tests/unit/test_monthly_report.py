"""Monthly summary: counts, every rate hand-computed, overdue list, satisfaction, submission and sign-off."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import msgspec
import pytest

from server.domain import monthly_report as mr
from server.domain import surveys as sv
from server.domain.errors import DomainError
from server.domain.roles import Role
from server.domain.surveys import Ballot, Grade, SurveyArea

CST = timezone(timedelta(hours=8))
R = mr.ReportRefusal
A, B, C = Grade.A, Grade.B, Grade.C


def at(m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(2026, m, d, h, mi, tzinfo=CST)


H = timedelta(hours=1)


def complaint(no: str, received: datetime, **kw) -> mr.CaseRow:
    return mr.CaseRow(case_no=no, kind="complaint", received_at=received, **kw)


def repair(no: str, received: datetime, **kw) -> mr.CaseRow:
    return mr.CaseRow(
        case_no=no, kind="repair", channel=kw.pop("channel", "phone"), received_at=received, **kw
    )


# November 2026 in the compound's zone (UTC+8).
COMPLAINTS = [
    complaint(
        "C1",
        at(11, 3, 9),
        channel="phone",
        complaint_category="cleaning",
        valid_complaint=True,
        deadline_at=at(11, 5, 9),
        closed_at=at(11, 4, 10),
        satisfaction=A,
        complainant="王女士",
        receiver="小李",
        handler="清洁班",
        method="上门清理",
        result="已清理",
    ),
    complaint(
        "C2",
        at(11, 10, 14),
        channel="walk_in",
        complaint_category="security",
        valid_complaint=True,
        deadline_at=at(11, 12, 14),
        closed_at=at(11, 13, 9),
        satisfaction=B,
    ),  # 19 h late
    complaint(
        "C3", at(11, 20, 8), channel="phone", complaint_category="staff_attitude", valid_complaint=False
    ),  # no date agreed: due 15 days on, 5 Dec, not in November
    complaint(
        "C4",
        at(10, 25, 10),
        channel="phone",
        complaint_category="engineering_repair",
        valid_complaint=True,
        deadline_at=at(11, 2, 10),
    ),  # October's complaint, due in November, still open
    complaint(
        "C5",
        at(11, 25, 16),
        channel="app",
        complaint_category="cleaning",
        valid_complaint=True,
        deadline_at=at(11, 27, 16),
        timely=True,
    ),  # the paper register says handled in time
]
# R01–R48: received on days 1..28 at 08:00, limit 24 h, done in 2 h: in time.
ON_TIME_REPAIRS = [
    repair(
        f"R{i:02d}",
        at(11, 1 + i % 28, 8),
        deadline_at=at(11, 1 + i % 28, 8) + 24 * H,
        closed_at=at(11, 1 + i % 28, 8) + 2 * H,
    )
    for i in range(1, 49)
]
OTHER_REPAIRS = [
    repair(
        "R49", at(11, 15, 8), deadline_at=at(11, 16, 8), closed_at=at(11, 17, 8), handler="维修班"
    ),  # 24 h late
    repair(
        "R50",
        at(11, 16, 8),
        channel="app",
        deadline_at=at(11, 19, 8),
        closed_at=at(11, 17, 14),
        reworked=True,
    ),
    repair("R51", at(11, 29, 8), deadline_at=at(12, 2, 8)),  # open, not yet due
    repair("R00", at(10, 30, 8), deadline_at=at(10, 30, 10), closed_at=at(10, 31, 8)),  # late, but in October
]
OTHERS = [
    mr.CaseRow(case_no="H1", kind="help", channel="phone", received_at=at(11, 5, 20)),
    mr.CaseRow(case_no="I1", kind="inquiry", channel="walk_in", received_at=at(11, 6, 10)),
    mr.CaseRow(
        case_no="S1",
        kind="special_service",
        channel="phone",
        received_at=at(11, 7, 9),
        closed_at=at(11, 7, 12),
        revenue_cents=8000,
    ),
    mr.CaseRow(
        case_no="S2",
        kind="special_service",
        channel="phone",
        received_at=at(10, 31, 9),
        closed_at=at(11, 1, 9),
        revenue_cents=5000,
    ),
    mr.CaseRow(
        case_no="S3",
        kind="special_service",
        channel="phone",
        received_at=at(11, 30, 19),
        closed_at=at(12, 1, 1),
        revenue_cents=3000,
    ),
]
ROWS = COMPLAINTS + ON_TIME_REPAIRS + OTHER_REPAIRS + OTHERS
AFTER_MONTH = at(12, 1, 10)

EIGHT_BALLOTS = [
    {SurveyArea.OVERALL: A, SurveyArea.CLEANING: A},
    {SurveyArea.OVERALL: A, SurveyArea.CLEANING: A},
    {SurveyArea.OVERALL: A, SurveyArea.CLEANING: A},
    {SurveyArea.OVERALL: B, SurveyArea.CLEANING: A},
    {SurveyArea.OVERALL: B, SurveyArea.CLEANING: B},
    {SurveyArea.OVERALL: C, SurveyArea.CLEANING: B},
    {SurveyArea.OVERALL: C, SurveyArea.CLEANING: B},
    {SurveyArea.CLEANING: C},
]


def survey(ballots, issued: int) -> sv.PeriodicSurvey:
    s = sv.open_survey(id="s", title="Nov", issued=issued, by_role=Role.MANAGER, by_id="m", now=at(11, 10))
    for grades in ballots:
        s = sv.record_ballot(s, Ballot(grades=grades))
    return s


def report(**kw) -> mr.MonthlyReport:
    kw.setdefault("as_of", AFTER_MONTH)
    return mr.build_monthly_report(ROWS, year=2026, month=11, tz=CST, **kw)


def test_counts_by_kind_category_and_channel():  # R-RV-5
    rep = report()
    # received in November: repairs R01–R51 = 51; complaints C1, C2, C3, C5 = 4 (C4 came in October);
    # help H1; inquiry I1; special services S1, S3 = 2 (S2 came in October) → 59 in all
    assert rep.counts_by_kind == {
        "repair": 51,
        "complaint": 4,
        "help": 1,
        "inquiry": 1,
        "special_service": 2,
        "daily_affair": 0,
    }
    # complaints by category: cleaning C1, C5; security C2; staff attitude C3
    assert rep.counts_by_category == {
        "security": 1,
        "cleaning": 2,
        "greening": 0,
        "engineering_repair": 0,
        "mail_newspapers": 0,
        "decoration": 0,
        "staff_attitude": 1,
        "other": 0,
    }
    # phone: R01–R49 and R51 (50), C1, C3, H1, S1, S3 = 55; walk-in: C2, I1 = 2; app: R50, C5 = 2
    assert rep.counts_by_channel == {"app": 2, "phone": 55, "walk_in": 2}
    assert sum(rep.counts_by_channel.values()) == 59


def test_complaint_validity_rate_hand_computed():  # R-RV-5
    v = mr.rate(report(), "complaint_validity")
    # valid C1, C2, C5 of received C1, C2, C3, C5: 3 / 4 = 75.00 %
    assert (v.numerator, v.denominator, v.value, v.met) == (3, 4, 75.0, None)


def test_timely_handling_rate_counts_complaints_due_in_the_month():  # R-RV-5
    t = mr.rate(report(), "timely_handling")
    # due in November: C4 (2 Nov), C1 (5 Nov), C2 (12 Nov), C5 (27 Nov); C3 is due 5 Dec.
    # in time: C1 (done 4 Nov), C5 (flag) → 2 / 4 = 50.00 %
    assert (t.numerator, t.denominator, t.value) == (2, 4, 50.0)


def test_timely_repair_rate_meets_98_percent_on_the_boundary():  # R-FU-10
    t = mr.rate(report(), "timely_repair")
    # completed in November: R01–R50 = 50 (R51 open, R00 done in October); late: R49 → 49 / 50 = 98.00 % ≥ 98 %
    assert (t.numerator, t.denominator, t.value, t.target_percent, t.met) == (49, 50, 98.0, 98.0, True)


def test_rework_rate_above_one_percent_misses_the_target():  # R-FU-10
    r = mr.rate(report(), "rework")
    # reworked: R50 → 1 / 50 = 2.00 % > 1 %
    assert (r.numerator, r.denominator, r.value, r.target_is_ceiling, r.met) == (1, 50, 2.0, True, False)
    assert mr.quality_poor(report())


@pytest.mark.parametrize(
    ("num", "den", "target", "ceiling", "value", "met"),
    [
        (49, 50, 98.0, False, 98.0, True),  # 98 % meets ≥ 98 %
        (48, 50, 98.0, False, 96.0, False),
        (0, 0, 98.0, False, None, None),  # nothing completed: undefined, neither met nor missed
        (1, 100, 1.0, True, 1.0, True),  # 1 % meets ≤ 1 %
        (1, 99, 1.0, True, 1.01, False),  # 1.0101… % misses ≤ 1 %
        (0, 0, 1.0, True, None, None),
        (3, 4, None, False, 75.0, None),  # no target
    ],
)
def test_rate_targets_are_judged_exactly(num, den, target, ceiling, value, met):  # R-FU-10
    r = mr.make_rate("x", ("x", "x"), ("d", "d"), num, den, target_percent=target, target_is_ceiling=ceiling)
    assert (r.value, r.met) == (value, met)


def test_every_rate_carries_a_bilingual_definition():  # R-RV-5
    rep = report()
    for r in (*rep.rates, *rep.satisfaction):
        assert r.definition_zh and r.definition_en and r.label_zh and r.label_en
    assert "98" in mr.rate(rep, "timely_repair").definition_en
    assert "÷" in mr.rate(rep, "complaint_validity").definition_zh


def test_complaint_without_an_agreed_date_is_due_15_days_after_acceptance():  # R-RV-5
    rows = [complaint("C9", at(10, 20, 10), channel="phone", closed_at=at(11, 10, 10))]
    rep = mr.build_monthly_report(rows, year=2026, month=11, tz=CST, as_of=AFTER_MONTH)
    # accepted 20 Oct 10:00 → due 4 Nov 10:00 (in November); handled 10 Nov 10:00 → late by 6 d = 8640 min
    t = mr.rate(rep, "timely_handling")
    assert (t.numerator, t.denominator, t.value) == (0, 1, 0.0)
    assert [(o.case_no, o.due_at, o.late_minutes) for o in rep.overdue] == [("C9", at(11, 4, 10), 8640)]


def test_overdue_list_holds_cases_late_during_the_month():  # R-RV-5
    rep = report()
    # C4: due 2 Nov 10:00, open at month end → 28 d 14 h = 28×1440 + 14×60 = 41160 min
    # C2: due 12 Nov 14:00, done 13 Nov 09:00 → 19 h = 1140 min
    # R49: due 16 Nov 08:00, done 17 Nov 08:00 → 1440 min
    # not listed: C5 (recorded in time), C3 and R51 (not yet due), R00 (closed in October)
    assert [(o.case_no, o.late_minutes) for o in rep.overdue] == [("C4", 41160), ("C2", 1140), ("R49", 1440)]
    assert rep.overdue[0].closed_at is None and rep.overdue[2].handler == "维修班"


def test_special_service_revenue_counts_what_closed_in_the_month():  # R-RV-5
    # S1 8000 + S2 5000 (closed 1 Nov) = 13000; S3 closed 1 Dec is December's
    assert report().special_service_revenue_cents == 13000


def test_each_complaint_is_listed_with_its_people_handling_and_satisfaction():  # R-RV-5
    lines = report().complaints
    assert [c.case_no for c in lines] == ["C1", "C2", "C3", "C5"]
    c1 = lines[0]
    assert (
        c1.received_at,
        c1.complainant,
        c1.receiver,
        c1.handler,
        c1.method,
        c1.result,
        c1.satisfaction,
    ) == (
        at(11, 3, 9),
        "王女士",
        "小李",
        "清洁班",
        "上门清理",
        "已清理",
        A,
    )


def test_report_as_of_the_30th_sees_only_what_happened_by_then():  # R-RV-5
    rep = report(as_of=at(11, 30, 18))
    assert rep.period_end == at(11, 30, 18)
    assert rep.counts_by_kind["special_service"] == 1  # S3 arrives at 19:00, after the report
    # C4 open from 2 Nov 10:00 to 30 Nov 18:00: 28 d 8 h = 40320 + 480 = 40800 min
    assert rep.overdue[0].late_minutes == 40800


def test_satisfaction_rates_from_the_months_survey():  # R-RV-3
    rep = report(survey=survey(EIGHT_BALLOTS, issued=20), satisfaction_target_percent=80.0)
    assert (rep.ballots_issued, rep.ballots_returned) == (20, 8)
    overall = mr.rate(rep, "satisfaction.overall")
    # overall: A 3 + B 2 = 5 / 8 returned = 62.50 % < 80 %
    assert (overall.numerator, overall.denominator, overall.value, overall.met) == (5, 8, 62.5, False)
    cleaning = mr.rate(rep, "satisfaction.cleaning")
    # cleaning: A 4 + B 3 = 7 / 8 = 87.50 % ≥ 80 %
    assert (cleaning.numerator, cleaning.denominator, cleaning.value, cleaning.met) == (7, 8, 87.5, True)
    assert len(rep.satisfaction) == 14


def test_an_area_no_ballot_graded_is_shown_not_graded_apart_from_a_graded_zero():  # R-RV-3
    ballots = [{SurveyArea.OVERALL: A, SurveyArea.PARKING: C}, {SurveyArea.OVERALL: B, SurveyArea.PARKING: C},
               {SurveyArea.OVERALL: A}]
    rep = report(survey=survey(ballots, issued=10), satisfaction_target_percent=80.0)
    parking, clubhouse = mr.rate(rep, "satisfaction.parking"), mr.rate(rep, "satisfaction.clubhouse")
    # Parking graded C twice: 0 / 3 returned = 0.00 %, a measured failure against the target.
    assert (parking.numerator, parking.denominator, parking.value, parking.met, parking.graded) == (0, 3, 0.0, False, 2)
    # Nobody graded the clubhouse: not graded, no value and no verdict, though 3 ballots came back.
    assert (clubhouse.numerator, clubhouse.denominator, clubhouse.value, clubhouse.met) == (0, 3, None, None)
    assert clubhouse.graded == 0 and mr.not_graded(clubhouse) and not mr.not_graded(parking)
    assert mr.satisfaction_text(clubhouse, "zh") == "未评" and mr.satisfaction_text(clubhouse, "en") == "not graded"
    assert mr.satisfaction_text(parking, "zh") == "0.00%"
    # Graded areas keep R-RV-3's formula, divided by every ballot returned.
    overall = mr.rate(rep, "satisfaction.overall")
    assert (overall.numerator, overall.denominator, overall.value, overall.graded) == (3, 3, 100.0, 3)
    # The definition printed beside the rates says how a blank area is shown.
    assert "未评" in clubhouse.definition_zh and "not graded" in clubhouse.definition_en
    # Rates other than satisfaction carry no graded count.
    assert all(r.graded is None for r in rep.rates)


def test_a_report_frozen_before_not_graded_existed_still_shows_its_figures():  # R-RV-3
    # A signed report keeps the figures it was signed with (D103): one stored before the graded count
    # decodes with none, and its area is shown as it was then, never re-read as not graded.
    stored = msgspec.json.encode(report(survey=survey([{SurveyArea.OVERALL: A}], issued=2)))
    old = msgspec.json.decode(stored.replace(b',"graded":0', b"").replace(b',"graded":1', b""), type=mr.MonthlyReport)
    parking = mr.rate(old, "satisfaction.parking")
    assert parking.graded is None and not mr.not_graded(parking)


@pytest.mark.parametrize("the_survey", [None, survey([], issued=30)], ids=["no survey", "no ballot returned"])
def test_month_with_no_returned_ballots_has_undefined_satisfaction(the_survey):  # R-RV-3
    rep = report(survey=the_survey, satisfaction_target_percent=80.0)
    assert rep.ballots_returned == 0
    assert rep.ballots_issued == (30 if the_survey else 0)
    for r in rep.satisfaction:
        assert (r.numerator, r.denominator, r.value, r.met) == (0, 0, None, None)
        assert mr.percent_text(r.value) == "—"


def test_empty_month_has_undefined_rates_not_zero_or_hundred():  # R-RV-5
    rep = mr.build_monthly_report([], year=2026, month=11, tz=CST, as_of=AFTER_MONTH)
    for r in rep.rates:
        assert (r.value, r.met) == (None, None)
    assert rep.overdue == () and rep.special_service_revenue_cents == 0
    assert not mr.quality_poor(rep)


@pytest.mark.parametrize(
    ("value", "text"), [(None, "—"), (0.0, "0.00%"), (98.0, "98.00%"), (66.67, "66.67%")]
)
def test_percent_text(value, text):  # R-RV-3
    assert mr.percent_text(value) == text


def test_report_round_trips_through_json():
    rep = report(survey=survey(EIGHT_BALLOTS, issued=20))
    assert msgspec.json.decode(msgspec.json.encode(rep), type=mr.MonthlyReport) == rep


# --- workflow --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "month", "due"),
    [
        (2026, 11, date(2026, 11, 30)),
        (2027, 2, date(2027, 2, 28)),
        (2028, 2, date(2028, 2, 29)),
        (2026, 12, date(2026, 12, 30)),
    ],
)
def test_report_is_due_on_the_30th_or_the_last_day_of_february(year, month, due):  # R-RV-5
    assert mr.report_due_on(year, month) == due


def test_dispatcher_submits_and_manager_comments_and_signs():  # R-RV-4
    rep = mr.submit_report(report(), by_role=Role.DISPATCHER, by_id="disp-1", now=at(11, 30, 17))
    assert (rep.status, rep.submitted_by, rep.submitted_late) == (mr.ReportStatus.SUBMITTED, "disp-1", False)
    signed = mr.sign_report(
        rep, by_role=Role.MANAGER, by_id="mgr-1", comment="跟进及时,返修偏高", now=at(12, 1, 9)
    )
    assert (signed.status, signed.signed_by, signed.manager_comment) == (
        mr.ReportStatus.SIGNED,
        "mgr-1",
        "跟进及时,返修偏高",
    )


def test_submission_after_the_30th_is_marked_late():  # R-RV-5
    rep = report()
    assert mr.report_overdue(rep, date(2026, 12, 1)) and not mr.report_overdue(rep, date(2026, 11, 30))
    late = mr.submit_report(rep, by_role=Role.DISPATCHER, by_id="d", now=at(12, 1, 9))
    assert late.submitted_late
    # 00:30 on 1 December in the compound is still 30 November in UTC: late all the same.
    just_late = mr.submit_report(rep, by_role=Role.DISPATCHER, by_id="d", now=at(12, 1, 0, 30).astimezone(UTC))
    assert just_late.submitted_late
    on_time = mr.submit_report(rep, by_role=Role.DISPATCHER, by_id="d", now=at(11, 30, 23, 59).astimezone(UTC))
    assert not on_time.submitted_late


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.MANAGER, Role.CASHIER, Role.GUARD])
def test_only_the_dispatcher_or_front_desk_fills_the_summary(role):  # R-RV-4
    with pytest.raises(DomainError) as e:
        mr.submit_report(report(), by_role=role, by_id="x", now=at(11, 30))
    assert e.value.refusal.code == R.NOT_A_FILLER


def test_manager_signature_needs_a_submitted_report_and_a_comment():  # R-RV-4
    draft = report()
    with pytest.raises(DomainError) as e:
        mr.sign_report(draft, by_role=Role.MANAGER, by_id="m", comment="ok", now=at(12, 1))
    assert e.value.refusal.code == R.WRONG_STATUS
    submitted = mr.submit_report(draft, by_role=Role.FRONT_DESK, by_id="d", now=at(11, 30))
    with pytest.raises(DomainError) as e:
        mr.sign_report(submitted, by_role=Role.MANAGER, by_id="m", comment="  ", now=at(12, 1))
    assert e.value.refusal.code == R.COMMENT_REQUIRED
    with pytest.raises(DomainError) as e:
        mr.sign_report(submitted, by_role=Role.DISPATCHER, by_id="d", comment="ok", now=at(12, 1))
    assert e.value.refusal.code == R.NOT_MANAGER


def weekly(poor: bool, findings: str = "", role: Role = Role.MANAGER, week: date = date(2026, 11, 9)):
    return mr.record_weekly_check(
        week_start=week,
        cases_checked=12,
        poor_quality=poor,
        findings=findings,
        by_role=role,
        by_id="mgr-1",
        now=at(11, 13, 17),
    )


CONTENT = mr.CapaContent(problem="两单未按时回访", cause="回访无人跟进", corrective_action="补做回访",
                         preventive_action="列入交接班检查", owner_id="usr_dispatcher", due_on=date(2026, 11, 20))


def test_poor_weekly_check_requires_a_corrective_and_preventive_action_report():  # R-RV-4
    good = weekly(False)
    assert not good.capa_required
    with pytest.raises(DomainError) as e:
        mr.file_capa(good, report_no="CAPA-1", content=CONTENT, today=date(2026, 11, 13), by_role=Role.MANAGER, by_id="mgr-1", now=at(11, 13, 18))
    assert e.value.refusal.code == R.NO_CAPA_NEEDED
    with pytest.raises(DomainError) as e:
        weekly(True)
    assert e.value.refusal.code == R.FINDINGS_REQUIRED
    poor = weekly(True, "两单未按时回访")
    assert poor.capa_required and mr.open_capas([good, poor]) == [poor]
    filed = mr.file_capa(poor, report_no="CAPA-2026-11", content=CONTENT, today=date(2026, 11, 13), by_role=Role.MANAGER, by_id="mgr-1", now=at(11, 13, 18))
    assert mr.open_capas([good, filed]) == []


def test_weekly_check_needs_an_explicit_verdict():  # R-RV-4
    # D59: a week nobody judged must not be recorded as good, whatever a client leaves out.
    with pytest.raises(DomainError) as e:
        weekly(None)  # type: ignore[arg-type]
    r = e.value.refusal
    assert (r.code, r.kind, r.details["missing"]) == (R.VERDICT_REQUIRED, "invalid", ["verdict"])
    assert "合格" in r.zh and "good or poor" in r.en


def test_weekly_check_is_the_managers_and_missing_weeks_show():  # R-RV-4
    with pytest.raises(DomainError) as e:
        weekly(False, role=Role.DISPATCHER)
    assert e.value.refusal.code == R.NOT_MANAGER
    # November 2026 Mondays: 2, 9, 16, 23, 30; checked 9 and 23
    checks = [weekly(False, week=date(2026, 11, 9)), weekly(False, week=date(2026, 11, 23))]
    assert mr.weeks_unchecked(checks, 2026, 11) == [date(2026, 11, 2), date(2026, 11, 16), date(2026, 11, 30)]


def test_a_week_is_named_by_its_monday_and_checked_once():  # R-RV-4
    wednesday = weekly(False, week=date(2026, 11, 11))
    assert wednesday.week_start == date(2026, 11, 9)
    with pytest.raises(DomainError) as e:
        mr.record_weekly_check(week_start=date(2026, 11, 13), cases_checked=3, poor_quality=False, findings="",
                               by_role=Role.MANAGER, by_id="mgr-1", now=at(11, 13, 17),
                               checked_weeks={date(2026, 11, 9)})
    assert e.value.refusal.code == R.WEEK_ALREADY_CHECKED
    assert e.value.refusal.details["week_start"] == "2026-11-09"


def test_capa_is_filed_once_by_the_manager_with_a_report_number():  # R-RV-4
    poor = weekly(True, "回访记录缺失")
    for role, code in ((Role.DISPATCHER, R.NOT_MANAGER), (Role.GENERAL_MANAGER, R.NOT_MANAGER)):
        with pytest.raises(DomainError) as e:
            mr.file_capa(poor, report_no="CAPA-7", content=CONTENT, today=date(2026, 11, 13), by_role=role, by_id="x", now=at(11, 14))
        assert e.value.refusal.code == code and e.value.refusal.kind == "forbidden"
    with pytest.raises(DomainError) as e:
        mr.file_capa(poor, report_no="   ", content=CONTENT, today=date(2026, 11, 13), by_role=Role.MANAGER, by_id="mgr-1", now=at(11, 14))
    assert e.value.refusal.code == R.CAPA_REPORT_NO_REQUIRED
    filed = mr.file_capa(poor, report_no=" CAPA-7 ", content=CONTENT, today=date(2026, 11, 13), by_role=Role.MANAGER, by_id="mgr-1", now=at(11, 14))
    assert (filed.capa_report_no, filed.capa_filed_by, filed.capa_filed_at) == ("CAPA-7", "mgr-1", at(11, 14))
    with pytest.raises(DomainError) as e:
        mr.file_capa(filed, report_no="CAPA-8", content=CONTENT, today=date(2026, 11, 13), by_role=Role.MANAGER, by_id="mgr-1", now=at(11, 15))
    assert e.value.refusal.code == R.CAPA_ALREADY_FILED


def test_a_feedback_date_promised_past_15_days_does_not_extend_the_complaint_limit():  # R-FU-9 R-RV-5
    from server.domain import cases as c
    from server.domain.cases import Kind
    from server.domain.deadlines import DeadlinePolicy
    from server.services.reports import case_row
    from tests.unit.test_cases import CAL, T0, ok, opened

    case = opened(Kind.COMPLAINT)
    # A promise made before the desk refused such dates (or under a longer configured limit).
    case = ok(c.set_feedback_date(case, promised=CAL.local(T0 + timedelta(days=35)).date(), calendar=CAL,
                                  by="d1", now=T0)).case
    row = case_row(case, calendar=CAL, policy=DeadlinePolicy(), now=T0 + timedelta(days=25), names={},
                   call_backs=(), booking=None)
    assert row.deadline_at == case.received_at + timedelta(days=15)


def test_a_weekly_check_looks_at_at_least_one_case():  # R-RV-4
    # "抽查单数 0" with a verdict judged a week on nothing (D117).
    with pytest.raises(DomainError) as e:
        mr.record_weekly_check(week_start=date(2026, 11, 9), cases_checked=0, poor_quality=True, findings="x",
                               by_role=Role.MANAGER, by_id="mgr-1", now=at(11, 13, 17))
    assert (e.value.refusal.code, e.value.refusal.details["missing"]) == (R.NO_CASES_CHECKED, ["cases_checked"])


def test_a_capa_report_is_complete_and_the_general_manager_signs_it_off_or_returns_it():  # R-RV-4
    poor = weekly(True, "回访记录缺失")
    with pytest.raises(DomainError) as e:
        mr.file_capa(poor, report_no="C-1", content=mr.CapaContent(problem="x"), today=date(2026, 11, 13),
                     by_role=Role.MANAGER, by_id="mgr-1", now=at(11, 14))
    assert e.value.refusal.details["missing"] == ["cause", "corrective_action", "preventive_action", "owner_id", "due_on"]
    filed = mr.file_capa(poor, report_no="C-1", content=CONTENT, today=date(2026, 11, 13),
                         by_role=Role.MANAGER, by_id="mgr-1", now=at(11, 14))
    assert filed.capa_status is mr.CapaStatus.SUBMITTED and mr.open_capas([filed]) == []
    with pytest.raises(DomainError) as e:
        mr.decide_capa(filed, accept=True, reason="", by_role=Role.MANAGER, by_id="mgr-1", now=at(11, 15))
    assert e.value.refusal.code == R.NOT_GENERAL_MANAGER
    back = mr.decide_capa(filed, accept=False, reason="措施不具体", by_role=Role.GENERAL_MANAGER, by_id="gm", now=at(11, 15))
    assert back.capa_status is mr.CapaStatus.RETURNED and mr.open_capas([back]) == [back]
    again = mr.file_capa(back, report_no="C-1", content=CONTENT, today=date(2026, 11, 15),
                         by_role=Role.MANAGER, by_id="mgr-1", now=at(11, 16))
    ok = mr.decide_capa(again, accept=True, reason="", by_role=Role.GENERAL_MANAGER, by_id="gm", now=at(11, 17))
    assert [e.action for e in ok.capa_history] == ["submitted", "returned", "submitted", "accepted"]


def test_a_complaint_left_unopened_at_intake_is_neither_due_nor_late():  # R-OP-2 R-RV-5
    # Explained at intake and accepted by the complainant (R-OP-2 F): nothing was left to handle, so no
    # 15-day limit ran. It was counted due and never closed, i.e. late, in the month of its 15th day.
    rows = [complaint("C10", at(10, 25, 10), channel="phone", not_opened=True),
            complaint("C11", at(10, 25, 11), channel="phone", closed_at=at(11, 2, 10))]
    rep = mr.build_monthly_report(rows, year=2026, month=11, tz=CST, as_of=AFTER_MONTH)
    t = mr.rate(rep, "timely_handling")
    assert (t.numerator, t.denominator) == (1, 1)
    assert [o.case_no for o in rep.overdue] == []
