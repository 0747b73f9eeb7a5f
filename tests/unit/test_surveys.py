"""Return visits and surveys: call-back clocks, C grades reopening cases, satisfaction arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from server.domain import surveys as sv
from server.domain.errors import DomainError
from server.domain.roles import EXECUTORS, Role
from server.domain.surveys import Ballot, Grade, SurveyArea

CST = timezone(timedelta(hours=8))
DONE = datetime(2026, 11, 5, 10, 0, tzinfo=CST)
R = sv.SurveyRefusal
A, B, C = Grade.A, Grade.B, Grade.C
WORK = sv.work_areas("repair", "small")  # what grades a repair's work: building repair, equipment


def task() -> sv.CallBackTask:
    return sv.open_call_back(
        id="cb-1",
        subject=sv.CallBackSubject.REPAIR,
        subject_id="case-9",
        completed_at=DONE,
        staff_ids=["tech-7"],
    )


def test_survey_asks_about_the_fourteen_areas_in_order():  # R-RV-2
    assert [a.value for a in SurveyArea] == [
        "complaint_handling",
        "equipment",
        "building_repair",
        "security",
        "fire_safety",
        "cleaning",
        "greening",
        "parking",
        "clubhouse",
        "staff_efficiency",
        "staff_attitude",
        "manager_courtesy",
        "overall",
        "other",
    ]
    assert set(sv.AREA_LABELS) == set(SurveyArea)


def test_grades_are_a_b_c_and_only_a_and_b_count_as_satisfied():  # R-RV-3
    assert [g.value for g in Grade] == ["A", "B", "C"]
    assert frozenset({A, B}) == sv.SATISFIED


@pytest.mark.parametrize(
    ("returned_after", "due_after", "late"),
    [
        (None, timedelta(hours=24 + 72), True),  # still not back at 40 h: late; the latest date stands
        (timedelta(hours=5), timedelta(hours=5 + 72), False),  # back after 5 h → call back by 77 h
        (timedelta(hours=24), timedelta(hours=96), False),  # back on the limit
        (timedelta(hours=30), timedelta(hours=96), True),  # back late: no extra time for the call-back
    ],
)
def test_call_back_due_72h_after_the_slip_is_back_within_24h(returned_after, due_after, late):  # R-FU-6
    t = task()
    assert t.slip_due_at == DONE + timedelta(hours=24)
    if returned_after is not None:
        t = sv.record_slip_returned(t, at=DONE + returned_after)
    assert t.due_at == DONE + due_after
    assert sv.slip_late(t, DONE + timedelta(hours=40)) is late


def test_call_back_overdue_only_after_due_and_while_not_done():  # R-FU-6
    t = task()
    assert not sv.call_back_overdue(t, t.due_at)
    assert sv.call_back_overdue(t, t.due_at + timedelta(seconds=1))
    done = sv.record_call_back(
        t,
        by_role=Role.MANAGER,
        by_id="m",
        grades={SurveyArea.OVERALL: A},
        comment="",
        now=t.due_at + timedelta(hours=1),
        work_areas=WORK,
    )
    assert not sv.call_back_overdue(done, t.due_at + timedelta(days=3))


def test_slip_cannot_come_back_twice_or_before_completion():  # R-FU-6
    t = sv.record_slip_returned(task(), at=DONE + timedelta(hours=1))
    with pytest.raises(DomainError) as e:
        sv.record_slip_returned(t, at=DONE + timedelta(hours=2))
    assert e.value.refusal.code == R.SLIP_ALREADY_RETURNED
    with pytest.raises(DomainError) as e:
        sv.record_slip_returned(task(), at=DONE - timedelta(minutes=1))
    assert e.value.refusal.code == R.BEFORE_COMPLETION


@pytest.mark.parametrize("role", sorted(EXECUTORS | {Role.RESIDENT, Role.CASHIER}))
def test_executors_and_residents_cannot_record_a_call_back(role):  # R-RV-1
    with pytest.raises(DomainError) as e:
        sv.record_call_back(
            task(), by_role=role, by_id="x", grades={SurveyArea.OVERALL: A}, comment="", now=DONE, work_areas=WORK)
    assert e.value.refusal.code == R.NOT_ALLOWED_TO_CALL_BACK and e.value.refusal.kind == "forbidden"


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.FRONT_DESK, Role.TEAM_LEAD, Role.MANAGER])
def test_dispatcher_supervisor_and_manager_record_call_backs(role):  # R-RV-1
    t = sv.record_call_back(
        task(), by_role=role, by_id="x", grades={SurveyArea.OVERALL: A}, comment="", now=DONE, work_areas=WORK)
    assert t.called_back_at == DONE


def test_call_back_needs_grades_and_happens_once():  # R-RV-3
    with pytest.raises(DomainError) as e:
        sv.record_call_back(task(), by_role=Role.DISPATCHER, by_id="d", grades={}, comment="", now=DONE, work_areas=WORK)
    assert e.value.refusal.code == R.NO_GRADES
    once = sv.record_call_back(
        task(), by_role=Role.DISPATCHER, by_id="d", grades={SurveyArea.OVERALL: A}, comment="", now=DONE, work_areas=WORK)
    with pytest.raises(DomainError) as e:
        sv.record_call_back(
            once, by_role=Role.DISPATCHER, by_id="d", grades={SurveyArea.OVERALL: C}, comment="", now=DONE, work_areas=WORK)
    assert e.value.refusal.code == R.ALREADY_CALLED_BACK


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.MANAGER])
def test_only_the_manager_runs_a_periodic_survey(role):  # R-RV-1
    with pytest.raises(DomainError) as e:
        sv.open_survey(id="s", title="t", issued=10, by_role=role, by_id="x", now=DONE)
    assert e.value.refusal.code == R.NOT_ALLOWED_TO_SURVEY


def survey_with(ballots: list[dict[SurveyArea, Grade]], issued: int = 20) -> sv.PeriodicSurvey:
    s = sv.open_survey(
        id="s-2026q4", title="2026 Q4", issued=issued, by_role=Role.MANAGER, by_id="m", now=DONE
    )
    for grades in ballots:
        s = sv.record_ballot(s, Ballot(grades=grades))
    return s


OV, CL = SurveyArea.OVERALL, SurveyArea.CLEANING
EIGHT_BALLOTS = [
    {OV: A, CL: A},
    {OV: A, CL: A},
    {OV: A, CL: A},
    {OV: B, CL: A},
    {OV: B, CL: B},
    {OV: C, CL: B},
    {OV: C, CL: B},
    {CL: C},  # the last ballot left "overall" blank
]


def test_item_and_overall_satisfaction_rates_hand_computed():  # R-RV-3
    s = survey_with(EIGHT_BALLOTS)
    assert (s.issued, sv.returned(s)) == (20, 8)
    overall = sv.overall_satisfaction(s)
    # overall: A 3 + B 2 = 5 of 8 returned (the blank counts in the denominator) → 62.50 %
    assert (overall.a, overall.b, overall.c, overall.returned, overall.value) == (3, 2, 2, 8, 62.5)
    cleaning = sv.area_satisfaction(s, CL)
    # cleaning: A 4 + B 3 = 7 of 8 → 87.50 %
    assert (cleaning.a, cleaning.b, cleaning.c, cleaning.value) == (4, 3, 1, 87.5)
    # parking was on no ballot: not graded, no rate (not 0.00 %, which would read as all unsatisfied)
    assert sv.area_satisfaction(s, SurveyArea.PARKING).value is None
    assert len(sv.satisfaction_by_area(s)) == 14


def test_no_returned_ballots_leaves_every_rate_undefined():  # R-RV-3
    s = survey_with([], issued=30)
    assert (s.issued, sv.returned(s)) == (30, 0)
    for tally in sv.satisfaction_by_area(s):
        assert tally.returned == 0 and tally.value is None


def test_more_ballots_than_issued_is_refused():  # R-RV-3
    s = survey_with([{OV: A}], issued=1)
    with pytest.raises(DomainError) as e:
        sv.record_ballot(s, Ballot(grades={OV: A}))
    assert e.value.refusal.code == R.BALLOTS_EXCEED_ISSUED
    with pytest.raises(DomainError) as e:
        sv.record_ballot(survey_with([]), Ballot(grades={}))
    assert e.value.refusal.code == R.EMPTY_BALLOT


@pytest.mark.parametrize(
    ("num", "den", "value"),
    [(0, 0, None), (5, 0, None), (0, 4, 0.0), (4, 4, 100.0), (1, 3, 33.33), (2, 3, 66.67), (49, 50, 98.0)],
)
def test_percent_of_is_undefined_for_an_empty_denominator(num, den, value):  # R-RV-3
    assert sv.percent_of(num, den) == value


def test_grades_feed_each_staff_members_review():  # R-SS-5
    t1 = sv.record_call_back(
        task(), by_role=Role.DISPATCHER, by_id="d", grades={OV: A, CL: B}, comment="", now=DONE, work_areas=WORK)
    t2 = sv.open_call_back(
        id="cb-2",
        subject=sv.CallBackSubject.COMPLAINT,
        subject_id="c2",
        completed_at=DONE,
        staff_ids=["tech-7", "guard-2"],
    )
    t2 = sv.record_call_back(t2, by_role=Role.DISPATCHER, by_id="d", grades={OV: C}, comment="没修好", now=DONE, work_areas=WORK)
    tally = sv.grades_by_staff([t1, t2])
    assert (tally["tech-7"].a, tally["tech-7"].b, tally["tech-7"].c) == (1, 1, 1)
    assert (tally["guard-2"].a, tally["guard-2"].b, tally["guard-2"].c) == (0, 0, 1)


def test_survey_round_trips_through_json():
    s = survey_with(EIGHT_BALLOTS)
    assert msgspec.json.decode(msgspec.json.encode(s), type=sv.PeriodicSurvey) == s


def test_a_call_back_asks_first_about_the_area_the_case_was_about():  # R-RV-2 R-FU-6
    from server.domain.surveys import SurveyArea, call_back_area

    assert call_back_area("repair", "small") is SurveyArea.BUILDING_REPAIR  # 房屋维修保养, not 综合评议
    assert call_back_area("repair", None) is SurveyArea.BUILDING_REPAIR
    assert call_back_area("complaint", "cleaning") is SurveyArea.COMPLAINT_HANDLING  # R-RV-1: how it was handled
    assert call_back_area("special_service", "home_cleaning") is SurveyArea.CLEANING
    assert call_back_area("special_service", "home_repair") is SurveyArea.BUILDING_REPAIR
    assert call_back_area("special_service", "laundry") is SurveyArea.OVERALL  # no single area fits
    assert call_back_area("help", "crime") is SurveyArea.SECURITY
    assert call_back_area("help", "disaster") is SurveyArea.FIRE_SAFETY
    assert call_back_area("daily_affair", None) is SurveyArea.OVERALL


@pytest.mark.parametrize("comment", ["", "   ", "\n"])
def test_an_unsatisfied_grade_needs_the_residents_comment(comment):  # R-RV-3 R-FU-6
    # A C sends the case back for review: the manager needs to know what the resident was unhappy about.
    with pytest.raises(DomainError) as e:
        sv.record_call_back(task(), by_role=Role.DISPATCHER, by_id="d", grades={SurveyArea.OVERALL: C},
                            comment=comment, now=DONE, work_areas=WORK)
    assert e.value.refusal.code == R.UNSATISFIED_NEEDS_COMMENT and e.value.refusal.kind == "invalid"
    assert e.value.refusal.details["missing"] == ["comment"]
    t = sv.record_call_back(task(), by_role=Role.DISPATCHER, by_id="d", grades={SurveyArea.OVERALL: C},
                            comment=" 维修后仍漏水 ", now=DONE, work_areas=WORK)
    assert t.comment == "维修后仍漏水" and sv.needs_review(t)


def test_the_areas_that_grade_the_work_itself():  # R-RV-2 D133
    S = SurveyArea
    assert sv.work_areas("repair", "small") == {S.BUILDING_REPAIR, S.EQUIPMENT}
    assert sv.work_areas("repair", None) == {S.BUILDING_REPAIR, S.EQUIPMENT}
    assert sv.work_areas("special_service", "home_repair") == {S.BUILDING_REPAIR, S.EQUIPMENT}
    assert sv.work_areas("help", "repair") == {S.BUILDING_REPAIR, S.EQUIPMENT}
    # A complaint: how it was handled, and the area it was about where one fits.
    assert sv.work_areas("complaint", "cleaning") == {S.COMPLAINT_HANDLING, S.CLEANING}
    assert sv.work_areas("complaint", "staff_attitude") == {S.COMPLAINT_HANDLING, S.STAFF_ATTITUDE}
    assert sv.work_areas("complaint", "engineering_repair") == {S.COMPLAINT_HANDLING, S.BUILDING_REPAIR, S.EQUIPMENT}
    assert sv.work_areas("complaint", "decoration") == {S.COMPLAINT_HANDLING}
    assert sv.work_areas("special_service", "home_cleaning") == {S.CLEANING}
    assert sv.work_areas("special_service", "laundry") == {S.OVERALL}  # graded overall: no single area fits


@pytest.mark.parametrize(
    ("grades", "reopen", "review"),
    [
        ({SurveyArea.BUILDING_REPAIR: A, SurveyArea.OVERALL: B}, False, False),
        # 师傅态度不好，但修得很好: the manager reviews the attitude, the repair is not redone.
        ({SurveyArea.BUILDING_REPAIR: A, SurveyArea.STAFF_ATTITUDE: C}, False, True),
        ({SurveyArea.OVERALL: C}, False, True),
        ({SurveyArea.BUILDING_REPAIR: C, SurveyArea.OVERALL: B}, True, True),
        ({SurveyArea.EQUIPMENT: C}, True, True),
    ],
)
def test_only_a_c_on_the_work_itself_reopens_it_as_rework(grades, reopen, review):  # R-RV-2 R-FU-10
    t = sv.record_call_back(task(), by_role=Role.DISPATCHER, by_id="d", grades=grades, comment="意见",
                            now=DONE, work_areas=sv.work_areas("repair", "small"))
    assert t.reopen_for_review is reopen and sv.counts_as_rework(t) is reopen
    assert sv.needs_review(t) is review
    assert t.called_back_by == "d" and t.grades == grades


# --- the desk's survey page (D139) ------------------------------------------------------

PK = SurveyArea.PARKING


def test_an_area_no_returned_ballot_graded_is_not_graded_not_zero_percent():  # R-RV-3
    s = survey_with([{OV: A, CL: C}, {OV: B, CL: C}, {OV: A}])
    parking = sv.area_satisfaction(s, PK)
    # Asked on three ballots, graded on none: there is no rate to give, and 0.00 % would read as
    # three unsatisfied residents.
    assert (parking.a, parking.b, parking.c, parking.graded, parking.returned) == (0, 0, 0, 0, 3)
    assert parking.value is None and sv.not_graded(parking)
    cleaning = sv.area_satisfaction(s, CL)
    # Graded C twice: a real 0 %, on R-RV-3's denominator (every ballot returned, the blank one too).
    assert (cleaning.a + cleaning.b, cleaning.graded, cleaning.returned, cleaning.value) == (0, 2, 3, 0.0)
    assert not sv.not_graded(cleaning)
    # No ballot back at all is "—", neither a rate nor "not graded".
    empty = sv.area_satisfaction(survey_with([]), PK)
    assert empty.value is None and not sv.not_graded(empty)


def test_a_survey_is_opened_for_the_month_whose_report_counts_it():  # R-RV-1 R-RV-3
    s = sv.open_survey(id="s", title="t", issued=5, period="2026-10", by_role=Role.MANAGER, by_id="m", now=DONE)
    assert s.period == "2026-10" and sv.survey_period(s, CST) == "2026-10"
    # A survey opened before it named a month is counted in the month it was opened in (the zone's).
    legacy = msgspec.structs.replace(s, period="", opened_at=datetime(2026, 10, 31, 17, 0, tzinfo=UTC))
    assert sv.survey_period(legacy, CST) == "2026-11"
    for bad in ("2026-13", "2026-00", "26-11", "2026/11", "1999-12", "2026-1", " 2026-11"):
        with pytest.raises(DomainError) as e:
            sv.open_survey(id="s", title="t", issued=5, period=bad, by_role=Role.MANAGER, by_id="m", now=DONE)
        assert e.value.refusal.code == R.INVALID_PERIOD and e.value.refusal.kind == "invalid"


def test_a_closed_survey_takes_no_more_ballots_and_closes_once():  # R-RV-1 R-RV-3
    s = survey_with([{OV: A}], issued=10)
    with pytest.raises(DomainError) as e:
        sv.close_survey(s, by_role=Role.DISPATCHER, by_id="d", now=DONE)
    assert e.value.refusal.code == R.NOT_ALLOWED_TO_SURVEY and e.value.refusal.kind == "forbidden"
    closed = sv.close_survey(s, by_role=Role.MANAGER, by_id="m", now=DONE + timedelta(days=3))
    assert (closed.closed_at, closed.closed_by) == (DONE + timedelta(days=3), "m")
    with pytest.raises(DomainError) as e:
        sv.record_ballot(closed, Ballot(grades={OV: B}))
    assert e.value.refusal.code == R.SURVEY_CLOSED
    with pytest.raises(DomainError) as e:
        sv.close_survey(closed, by_role=Role.MANAGER, by_id="m", now=DONE)
    assert e.value.refusal.code == R.ALREADY_CLOSED


def test_a_ballot_entered_twice_by_its_id_is_recorded_once():  # R-RV-3
    s = survey_with([], issued=2)
    ballot = Ballot(id="b-1", grades={OV: A}, unit="1栋-101", comment="很好")
    once = sv.record_ballot(s, ballot)
    # The desk retried a post whose answer it lost: the same ballot, not a second one.
    assert sv.record_ballot(once, ballot) == once and sv.returned(once) == 1
    assert once.ballots[0].unit == "1栋-101"


def test_a_ballot_entered_by_mistake_is_withdrawn_while_the_survey_is_open():  # R-RV-3
    s = survey_with([], issued=3)
    s = sv.record_ballot(s, Ballot(id="b-1", grades={OV: A}))
    s = sv.record_ballot(s, Ballot(id="b-2", grades={OV: C}))
    after = sv.withdraw_ballot(s, "b-2")
    assert [b.id for b in after.ballots] == ["b-1"] and sv.overall_satisfaction(after).value == 100.0
    with pytest.raises(DomainError) as e:
        sv.withdraw_ballot(after, "b-2")
    assert e.value.refusal.code == R.BALLOT_NOT_FOUND and e.value.refusal.kind == "not_found"
    closed = sv.close_survey(after, by_role=Role.MANAGER, by_id="m", now=DONE)
    with pytest.raises(DomainError) as e:
        sv.withdraw_ballot(closed, "b-1")
    assert e.value.refusal.code == R.SURVEY_CLOSED
