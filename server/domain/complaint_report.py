"""The yearly complaint analysis report (客户投诉报告): the year's complaints summed month by month, the
manager's analysis, and the deputy general manager's acknowledgement.

Rules: R-RV-5 ("Yearly (or per project) complaint analysis report"; the validity and timely-handling rates
are the monthly report's, summed over the year's months), R-RV-3 (satisfaction of the complaints' call-backs:
A + B over those graded). Seed 001 八: after the year the complaints are summed up and analysed, and the
report goes to the deputy general manager in charge (分管副总经理). D130.

Input is the monthly report's `CaseRow`: one flattening of stored cases serves both reports, so a complaint
cannot count one way in a month and another in its year.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, tzinfo
from enum import StrEnum

import msgspec

from server.domain.cases import ComplaintCategory
from server.domain.errors import fail
from server.domain.monthly_report import (
    TIMELY_HANDLING_DEF,
    TIMELY_HANDLING_LABELS,
    VALIDITY_DEF,
    VALIDITY_LABELS,
    CaseRow,
    ComplaintLine,
    Rate,
    complaint_line,
    complaints_received,
    counts_of,
    make_rate,
    month_bounds,
    timely_counts,
    validity_counts,
)
from server.domain.roles import Role
from server.domain.surveys import Grade

# The seed has the service centre (综合部) write it and the deputy general manager in charge receive it; here
# the compound's manager, who reports survey results to leadership (R-RV-1), writes it.
AUTHOR = Role.MANAGER
ACKNOWLEDGER = Role.DEPUTY_GM
REPEAT_AT = 3  # a unit complaining this many times in the year is a repeat complainant
TOP = 5  # how many of the most frequent categories, buildings and units are listed

MAX_TEXT = 10_000  # the analysis is a page or two, not a book (the wire contract enforces it)


class YearlyRefusal(StrEnum):
    BAD_YEAR = "yearly_report.bad_year"
    NOT_AUTHOR = "yearly_report.not_author"
    NOT_DEPUTY_GM = "yearly_report.not_deputy_gm"
    YEAR_NOT_OVER = "yearly_report.year_not_over"
    ANALYSIS_REQUIRED = "yearly_report.analysis_required"
    ALREADY_ACKNOWLEDGED = "yearly_report.already_acknowledged"
    WRONG_STATUS = "yearly_report.wrong_status"
    REASON_REQUIRED = "yearly_report.reason_required"


CALL_BACK_LABELS = ("投诉回访满意率", "Complaint call-back satisfaction")
CALL_BACK_DEF = (
    "投诉回访满意率 = 回访评价为 A 满意或 B 一般满意的投诉数 ÷ 有回访评价的投诉数 × 100%；"
    "按投诉受理的月份计；未回访或回访未评价的不计入；无评价时不计算（显示“—”）",
    "Complaint call-back satisfaction = complaints whose call-back was graded A satisfied or B fairly satisfied "
    "÷ complaints whose call-back was graded × 100 %; counted in the month the complaint was received; "
    "complaints not called back, or not graded, are left out; undefined (“—”) when none was graded",
)
# The year's two complaint rates are the monthly report's (its definitions endpoint gives them), summed.
YEAR_SUM = ("全年数字为十二个月按月报口径分别计算后相加（分子、分母各自相加）。",
            "The year's figure adds up the twelve months, each counted as in the monthly report "
            "(numerators and denominators added separately).")
YEAR_VALIDITY_DEF = (f"{VALIDITY_DEF[0]}。{YEAR_SUM[0]}", f"{VALIDITY_DEF[1]}. {YEAR_SUM[1]}")
YEAR_TIMELY_DEF = (f"{TIMELY_HANDLING_DEF[0]}。{YEAR_SUM[0]}", f"{TIMELY_HANDLING_DEF[1]}. {YEAR_SUM[1]}")
REPEAT_DEF = (
    f"重复投诉：同一房号在当年受理的投诉达 {REPEAT_AT} 次及以上；只按登记的房号计，只填地址的投诉不计入",
    f"Repeat complaints: one unit with {REPEAT_AT} or more complaints received in the year; counted by registered "
    "unit only, a complaint with only an address typed is not",
)
OPEN_DEF = (
    "年末未结投诉：当年受理、年末（或统计截止时）尚未结案的投诉；不立项的投诉不计入",
    "Open at the year's end: complaints received in the year and not closed when it ended (or at the time "
    "counted); complaints left unopened are not listed",
)


class MonthFigures(msgspec.Struct, frozen=True, kw_only=True):
    """One month of the year, counted exactly as that month's monthly report counts it."""

    month: int
    received: int  # complaints received in the month
    validity: Rate
    timely_handling: Rate
    call_back_satisfaction: Rate


class Tally(msgspec.Struct, frozen=True, kw_only=True):
    """How many complaints one category, building or unit drew (a category by its code; a place by name)."""

    key: str
    count: int


class RepeatUnit(msgspec.Struct, frozen=True, kw_only=True):
    unit: str
    building: str
    count: int
    case_nos: tuple[str, ...]  # oldest first


class OpenComplaint(msgspec.Struct, frozen=True, kw_only=True):
    """A complaint of the year not closed when the year ended: carried into the next one."""

    case_no: str
    received_at: datetime
    category: str | None
    unit: str
    complainant: str
    handler: str
    days_open: int  # whole days from its receipt to the year's end (or the time counted)


class CallBackGrades(msgspec.Struct, frozen=True, kw_only=True):
    """R-RV-3 on the year's complaints: their call-backs' grades and the satisfaction rate."""

    a: int
    b: int
    c: int
    not_graded: int  # not called back yet, or called back without a grade
    rate: Rate


class Analysis(msgspec.Struct, frozen=True, kw_only=True):
    """What the author writes: the causes found (原因分析) and the corrective measures (整改措施)."""

    cause_analysis: str = ""
    corrective_actions: str = ""


class YearlyStatus(StrEnum):
    DRAFT = "draft"  # figures live; the author writes the analysis
    SUBMITTED = "submitted"  # handed to the deputy GM: figures frozen as handed in
    ACKNOWLEDGED = "acknowledged"  # the deputy GM signed for it: frozen for good


class YearlyAction(StrEnum):
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACKNOWLEDGED = "acknowledged"


class YearlyEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One step of the hand-in, kept for good: a return and its reason stay on record."""

    action: YearlyAction
    by: str
    at: datetime
    reason: str = ""  # why it was returned
    comment: str = ""  # the deputy GM's words with the acknowledgement


class YearlyComplaintReport(msgspec.Struct, frozen=True, kw_only=True):
    year: int
    period_start: datetime
    period_end: datetime  # exclusive; the earlier of the year's end and `generated_at`
    generated_at: datetime
    received: int
    months: tuple[MonthFigures, ...]  # January to December
    counts_by_category: dict[str, int]
    validity: Rate
    timely_handling: Rate
    call_backs: CallBackGrades
    top_categories: tuple[Tally, ...]
    top_buildings: tuple[Tally, ...]
    top_units: tuple[Tally, ...]
    repeat_units: tuple[RepeatUnit, ...]
    open_at_year_end: tuple[OpenComplaint, ...]
    complaints: tuple[ComplaintLine, ...]  # the year's register, oldest first (R-RV-5's columns)
    analysis: Analysis = Analysis()
    analysis_saved_by: str | None = None
    analysis_saved_at: datetime | None = None
    status: YearlyStatus = YearlyStatus.DRAFT
    submitted_by: str | None = None
    submitted_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    acknowledgement_comment: str = ""
    history: tuple[YearlyEvent, ...] = ()


# --- the figures ----------------------------------------------------------------------------------------------


def year_bounds(year: int, tz: tzinfo) -> tuple[datetime, datetime]:
    """The compound's calendar year as instants: from its 1 January 00:00 to the next one's (exclusive)."""
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


def year_end(report: YearlyComplaintReport) -> datetime:
    return year_bounds(report.year, report.period_start.tzinfo)[1]  # type: ignore[arg-type]


def covers_whole_year(report: YearlyComplaintReport) -> bool:
    """Whether the figures run to the year's end; before then they are live and cannot be handed in."""
    return report.period_end >= year_end(report)


def _graded(rows: Iterable[CaseRow]) -> tuple[int, int, int]:
    tally = Counter(r.satisfaction for r in rows if r.satisfaction is not None)
    return tally[Grade.A], tally[Grade.B], tally[Grade.C]


def _call_back_rate(rows: list[CaseRow]) -> Rate:
    a, b, c = _graded(rows)
    return make_rate("complaint_call_back_satisfaction", CALL_BACK_LABELS, CALL_BACK_DEF, a + b, a + b + c)


def _month(rows: list[CaseRow], year: int, month: int, tz: tzinfo, as_of: datetime) -> MonthFigures:
    start, end = month_bounds(year, month, tz)
    cutoff = max(start, min(end, as_of))
    received = complaints_received(rows, start, cutoff)
    # Each rate through the monthly report's own counting (R-RV-5), so month and year cannot disagree.
    return MonthFigures(
        month=month, received=len(received),
        validity=make_rate("complaint_validity", VALIDITY_LABELS, VALIDITY_DEF, *validity_counts(rows, start, cutoff)),
        timely_handling=make_rate("timely_handling", TIMELY_HANDLING_LABELS, TIMELY_HANDLING_DEF,
                                  *timely_counts(rows, start, cutoff)),
        call_back_satisfaction=_call_back_rate(received),
    )


def _summed(key: str, labels: tuple[str, str], definition: tuple[str, str], months: Iterable[Rate]) -> Rate:
    months = list(months)
    return make_rate(key, labels, definition, sum(r.numerator for r in months), sum(r.denominator for r in months))


def _top(values: Iterable[str]) -> tuple[Tally, ...]:
    tally = Counter(v for v in values if v)
    ranked = sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(Tally(key=k, count=n) for k, n in ranked[:TOP])


def _repeat_units(complaints: list[CaseRow]) -> tuple[RepeatUnit, ...]:
    by_unit: dict[str, list[CaseRow]] = defaultdict(list)
    for r in complaints:
        if r.unit_id:  # a typed address is no identity: two spellings would be two complainants
            by_unit[r.unit_id].append(r)
    repeats = [RepeatUnit(unit=rs[0].unit, building=rs[0].building, count=len(rs),
                          case_nos=tuple(r.case_no for r in rs))
               for rs in by_unit.values() if len(rs) >= REPEAT_AT]
    return tuple(sorted(repeats, key=lambda u: (-u.count, u.unit)))


def _open_at(complaints: list[CaseRow], cutoff: datetime) -> tuple[OpenComplaint, ...]:
    return tuple(
        OpenComplaint(case_no=r.case_no, received_at=r.received_at, category=r.complaint_category, unit=r.unit,
                      complainant=r.complainant, handler=r.handler, days_open=(cutoff - r.received_at).days)
        for r in complaints
        if not r.not_opened and (r.closed_at is None or r.closed_at >= cutoff)
    )


def build_yearly_report(rows: Iterable[CaseRow], *, year: int, tz: tzinfo, as_of: datetime) -> YearlyComplaintReport:
    """The year's complaint figures as seen at `as_of`, in the compound's zone `tz` (R-RV-5, R-RV-3)."""
    rows = list(rows)
    start, end = year_bounds(year, tz)
    cutoff = max(start, min(end, as_of))
    complaints = complaints_received(rows, start, cutoff)
    months = tuple(_month(rows, year, m, tz, as_of) for m in range(1, 13))
    a, b, c = _graded(complaints)
    return YearlyComplaintReport(
        year=year, period_start=start, period_end=cutoff, generated_at=as_of, received=len(complaints),
        months=months,
        counts_by_category=counts_of((r.complaint_category or ComplaintCategory.OTHER for r in complaints),
                                     ComplaintCategory),
        validity=_summed("complaint_validity", ("全年有效投诉率", "Complaint validity rate, whole year"),
                         YEAR_VALIDITY_DEF, (m.validity for m in months)),
        timely_handling=_summed("timely_handling", ("全年投诉处理及时率", "Timely-handling rate, whole year"),
                                YEAR_TIMELY_DEF, (m.timely_handling for m in months)),
        call_backs=CallBackGrades(a=a, b=b, c=c, not_graded=len(complaints) - a - b - c,
                                  rate=_call_back_rate(complaints)),
        top_categories=_top(r.complaint_category or ComplaintCategory.OTHER for r in complaints),
        top_buildings=_top(r.building for r in complaints),
        top_units=_top(r.unit for r in complaints if r.unit_id),
        repeat_units=_repeat_units(complaints),
        open_at_year_end=_open_at(complaints, cutoff),
        complaints=tuple(complaint_line(r) for r in complaints),
    )


# --- the hand-in (seed 001 八) ---------------------------------------------------------------------------------


def check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise fail(YearlyRefusal.BAD_YEAR, "年份不正确", "No such year", kind="invalid", year=year)


def _author(by_role: Role, doing_zh: str, doing_en: str) -> None:
    if by_role is not AUTHOR:
        raise fail(YearlyRefusal.NOT_AUTHOR, f"年度投诉报告由管理处经理{doing_zh}", f"Only the manager {doing_en}",
                   kind="forbidden", role=str(by_role))


def _acknowledger(by_role: Role, doing_zh: str, doing_en: str) -> None:
    if by_role is not ACKNOWLEDGER:
        raise fail(YearlyRefusal.NOT_DEPUTY_GM, f"年度投诉报告由分管副总经理{doing_zh}",
                   f"Only the deputy general manager {doing_en}", kind="forbidden", role=str(by_role))


def _require(report: YearlyComplaintReport, status: YearlyStatus) -> None:
    # Acknowledged is for good: said in its own words, not as a status mismatch.
    if report.status is YearlyStatus.ACKNOWLEDGED:
        raise fail(YearlyRefusal.ALREADY_ACKNOWLEDGED, f"{report.year}年度投诉报告已由分管副总经理签收，不能再更改",
                   f"The complaint report for {report.year} has been acknowledged and can no longer change",
                   acknowledged_at=report.acknowledged_at.isoformat() if report.acknowledged_at else None)
    if report.status is not status:
        raise fail(YearlyRefusal.WRONG_STATUS, "报告当前状态不允许此操作", "Not allowed in the report's status",
                   status=str(report.status), expected=str(status))


def _clean(text: Analysis) -> Analysis:
    return Analysis(cause_analysis=text.cause_analysis.strip(), corrective_actions=text.corrective_actions.strip())


def save_analysis(report: YearlyComplaintReport, text: Analysis, *, by_role: Role, by_id: str,
                  now: datetime) -> YearlyComplaintReport:
    """The manager writes or revises the analysis of a draft, before or after the year ends."""
    _author(by_role, "撰写", "writes the yearly complaint report")
    _require(report, YearlyStatus.DRAFT)
    return msgspec.structs.replace(report, analysis=_clean(text), analysis_saved_by=by_id, analysis_saved_at=now)


def submit_report(report: YearlyComplaintReport, text: Analysis, *, by_role: Role, by_id: str,
                  now: datetime) -> YearlyComplaintReport:
    """The manager hands the report, with the analysis given, to the deputy GM: only once the year is over
    (the seed sums the year up after it), and only with both the causes and the measures written.

    The caller passes figures computed at `now`, so after the year they cover all of it."""
    _author(by_role, "提交", "hands in the yearly complaint report")
    _require(report, YearlyStatus.DRAFT)
    end = year_end(report)
    if now < end:
        raise fail(YearlyRefusal.YEAR_NOT_OVER, f"{report.year}年尚未结束，年末后才能提交年度投诉报告",
                   f"{report.year} is not over yet; the yearly complaint report is handed in after it ends",
                   kind="invalid", opens_at=end.isoformat())
    clean = _clean(text)
    missing = [f for f in ("cause_analysis", "corrective_actions") if not getattr(clean, f)]
    if missing:
        raise fail(YearlyRefusal.ANALYSIS_REQUIRED, "请填写原因分析和整改措施后再提交",
                   "Write the cause analysis and the corrective measures before handing it in",
                   kind="invalid", missing=missing)
    return msgspec.structs.replace(
        report, analysis=clean, analysis_saved_by=by_id, analysis_saved_at=now, status=YearlyStatus.SUBMITTED,
        submitted_by=by_id, submitted_at=now,
        history=(*report.history, YearlyEvent(action=YearlyAction.SUBMITTED, by=by_id, at=now)))


def acknowledge_report(report: YearlyComplaintReport, *, by_role: Role, by_id: str, comment: str,
                       now: datetime) -> YearlyComplaintReport:
    """The deputy GM signs for the report handed in (签收), with a comment if they wish; it is final."""
    _acknowledger(by_role, "签收", "acknowledges the yearly complaint report")
    _require(report, YearlyStatus.SUBMITTED)
    words = comment.strip()
    return msgspec.structs.replace(
        report, status=YearlyStatus.ACKNOWLEDGED, acknowledged_by=by_id, acknowledged_at=now,
        acknowledgement_comment=words,
        history=(*report.history, YearlyEvent(action=YearlyAction.ACKNOWLEDGED, by=by_id, at=now, comment=words)))


def return_report(report: YearlyComplaintReport, *, by_role: Role, by_id: str, reason: str,
                  now: datetime) -> YearlyComplaintReport:
    """The deputy GM sends it back with a reason: a draft again, its analysis kept for the manager to revise."""
    _acknowledger(by_role, "退回", "returns the yearly complaint report")
    _require(report, YearlyStatus.SUBMITTED)
    why = reason.strip()
    if not why:
        raise fail(YearlyRefusal.REASON_REQUIRED, "退回须写明原因", "Returning it needs a reason",
                   kind="invalid", missing=["reason"])
    return msgspec.structs.replace(
        report, status=YearlyStatus.DRAFT, submitted_by=None, submitted_at=None,
        history=(*report.history, YearlyEvent(action=YearlyAction.RETURNED, by=by_id, at=now, reason=why)))


def with_workflow_of(fresh: YearlyComplaintReport, old: YearlyComplaintReport) -> YearlyComplaintReport:
    """Fresh figures carrying the stored report's analysis, status and history (a draft's figures are live)."""
    return msgspec.structs.replace(
        fresh, analysis=old.analysis, analysis_saved_by=old.analysis_saved_by,
        analysis_saved_at=old.analysis_saved_at, status=old.status, submitted_by=old.submitted_by,
        submitted_at=old.submitted_at, acknowledged_by=old.acknowledged_by, acknowledged_at=old.acknowledged_at,
        acknowledgement_comment=old.acknowledgement_comment, history=old.history)


def frozen(report: YearlyComplaintReport) -> bool:
    """Handed in or acknowledged: the figures are those handed in, whatever is recorded later (as D103's
    signed monthly report); a draft, never handed in or returned, is recomputed on every read."""
    return report.status is not YearlyStatus.DRAFT

