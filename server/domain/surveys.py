"""Return visits and satisfaction surveys: call-backs after a job, periodic ballots, satisfaction rates.

Rules: R-RV-1 (who visits), R-RV-2 (survey areas), R-RV-3 (grades and rates), R-FU-6 (slip back
within 24 h, call-back within 72 h after that), R-SS-5 (results feed staff reviews).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

import msgspec

from server.domain.errors import DomainError, Refusal, fail, refuse
from server.domain.roles import DESK, Role

SLIP_RETURN_LIMIT = timedelta(hours=24)  # R-FU-6: the work order is back at the desk within 24 h
CALL_BACK_LIMIT = timedelta(hours=72)  # R-FU-6: the call-back happens within 72 h of that

# Executors would be grading their own work and residents are the ones asked, so neither may
# record a call-back; the team lead samples his own services (R-RV-1).
CALL_BACK_ROLES = DESK | {Role.TEAM_LEAD}
SURVEY_ROLES = frozenset({Role.MANAGER})  # the manager runs the periodic full survey (R-RV-1)


class SurveyRefusal(StrEnum):
    NOT_ALLOWED_TO_CALL_BACK = "survey.not_allowed_to_call_back"
    NOT_ALLOWED_TO_SURVEY = "survey.not_allowed_to_survey"
    ALREADY_CALLED_BACK = "survey.already_called_back"
    NO_GRADES = "survey.no_grades"
    SLIP_ALREADY_RETURNED = "survey.slip_already_returned"
    BEFORE_COMPLETION = "survey.before_completion"
    BALLOTS_EXCEED_ISSUED = "survey.ballots_exceed_issued"
    INVALID_ISSUED = "survey.invalid_issued"
    EMPTY_BALLOT = "survey.empty_ballot"
    UNSATISFIED_NEEDS_COMMENT = "survey.unsatisfied_needs_comment"
    INVALID_PERIOD = "survey.invalid_period"
    SURVEY_CLOSED = "survey.closed"
    ALREADY_CLOSED = "survey.already_closed"
    BALLOT_NOT_FOUND = "survey.ballot_not_found"
    PERIOD_SIGNED = "survey.period_signed"
    PERIOD_HANDED_IN = "survey.period_handed_in"


class SurveyArea(StrEnum):
    """The fourteen areas a survey asks about (R-RV-2), in the seed's order."""

    COMPLAINT_HANDLING = "complaint_handling"
    EQUIPMENT = "equipment"
    BUILDING_REPAIR = "building_repair"
    SECURITY = "security"
    FIRE_SAFETY = "fire_safety"
    CLEANING = "cleaning"
    GREENING = "greening"
    PARKING = "parking"
    CLUBHOUSE = "clubhouse"
    STAFF_EFFICIENCY = "staff_efficiency"
    STAFF_ATTITUDE = "staff_attitude"
    MANAGER_COURTESY = "manager_courtesy"
    OVERALL = "overall"
    OTHER = "other"


AREA_LABELS: dict[SurveyArea, tuple[str, str]] = {
    SurveyArea.COMPLAINT_HANDLING: ("服务与投诉处理", "Service and complaint handling"),
    SurveyArea.EQUIPMENT: ("设备管理", "Equipment"),
    SurveyArea.BUILDING_REPAIR: ("房屋维修保养", "Building repair and upkeep"),
    SurveyArea.SECURITY: ("安全保卫", "Security"),
    SurveyArea.FIRE_SAFETY: ("消防防灾", "Fire safety and disaster prevention"),
    SurveyArea.CLEANING: ("清洁卫生", "Cleaning"),
    SurveyArea.GREENING: ("绿化与环境", "Greening and environment"),
    SurveyArea.PARKING: ("停车场管理", "Parking"),
    SurveyArea.CLUBHOUSE: ("会所及娱乐设施", "Clubhouse and amenities"),
    SurveyArea.STAFF_EFFICIENCY: ("员工工作效率", "Staff efficiency"),
    SurveyArea.STAFF_ATTITUDE: ("员工服务态度", "Staff attitude"),
    SurveyArea.MANAGER_COURTESY: ("管理人员文明程度与应变能力", "Managers' courtesy and adaptability"),
    SurveyArea.OVERALL: ("综合评议", "Overall"),
    SurveyArea.OTHER: ("其他", "Other"),
}


# The area a call-back asks about first, from what the case was (R-RV-2, D100). Keys are the case's
# kind and, where it decides, its category (the values of cases.Kind, PaidService and HelpKind; this
# module cannot import cases, which imports it). The caller may still pick another area.
_AREA_BY_KIND: dict[str, SurveyArea] = {
    # R-RV-1: the dispatcher's call-back on a complaint asks how it was handled, whatever it was about.
    "complaint": SurveyArea.COMPLAINT_HANDLING,
    "repair": SurveyArea.BUILDING_REPAIR,
}
_AREA_BY_CATEGORY: dict[tuple[str, str], SurveyArea] = {
    ("special_service", "home_repair"): SurveyArea.BUILDING_REPAIR,
    ("special_service", "home_cleaning"): SurveyArea.CLEANING,
    ("help", "repair"): SurveyArea.BUILDING_REPAIR,
    ("help", "complaint"): SurveyArea.COMPLAINT_HANDLING,
    ("help", "crime"): SurveyArea.SECURITY,
    ("help", "traffic_accident"): SurveyArea.SECURITY,
    ("help", "disaster"): SurveyArea.FIRE_SAFETY,
}


def call_back_area(kind: str, category: str | None) -> SurveyArea:
    """The survey area a call-back on this case is about (R-RV-2): a repair's is building repair, a
    complaint's its handling; a job no single area fits (laundry, games, an inquiry) is graded overall."""
    if (area := _AREA_BY_KIND.get(str(kind))) is not None:
        return area
    return _AREA_BY_CATEGORY.get((str(kind), str(category)), SurveyArea.OVERALL)


# A repair's work is graded under building repair, and under equipment when the work was on a plant or
# a lift (R-RV-2 lists both): a C on either says the repair must be redone (D133).
_REPAIR_WORK = frozenset({SurveyArea.BUILDING_REPAIR, SurveyArea.EQUIPMENT})
# What a complaint was about (R-IN-3 categories), where one survey area grades it: a C there says the
# problem complained of is still there. Mail, decoration and "other" have no area of their own.
_AREA_OF_COMPLAINT: dict[str, frozenset[SurveyArea]] = {
    "security": frozenset({SurveyArea.SECURITY}),
    "cleaning": frozenset({SurveyArea.CLEANING}),
    "greening": frozenset({SurveyArea.GREENING}),
    "engineering_repair": _REPAIR_WORK,
    "staff_attitude": frozenset({SurveyArea.STAFF_ATTITUDE}),
}


def work_areas(kind: str, category: str | None) -> frozenset[SurveyArea]:
    """The survey areas that grade the work itself on this case (R-RV-2; D133): a C on one of them
    means the work must be redone (返修), so the case is reopened and, for a repair, counted as rework.
    A C on any other area (a technician's attitude on a repair done well) goes to the manager's review
    only. A repair's are building repair and equipment; a complaint's, how it was handled and the area it
    was about; any other job's, the area its call-back asks about (`call_back_area`: cleaning for home
    cleaning, overall for laundry)."""
    area = call_back_area(kind, category)
    if area is SurveyArea.BUILDING_REPAIR:
        return _REPAIR_WORK
    if str(kind) == "complaint":
        return frozenset({area}) | _AREA_OF_COMPLAINT.get(str(category), frozenset())
    return frozenset({area})


class Grade(StrEnum):
    A = "A"  # satisfied
    B = "B"  # fairly satisfied
    C = "C"  # unsatisfied


SATISFIED = frozenset({Grade.A, Grade.B})  # R-RV-3 counts A and B as satisfied


class CallBackSubject(StrEnum):
    COMPLAINT = "complaint"
    REPAIR = "repair"
    SPECIAL_SERVICE = "special_service"


class CallBackTask(msgspec.Struct, frozen=True, kw_only=True):
    """A return visit owed after a job is done (R-FU-6, R-SS-5)."""

    id: str
    subject: CallBackSubject
    subject_id: str
    staff_ids: tuple[str, ...] = ()  # who did the work: the grades feed their reviews (R-SS-5)
    completed_at: datetime
    # Which round of work it asks about: 0 the first, n the work redone after the n-th reopening (R-FU-6).
    completion_round: int = 0
    slip_due_at: datetime
    slip_returned_at: datetime | None = None
    due_at: datetime
    called_back_at: datetime | None = None
    called_back_by: str | None = None
    grades: dict[SurveyArea, Grade] = {}
    comment: str = ""
    # A C on an area that grades the work itself: the case is reopened for the work to be redone, and
    # counts as rework (D133). A C elsewhere only opens the manager's review (`needs_review`).
    reopen_for_review: bool = False


class Ballot(msgspec.Struct, frozen=True, kw_only=True):
    """One returned ballot: a grade per area the resident graded (an area left blank is absent)."""

    grades: dict[SurveyArea, Grade]
    comment: str = ""
    # The desk's own id for the ballot, so a retried post records it once and a mistyped one can be
    # withdrawn. Ballots entered before the desk page existed have none ("").
    id: str = ""
    unit: str = ""  # the resident's unit, when the ballot says it (ballots may be anonymous)
    entered_by: str | None = None
    entered_at: datetime | None = None


class PeriodicSurvey(msgspec.Struct, frozen=True, kw_only=True):
    """A full survey run by the manager: ballots issued and the ones returned (R-RV-1, R-RV-3)."""

    id: str
    title: str
    opened_at: datetime
    opened_by: str
    issued: int
    ballots: tuple[Ballot, ...] = ()
    # The month whose report counts the survey, "YYYY-MM". "" on a survey opened before the month was
    # asked for: it counts in the month it was opened in (`survey_period`).
    period: str = ""
    # Closed once the ballots are all in: its figures stand and no ballot is added or withdrawn.
    closed_at: datetime | None = None
    closed_by: str | None = None


class AreaSatisfaction(msgspec.Struct, frozen=True, kw_only=True):
    """One area's tally. `value` is a percentage; None when no ballot came back (shown as "—") and
    when ballots came back but none graded the area (shown as 未评, `not_graded`)."""

    area: SurveyArea
    a: int
    b: int
    c: int
    returned: int
    value: float | None
    graded: int = 0  # returned ballots that gave the area a grade (a + b + c)


class StaffGrades(msgspec.Struct, frozen=True, kw_only=True):
    staff_id: str
    a: int = 0
    b: int = 0
    c: int = 0


def percent_of(numerator: int, denominator: int) -> float | None:
    """numerator / denominator × 100, rounded to 2 places; None when the denominator is 0.

    An empty denominator is "undefined", never 0 % or 100 %: a month with no returned ballot must
    not look like a perfect or a failed month.
    """
    if denominator <= 0:
        return None
    return round(numerator * 100 / denominator, 2)


# --- call-backs (R-FU-6, R-RV-1) -------------------------------------------------------------


def open_call_back(
    *,
    id: str,
    subject: CallBackSubject,
    subject_id: str,
    completed_at: datetime,
    staff_ids: Iterable[str] = (),
    completion_round: int = 0,
) -> CallBackTask:
    """Create the call-back the moment a job completes; until the slip is back, the latest date stands."""
    slip_due = completed_at + SLIP_RETURN_LIMIT
    return CallBackTask(
        id=id,
        subject=subject,
        subject_id=subject_id,
        staff_ids=tuple(staff_ids),
        completed_at=completed_at,
        completion_round=completion_round,
        slip_due_at=slip_due,
        due_at=slip_due + CALL_BACK_LIMIT,
    )


def record_slip_returned(task: CallBackTask, *, at: datetime) -> CallBackTask:
    """The slip reached the desk: the 72 h run from then, but a late slip cannot buy extra time."""
    if task.slip_returned_at is not None:
        raise fail(SurveyRefusal.SLIP_ALREADY_RETURNED, "服务单已交回", "The slip was already returned")
    if at < task.completed_at:
        raise fail(
            SurveyRefusal.BEFORE_COMPLETION,
            "交回时间早于完工时间",
            "Slip returned before completion",
            kind="invalid",
        )
    counted_from = min(at, task.slip_due_at)
    return msgspec.structs.replace(task, slip_returned_at=at, due_at=counted_from + CALL_BACK_LIMIT)


def slip_late(task: CallBackTask, now: datetime) -> bool:
    returned = task.slip_returned_at
    return (returned or now) > task.slip_due_at


def call_back_overdue(task: CallBackTask, now: datetime) -> bool:
    return task.called_back_at is None and now > task.due_at


def call_back_refusal(
    task: CallBackTask, *, by_role: Role, grades: Mapping[SurveyArea, Grade], comment: str = ""
) -> Refusal | None:
    if by_role not in CALL_BACK_ROLES:
        return refuse(
            SurveyRefusal.NOT_ALLOWED_TO_CALL_BACK,
            "该岗位不能做回访记录",
            "This role may not record a call-back",
            kind="forbidden",
            role=str(by_role),
        )
    if task.called_back_at is not None:
        return refuse(SurveyRefusal.ALREADY_CALLED_BACK, "已回访", "Already called back")
    if not grades:
        return refuse(
            SurveyRefusal.NO_GRADES, "回访须记录评价", "A call-back needs at least one grade", kind="invalid"
        )
    # A C reopens the case for review (R-RV-3): the reviewer needs the resident's own words on why (D111).
    if any(Grade(g) is Grade.C for g in grades.values()) and not comment.strip():
        return refuse(
            SurveyRefusal.UNSATISFIED_NEEDS_COMMENT,
            "评为不满意(C)时须记录住户的意见",
            "An unsatisfied (C) grade needs the resident's comment",
            kind="invalid",
            missing=["comment"],
        )
    return None


def record_call_back(
    task: CallBackTask,
    *,
    by_role: Role,
    by_id: str,
    grades: Mapping[SurveyArea, Grade],
    comment: str,
    now: datetime,
    work_areas: Collection[SurveyArea],
) -> CallBackTask:
    """Record the resident's grades. Any C goes to the manager's review (`needs_review`); a C on an area that
    grades the work itself (`work_areas` of the case) also reopens the case for the work to be redone,
    counted as rework (R-FU-10; D133). A C on how the technician behaved, on a repair done well,
    is the manager's to take up: redoing the repair would fix nothing."""
    if refusal := call_back_refusal(task, by_role=by_role, grades=grades, comment=comment):
        raise DomainError(refusal)
    graded = {SurveyArea(k): Grade(v) for k, v in grades.items()}
    return msgspec.structs.replace(
        task,
        called_back_at=now,
        called_back_by=by_id,
        grades=graded,
        comment=comment.strip(),
        reopen_for_review=any(g is Grade.C and area in work_areas for area, g in graded.items()),
    )


def counts_as_rework(task: CallBackTask) -> bool:
    return task.reopen_for_review


def needs_review(task: CallBackTask) -> bool:
    """Any C goes to the manager's review (R-RV-4), whichever area it was on."""
    return Grade.C in task.grades.values()


def grades_by_staff(tasks: Iterable[CallBackTask]) -> dict[str, StaffGrades]:
    """Tally call-back grades per staff member for performance reviews (R-SS-5)."""
    tally: dict[str, dict[Grade, int]] = {}
    for task in tasks:
        for staff_id in task.staff_ids:
            row = tally.setdefault(staff_id, {g: 0 for g in Grade})
            for grade in task.grades.values():
                row[grade] += 1
    return {
        sid: StaffGrades(staff_id=sid, a=row[Grade.A], b=row[Grade.B], c=row[Grade.C])
        for sid, row in sorted(tally.items())
    }


# --- periodic surveys (R-RV-1, R-RV-3) -------------------------------------------------------

_PERIOD = re.compile(r"(\d{4})-(\d{2})")


def parse_period(period: str) -> tuple[int, int]:
    """"2026-11" as (2026, 11); anything else is refused as survey.invalid_period."""
    m = _PERIOD.fullmatch(period)
    if m is None or not (2000 <= int(m[1]) <= 2100 and 1 <= int(m[2]) <= 12):
        raise fail(
            SurveyRefusal.INVALID_PERIOD,
            "调查月份不正确",
            "No such survey month",
            kind="invalid",
            period=period,
        )
    return int(m[1]), int(m[2])


def survey_period(survey: PeriodicSurvey, tz: tzinfo) -> str:
    """The month whose report counts the survey: the one it was opened for, else the one it was opened in."""
    if survey.period:
        return survey.period
    opened = survey.opened_at.astimezone(tz)
    return f"{opened.year:04d}-{opened.month:02d}"


class MonthClosed(StrEnum):
    """Why a month's report no longer reads its survey: its figures are frozen (D103)."""

    HANDED_IN = "handed_in"  # handed in with the whole month's figures (a GM's reopening leaves it so)
    SIGNED = "signed"


class ClosedMonth(msgspec.Struct, frozen=True, kw_only=True):
    """A month whose report is frozen: a ballot entered for it now would show on the survey page only."""

    period: str  # "2026-11"
    state: MonthClosed


def _refuse_closed(closed: ClosedMonth | None) -> None:
    """R-RV-3, R-RV-4: a survey's ballots count in its month's report; once that report is frozen they
    would not, and the survey page and the signed report would give two different rates for the month."""
    if closed is None:
        return
    y, m = parse_period(closed.period)
    if closed.state is MonthClosed.SIGNED:
        raise fail(
            SurveyRefusal.PERIOD_SIGNED,
            f"{y}年{m}月的月报已签批，调查票不会再计入该月月报。如需补录，请总经理撤回签批，"
            "再由管理处负责人退回月报后录入",
            f"The monthly report for {closed.period} is signed: ballots would no longer count in it. To add them, "
            "the general manager can reopen the report and the manager then return it to the dispatcher",
            period=closed.period,
            status=str(closed.state),
        )
    raise fail(
        SurveyRefusal.PERIOD_HANDED_IN,
        f"{y}年{m}月的月报已提交，数字已截止，调查票不会再计入该月月报。如需补录，请管理处负责人先退回月报",
        f"The monthly report for {closed.period} is handed in with its figures final: ballots would no longer "
        "count in it. To add them, the manager can first return the report to the dispatcher",
        period=closed.period,
        status=str(closed.state),
    )


def _not_manager(by_role: Role) -> DomainError:
    return fail(
        SurveyRefusal.NOT_ALLOWED_TO_SURVEY,
        "定期综合回访由管理处负责人组织",
        "Only the manager runs a periodic survey",
        kind="forbidden",
        role=str(by_role),
    )


def open_survey(
    *,
    id: str,
    title: str,
    issued: int,
    by_role: Role,
    by_id: str,
    now: datetime,
    period: str | None = None,
    closed: ClosedMonth | None = None,
) -> PeriodicSurvey:
    """`closed`: the month `period` names, when its report is frozen (monthly_report.survey_month_closed)."""
    if by_role not in SURVEY_ROLES:
        raise _not_manager(by_role)
    if period is not None:
        parse_period(period)
    _refuse_closed(closed)
    if issued < 0:
        raise fail(
            SurveyRefusal.INVALID_ISSUED,
            "发出票数不能为负",
            "Ballots issued cannot be negative",
            kind="invalid",
            issued=issued,
        )
    return PeriodicSurvey(
        id=id, title=title, opened_at=now, opened_by=by_id, issued=issued, period=period or ""
    )


def _closed() -> DomainError:
    return fail(
        SurveyRefusal.SURVEY_CLOSED,
        "该调查已结束，不能再录入或撤回选票",
        "This survey is closed: no ballot can be entered or withdrawn",
    )


def close_survey(survey: PeriodicSurvey, *, by_role: Role, by_id: str, now: datetime) -> PeriodicSurvey:
    """The manager closes the survey when the ballots are in: from then on its figures stand (R-RV-1)."""
    if by_role not in SURVEY_ROLES:
        raise _not_manager(by_role)
    if survey.closed_at is not None:
        raise fail(SurveyRefusal.ALREADY_CLOSED, "该调查已结束", "This survey is already closed")
    return msgspec.structs.replace(survey, closed_at=now, closed_by=by_id)


def record_ballot(survey: PeriodicSurvey, ballot: Ballot, *, closed: ClosedMonth | None = None) -> PeriodicSurvey:
    """`closed`: the survey's month, when its report is frozen."""
    # A retried post of a ballot already recorded changes nothing (its answer was lost, not the ballot).
    if ballot.id and any(b.id == ballot.id for b in survey.ballots):
        return survey
    if survey.closed_at is not None:
        raise _closed()
    _refuse_closed(closed)
    if not ballot.grades:
        raise fail(SurveyRefusal.EMPTY_BALLOT, "空白选票", "The ballot has no grade", kind="invalid")
    # More ballots back than sent out means a miscount; the rate would silently be wrong.
    if len(survey.ballots) >= survey.issued:
        raise fail(
            SurveyRefusal.BALLOTS_EXCEED_ISSUED,
            "回收票数超过发出票数",
            "More ballots returned than issued",
            issued=survey.issued,
        )
    return msgspec.structs.replace(survey, ballots=(*survey.ballots, ballot))


def withdraw_ballot(survey: PeriodicSurvey, ballot_id: str, *, closed: ClosedMonth | None = None) -> PeriodicSurvey:
    """Take back a ballot entered by mistake (a wrong grade, one typed twice) while the survey is open and
    its month's report still reads it: a frozen report would go on counting the ballot taken out."""
    if survey.closed_at is not None:
        raise _closed()
    _refuse_closed(closed)
    kept = tuple(b for b in survey.ballots if not (ballot_id and b.id == ballot_id))
    if len(kept) == len(survey.ballots):
        raise fail(
            SurveyRefusal.BALLOT_NOT_FOUND, "未找到该选票", "No such ballot", kind="not_found", ballot_id=ballot_id
        )
    return msgspec.structs.replace(survey, ballots=kept)


def returned(survey: PeriodicSurvey) -> int:
    return len(survey.ballots)


def area_satisfaction(survey: PeriodicSurvey, area: SurveyArea) -> AreaSatisfaction:
    """(A + B on the area) / ballots returned × 100 % (R-RV-3).

    The denominator is every returned ballot, so a ballot that skipped the area lowers the rate:
    the seed divides by ballots returned, not by answers to the item. An area no returned ballot
    graded has no rate: 0 % would read as every resident unsatisfied (D139).
    """
    grades = [b.grades[area] for b in survey.ballots if area in b.grades]
    a, b, c = (grades.count(g) for g in (Grade.A, Grade.B, Grade.C))
    back = returned(survey)
    value = percent_of(a + b, back) if grades else None
    return AreaSatisfaction(area=area, a=a, b=b, c=c, returned=back, value=value, graded=len(grades))


def not_graded(tally: AreaSatisfaction) -> bool:
    """Ballots came back and none graded the area: shown as 未评, apart from a graded 0 % and from "—"."""
    return tally.returned > 0 and tally.graded == 0


def satisfaction_by_area(survey: PeriodicSurvey) -> tuple[AreaSatisfaction, ...]:
    return tuple(area_satisfaction(survey, area) for area in SurveyArea)


def overall_satisfaction(survey: PeriodicSurvey) -> AreaSatisfaction:
    return area_satisfaction(survey, SurveyArea.OVERALL)
