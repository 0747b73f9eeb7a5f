"""The deadline engine: every time limit the rules put on a case, as clocks the desk can queue.

`clocks(case, calendar, now, policy)` derives all clocks from the case's own server timestamps
and the compound's calendar. Device times never enter (design guarantee 4), so a phone with a
wrong clock cannot move a deadline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

from server.domain import special_services as sp
from server.domain import surveys as sv
from server.domain.calendar import BusinessCalendar
from server.domain.cases import (
    FAST_ORDER_RESPONSIBILITIES,
    PLAN_THRESHOLD_DAYS,
    Case,
    CaseState,
    FollowUpKind,
    Kind,
    PaidService,
    RepairClass,
    ReplyMedium,
    WorkOrder,
    WorkOrderState,
    feedback_due_at,
    written_replies,
)
from server.domain.roles import Role


class ClockCode(StrEnum):
    FU1_FIRST_FOLLOW_UP = "FU1_FIRST_FOLLOW_UP"
    FU2_END_OF_DAY = "FU2_END_OF_DAY"
    FU3_MONDAY_REVIEW = "FU3_MONDAY_REVIEW"
    FU4_ON_SITE_15M = "FU4_ON_SITE_15M"
    FU4_REPAIR_2H = "FU4_REPAIR_2H"
    FU4_REPAIR_24H = "FU4_REPAIR_24H"
    FU4_GENERAL_72H = "FU4_GENERAL_72H"
    FU4_MAJOR_NOTICE_48H = "FU4_MAJOR_NOTICE_48H"
    FU5_PLAN = "FU5_PLAN"
    FU5_DAILY_PROGRESS = "FU5_DAILY_PROGRESS"
    FU6_SLIP_BACK_24H = "FU6_SLIP_BACK_24H"
    FU6_CALLBACK_72H = "FU6_CALLBACK_72H"
    FU7_PAID_ARRIVE_20M = "FU7_PAID_ARRIVE_20M"
    FU7_PAID_PROMISE_25M = "FU7_PAID_PROMISE_25M"
    FU7_LAUNDRY_15M = "FU7_LAUNDRY_15M"
    FU7_GAMES_10M = "FU7_GAMES_10M"
    IN5_HELP_REPLY_5M = "IN5_HELP_REPLY_5M"
    IN5_WRITTEN_REPLY_2D = "IN5_WRITTEN_REPLY_2D"
    FU8_FEEDBACK_DATE = "FU8_FEEDBACK_DATE"
    FU9_COMPLAINT_15D = "FU9_COMPLAINT_15D"
    IN6_ORDER_TO_TEAM_5M = "IN6_ORDER_TO_TEAM_5M"


# code -> (rule, label_zh, label_en)
CLOCK_INFO: dict[ClockCode, tuple[str, str, str]] = {
    ClockCode.FU1_FIRST_FOLLOW_UP: ("R-FU-1", "立项后 2 小时首次跟进", "First follow-up 2 h after opening"),
    ClockCode.FU2_END_OF_DAY: ("R-FU-2", "当日下班前第二次跟进", "Second follow-up before end of day"),
    ClockCode.FU3_MONDAY_REVIEW: ("R-FU-3", "周一复查上周案件", "Monday review of last week's cases"),
    ClockCode.FU4_ON_SITE_15M: ("R-FU-4", "派工后 15 分钟到场", "On site 15 min after the work order"),
    ClockCode.FU4_REPAIR_2H: ("R-FU-4", "小修/公共/急修 2 小时内完成", "Small, common-area or urgent repair: 2 h aim"),
    ClockCode.FU4_REPAIR_24H: (
        "R-FU-4",
        "小修/公共/急修不超过 24 小时",
        "Small, common-area or urgent repair: 24 h cap",
    ),
    ClockCode.FU4_GENERAL_72H: ("R-FU-4", "一般维修 72 小时内完成", "General repair within 72 h"),
    ClockCode.FU4_MAJOR_NOTICE_48H: (
        "R-FU-4",
        "重大/外委/外购件维修 48 小时内告知预计完成时间",
        "Major/outsourced/parts repair: tell the expected completion within 48 h",
    ),
    ClockCode.FU5_PLAN: ("R-FU-5", "超过 3 天的维修方案审批", "Plan approval for a repair over 3 days"),
    ClockCode.FU5_DAILY_PROGRESS: ("R-FU-5", "每日进度记录", "Daily progress entry"),
    ClockCode.FU6_SLIP_BACK_24H: (
        "R-FU-6",
        "完工后 24 小时内交回服务单",
        "Slip back within 24 h of completion",
    ),
    ClockCode.FU6_CALLBACK_72H: ("R-FU-6", "服务单交回后 72 小时内回访", "Call-back within 72 h of the slip"),
    ClockCode.FU7_PAID_ARRIVE_20M: ("R-FU-7", "有偿服务 20 分钟内到达", "Paid service: arrive within 20 min"),
    ClockCode.FU7_PAID_PROMISE_25M: ("R-FU-7", "向住户承诺 25 分钟内到达", "Paid service: 25 min promise"),
    ClockCode.FU7_LAUNDRY_15M: ("R-FU-7", "洗衣 15 分钟内上门收取", "Laundry pick-up within 15 min"),
    ClockCode.FU7_GAMES_10M: ("R-FU-7", "棋牌用品 10 分钟内送到", "Games delivered within 10 min"),
    ClockCode.IN5_HELP_REPLY_5M: ("R-IN-5", "求助 5 分钟内答复", "Help request: reply within 5 min"),
    ClockCode.IN5_WRITTEN_REPLY_2D: (
        "R-IN-5",
        "书面咨询两日内书面答复",
        "Written inquiry: written reply in 2 days",
    ),
    ClockCode.FU8_FEEDBACK_DATE: ("R-FU-8", "按约定日期反馈", "Feedback by the promised date"),
    ClockCode.FU9_COMPLAINT_15D: ("R-FU-9", "投诉期限内结案", "Complaint closed within the limit"),
    ClockCode.IN6_ORDER_TO_TEAM_5M: (
        "R-IN-6",
        "5 分钟内将派工单送达维修组",
        "Work order reaches the team in 5 min",
    ),
}


class DeadlinePolicy(msgspec.Struct, frozen=True, kw_only=True):
    """A compound's configurable limits; defaults are the rules' figures."""

    complaint_close_days: int = 15  # R-FU-9: the stricter seed
    first_follow_up_minutes: int = 120
    on_site_minutes: int = 15
    repair_aim_hours: int = 2
    repair_cap_hours: int = 24
    general_repair_hours: int = 72
    major_notice_hours: int = 48
    slip_back_hours: int = 24
    callback_hours: int = 72
    paid_arrive_minutes: int = 20
    paid_promise_minutes: int = 25
    # R-FU-7: a delay must be explained this soon for a new agreed time to replace the promise.
    paid_delay_notice_minutes: int = 20
    laundry_minutes: int = 15
    games_minutes: int = 10
    help_reply_minutes: int = 5
    # R-IN-5 says "within 2 days" with no "working": read as calendar days (48 h), the stricter.
    written_reply_days: int = 2
    order_to_team_minutes: int = 5
    # No rule limits a work order for a complaint or a request: the desk's default is a day.
    other_order_hours: int = 24
    # How long before due_at the follow-up queue starts reminding.
    reminder_lead_minutes: int = 15



def work_order_deadline(case: Case, now: datetime, policy: DeadlinePolicy | None = None) -> datetime:
    """The deadline a work order gets when the desk sets none.

    A repair's order is due when the case's own R-FU-4 clock is: the limits run from the report (the
    case's received time), as the clocks and the timeliness figures count them, so a late dispatch
    does not buy the team more time than the resident was promised. The first limit still ahead is
    the order's (the 2-hour aim, then the 24-hour cap for small, common-facility and urgent repairs;
    the 48-hour notice for major, outsourced and parts-from-elsewhere ones; 72 hours otherwise, as the
    general clock holds an unclassified repair); when all have passed the last one stands, and the
    order is overdue from the start. A complaint's or a request's order gets a day from the order.
    A paid service gets the team's 20 minutes, never past the resident's promise, which runs from the
    fee's acceptance, the case's received time (R-FU-7).

    A repair reopened by an unsatisfied call-back has its rework order counted the same way from the
    reopening, the moment the resident reported it still broken (D133): counted from the first
    report every limit has long passed, and an order due before it is sent cannot be sent."""
    policy = policy or DeadlinePolicy()
    if case.kind == Kind.SPECIAL_SERVICE:
        return paid_order_deadline(case, now, policy)
    if case.kind != Kind.REPAIR:
        return now + timedelta(hours=policy.other_order_hours)
    rc = case.repair_class
    if rc in (RepairClass.SMALL, RepairClass.COMMON_FACILITY, RepairClass.URGENT):
        hours = (policy.repair_aim_hours, policy.repair_cap_hours)
    elif rc in (RepairClass.MAJOR, RepairClass.OUTSOURCED, RepairClass.PARTS_ELSEWHERE):
        hours = (policy.major_notice_hours,)
    else:
        hours = (policy.general_repair_hours,)
    reported = case.reopenings[-1].at if case.reopenings else case.received_at
    limits = [reported + timedelta(hours=h) for h in hours]
    return next((t for t in limits if t > now), limits[-1])

class ClockStop(StrEnum):
    """Why a clock stopped without being met (D90)."""

    CLOSED = "closed"  # the case was closed (销项)
    CANNOT_HANDLE = "cannot_handle"  # the case was parked as cannot-handle
    # The work was completed: the first and second follow-ups (R-FU-1/2) check and press the handling,
    # and finished work leaves nothing to press (D109). Only those two clocks stop at the completion.
    COMPLETED = "completed"


class Clock(msgspec.Struct, frozen=True, kw_only=True):
    code: ClockCode
    rule: str
    label_zh: str
    label_en: str
    started_at: datetime
    due_at: datetime
    responsible_role: Role
    responsible_id: str | None = None
    satisfied_at: datetime | None = None
    # Missed: still unsatisfied past due, or satisfied late. Kept true after a late
    # satisfaction so statistics (timely rate) can count it.
    overdue: bool = False
    # Whether the clock still needs someone: unsatisfied on a case that is still open.
    running: bool = True
    remind_at: datetime | None = None
    # Stopped unmet by the case's end (D90): when, and by what. Never set together with satisfied_at,
    # so a follow-up nobody recorded is not read as done on the case page or in any figure.
    stopped_at: datetime | None = None
    stopped_by: ClockStop | None = None


# R-IN-5: a written inquiry answered only by phone or in person still owes its written reply.
ORAL_REPLY_LABELS: dict[ReplyMedium, tuple[str, str]] = {
    ReplyMedium.PHONE: (
        "书面咨询两日内书面答复（已电话答复，书面答复仍未给出）",
        "Written inquiry: written reply in 2 days (answered by phone; the written reply is still due)",
    ),
    ReplyMedium.IN_PERSON: (
        "书面咨询两日内书面答复（已当面答复，书面答复仍未给出）",
        "Written inquiry: written reply in 2 days (answered in person; the written reply is still due)",
    ),
}

# R-FU-7: after a delay notice the promise clock runs to the time agreed with the resident.
AGREED_NEW_TIME_LABELS = ("与住户约定的新到达时间", "Paid service: new time agreed with the resident")



def paid_promise_due(case: Case, policy: DeadlinePolicy, *, as_of: datetime | None = None) -> tuple[datetime, bool]:
    """The arrival a paid service's resident was promised (R-FU-7), and whether it is a new time.

    The promise runs from the fee's acceptance (the case's received time): 25 minutes for home
    services, 15 for laundry, 10 for games. A delay explained within 20 minutes with a new agreed time
    replaces the 25 minutes (True). `as_of` leaves out notices recorded after that moment: an order
    sent before the notice was capped by the promise as it stood then, and keeps that deadline.
    """
    code = case.service_code
    if code in (PaidService.LAUNDRY, PaidService.GAMES):
        minutes = policy.laundry_minutes if code == PaidService.LAUNDRY else policy.games_minutes
        return case.received_at + timedelta(minutes=minutes), False
    due, agreed = case.received_at + timedelta(minutes=policy.paid_promise_minutes), False
    notice_by = case.received_at + timedelta(minutes=policy.paid_delay_notice_minutes)
    for f in case.follow_ups:
        if (f.kind == FollowUpKind.DELAY_NOTICE and f.at <= notice_by and f.new_due_at is not None
                and (as_of is None or f.at <= as_of)):
            due, agreed = f.new_due_at, True
    return due, agreed


def paid_order_deadline(case: Case, sent_at: datetime, policy: DeadlinePolicy | None = None) -> datetime:
    """The on-site deadline of a paid service's work order sent at `sent_at` (R-FU-7): the team's 20
    minutes, never past the resident's promise (or the time agreed after a delay notice) while that is
    still ahead. The one computation behind the stored order, its arrival clock and the phone (D41)."""
    policy = policy or DeadlinePolicy()
    promised_by, _ = paid_promise_due(case, policy, as_of=sent_at)
    return sp.team_arrive_by(promised_by=promised_by, now=sent_at, minutes=policy.paid_arrive_minutes)


def order_deadline(
    case: Case, now: datetime, policy: DeadlinePolicy | None = None, *, asked: datetime | None = None
) -> datetime:
    """The deadline of a work order sent now: the one the desk typed, else `work_order_deadline`.

    A paid service's order may be given less time than the team's 20 minutes, never more than the
    resident's promise: a typed time past the cap is held to it (R-FU-7), so the order, its clock and
    the technician's phone cannot disagree (D41)."""
    if case.kind == Kind.SPECIAL_SERVICE:
        cap = paid_order_deadline(case, now, policy)
        return cap if asked is None else min(asked, cap)
    return asked or work_order_deadline(case, now, policy)


# The resident's promise is the desk's clock (it owes the delay notice), but the team on the way
# must know it too, and above all the new time agreed after a delay notice: the phone shows it.
_SHOWN_TO_EVERY_EXECUTOR = frozenset({ClockCode.FU7_PAID_PROMISE_25M})


def shown_on_phone(clock: Clock, assignee_id: str) -> bool:
    """Whether a clock belongs on the phone of the work order's assignee: running, or met (on time or
    late, D106) — a met clock staying on the job says when, and whether in time. One stopped unmet by the
    close is not (the job leaves the phone then anyway)."""
    if not clock.running and clock.satisfied_at is None:
        return False
    return clock.responsible_id in (None, assignee_id) or clock.code in _SHOWN_TO_EVERY_EXECUTOR


def phone_clock_state(clock: Clock) -> tuple[str, int | None]:
    """How the phone shows a clock (D106): ("running", None) while it counts down (overdue or not — the
    phone counts the minutes itself), ("met", None) when met in time, ("missed", n) when met n whole
    minutes late (a part minute counts as one: 15:20 past a 15-minute limit is late). Decided here, from
    server times, so a phone with a wrong clock cannot call a late arrival on time."""
    if clock.satisfied_at is None:
        return "running", None
    if clock.satisfied_at <= clock.due_at:
        return "met", None
    return "missed", minutes_late(clock.due_at, clock.satisfied_at)


def minutes_late(due: datetime, until: datetime) -> int:
    """Whole minutes from `due` to `until`, a started minute counting as one (20 seconds late is 1 minute
    late, never 0); 0 when `until` is not after `due`. The one rounding of lateness: the phone's missed
    clocks, the monthly report's overdue list and its late help replies (R-RV-5, R-IN-5)."""
    late = until - due
    return 0 if late <= timedelta(0) else -(-late // timedelta(minutes=1))


# --- helpers -----------------------------------------------------------------------------------


def _first(times: Iterable[datetime | None]) -> datetime | None:
    present = [t for t in times if t is not None]
    return min(present) if present else None


def _follow_ups(case: Case, kind: FollowUpKind, after: datetime | None = None) -> list[datetime]:
    return sorted(f.at for f in case.follow_ups if f.kind == kind and (after is None or f.at >= after))


def _current_work_order(case: Case) -> WorkOrder | None:
    """The work order whose times count: the active one, else the last one that got done."""
    active = case.active_work_order
    if active is not None:
        return active
    for wo in reversed(case.work_orders):
        if wo.state == WorkOrderState.COMPLETED:
            return wo
    return None


def _first_arrival(case: Case) -> datetime | None:
    return _first(wo.arrived_at for wo in case.work_orders)


def _end_of_case(case: Case) -> datetime | None:
    """When the case stopped needing follow-up: closed, or parked as cannot-handle."""
    stop = _stop_of_case(case)
    return stop[0] if stop is not None else None


def _stop_of_case(case: Case) -> tuple[datetime, ClockStop] | None:
    if case.close is not None:
        return case.close.closed_at, ClockStop.CLOSED
    if case.cannot_handle is not None:
        return case.cannot_handle.recorded_at, ClockStop.CANNOT_HANDLE
    return None


def _work_completed(case: Case) -> tuple[datetime, ClockStop] | None:
    """When the work was first completed (D109): the follow-ups of R-FU-1/2 ("了解处理与安排情况，并催促
    处理进度", seed 000 §3.1.4–3.1.5) have nothing left to press once it is done. A later rework order is
    followed through its own clocks (R-DI-3, R-FU-5) and the Monday review (R-FU-3).

    A case handled without a work order (a complaint answered at the desk) was done when it was first
    closed: reopened by a call-back, its follow-ups stay stopped there rather than run again, days
    overdue, from the opening (D133)."""
    done = _first(wo.completed_at for wo in case.work_orders)
    if done is not None:
        return done, ClockStop.COMPLETED
    first_close = case.first_close
    if first_close is not None and case.close is None:
        return first_close.closed_at, ClockStop.CLOSED
    return None


def second_follow_up_due(opened_at: datetime, calendar: BusinessCalendar, policy: DeadlinePolicy) -> datetime:
    """R-FU-2: the end of the working day the first follow-up (R-FU-1) falls in (D90).

    The seed has the second follow-up come "before the end of that day", after the first one 2 hours
    from the opening. A case opened late in the afternoon (17:23, the day ending 17:30) had its second
    follow-up due 7 minutes after opening, before its first. Counting the day from the first follow-up's
    due time keeps the order: opened before work_end minus 2 h it is that day's work_end; later, or after
    hours, it is the next working day's (over a weekend, holidays and 调休 as the calendar says). The first
    follow-up itself stays 2 plain hours, as every other hour-counted clock: the night duty officer
    follows up too (roles: 值班人员)."""
    first_due = opened_at + timedelta(minutes=policy.first_follow_up_minutes)
    return calendar.end_of_working_day(first_due)


class _Builder:
    def __init__(self, case: Case, now: datetime, policy: DeadlinePolicy) -> None:
        self.case = case
        self.now = now
        self.policy = policy
        self.out: list[Clock] = []
        self.case_open = case.state not in (CaseState.CLOSED, CaseState.NOT_OPENED, CaseState.CANNOT_HANDLE)

    def add(
        self,
        code: ClockCode,
        *,
        start: datetime,
        due: datetime,
        satisfied: datetime | None,
        role: Role,
        user_id: str | None = None,
        labels: tuple[str, str] | None = None,
        outlives_case: bool = False,
        stops_at_completion: bool = False,
    ) -> None:
        rule, zh, en = CLOCK_INFO[code]
        if labels is not None:
            zh, en = labels
        # A clock that outlives the case (the R-FU-6 call-back) keeps running after the close.
        stop = None if outlives_case else _stop_of_case(self.case)
        stopped_by_completion = False
        if stops_at_completion:
            done = _work_completed(self.case)
            if done is not None and (stop is None or done[0] < stop[0]):
                stop, stopped_by_completion = done, True
        end = stop[0] if stop is not None else None
        # A closed case stops its clocks: judge lateness at the close, not at now.
        judged_at = self.now if end is None else min(self.now, end)
        overdue = satisfied > due if satisfied is not None else judged_at > due
        self.out.append(
            Clock(
                code=code,
                rule=rule,
                label_zh=zh,
                label_en=en,
                started_at=start,
                due_at=due,
                responsible_role=role,
                responsible_id=user_id,
                satisfied_at=satisfied,
                overdue=overdue,
                running=satisfied is None and (self.case_open or outlives_case) and not stopped_by_completion,
                remind_at=due - timedelta(minutes=self.policy.reminder_lead_minutes),
                # Unmet at the case's end: stopped, not met (D90).
                stopped_at=end if satisfied is None and stop is not None else None,
                stopped_by=stop[1] if satisfied is None and stop is not None else None,
            )
        )


def _written_reply_clock(b: _Builder, case: Case, policy: DeadlinePolicy) -> None:
    """R-IN-5: a written inquiry's written reply within 2 days of receipt, met only by a written reply (D62).

    It keeps running until the written reply is recorded however the case stands: left unopened (R-OP-2;
    the case then runs nothing else, D69) or parked as cannot-handle until the quarterly review, which
    closes it only once the reply is on record (D70). Only a case closed before closing asked for the
    written reply (before D70) stops it at the close."""
    written = _first(written_replies(case))
    oral = [f.medium for f in case.follow_ups if f.kind == FollowUpKind.REPLY and f.medium in ORAL_REPLY_LABELS]
    b.add(
        ClockCode.IN5_WRITTEN_REPLY_2D,
        start=case.received_at,
        due=case.received_at + timedelta(days=policy.written_reply_days),
        satisfied=written,
        role=Role.FRONT_DESK,
        user_id=case.receiver_id,
        # Answered by phone or in person only: the clock still runs, and says why.
        labels=ORAL_REPLY_LABELS[oral[-1]] if written is None and oral else None,
        outlives_case=case.state in (CaseState.NOT_OPENED, CaseState.CANNOT_HANDLE),
    )


# --- the engine --------------------------------------------------------------------------------


def clocks(
    case: Case,
    calendar: BusinessCalendar,
    now: datetime,
    policy: DeadlinePolicy | None = None,
    *,
    call_back: sv.CallBackTask | None = None,
) -> list[Clock]:
    """All clocks of a case, soonest due first, then in rule order. An unopened intake runs none but a
    written inquiry's written reply (R-IN-5, D69).

    `call_back` is the case's stored call-back task (R-FU-6), when the caller has it: the call-back
    often happens after the case is closed, so with it the call-back clock keeps running past the
    close and is met when the call-back is recorded on the task. Without it the clock is judged from
    the case alone and stops at the close."""
    policy = policy or DeadlinePolicy()
    if case.state == CaseState.NOT_OPENED:
        # R-OP-2: an intake left unopened is not followed up, but R-IN-5's written reply is owed
        # whatever the opening decision; that one clock runs on it until the written reply (D69).
        if not case.owes_written_reply:
            return []
        b = _Builder(case, now, policy)
        _written_reply_clock(b, case, policy)
        return b.out
    b = _Builder(case, now, policy)
    # The handling (a complaint's close, a help request's reply) is judged on the first close: a case a
    # call-back reopened was handled then, and the reopening is counted as such, not as lateness
    # (R-FU-8, R-FU-9, R-IN-5; D133).
    first_close = case.first_close
    closed_at = first_close.closed_at if first_close is not None else None
    # Nobody follows a case raised from a field phone until someone at the desk takes it: until then its
    # desk clocks are every dispatcher's, not the reporter's on their round.
    follower = case.follower_id or None

    # R-IN-5
    if case.kind == Kind.HELP:
        b.add(
            ClockCode.IN5_HELP_REPLY_5M,
            start=case.received_at,
            due=case.received_at + timedelta(minutes=policy.help_reply_minutes),
            satisfied=_first([*_follow_ups(case, FollowUpKind.REPLY), closed_at]),
            role=Role.DISPATCHER,
            # Raised from a phone, the receiver on record is the reporter: the desk answers them.
            user_id=None if case.field_report is not None else case.receiver_id,
        )
    if case.owes_written_reply:
        _written_reply_clock(b, case, policy)

    # R-IN-6: (a), (b) and (d) reach the team within 5 minutes; so does a repair still to be judged on
    # site (no responsibility yet), since only the team on site can judge it (D45). Only (c), where the
    # owner pays and must hear why first, waits for the desk.
    if case.kind == Kind.REPAIR and (
        case.repair_responsibility is None or case.repair_responsibility in FAST_ORDER_RESPONSIBILITIES
    ):
        b.add(
            ClockCode.IN6_ORDER_TO_TEAM_5M,
            start=case.received_at,
            due=case.received_at + timedelta(minutes=policy.order_to_team_minutes),
            satisfied=_first(wo.assigned_at for wo in case.work_orders),
            role=Role.DISPATCHER,
            user_id=follower,
        )

    # R-FU-1, R-FU-2: only an opened case is followed up.
    opened_at = case.opened_at
    if opened_at is not None:
        b.add(
            ClockCode.FU1_FIRST_FOLLOW_UP,
            start=opened_at,
            due=opened_at + timedelta(minutes=policy.first_follow_up_minutes),
            # Closing the case stops the follow-ups, it does not make them: stopped, not met (D90).
            satisfied=_first(_follow_ups(case, FollowUpKind.FIRST, opened_at)),
            role=Role.DISPATCHER,
            user_id=follower,
            stops_at_completion=True,  # nothing to press once the work is done (D109)
        )
        b.add(
            ClockCode.FU2_END_OF_DAY,
            start=opened_at,
            due=second_follow_up_due(opened_at, calendar, policy),
            satisfied=_first(_follow_ups(case, FollowUpKind.SECOND, opened_at)),
            role=Role.DISPATCHER,
            user_id=follower,
            stops_at_completion=True,
        )

    # R-FU-3: every case the Monday review lists — last week's by its receipt, as the review page counts
    # them, and one still waiting for its opening decision too (D116: the review passes those up).
    # Recurring: each recorded review re-arms the clock for the following week's review.
    anchor = monday_review_anchor(case)
    b.add(
        ClockCode.FU3_MONDAY_REVIEW,
        start=anchor,
        due=calendar.monday_review_due(anchor),
        # Recurring until the case ends; the end stops it (stopped_at), it is never "met".
        satisfied=None,
        role=Role.DISPATCHER,
        user_id=follower,
    )

    # Timeliness is the first completion's (R-FU-4): a redo after an unsatisfied call-back is rework,
    # counted as such (R-FU-10), and does not re-judge it (D133). The slip and the call-back of
    # R-FU-6 follow the latest round of work.
    first_done = case.first_completed_at
    completed_at = case.last_completed_at
    wo = _current_work_order(case)

    # R-FU-4
    if case.kind == Kind.REPAIR:
        if wo is not None:
            b.add(
                ClockCode.FU4_ON_SITE_15M,
                start=wo.assigned_at,
                due=wo.assigned_at + timedelta(minutes=policy.on_site_minutes),
                satisfied=wo.arrived_at,
                role=wo.assignee_role,
                user_id=wo.assignee_id,
            )
        rc = case.repair_class
        exec_role, exec_id = (wo.assignee_role, wo.assignee_id) if wo else (Role.TEAM_LEAD, None)
        if rc in (RepairClass.SMALL, RepairClass.COMMON_FACILITY, RepairClass.URGENT):
            b.add(
                ClockCode.FU4_REPAIR_2H,
                start=case.received_at,
                due=case.received_at + timedelta(hours=policy.repair_aim_hours),
                satisfied=first_done,
                role=exec_role,
                user_id=exec_id,
            )
            b.add(
                ClockCode.FU4_REPAIR_24H,
                start=case.received_at,
                due=case.received_at + timedelta(hours=policy.repair_cap_hours),
                satisfied=first_done,
                role=exec_role,
                user_id=exec_id,
            )
        elif rc in (RepairClass.MAJOR, RepairClass.OUTSOURCED, RepairClass.PARTS_ELSEWHERE):
            b.add(
                ClockCode.FU4_MAJOR_NOTICE_48H,
                start=case.received_at,
                due=case.received_at + timedelta(hours=policy.major_notice_hours),
                satisfied=_first([*_follow_ups(case, FollowUpKind.COMPLETION_NOTICE), first_done]),
                role=Role.DISPATCHER,
                user_id=follower,
            )
        else:
            # An unclassified repair is held to the general limit rather than to none.
            b.add(
                ClockCode.FU4_GENERAL_72H,
                start=case.received_at,
                due=case.received_at + timedelta(hours=policy.general_repair_hours),
                satisfied=first_done,
                role=exec_role,
                user_id=exec_id,
            )

    # R-FU-5
    plan = case.plan
    if plan is not None and plan.expected_days > PLAN_THRESHOLD_DAYS:
        b.add(
            ClockCode.FU5_PLAN,
            start=plan.submitted_at,
            due=calendar.end_of_working_day(plan.submitted_at),
            satisfied=plan.approved_at,
            role=Role.ENGINEERING,
        )
        last = case.progress[-1].at if case.progress else plan.submitted_at
        # One entry per working day: the next is due by the end of the working day after the
        # last one (or after the plan was submitted).
        next_day = calendar.next_working_day(calendar.working_day_of(last))
        b.add(
            ClockCode.FU5_DAILY_PROGRESS,
            start=last,
            due=calendar.at(next_day, calendar.work_end),
            satisfied=completed_at,
            role=Role.TEAM_LEAD,
        )

    # R-FU-6
    if case.kind in (Kind.REPAIR, Kind.SPECIAL_SERVICE) and completed_at is not None:
        returned = case.slip.slip_returned_at if case.slip is not None else None
        b.add(
            ClockCode.FU6_SLIP_BACK_24H,
            start=completed_at,
            due=completed_at + timedelta(hours=policy.slip_back_hours),
            satisfied=returned,
            role=wo.assignee_role if wo else Role.TEAM_LEAD,
            user_id=wo.assignee_id if wo else None,
        )
        if case.kind == Kind.REPAIR and returned is not None:
            b.add(
                ClockCode.FU6_CALLBACK_72H,
                start=returned,
                due=returned + timedelta(hours=policy.callback_hours),
                satisfied=_first([
                    *_follow_ups(case, FollowUpKind.CALLBACK, completed_at),
                    call_back.called_back_at if call_back is not None else None,
                ]),
                role=Role.MANAGER,
                outlives_case=call_back is not None,
            )

    # R-FU-7
    if case.kind == Kind.SPECIAL_SERVICE and case.service_code is not None:
        arrival = _first_arrival(case)
        code = case.service_code
        if code in (PaidService.HOME_REPAIR, PaidService.HOME_CLEANING):
            if wo is not None:
                # The order the technician holds: 20 minutes from it, capped by the promise as it stood
                # when it was sent, and never later than the deadline stored on it (D41). A clock of
                # its own from the first order said 20 minutes even past the resident's promise.
                b.add(
                    ClockCode.FU7_PAID_ARRIVE_20M,
                    start=wo.assigned_at,
                    due=min(wo.deadline_at, paid_order_deadline(case, wo.assigned_at, policy)),
                    satisfied=arrival,
                    role=wo.assignee_role,
                    user_id=wo.assignee_id,
                )
            # A delay explained in time, with a new agreed time, replaces the 25-minute promise;
            # the clock then says so instead of still reading "25 minutes".
            promise_due, agreed = paid_promise_due(case, policy)
            labels = AGREED_NEW_TIME_LABELS if agreed else None
            b.add(
                ClockCode.FU7_PAID_PROMISE_25M,
                start=case.received_at,
                due=promise_due,
                satisfied=arrival,
                role=Role.FRONT_DESK,
                user_id=follower,
                labels=labels,
            )
        elif code in (PaidService.LAUNDRY, PaidService.GAMES):
            minutes = policy.laundry_minutes if code == PaidService.LAUNDRY else policy.games_minutes
            b.add(
                ClockCode.FU7_LAUNDRY_15M if code == PaidService.LAUNDRY else ClockCode.FU7_GAMES_10M,
                start=case.received_at,
                due=case.received_at + timedelta(minutes=minutes),
                satisfied=arrival,
                role=wo.assignee_role if wo else Role.FRONT_DESK,
                user_id=wo.assignee_id if wo else follower,
            )

    # R-FU-8, R-FU-9
    if case.kind == Kind.COMPLAINT:
        due = feedback_due_at(case, calendar)
        if due is not None:
            promised_since = case.feedback_promises[-1].set_at
            b.add(
                ClockCode.FU8_FEEDBACK_DATE,
                start=promised_since,
                due=due,
                satisfied=_first([*_follow_ups(case, FollowUpKind.FEEDBACK, promised_since), closed_at]),
                role=Role.DISPATCHER,
                user_id=follower,
            )
        b.add(
            ClockCode.FU9_COMPLAINT_15D,
            start=case.received_at,
            due=case.received_at + timedelta(days=policy.complaint_close_days),
            satisfied=closed_at,
            role=Role.DISPATCHER,
            user_id=follower,
        )

    # Every list of clocks (the case page, the phone's job, the queue) reads soonest first: the
    # end-of-day follow-up (R-FU-2) of a morning case comes after its 2-hour one (R-FU-1).
    return sorted(b.out, key=_due_then_rule)


def _due_then_rule(c: Clock) -> tuple[datetime, str, int, str]:
    # "R-FU-4" before "R-FU-10": the rule's number compares as a number.
    group, _, number = c.rule.rpartition("-")
    return (c.due_at, group, int(number) if number.isdigit() else 0, c.code)


def next_due(all_clocks: Iterable[Clock]) -> Clock | None:
    """The running clock due first: the head of the follow-up queue."""
    running = [c for c in all_clocks if c.running]
    return min(running, key=lambda c: (c.due_at, c.code)) if running else None


def follow_up_queue(all_clocks: Iterable[Clock]) -> list[Clock]:
    """Running clocks, soonest first (overdue ones naturally lead)."""
    return sorted((c for c in all_clocks if c.running), key=lambda c: (c.due_at, c.code))


def reminders_due(all_clocks: Iterable[Clock], now: datetime) -> list[Clock]:
    """Running clocks whose reminder moment has come (the notifier claims each once, in storage)."""
    return [c for c in follow_up_queue(all_clocks) if c.remind_at is not None and c.remind_at <= now]


# --- the Monday review (R-FU-3) -------------------------------------------------------------------
# One answer to "is this case still to review this week?" for the three places that ask it: the case's
# FU3 clock (the desk queue, the case page), the review page (server/services/desk.monday_review) and
# the week's one reminder (server/notify/reminders.monday_review_plan). A case awaits the review exactly
# when its FU3 clock runs and is due by this week's review (tests/unit/test_monday_review.py).

_NOT_REVIEWED = (CaseState.CLOSED, CaseState.NOT_OPENED, CaseState.CANNOT_HANDLE)


def monday_review_anchor(case: Case) -> datetime:
    """What a case's next weekly review counts from: its last review, else its receipt."""
    reviews = _follow_ups(case, FollowUpKind.WEEKLY_REVIEW, case.received_at)
    return reviews[-1] if reviews else case.received_at


def this_weeks_review_due(calendar: BusinessCalendar, now: datetime) -> datetime:
    """When this week's review (of last week's cases) is due: by the end of Monday's working day, or of
    the first working day after a holiday Monday."""
    return calendar.monday_review_due(calendar.week_start(now) - timedelta(microseconds=1))


def awaits_monday_review(case: Case, calendar: BusinessCalendar, now: datetime) -> bool:
    """R-FU-3: this week's review has still to look at the case — received, or last reviewed, before
    this week, and still in hand (a case parked as cannot-handle waits for the quarterly review, R-CL-4)."""
    return case.state not in _NOT_REVIEWED and monday_review_anchor(case) < calendar.week_start(now)


def on_monday_review(case: Case, calendar: BusinessCalendar, now: datetime) -> bool:
    """Whether a case received before this week (the page's query selects those) is a row of this
    week's review page: every one still in hand, which awaits the review until reviewed this week (then
    shown as done), and one parked as cannot-handle only if this week's review is what parked it (the
    manager's answer, shown on its row); before that it waits for the quarterly review (R-CL-4)."""
    if case.state in (CaseState.CLOSED, CaseState.NOT_OPENED):
        return False
    return case.state != CaseState.CANNOT_HANDLE or monday_review_anchor(case) >= calendar.week_start(now)
