"""The monthly dispatch summary: counts, rates with their definitions, overdue list, satisfaction, sign-off.

Rules: R-RV-4 (dispatcher fills, manager comments and signs; weekly quality check, corrective and
preventive action), R-RV-5 (statistics by category, validity and timely-handling rates, due on the
30th), R-FU-10 (timely-repair ≥ 98 %, rework ≤ 1 %), R-RV-3 (satisfaction rates). The overdue list is
read against a repair's and a complaint's limits and a written inquiry's 2-day written reply (R-IN-5),
each row carrying its own limit; no rate counts the written replies. A help request's reply within 5
minutes (R-IN-5) is its own figure with its own list of late replies (`help_replies`, D71).
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Collection, Iterable
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

import msgspec

# The report counts cases in the cases module's own vocabulary (R-IN-1..3): one set of names.
from server.domain.cases import Channel, ComplaintCategory
from server.domain.cases import Kind as CaseKind
from server.domain.deadlines import minutes_late
from server.domain.errors import DomainError, fail
from server.domain.roles import Role
from server.domain.surveys import (
    AREA_LABELS,
    ClosedMonth,
    Grade,
    MonthClosed,
    PeriodicSurvey,
    SurveyArea,
    area_satisfaction,
    percent_of,
)

REPORT_DAY = 30  # R-RV-5: the month's statistics are handed in on the 30th
COMPLAINT_LIMIT = timedelta(days=15)  # R-FU-9: used when a complaint row carries no limit of its own
TIMELY_REPAIR_TARGET = 98.0  # R-FU-10: at least
REWORK_TARGET = 1.0  # R-FU-10: at most

FILLERS = frozenset({Role.DISPATCHER, Role.FRONT_DESK})
SIGNER = Role.MANAGER


class ReportRefusal(StrEnum):
    NOT_A_FILLER = "monthly_report.not_a_filler"
    NOT_MANAGER = "monthly_report.not_manager"
    WRONG_STATUS = "monthly_report.wrong_status"
    COMMENT_REQUIRED = "monthly_report.comment_required"
    FINDINGS_REQUIRED = "monthly_report.findings_required"
    NO_CAPA_NEEDED = "monthly_report.no_capa_needed"
    WEEK_ALREADY_CHECKED = "monthly_report.week_already_checked"
    CAPA_REPORT_NO_REQUIRED = "monthly_report.capa_report_no_required"
    CAPA_ALREADY_FILED = "monthly_report.capa_already_filed"
    VERDICT_REQUIRED = "monthly_report.verdict_required"
    TOO_EARLY = "monthly_report.too_early"
    MONTH_NOT_OVER = "monthly_report.month_not_over"
    REASON_REQUIRED = "monthly_report.reason_required"
    NOT_GENERAL_MANAGER = "monthly_report.not_general_manager"
    NO_CASES_CHECKED = "monthly_report.no_cases_checked"
    CAPA_INCOMPLETE = "monthly_report.capa_incomplete"
    CAPA_DUE_PASSED = "monthly_report.capa_due_passed"
    CAPA_NOT_SUBMITTED = "monthly_report.capa_not_submitted"
    CAPA_NOT_FILED = "monthly_report.capa_not_filed"
    CAPA_ALREADY_DONE = "monthly_report.capa_already_done"
    CAPA_DONE_NOTE_REQUIRED = "monthly_report.capa_done_note_required"
    BEFORE_COMPOUND = "monthly_report.before_compound"
    MONTH_NOT_BEGUN = "monthly_report.month_not_begun"


KIND_LABELS: dict[str, tuple[str, str]] = {
    CaseKind.REPAIR: ("报修", "Repair"),
    CaseKind.COMPLAINT: ("投诉", "Complaint"),
    CaseKind.HELP: ("求助", "Help"),
    CaseKind.INQUIRY: ("咨询", "Inquiry"),
    CaseKind.SPECIAL_SERVICE: ("特约服务", "Special service"),
    CaseKind.DAILY_AFFAIR: ("日常事务", "Other daily affairs"),
}
CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    ComplaintCategory.SECURITY: ("安保", "Security"),
    ComplaintCategory.CLEANING: ("清洁", "Cleaning"),
    ComplaintCategory.GREENING: ("绿化", "Greening"),
    ComplaintCategory.ENGINEERING_REPAIR: ("工程维修", "Engineering and repair"),
    ComplaintCategory.MAIL_NEWSPAPERS: ("信件报刊", "Mail and newspapers"),
    ComplaintCategory.DECORATION: ("装修管理", "Decoration management"),
    ComplaintCategory.STAFF_ATTITUDE: ("员工服务态度", "Staff attitude"),
    ComplaintCategory.OTHER: ("其他", "Other"),
}
CHANNEL_LABELS: dict[str, tuple[str, str]] = {
    Channel.PHONE: ("电话", "Phone"),
    Channel.WALK_IN: ("来访", "Walk-in"),
    Channel.WRITTEN: ("书面", "Written"),
    Channel.STAFF_FOUND: ("员工发现", "Found by staff"),
    Channel.LEADERSHIP_FOUND: ("领导交办", "Leadership"),
    Channel.APP: ("应用", "App"),
    Channel.CONTROL_ROOM: ("中控室", "Control room"),
}


class CaseRow(msgspec.Struct, frozen=True, kw_only=True):
    """One case as the report needs it; storage flattens its cases into these."""

    case_no: str
    kind: str
    channel: str
    received_at: datetime
    complaint_category: str | None = None
    complainant: str = ""
    receiver: str = ""
    handler: str = ""
    method: str = ""
    # The same handling in English where it is a fixed phrase; free text (a judgement's agreed
    # solution) is shown as written in both languages.
    method_en: str = ""
    result: str = ""
    # The case's limit: for a repair its R-FU-4 limit, for a complaint its feedback/closing date, for a
    # written inquiry its written reply's 2 days (R-IN-5).
    deadline_at: datetime | None = None
    closed_at: datetime | None = None  # repair completed / complaint handled / written reply given
    # A judgement already made elsewhere (e.g. copied from a paper register) wins over timestamps.
    timely: bool | None = None
    reworked: bool = False
    satisfaction: Grade | None = None
    valid_complaint: bool | None = None
    revenue_cents: int = 0  # special-service revenue settled on this case
    # R-IN-5, a help request only: when its reply was due (5 minutes after receipt) and when it came (the
    # first reply recorded, or the close), both from its IN5_HELP_REPLY_5M clock. No due time: no clock
    # ran (a help request left unopened, R-OP-2 F, runs none).
    help_reply_due_at: datetime | None = None
    help_replied_at: datetime | None = None
    # R-IN-5, a written inquiry only: who signed and issued the written reply `closed_at` is the time of
    # (签发人, D74). None with no written reply yet, or one recorded before replies named their signer.
    reply_signer: str | None = None
    # Where it came from (R-IN-1), for the yearly complaint report's places and repeat units (R-RV-5):
    # the registered unit's id and label and its building's name; a case with only an address has none.
    unit_id: str | None = None
    unit: str = ""
    building: str = ""
    # Left unopened (R-OP-2 F): explained at intake, nothing to follow, so never open at a year's end.
    not_opened: bool = False


class Rate(msgspec.Struct, frozen=True, kw_only=True):
    """A rate as the report shows it: value is a percentage, None when the denominator is 0."""

    key: str
    label_zh: str
    label_en: str
    numerator: int
    denominator: int
    value: float | None
    target_percent: float | None = None
    target_is_ceiling: bool = False  # True: the rate must stay at or below the target
    met: bool | None = None  # None: no target, or nothing to measure
    definition_zh: str
    definition_en: str
    # Satisfaction rows only: the returned ballots that graded the item. 0 with ballots returned is
    # 未评 / not graded (value None), shown apart from a graded 0 % (D139). None on the other
    # rates, and on a satisfaction row stored before the count existed (shown as it was then).
    graded: int | None = None


class ComplaintLine(msgspec.Struct, frozen=True, kw_only=True):
    """R-RV-5: each complaint with its date, people, handling and the resident's satisfaction."""

    case_no: str
    received_at: datetime
    category: str | None
    complainant: str
    receiver: str
    handler: str
    method: str
    method_en: str
    result: str
    satisfaction: Grade | None
    valid: bool | None
    # The unit it is about (its label; the address typed when no unit was picked). Defaulted: reports
    # frozen before it decode with none.
    unit: str = ""


# The overdue list's title: what it is read against (the page and the print say it from their own
# tables in both languages; the workbook, Chinese only, from here).
OVERDUE_TITLE = (
    "超时清单（维修、投诉时限及书面咨询两日内书面答复）",
    "Late against the repair and complaint limits and the 2-day written reply to a written inquiry",
)


class OverdueLine(msgspec.Struct, frozen=True, kw_only=True):
    case_no: str
    kind: str
    category: str | None
    received_at: datetime
    due_at: datetime | None
    closed_at: datetime | None
    handler: str
    late_minutes: int | None
    # A written inquiry's row: who signed its (late) written reply (签发人, D74). Defaulted: reports
    # frozen before it decode with none.
    signer: str | None = None


class HelpReplies(msgspec.Struct, frozen=True, kw_only=True):
    """R-IN-5: the month's help requests and their reply within 5 minutes (a help request counts in the
    month it was received, however late its reply came)."""

    received: int  # every help request received in the month (as counted by kind)
    in_time: int  # replied within 5 minutes (at 5:00 exactly is in time)
    late: int  # replied after 5 minutes, or not replied and the 5 minutes are over
    pending: int  # not replied yet and still within its 5 minutes: neither in time nor late
    not_opened: int  # left unopened (R-OP-2 F, explained at intake): no clock ran, not counted
    rate: Rate  # in_time ÷ (in_time + late)


class HelpReplyLine(msgspec.Struct, frozen=True, kw_only=True):
    """A help request whose reply came after its 5 minutes, or has not come."""

    case_no: str
    received_at: datetime
    due_at: datetime
    replied_at: datetime | None
    receiver: str
    late_minutes: int  # to the reply, or to the report's time while unanswered; a part-minute counts


class ReportStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SIGNED = "signed"


class ReportAction(StrEnum):
    SUBMITTED = "submitted"
    RETURNED = "returned"  # the manager sent a submitted report back to the dispatcher (D103)
    SIGNED = "signed"
    REOPENED = "reopened"  # the GM took back a signature given by mistake (D103)


class SignWarning(StrEnum):
    """What the manager is told before signing a month, and signs knowing (a warning, not a refusal)."""

    WEEKS_UNCHECKED = "weeks_unchecked"  # a week of the month has no quality check on record
    CAPA_MISSING = "capa_missing"  # poor quality with no CAPA report filed (or one sent back)


class ReportEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One step of the report's sign-off, kept for good: a signature taken back stays on record."""

    action: ReportAction
    by: str
    at: datetime
    reason: str = ""  # why it was returned or reopened
    comment: str = ""  # the manager's comment that went with a signature
    # What the manager was warned of and signed regardless: weeks unchecked, poor quality without a
    # CAPA report (R-RV-4). A warning, not a refusal (D134); kept so the signature says so.
    warnings: tuple[SignWarning, ...] = ()


class MonthlyReport(msgspec.Struct, frozen=True, kw_only=True):
    year: int
    month: int
    period_start: datetime
    period_end: datetime  # exclusive; the earlier of month end and as_of
    generated_at: datetime
    due_on: date
    counts_by_kind: dict[str, int]
    counts_by_category: dict[str, int]
    counts_by_channel: dict[str, int]
    rates: tuple[Rate, ...]
    ballots_issued: int
    ballots_returned: int
    satisfaction: tuple[Rate, ...]
    complaints: tuple[ComplaintLine, ...]
    overdue: tuple[OverdueLine, ...]
    special_service_revenue_cents: int
    status: ReportStatus = ReportStatus.DRAFT
    submitted_by: str | None = None
    submitted_at: datetime | None = None
    submitted_late: bool = False
    manager_comment: str = ""
    signed_by: str | None = None
    signed_at: datetime | None = None
    # R-IN-5 help replies (D71). None on a report frozen before the figure existed: it shows none,
    # rather than a figure nobody handed in.
    help_replies: HelpReplies | None = None
    help_late: tuple[HelpReplyLine, ...] = ()
    history: tuple[ReportEvent, ...] = ()  # submitted, returned, signed, reopened, oldest first (D103)


class CapaStatus(StrEnum):
    SUBMITTED = "submitted"  # filed by the manager, waiting for the general manager's sign-off
    ACCEPTED = "accepted"
    RETURNED = "returned"  # sent back with a reason; the manager files it again


class CapaContent(msgspec.Struct, frozen=True, kw_only=True):
    """What a corrective-and-preventive-action report says (《纠正与预防措施》, R-RV-4, D117)."""

    problem: str = ""  # the problem found
    cause: str = ""
    corrective_action: str = ""
    preventive_action: str = ""
    owner_id: str = ""  # the staff member who carries the actions out
    due_on: date | None = None


class CapaEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One step of a CAPA report: filed, accepted or returned (with its reason), oldest first."""

    action: CapaStatus
    by: str
    at: datetime
    reason: str = ""


class WeeklyCheck(msgspec.Struct, frozen=True, kw_only=True):
    """The manager's weekly look at handling quality; poor quality calls for a CAPA report (R-RV-4).

    A report filed before D117 has only its number (`capa_report_no`) and no `capa_status`: it is
    taken as filed, with nothing to sign off.
    """

    week_start: date
    checked_by: str
    checked_at: datetime
    cases_checked: int
    poor_quality: bool
    findings: str = ""
    capa_required: bool = False
    capa_report_no: str | None = None
    capa_filed_by: str | None = None
    capa_filed_at: datetime | None = None
    capa: CapaContent | None = None
    capa_status: CapaStatus | None = None
    capa_decided_by: str | None = None
    capa_decided_at: datetime | None = None
    capa_return_reason: str | None = None
    capa_history: tuple[CapaEvent, ...] = ()
    # The manager's record that the corrective and preventive actions were carried out (D140):
    # until then the owner and the managers are reminded of the due date. Apart from the GM's sign-off,
    # which approves the report, not the work.
    capa_done_at: datetime | None = None
    capa_done_by: str | None = None
    capa_done_note: str | None = None


# --- definitions shown next to every rate (the report prints them) ---------------------------

VALIDITY_DEF = (
    "有效投诉率 = 当月受理的有效投诉数 ÷ 当月受理且已判定责任的投诉数 × 100%；尚未判定的投诉不计入",
    "Complaint validity rate = valid complaints received in the month ÷ complaints received in the month whose "
    "responsibility has been judged × 100 %; complaints not yet judged are left out",
)
TIMELY_HANDLING_DEF = (
    "投诉处理及时率 = 当月到期且在时限内处理完毕的投诉数 ÷ 当月到期的投诉数 × 100%；"
    "时限为约定的反馈日期，且不晚于受理后 15 天；未约定反馈日期的投诉以受理后 15 天为时限；"
    "以首次销项为准，回访不满意后重新处理不改变及时与否；受理时已解释、未立项的投诉没有时限，不计入",
    "Timely-handling rate = complaints due in the month and handled within their limit ÷ complaints due in the "
    "month × 100 %; the limit is the agreed feedback date, never later than 15 days after acceptance; a "
    "complaint with no agreed date is due 15 days after acceptance; judged on the first close: handling it "
    "again after an unsatisfied call-back does not change it; a complaint explained at intake and left unopened "
    "has no limit and is left out",
)
TIMELY_REPAIR_DEF = (
    "维修及时率 = 当月首次完工且在规定时限内完工的维修数 ÷ 当月首次完工的维修数 × 100%；以首次完工为准，"
    "回访不满意后的返修不改变及时与否，也不移到返修的月份；没有时限记录的不计为及时；目标 ≥ 98%",
    "Timely-repair rate = repairs first completed in the month within their time limit ÷ repairs first "
    "completed in the month × 100 %; judged on the first completion: a redo after an unsatisfied call-back "
    "neither changes it nor moves it to the redo's month; a repair with no recorded limit does not count as "
    "timely; target ≥ 98 %",
)
REWORK_DEF = (
    "返修率 = 当月首次完工的维修中需返修的数量 ÷ 当月首次完工的维修数 × 100%；回访中“房屋维修保养”或“设备管理”"
    "评为不满意（C）即需返修，无论返修几次只计一次；其他项目（如员工服务态度）评 C 转经理复查，不计返修；目标 ≤ 1%",
    "Rework rate = repairs first completed in the month that needed rework ÷ repairs first completed in the "
    "month × 100 %; a repair needs rework when a call-back graded building repair or equipment C (unsatisfied), "
    "counted once however often it is redone; a C on another area (staff attitude, …) goes to the manager's "
    "review and is not rework; target ≤ 1 %",
)
SATISFACTION_DEF = (
    "单项满意率 = 该项“满意”与“一般满意”票数之和 ÷ 回收票数 × 100%；无回收票时不计算（显示“—”）；"
    "有回收票但无一张评该项的，显示“未评”，不计为 0%",
    "Item satisfaction rate = A + B votes on the item ÷ ballots returned × 100 %; undefined (“—”) when no "
    "ballot was returned; an item no returned ballot graded is shown as “not graded”, not as 0 %",
)
NOT_GRADED = ("未评", "not graded")

HELP_REPLY_LABELS = ("求助 5 分钟内答复率", "Help replies within 5 minutes")
HELP_REPLY_DEF = (
    "求助 5 分钟内答复率 = 当月受理的求助中 5 分钟内答复的件数 ÷ 当月受理且已答复或已过 5 分钟的求助件数 × 100%；"
    "答复以第一次答复记录（或结案）为准，恰好第 5 分钟答复算及时；未答复且未满 5 分钟的不计入；"
    "不立项的求助不计时，不计入；目标：每件求助 5 分钟内答复",
    "Help-reply rate = help requests received in the month and replied to within 5 minutes ÷ help requests "
    "received in the month that were replied to or whose 5 minutes are over × 100 %; the reply is the first "
    "one recorded (or the close), and one at 5:00 exactly is in time; one not replied yet and still within "
    "its 5 minutes is left out; a help request left unopened runs no clock and is left out; every help "
    "request is to be replied to within 5 minutes",
)


def make_rate(
    key: str,
    labels: tuple[str, str],
    definition: tuple[str, str],
    numerator: int,
    denominator: int,
    *,
    target_percent: float | None = None,
    target_is_ceiling: bool = False,
) -> Rate:
    met: bool | None = None
    if target_percent is not None and denominator > 0:
        # Compare in integers scaled by 100 so 98 % of 50 is judged exactly, not through a rounded float.
        scaled = numerator * 100
        met = (
            scaled <= target_percent * denominator
            if target_is_ceiling
            else scaled >= target_percent * denominator
        )
    return Rate(
        key=key,
        label_zh=labels[0],
        label_en=labels[1],
        numerator=numerator,
        denominator=denominator,
        value=percent_of(numerator, denominator),
        target_percent=target_percent,
        target_is_ceiling=target_is_ceiling,
        met=met,
        definition_zh=definition[0],
        definition_en=definition[1],
    )


def percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def not_graded(rate: Rate) -> bool:
    """A satisfaction row whose item no returned ballot graded (R-RV-3, D139)."""
    return rate.graded == 0 and rate.denominator > 0


def satisfaction_text(rate: Rate, lang: str = "zh") -> str:
    """A satisfaction row's figure: its percentage, "—" with no ballot back, 未评 when none graded it."""
    return NOT_GRADED[lang == "en"] if not_graded(rate) else percent_text(rate.value)


# --- per-row judgements ----------------------------------------------------------------------


def due_at(row: CaseRow) -> datetime | None:
    if row.deadline_at is not None:
        return row.deadline_at
    if row.kind == CaseKind.COMPLAINT and not row.not_opened:
        # A complaint explained at intake and left unopened (R-OP-2 F) had nothing left to handle: no
        # 15-day limit ran, as no 5-minute clock runs on a help request left unopened.
        return row.received_at + COMPLAINT_LIMIT
    return None


def in_time(row: CaseRow) -> bool:
    """Handled within its limit. Without a limit or a recorded judgement it cannot be shown timely."""
    if row.timely is not None:
        return row.timely
    due = due_at(row)
    return due is not None and row.closed_at is not None and row.closed_at <= due


def _within(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


def _is_overdue(row: CaseRow, start: datetime, cutoff: datetime) -> bool:
    """Late at some moment of the period: its limit passed before the cutoff while it was still open."""
    due = due_at(row)
    if due is None and row.timely is None:
        return False  # nothing to be late against
    anchor = due or row.closed_at or row.received_at
    if anchor >= cutoff or (row.closed_at is not None and row.closed_at < start):
        return False
    return not in_time(row)


def _overdue_line(row: CaseRow, cutoff: datetime) -> OverdueLine:
    due = due_at(row)
    late: int | None = None
    if due is not None:
        seen_until = row.closed_at if row.closed_at is not None and row.closed_at < cutoff else cutoff
        late = minutes_late(due, seen_until)
    return OverdueLine(
        case_no=row.case_no,
        kind=row.kind,
        category=row.complaint_category,
        received_at=row.received_at,
        due_at=due,
        closed_at=row.closed_at,
        handler=row.handler,
        late_minutes=late,
        signer=row.reply_signer,
    )


def help_replies(
    rows: Iterable[CaseRow], start: datetime, cutoff: datetime, as_of: datetime
) -> tuple[HelpReplies, tuple[HelpReplyLine, ...]]:
    """R-IN-5: the help requests received in [start, cutoff) and whether each was replied to in 5 minutes.

    A request is judged on its reply however late in the month it came in: one received at 23:58 on the
    last day and replied to at 00:02 the next day counts, in time, in the month it was received. One not
    replied to is late once its 5 minutes are over at `as_of` (the moment the report is computed), and
    pending before that."""
    in_time = late = pending = not_opened = received = 0
    late_lines: list[HelpReplyLine] = []
    for row in rows:
        if row.kind != CaseKind.HELP or not _within(row.received_at, start, cutoff):
            continue
        received += 1
        due, replied = row.help_reply_due_at, row.help_replied_at
        if due is None:
            not_opened += 1
        elif replied is not None and replied <= due:
            in_time += 1
        elif replied is None and as_of <= due:
            pending += 1
        else:
            late += 1
            late_lines.append(HelpReplyLine(
                case_no=row.case_no, received_at=row.received_at, due_at=due, replied_at=replied,
                receiver=row.receiver, late_minutes=minutes_late(due, replied or as_of),
            ))
    figure = HelpReplies(
        received=received,
        in_time=in_time,
        late=late,
        pending=pending,
        not_opened=not_opened,
        rate=make_rate("help_reply_5m", HELP_REPLY_LABELS, HELP_REPLY_DEF, in_time, in_time + late),
    )
    return figure, tuple(sorted(late_lines, key=lambda line: (line.received_at, line.case_no)))


def complaint_line(row: CaseRow) -> ComplaintLine:
    return ComplaintLine(
        case_no=row.case_no,
        received_at=row.received_at,
        category=row.complaint_category,
        complainant=row.complainant,
        receiver=row.receiver,
        handler=row.handler,
        method=row.method,
        method_en=row.method_en or row.method,
        result=row.result,
        satisfaction=row.satisfaction,
        valid=row.valid_complaint,
        unit=row.unit,
    )


# --- the two complaint rates (R-RV-5), shared with the yearly complaint report ----------------

VALIDITY_LABELS = ("有效投诉率", "Complaint validity rate")
TIMELY_HANDLING_LABELS = ("投诉处理及时率", "Timely-handling rate")


def complaints_received(rows: Iterable[CaseRow], start: datetime, cutoff: datetime) -> list[CaseRow]:
    """The complaints received in [start, cutoff), oldest first."""
    return sorted((r for r in rows if r.kind == CaseKind.COMPLAINT and _within(r.received_at, start, cutoff)),
                  key=lambda r: (r.received_at, r.case_no))


def validity_counts(rows: Iterable[CaseRow], start: datetime, cutoff: datetime) -> tuple[int, int]:
    """(valid, judged) among the complaints received in [start, cutoff).

    R-IN-8: a complaint not yet judged is neither valid nor invalid; counting it in the denominator
    showed a month of unjudged complaints as 0 % valid."""
    received = complaints_received(rows, start, cutoff)
    return (sum(1 for r in received if r.valid_complaint),
            sum(1 for r in received if r.valid_complaint is not None))


def timely_counts(rows: Iterable[CaseRow], start: datetime, cutoff: datetime) -> tuple[int, int]:
    """(handled in time, due) among the complaints whose limit falls in [start, cutoff)."""
    due = [r for r in rows if r.kind == CaseKind.COMPLAINT and _within(due_at(r), start, cutoff)]
    return sum(1 for r in due if in_time(r)), len(due)


def complaint_validity(rows: Iterable[CaseRow], start: datetime, cutoff: datetime) -> Rate:
    return make_rate("complaint_validity", VALIDITY_LABELS, VALIDITY_DEF, *validity_counts(rows, start, cutoff))


def timely_handling(rows: Iterable[CaseRow], start: datetime, cutoff: datetime) -> Rate:
    return make_rate("timely_handling", TIMELY_HANDLING_LABELS, TIMELY_HANDLING_DEF, *timely_counts(rows, start, cutoff))


# --- the report ------------------------------------------------------------------------------


def month_bounds(year: int, month: int, tz: tzinfo) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, end


def first_month(first_day: date) -> str:
    """The compound's first month as the wire names it ("2026-11")."""
    return f"{first_day.year}-{first_day.month:02d}"


def refuse_unlived_month(year: int, month: int, *, first_day: date, today: date) -> None:
    """A report exists only for a month the compound has lived through, or is living through.

    `first_day` is the compound's first day (its creation, or its first case if that is older) and
    `today` the compound's date, both in its zone. A month before the first one had no cases to count
    (2001 was signed for a compound set up in 2026), and a month not begun would be a draft whose
    cut-off comes before its start; each is refused with its own code, so the desk can say which.
    """
    asked = date(year, month, 1)
    if asked < first_day.replace(day=1):
        raise fail(
            ReportRefusal.BEFORE_COMPOUND,
            f"{year}年{month}月早于本管理处启用的月份（{first_day.year}年{first_day.month}月），没有月报",
            f"{year}-{month:02d} is before this compound's first month ({first_month(first_day)}): "
            "there is no report for it",
            kind="invalid",
            first_month=first_month(first_day),
        )
    if asked > today:
        raise fail(
            ReportRefusal.MONTH_NOT_BEGUN,
            f"{year}年{month}月尚未开始，还没有月报",
            f"{year}-{month:02d} has not begun yet: there is no report for it",
            kind="invalid",
            opens_on=asked.isoformat(),
        )


def report_due_on(year: int, month: int) -> date:
    """The 30th, or the month's last day when it is shorter (February)."""
    return date(year, month, min(REPORT_DAY, calendar.monthrange(year, month)[1]))


def counts_of(values: Iterable[str], zero_filled: Iterable[str]) -> dict[str, int]:
    """How often each value occurs: every `zero_filled` key first (0 when absent), then the rest by name."""
    tally = Counter(values)
    out = {str(k): tally.pop(str(k), 0) for k in zero_filled}
    out.update(sorted(tally.items()))
    return out


def satisfaction_rates(
    survey: PeriodicSurvey | None, *, target_percent: float | None = None
) -> tuple[Rate, ...]:
    """One rate per survey area (R-RV-2, R-RV-3); without a survey every rate is undefined."""
    rates = []
    for area in SurveyArea:
        satisfied, back, graded = 0, 0, 0
        if survey is not None:
            tally = area_satisfaction(survey, area)
            satisfied, back, graded = tally.a + tally.b, tally.returned, tally.graded
        rate = make_rate(
            f"satisfaction.{area}",
            AREA_LABELS[area],
            SATISFACTION_DEF,
            satisfied,
            back,
            target_percent=target_percent,
        )
        rate = msgspec.structs.replace(rate, graded=graded)
        if not_graded(rate):
            # Nobody graded it: no figure, so neither met nor missed (R-RV-3's formula is for graded items).
            rate = msgspec.structs.replace(rate, value=None, met=None)
        rates.append(rate)
    return tuple(rates)


def build_monthly_report(
    rows: Iterable[CaseRow],
    *,
    year: int,
    month: int,
    tz: tzinfo,
    as_of: datetime,
    survey: PeriodicSurvey | None = None,
    satisfaction_target_percent: float | None = None,
) -> MonthlyReport:
    """Compute the month's figures as seen at `as_of` (the report is due on the 30th, before month end)."""
    rows = list(rows)
    start, month_end = month_bounds(year, month, tz)
    cutoff = min(month_end, as_of)
    received = [r for r in rows if _within(r.received_at, start, cutoff)]
    complaints = complaints_received(rows, start, cutoff)
    repairs_done = [r for r in rows if r.kind == CaseKind.REPAIR and _within(r.closed_at, start, cutoff)]
    rates = (
        complaint_validity(rows, start, cutoff),
        timely_handling(rows, start, cutoff),
        make_rate(
            "timely_repair",
            ("维修及时率", "Timely-repair rate"),
            TIMELY_REPAIR_DEF,
            sum(1 for r in repairs_done if in_time(r)),
            len(repairs_done),
            target_percent=TIMELY_REPAIR_TARGET,
        ),
        make_rate(
            "rework",
            ("返修率", "Rework rate"),
            REWORK_DEF,
            sum(1 for r in repairs_done if r.reworked),
            len(repairs_done),
            target_percent=REWORK_TARGET,
            target_is_ceiling=True,
        ),
    )
    overdue = sorted(
        (r for r in rows if _is_overdue(r, start, cutoff)),
        key=lambda r: (due_at(r) or r.received_at, r.case_no),
    )
    help_figure, help_late = help_replies(rows, start, cutoff, as_of)
    return MonthlyReport(
        year=year,
        month=month,
        period_start=start,
        period_end=cutoff,
        generated_at=as_of,
        due_on=report_due_on(year, month),
        counts_by_kind=counts_of((r.kind for r in received), CaseKind),
        counts_by_category=counts_of(
            (r.complaint_category or ComplaintCategory.OTHER for r in complaints), ComplaintCategory
        ),
        counts_by_channel=counts_of((r.channel for r in received), ()),
        rates=rates,
        ballots_issued=survey.issued if survey else 0,
        ballots_returned=len(survey.ballots) if survey else 0,
        satisfaction=satisfaction_rates(survey, target_percent=satisfaction_target_percent),
        complaints=tuple(complaint_line(r) for r in complaints),
        overdue=tuple(_overdue_line(r, cutoff) for r in overdue),
        special_service_revenue_cents=sum(
            r.revenue_cents for r in rows if _within(r.closed_at, start, cutoff)
        ),
        help_replies=help_figure,
        help_late=help_late,
    )


def rate(report: MonthlyReport, key: str) -> Rate:
    return next(r for r in (*report.rates, *report.satisfaction) if r.key == key)


def quality_poor(report: MonthlyReport) -> bool:
    """A missed target is poor quality: the manager's weekly check should call for CAPA."""
    return any(r.met is False for r in report.rates)


# --- workflow (R-RV-4, R-RV-5) ---------------------------------------------------------------


def _require_status(report: MonthlyReport, status: ReportStatus) -> None:
    if report.status is not status:
        raise fail(
            ReportRefusal.WRONG_STATUS,
            "月报状态不允许此操作",
            "Not allowed in the report's status",
            status=str(report.status),
            expected=str(status),
        )


def submission_opens_on(report: MonthlyReport) -> date:
    """The first day the summary may be handed in: its due day, the 30th (R-RV-5, D103).

    The seed has the month counted at its end and handed in on the 30th; earlier, most of the month
    is still to come, and a report frozen then left out every case received after it.
    """
    return report.due_on


def month_end(report: MonthlyReport) -> datetime:
    """The instant the report's month ends, in the compound's zone (exclusive)."""
    return month_bounds(report.year, report.month, report.period_start.tzinfo)[1]  # type: ignore[arg-type]


def covers_whole_month(report: MonthlyReport) -> bool:
    """Whether the figures run to the month's end; a report handed in on the 30th of a 31-day month
    does not yet, and its figures are recomputed until the manager signs after the month (D103)."""
    return report.period_end >= month_end(report)


def figures_frozen(report: MonthlyReport) -> bool:
    """Whether the stored figures stand as they are (D103): signed (whole month or not: one signed
    mid-month before D103 keeps what was signed), or handed in over the whole month. Otherwise the
    report is recomputed whenever it is read."""
    return report.status is ReportStatus.SIGNED or (
        report.status is ReportStatus.SUBMITTED and covers_whole_month(report))


def survey_month_closed(report: MonthlyReport | None) -> ClosedMonth | None:
    """The month as a survey sees it: closed once its figures are frozen, since a ballot entered then would
    show on the survey page and never in the report (R-RV-3). `report` is the stored one (None: none stored,
    a live draft). The GM's reopening leaves it handed in and frozen; the manager's return opens it again."""
    if report is None or not figures_frozen(report):
        return None
    state = MonthClosed.SIGNED if report.status is ReportStatus.SIGNED else MonthClosed.HANDED_IN
    return ClosedMonth(period=f"{report.year:04d}-{report.month:02d}", state=state)


def with_workflow_of(fresh: MonthlyReport, old: MonthlyReport) -> MonthlyReport:
    """Fresh figures carrying the stored report's sign-off state and history."""
    return msgspec.structs.replace(
        fresh,
        status=old.status,
        submitted_by=old.submitted_by,
        submitted_at=old.submitted_at,
        submitted_late=old.submitted_late,
        manager_comment=old.manager_comment,
        signed_by=old.signed_by,
        signed_at=old.signed_at,
        history=old.history,
    )


def submit_report(report: MonthlyReport, *, by_role: Role, by_id: str, now: datetime) -> MonthlyReport:
    """The dispatcher hands the summary in, from the 30th on; after the 30th it is still accepted but
    marked late. Before the 30th it is refused (D103)."""
    if by_role not in FILLERS:
        raise fail(
            ReportRefusal.NOT_A_FILLER,
            "月总结由调度员填写",
            "The dispatcher fills in the monthly summary",
            kind="forbidden",
            role=str(by_role),
        )
    _require_status(report, ReportStatus.DRAFT)
    # The 30th is a date in the compound's zone (the period's own), not in UTC: 00:30 on the
    # 31st in Beijing is still the 30th in UTC.
    today = now.astimezone(report.period_start.tzinfo).date()
    opens = submission_opens_on(report)
    if today < opens:
        raise fail(
            ReportRefusal.TOO_EARLY,
            f"{report.year}年{report.month}月的月报自{opens.month}月{opens.day}日起才能提交",
            f"The report for {report.year}-{report.month:02d} can be submitted from {opens.isoformat()}",
            kind="invalid",
            opens_on=opens.isoformat(),
        )
    return msgspec.structs.replace(
        report,
        status=ReportStatus.SUBMITTED,
        submitted_by=by_id,
        submitted_at=now,
        submitted_late=today > report.due_on,
        history=(*report.history, ReportEvent(action=ReportAction.SUBMITTED, by=by_id, at=now)),
    )


def _reason(reason: str) -> str:
    if not reason.strip():
        raise fail(
            ReportRefusal.REASON_REQUIRED,
            "须填写原因",
            "A reason is required",
            kind="invalid",
            missing=["reason"],
        )
    return reason.strip()


def sign_report(
    report: MonthlyReport, *, by_role: Role, by_id: str, comment: str, now: datetime,
    warnings: Iterable[SignWarning] = (),
) -> MonthlyReport:
    """The manager comments on the dispatcher's service quality and signs; a signature alone is not enough.

    Not before the month is over: the signature closes the figures, and they must hold the whole month
    (D103). The caller passes figures that run to the month's end (`covers_whole_month`).
    `warnings` (`month_quality`) do not stop the signature: they are recorded with it (R-RV-4)."""
    if by_role is not SIGNER:
        raise fail(
            ReportRefusal.NOT_MANAGER,
            "月总结由管理处负责人评语并签名",
            "Only the manager comments on and signs the summary",
            kind="forbidden",
            role=str(by_role),
        )
    _require_status(report, ReportStatus.SUBMITTED)
    end = month_end(report)
    if now < end:
        raise fail(
            ReportRefusal.MONTH_NOT_OVER,
            f"{report.year}年{report.month}月尚未结束，月末后才能签批",
            f"{report.year}-{report.month:02d} is not over yet; the report is signed after the month ends",
            kind="invalid",
            opens_at=end.isoformat(),
        )
    if not comment.strip():
        raise fail(
            ReportRefusal.COMMENT_REQUIRED,
            "须填写评语",
            "A comment is required",
            kind="invalid",
            missing=["comment"],
        )
    return msgspec.structs.replace(
        report,
        status=ReportStatus.SIGNED,
        manager_comment=comment.strip(),
        signed_by=by_id,
        signed_at=now,
        history=(
            *report.history,
            ReportEvent(action=ReportAction.SIGNED, by=by_id, at=now, comment=comment.strip(),
                        warnings=tuple(warnings)),
        ),
    )


def return_report(report: MonthlyReport, *, by_role: Role, by_id: str, reason: str, now: datetime) -> MonthlyReport:
    """The manager sends a submitted report back to the dispatcher, with a reason, before signing it (D103).

    It is a draft again: its figures are live until it is handed in anew."""
    if by_role is not SIGNER:
        raise fail(
            ReportRefusal.NOT_MANAGER,
            "月报由管理处负责人退回",
            "Only the manager returns a submitted report",
            kind="forbidden",
            role=str(by_role),
        )
    _require_status(report, ReportStatus.SUBMITTED)
    why = _reason(reason)
    return msgspec.structs.replace(
        report,
        status=ReportStatus.DRAFT,
        submitted_by=None,
        submitted_at=None,
        submitted_late=False,
        history=(*report.history, ReportEvent(action=ReportAction.RETURNED, by=by_id, at=now, reason=why)),
    )


def reopen_report(report: MonthlyReport, *, by_role: Role, by_id: str, reason: str, now: datetime) -> MonthlyReport:
    """The general manager takes back a signature given by mistake, with a reason (D103).

    The report is submitted again and waits for the manager's signature; the old signature and its
    comment stay in the history."""
    if by_role is not Role.GENERAL_MANAGER:
        raise fail(
            ReportRefusal.NOT_GENERAL_MANAGER,
            "已签批的月报只有总经理可以撤回重签",
            "Only the general manager can reopen a signed report",
            kind="forbidden",
            role=str(by_role),
        )
    _require_status(report, ReportStatus.SIGNED)
    why = _reason(reason)
    return msgspec.structs.replace(
        report,
        status=ReportStatus.SUBMITTED,
        manager_comment="",
        signed_by=None,
        signed_at=None,
        history=(*report.history, ReportEvent(action=ReportAction.REOPENED, by=by_id, at=now, reason=why)),
    )


def report_overdue(report: MonthlyReport, today: date) -> bool:
    return report.status is ReportStatus.DRAFT and today > report.due_on


def week_of(day: date) -> date:
    """The Monday that starts the week `day` falls in: a week is named by its Monday."""
    return day - timedelta(days=day.weekday())


def week_already_checked(monday: date) -> DomainError:
    return fail(
        ReportRefusal.WEEK_ALREADY_CHECKED,
        "该周已做过质量检查",
        "This week has already been checked",
        week_start=monday.isoformat(),
    )


def record_weekly_check(
    *,
    week_start: date,
    cases_checked: int,
    poor_quality: bool | None,
    findings: str,
    by_role: Role,
    by_id: str,
    now: datetime,
    checked_weeks: Collection[date] = (),
) -> WeeklyCheck:
    """The manager's check of one week (any day of it names the week); one check per week.

    `poor_quality` is the manager's verdict, 不合格 (True) or 合格 (False); None is no verdict, and is
    refused: a default of 合格 would record weeks nobody judged (D59).
    `checked_weeks` are the Mondays already on record for the compound.
    """
    if by_role is not SIGNER:
        raise fail(
            ReportRefusal.NOT_MANAGER,
            "每周质量检查由管理处负责人进行",
            "Only the manager does the weekly quality check",
            kind="forbidden",
            role=str(by_role),
        )
    if poor_quality is None:
        raise fail(
            ReportRefusal.VERDICT_REQUIRED,
            "请选择本周处理质量：合格或不合格",
            "Choose this week's handling quality: good or poor",
            kind="invalid",
            missing=["verdict"],
        )
    if cases_checked < 1:
        # "抽查单数 0" judged a week on no cases at all: a check looks at some (D117).
        raise fail(
            ReportRefusal.NO_CASES_CHECKED,
            "抽查单数至少为 1：质量检查须抽查案件",
            "Check at least one case: the quality check looks at cases",
            kind="invalid",
            missing=["cases_checked"],
        )
    if poor_quality and not findings.strip():
        raise fail(
            ReportRefusal.FINDINGS_REQUIRED,
            "质量不合格须写明问题",
            "Poor quality needs its findings",
            kind="invalid",
            missing=["findings"],
        )
    monday = week_of(week_start)
    if monday in checked_weeks:
        raise week_already_checked(monday)
    return WeeklyCheck(
        week_start=monday,
        checked_by=by_id,
        checked_at=now,
        cases_checked=cases_checked,
        poor_quality=poor_quality,
        findings=findings.strip(),
        capa_required=poor_quality,
    )


def file_capa(
    check: WeeklyCheck,
    *,
    report_no: str,
    content: CapaContent,
    today: date,
    by_role: Role,
    by_id: str,
    now: datetime,
) -> WeeklyCheck:
    """The manager files the corrective-and-preventive-action report a poor week calls for (R-RV-4).

    The report says the problem, its cause, the corrective and the preventive action, who carries them
    out (an active staff account; the service checks it) and by when; it then waits for the general
    manager's sign-off (the seed has it 上报公司). One sent back is filed again; the number stays the
    paper reference (D117). `today` is the compound's date, for the due date.
    """
    if by_role is not SIGNER:
        raise fail(
            ReportRefusal.NOT_MANAGER,
            "纠正预防措施报告由管理处负责人提交",
            "Only the manager files the CAPA report",
            kind="forbidden",
            role=str(by_role),
        )
    if not check.capa_required:
        raise fail(
            ReportRefusal.NO_CAPA_NEEDED, "该周检查无需纠正预防措施", "This check needs no CAPA report"
        )
    if check.capa_report_no is not None and check.capa_status is not CapaStatus.RETURNED:
        raise fail(
            ReportRefusal.CAPA_ALREADY_FILED,
            "该周的纠正预防措施报告已提交",
            "The CAPA report for this week is already filed",
            capa_report_no=check.capa_report_no,
        )
    if not report_no.strip():
        raise fail(
            ReportRefusal.CAPA_REPORT_NO_REQUIRED,
            "须填写纠正预防措施报告编号",
            "The CAPA report number is required",
            kind="invalid",
            missing=["capa_report_no"],
        )
    texts = ("problem", "cause", "corrective_action", "preventive_action", "owner_id")
    missing = [f for f in texts if not getattr(content, f).strip()] + (["due_on"] if content.due_on is None else [])
    if missing:
        raise fail(
            ReportRefusal.CAPA_INCOMPLETE,
            "纠正预防措施报告须写明：发现的问题、原因、纠正措施、预防措施、责任人和完成期限",
            "The CAPA report needs the problem, its cause, the corrective and preventive actions, "
            "who carries them out and by when",
            kind="invalid",
            missing=missing,
        )
    if content.due_on is not None and content.due_on < today:
        raise fail(
            ReportRefusal.CAPA_DUE_PASSED,
            "完成期限不能早于今天",
            "The due date cannot be before today",
            kind="invalid",
            due_on=content.due_on.isoformat(),
        )
    clean = CapaContent(problem=content.problem.strip(), cause=content.cause.strip(),
                        corrective_action=content.corrective_action.strip(),
                        preventive_action=content.preventive_action.strip(), owner_id=content.owner_id.strip(),
                        due_on=content.due_on)
    return msgspec.structs.replace(
        check, capa_report_no=report_no.strip(), capa_filed_by=by_id, capa_filed_at=now, capa=clean,
        capa_status=CapaStatus.SUBMITTED, capa_decided_by=None, capa_decided_at=None, capa_return_reason=None,
        capa_history=(*check.capa_history, CapaEvent(action=CapaStatus.SUBMITTED, by=by_id, at=now)),
        # A report filed again says its actions anew: none of them is done yet.
        capa_done_at=None, capa_done_by=None, capa_done_note=None,
    )


def decide_capa(
    check: WeeklyCheck, *, accept: bool, reason: str, by_role: Role, by_id: str, now: datetime
) -> WeeklyCheck:
    """The general manager accepts a filed CAPA report, or sends it back with a reason (R-RV-4, D117)."""
    if by_role is not Role.GENERAL_MANAGER:
        raise fail(
            ReportRefusal.NOT_GENERAL_MANAGER,
            "纠正预防措施报告由总经理审批",
            "Only the general manager signs off a CAPA report",
            kind="forbidden",
            role=str(by_role),
        )
    if check.capa_status is not CapaStatus.SUBMITTED:
        raise fail(
            ReportRefusal.CAPA_NOT_SUBMITTED,
            "该周没有待审批的纠正预防措施报告",
            "No CAPA report of this week waits for sign-off",
            status=str(check.capa_status) if check.capa_status else None,
        )
    if not accept and not reason.strip():
        raise fail(
            ReportRefusal.REASON_REQUIRED,
            "退回须写明原因",
            "Sending it back needs a reason",
            kind="invalid",
            missing=["reason"],
        )
    status = CapaStatus.ACCEPTED if accept else CapaStatus.RETURNED
    why = "" if accept else reason.strip()
    return msgspec.structs.replace(
        check, capa_status=status, capa_decided_by=by_id, capa_decided_at=now, capa_return_reason=why or None,
        capa_history=(*check.capa_history, CapaEvent(action=status, by=by_id, at=now, reason=why)),
    )


def capa_actions_open(check: WeeklyCheck) -> bool:
    """A CAPA report whose actions are still to be carried out by its owner by its due date: filed with its
    content (D117), not sent back (the manager then files it anew) and not recorded as done."""
    return (check.capa is not None and check.capa.due_on is not None and bool(check.capa.owner_id)
            and check.capa_status in (CapaStatus.SUBMITTED, CapaStatus.ACCEPTED) and check.capa_done_at is None)


def complete_capa(check: WeeklyCheck, *, note: str, by_role: Role, by_id: str, now: datetime) -> WeeklyCheck:
    """The manager records that the report's corrective and preventive actions were carried out, and how
    (R-RV-4): the manager filed the report and checks it was acted on. Its reminders stop with it."""
    if by_role is not SIGNER:
        raise fail(
            ReportRefusal.NOT_MANAGER,
            "纠正预防措施的落实由管理处负责人确认",
            "Only the manager records the corrective actions as done",
            kind="forbidden",
            role=str(by_role),
        )
    if check.capa is None or check.capa_status not in (CapaStatus.SUBMITTED, CapaStatus.ACCEPTED):
        raise fail(
            ReportRefusal.CAPA_NOT_FILED,
            "该周没有待落实的纠正预防措施报告",
            "No filed CAPA report of this week has actions to record as done",
            status=str(check.capa_status) if check.capa_status else None,
        )
    if check.capa_done_at is not None:
        raise fail(
            ReportRefusal.CAPA_ALREADY_DONE,
            "该周纠正预防措施已记录落实",
            "The actions of this CAPA report are already recorded as done",
            done_at=check.capa_done_at.isoformat(),
        )
    if not note.strip():
        raise fail(
            ReportRefusal.CAPA_DONE_NOTE_REQUIRED,
            "须写明措施的落实情况",
            "Say how the actions were carried out",
            kind="invalid",
            missing=["note"],
        )
    return msgspec.structs.replace(check, capa_done_at=now, capa_done_by=by_id, capa_done_note=note.strip())


def open_capas(checks: Iterable[WeeklyCheck]) -> list[WeeklyCheck]:
    """Poor weeks whose CAPA report the manager still owes: never filed, or sent back."""
    return [c for c in checks if c.capa_required
            and (c.capa_report_no is None or c.capa_status is CapaStatus.RETURNED)]


def weeks_unchecked(checks: Iterable[WeeklyCheck], year: int, month: int) -> list[date]:
    """Mondays of the month with no weekly check on record."""
    done = {c.week_start for c in checks}
    days = calendar.monthrange(year, month)[1]
    mondays = [date(year, month, d) for d in range(1, days + 1) if date(year, month, d).weekday() == 0]
    return [m for m in mondays if m not in done]


# --- the month's weekly checks as the report shows them (R-RV-4, R-FU-10) ----------------------


class CapaState(StrEnum):
    """Where a week's corrective-and-preventive-action report stands, as the monthly report says it."""

    NOT_REQUIRED = "not_required"  # a good week
    OWED = "owed"  # a poor week with no report filed
    RETURNED = "returned"  # sent back by the general manager: owed again
    SUBMITTED = "submitted"  # filed, waiting for the general manager
    ACCEPTED = "accepted"
    FILED = "filed"  # filed before reports were signed off (D117): its number only


class QualityWeek(msgspec.Struct, frozen=True, kw_only=True):
    """One week of the month (named by its Monday) in the report: its check, or that it has none."""

    week_start: date
    checked: bool
    checked_by: str = ""  # the manager's name
    checked_at: datetime | None = None
    cases_checked: int = 0
    poor_quality: bool | None = None  # None: not checked
    findings: str = ""
    capa_state: CapaState | None = None  # None: not checked
    capa_report_no: str | None = None


class MonthQuality(msgspec.Struct, frozen=True, kw_only=True):
    """The month's weekly quality checks beside its figures, read live: the checks are the manager's
    record and a CAPA report moves on after the summary is handed in (R-RV-4)."""

    weeks: tuple[QualityWeek, ...]  # every week of the month begun since the compound's first, oldest first
    unchecked_weeks: tuple[date, ...]  # of those, the ones with no check on record
    targets_missed: tuple[str, ...]  # the rates that missed their R-FU-10 target (keys)
    capa_owed: tuple[date, ...]  # poor weeks whose CAPA report is not filed, or was sent back
    # The month missed a target and no week of it has a CAPA report filed: the poor quality the figures
    # show has no corrective action on record (R-RV-4).
    capa_needed: bool
    sign_warnings: tuple[SignWarning, ...]


def capa_state(check: WeeklyCheck) -> CapaState:
    if not check.capa_required:
        return CapaState.NOT_REQUIRED
    if check.capa_report_no is None:
        return CapaState.OWED
    if check.capa_status is None:
        return CapaState.FILED
    return CapaState(str(check.capa_status))


def month_quality(report: MonthlyReport, checks: Iterable[WeeklyCheck], *, first_day: date, today: date,
                  names: dict[str, str] | None = None) -> MonthQuality:
    """The weeks of the report's month with their checks (R-RV-4), the targets it missed (R-FU-10) and
    what the manager is warned of before signing it.

    A week belongs to the month its Monday falls in (as `weeks_unchecked`). Only weeks that have begun
    (by `today`, the compound's date) and that the compound lived in (from the week of `first_day`)
    are listed, and any week checked: a week to come is not unchecked yet, and one before the compound
    existed never will be.
    """
    names = names or {}
    by_week = {c.week_start: c for c in checks}
    mondays = [m for m in weeks_unchecked((), report.year, report.month)
               if m in by_week or week_of(first_day) <= m <= today]
    weeks: list[QualityWeek] = []
    for monday in mondays:
        c = by_week.get(monday)
        if c is None:
            weeks.append(QualityWeek(week_start=monday, checked=False))
            continue
        weeks.append(QualityWeek(
            week_start=monday, checked=True, checked_by=names.get(c.checked_by, c.checked_by),
            checked_at=c.checked_at, cases_checked=c.cases_checked, poor_quality=c.poor_quality,
            findings=c.findings, capa_state=capa_state(c), capa_report_no=c.capa_report_no))
    unchecked = tuple(w.week_start for w in weeks if not w.checked)
    owed = tuple(w.week_start for w in weeks if w.capa_state in (CapaState.OWED, CapaState.RETURNED))
    missed = tuple(r.key for r in report.rates if r.met is False)
    filed = any(w.capa_report_no and w.capa_state is not CapaState.RETURNED for w in weeks)
    needed = bool(missed) and not filed
    warnings = ((SignWarning.WEEKS_UNCHECKED,) if unchecked else ()) + (
        (SignWarning.CAPA_MISSING,) if owed or needed else ())
    return MonthQuality(weeks=tuple(weeks), unchecked_weeks=unchecked, targets_missed=missed, capa_owed=owed,
                        capa_needed=needed, sign_warnings=warnings)
