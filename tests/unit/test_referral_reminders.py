"""Who is reminded of a waiting referral, and when (server/domain/referrals.py, server/notify/reminders.plan).

An opening passed up (R-OP-3) reminds the named supervisor 2 working hours later and the others who
would answer it 2 working hours after that (the managers and the leads already on the case; the deputy GM,
then the GM, only when none is there, D87); a case the Monday review passed up (R-FU-3) reminds the named
manager when the next working day starts and the other managers when it ends. All on the business
calendar: nights, lunch, weekends, holidays and make-up working days (调休) count as the desk counts them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from server.domain import cases as c
from server.domain.cases import Case, CaseState, FollowUpKind, OpenReason
from server.domain.deadlines import DeadlinePolicy, clocks
from server.domain.referrals import Audience, Referral, ReferralReminder, recipients, referral_reminders
from server.domain.roles import LEADERSHIP, Role
from server.notify.reminders import REFERRAL, REFERRAL_OTHERS, Planned, payload_for, plan
from tests.unit.test_cases import CAL, DISPATCHER, T0, make_case, ok, opened, sh

SUPERVISORS = frozenset({Role.TEAM_LEAD, Role.MANAGER}) | LEADERSHIP
POLICY = DeadlinePolicy()
NAMES = {"d1": "王调度", "l1": "陈班长", "m1": "钱经理"}
# A compound's active accounts by role: the repair lead l1, the guard captain l2 and the cleaning lead
# l3; two managers; the deputy GM and the GM; a dispatcher.
STAFF = {"team_lead": ["l1", "l2", "l3"], "manager": ["m1", "m2"], "deputy_gm": ["dg"],
         "general_manager": ["gm"], "dispatcher": ["d1"]}


def passed_up(at: datetime = T0, to: str = "l1", role: Role = Role.TEAM_LEAD, received: datetime | None = None) -> Case:
    case = make_case(now=received or at)
    return ok(c.refer_opening(case, to_id=to, to_role=role, note="不确定是否公共设施", by="d1", roles=DISPATCHER,
                              now=at)).case


def reviewed(at: datetime, to: str | None = "m1", case: Case | None = None) -> Case:
    case = case or opened(now=at - timedelta(days=7))
    return ok(c.record_follow_up(case, kind=FollowUpKind.WEEKLY_REVIEW, by="d1", now=at, note="外包单位未定，请经理定方案",
                                 reported_to_manager_id=to, manager_roles=[Role.MANAGER] if to else ())).case


def when(rs: list[ReferralReminder]) -> list[tuple[Referral, Audience, str | None, str | None, datetime]]:
    return [(r.referral, r.audience, r.recipient_id, r.except_id, r.send_at) for r in rs]


# --- an opening passed up (R-OP-3) ------------------------------------------------------------------


def test_an_opening_passed_up_reminds_the_named_supervisor_after_2_working_hours_then_the_others():  # R-OP-3
    # Wednesday 10:00: the team lead at 12:00, the others 2 working hours later — lunch (12:00–13:30)
    # does not count, so at 15:30.
    rs = referral_reminders(passed_up(T0), CAL)
    assert when(rs) == [
        (Referral.OPENING, Audience.NAMED, "l1", None, sh(2026, 5, 6, 12, 0)),
        (Referral.OPENING, Audience.OTHERS, None, "l1", sh(2026, 5, 6, 15, 30)),
    ]
    # The others are every supervisor the decide route admits, the named one left out (D50, D77).
    assert rs[1].roles == SUPERVISORS == c.OPENING_DECIDERS
    assert (rs[0].named_id, rs[0].named_role, rs[0].by, rs[0].referred_at) == ("l1", Role.TEAM_LEAD, "d1", T0)


def test_an_opening_passed_up_late_in_the_day_is_reminded_the_next_working_morning():  # R-OP-3
    # Wednesday 16:30: one working hour left that day, the second from 08:30 on Thursday.
    rs = referral_reminders(passed_up(sh(2026, 5, 6, 16, 30)), CAL)
    assert [r.send_at for r in rs] == [sh(2026, 5, 7, 9, 30), sh(2026, 5, 7, 11, 30)]


def test_an_opening_passed_up_before_a_holiday_waits_out_the_holiday():  # R-OP-3
    # Thursday 30 April 16:30, then Labour Day 1–5 May: the working hours go on on Wednesday 6 May.
    rs = referral_reminders(passed_up(sh(2026, 4, 30, 16, 30)), CAL)
    assert [r.send_at for r in rs] == [sh(2026, 5, 6, 9, 30), sh(2026, 5, 6, 11, 30)]


def test_an_opening_passed_up_at_night_counts_from_the_morning():  # R-OP-3
    # The duty officer passes it up at 22:00 on Friday 8 May; Saturday 9 May is a make-up working day.
    rs = referral_reminders(passed_up(sh(2026, 5, 8, 22, 0)), CAL)
    # 10:30 plus 90 minutes to lunch, then 30 after it.
    assert [r.send_at for r in rs] == [sh(2026, 5, 9, 10, 30), sh(2026, 5, 9, 14, 0)]


def test_a_decided_opening_wants_no_reminder_and_a_new_hand_up_restarts_them():  # R-OP-3
    case = passed_up(T0)
    decided = ok(c.decide_opening(case, open=True, reason=OpenReason.A_SITE_FOLLOW_UP, by="m1",
                                  roles={Role.MANAGER}, now=T0 + timedelta(hours=1))).case
    assert referral_reminders(decided, CAL) == []
    # The desk asks the manager instead at 11:00: the reminders follow the new hand-up.
    again = ok(c.refer_opening(case, to_id="m1", to_role=Role.MANAGER, by="d1", roles=DISPATCHER,
                               now=T0 + timedelta(hours=1))).case
    assert when(referral_reminders(again, CAL)) == [
        (Referral.OPENING, Audience.NAMED, "m1", None, sh(2026, 5, 6, 14, 30)),
        (Referral.OPENING, Audience.OTHERS, None, "m1", sh(2026, 5, 6, 16, 30)),
    ]


def test_a_case_left_unopened_or_never_passed_up_wants_no_referral_reminder():  # R-OP-3
    assert referral_reminders(make_case(), CAL) == []
    not_opened = ok(c.decide_opening(passed_up(T0), open=False, note="已解释", by="l1", roles={Role.TEAM_LEAD},
                                     now=T0)).case
    assert not_opened.state == CaseState.NOT_OPENED
    assert referral_reminders(not_opened, CAL) == []


# --- a Monday review passed up (R-FU-3) ----------------------------------------------------------


def test_a_review_passed_up_reminds_the_named_manager_next_morning_and_the_others_that_evening():  # R-FU-3
    rs = referral_reminders(reviewed(sh(2026, 5, 11, 10, 0)), CAL)  # Monday 11 May
    assert when(rs) == [
        (Referral.REVIEW, Audience.NAMED, "m1", None, sh(2026, 5, 12, 8, 30)),
        (Referral.REVIEW, Audience.OTHERS, None, "m1", sh(2026, 5, 12, 17, 30)),
    ]
    assert rs[1].roles == frozenset({Role.MANAGER}) == c.REVIEW_ANSWERERS
    assert (rs[0].by, rs[0].note) == ("d1", "外包单位未定，请经理定方案")


def test_a_review_passed_up_after_hours_belongs_to_the_next_working_day():  # R-FU-3
    # Monday 17:45 is Tuesday's work: the named manager has Tuesday, and is reminded on Wednesday.
    rs = referral_reminders(reviewed(sh(2026, 5, 11, 17, 45)), CAL)
    assert [r.send_at for r in rs] == [sh(2026, 5, 13, 8, 30), sh(2026, 5, 13, 17, 30)]


def test_a_review_passed_up_before_national_day_is_reminded_after_it_and_on_a_make_up_day():  # R-FU-3
    # Wednesday 30 September, then 1–7 October off: Thursday 8 October.
    rs = referral_reminders(reviewed(sh(2026, 9, 30, 10, 0)), CAL)
    assert [r.send_at for r in rs] == [sh(2026, 10, 8, 8, 30), sh(2026, 10, 8, 17, 30)]
    # Friday 8 May: Saturday 9 May is a make-up working day, so it is the next working day.
    rs = referral_reminders(reviewed(sh(2026, 5, 8, 10, 0)), CAL)
    assert [r.send_at for r in rs] == [sh(2026, 5, 9, 8, 30), sh(2026, 5, 9, 17, 30)]


def test_an_answered_review_or_one_kept_at_the_desk_wants_no_reminder():  # R-FU-3
    monday = sh(2026, 5, 11, 10, 0)
    case = reviewed(monday)
    answered = ok(c.answer_review_referral(case, approach="联系防水公司", by="m2", roles=[Role.MANAGER],
                                           now=monday + timedelta(hours=3))).case
    assert referral_reminders(answered, CAL) == []
    cannot = ok(c.mark_cannot_handle(case, reason="产权不清", by="m1", roles=[Role.MANAGER], now=monday)).case
    assert referral_reminders(cannot, CAL) == []
    kept = reviewed(monday + timedelta(days=7), to=None, case=case)
    assert referral_reminders(kept, CAL) == []


# --- who is pushed (D87) ---------------------------------------------------------------------------


def others(case: Case, staff: dict[str, list[str]] = STAFF) -> list[str]:
    [r] = [r for r in referral_reminders(case, CAL) if r.audience == Audience.OTHERS]
    return recipients(r, staff)


def test_an_opening_passed_to_a_lead_pushes_the_managers_not_the_other_leads_nor_leadership():  # R-OP-3
    # The guard captain and the cleaning lead have nothing to say on a plumbing opening; the managers
    # decide what the desk cannot (seed 000 3.2.2B). Leadership is not paged while a manager is there.
    assert others(passed_up(T0, to="l1")) == ["m1", "m2"]
    # Who may see and decide it is unchanged (D77): every supervisor.
    [_, other] = referral_reminders(passed_up(T0), CAL)
    assert other.roles == SUPERVISORS == c.OPENING_DECIDERS


def test_an_opening_passed_to_a_manager_pushes_the_other_manager_and_the_lead_already_on_the_case():  # R-OP-3
    assert others(passed_up(T0, to="m1", role=Role.MANAGER)) == ["m2"]
    # An urgent repair dispatched first to the repair lead (R-IN-7) is that lead's case too.
    case = make_case(now=T0)
    case = msgspec.structs.replace(case, dispatches=(
        c.DispatchRecord(told_id="l3", told_role=Role.TEAM_LEAD, at=T0, by="d1", reached=False),
        c.DispatchRecord(told_id="l1", told_role=Role.TEAM_LEAD, at=T0, by="d1"),
        c.DispatchRecord(told_id="t1", told_role=Role.TECHNICIAN, at=T0, by="l1"),
    ))
    case = ok(c.refer_opening(case, to_id="m1", to_role=Role.MANAGER, by="d1", roles=DISPATCHER, now=T0)).case
    assert others(case) == ["l1", "m2"]  # not l3, who was not reached, nor the technician
    # A lead since made inactive, or no longer a team lead, is not pushed.
    assert others(case, {**STAFF, "team_lead": ["l2", "l3"]}) == ["m2"]


def test_an_opening_passed_to_the_only_manager_goes_up_to_the_deputy_then_the_gm():  # R-OP-3
    one_manager = {**STAFF, "manager": ["m1"]}
    case = passed_up(T0, to="m1", role=Role.MANAGER)
    # Nobody else who would answer it: R-EM-2's order above the manager, the deputy GM first.
    assert others(case, one_manager) == ["dg"]
    assert others(case, {**one_manager, "deputy_gm": []}) == ["gm"]
    assert others(case, {"manager": ["m1"], "team_lead": ["l1"]}) == []
    # Passed to the deputy GM in a compound without a manager: the GM.
    to_deputy = passed_up(T0, to="dg", role=Role.DEPUTY_GM)
    assert others(to_deputy, {**STAFF, "manager": []}) == ["gm"]


def test_a_review_passed_up_pushes_the_other_managers_only():  # R-FU-3
    monday = sh(2026, 5, 11, 10, 0)
    assert others(reviewed(monday)) == ["m2"]
    # Only managers answer a review (D58): with one manager nobody else is told (D78), not leadership.
    assert others(reviewed(monday), {**STAFF, "manager": ["m1"]}) == []


def test_the_named_one_is_reminded_whoever_the_staff_are():  # R-OP-3
    [named, _] = referral_reminders(passed_up(T0), CAL)
    assert recipients(named, {}) == ["l1"]


# --- the plan: what is stored and sent -------------------------------------------------------------


def planned(case: Case, now: datetime, names: dict[str, str] | None = NAMES) -> list[Planned]:
    return [p for p in plan(case, clocks(case, CAL, now, POLICY), now, CAL, POLICY, names=names)
            if p.kind in (REFERRAL, REFERRAL_OTHERS)]


def test_the_plan_sends_the_named_one_then_one_to_the_others_without_the_named():  # R-OP-3
    ps = planned(passed_up(T0), T0)
    named = [p for p in ps if p.kind == REFERRAL]
    others = [p for p in ps if p.kind == REFERRAL_OTHERS]
    assert [(p.code, p.recipient_id, p.send_at, p.due_at) for p in named] == [
        ("OP3_REFERRAL", "l1", sh(2026, 5, 6, 12, 0), T0)]
    # One for all the others: whom it reaches is resolved against the staff (D87, rf.recipients).
    [other] = others
    assert (other.recipient_id, other.send_at, other.due_at) == (None, sh(2026, 5, 6, 15, 30), T0)
    assert other.others is not None and other.others.except_id == "l1"
    assert recipients(other.others, STAFF) == ["m1", "m2"]
    # In both languages (the phone and the inbox show the one the person chose), opening the case.
    assert named[0].title == "请决定是否立项" and named[0].title_en == "Please decide whether to open this case"
    assert "王调度 05/06 10:00 转交您决定" in named[0].body and "厨房水管漏水" in named[0].body
    assert "passed to you by 王调度 at 05/06 10:00" in named[0].body_en
    assert others[0].title == "立项待决定：已转交陈班长"
    assert others[0].title_en == "Opening undecided: passed to 陈班长"
    assert "任何主管均可决定" in others[0].body and "any supervisor may decide it" in others[0].body_en
    payload = payload_for("c1", named[0])
    assert (payload["url"], payload["job_id"], payload["tag"], payload["code"]) == (
        "/#/case/c1", None, "referral-c1", "OP3_REFERRAL")


def test_the_plan_names_the_role_when_names_are_not_known():  # R-OP-3
    [named, *others] = planned(passed_up(T0), T0, names=None)
    assert "服务中心 05/06 10:00 转交您决定" in named.body
    assert others[0].title == "立项待决定：已转交班组主管"
    assert others[0].title_en.startswith("Opening undecided: passed to the ")


def test_the_plan_reminds_of_a_review_with_the_desks_reason():  # R-FU-3
    monday = sh(2026, 5, 11, 10, 0)
    ps = planned(reviewed(monday), monday)
    assert [(p.code, p.kind, p.recipient_id, p.send_at) for p in ps] == [
        ("FU3_REFERRAL", REFERRAL, "m1", sh(2026, 5, 12, 8, 30)),
        ("FU3_REFERRAL", REFERRAL_OTHERS, None, sh(2026, 5, 12, 17, 30)),
    ]
    assert [recipients(p.others, STAFF) for p in ps if p.others] == [["m2"]]
    assert ps[0].title == "请答复周一回顾转交的案件" and ps[0].title_en == "A Monday review waits for your answer"
    assert "外包单位未定，请经理定方案" in ps[0].body and "外包单位未定，请经理定方案" in ps[0].body_en
    assert ps[1].title == "周一回顾转交钱经理，尚未答复"
    assert "any manager may answer it" in ps[1].body_en


def test_a_closed_case_plans_no_referral_reminder():  # R-FU-3
    monday = sh(2026, 5, 11, 10, 0)
    closed = msgspec.structs.replace(reviewed(monday), state=CaseState.CLOSED)
    assert planned(closed, monday) == []
