"""Which reminders a case needs, from the deadline engine, and keeping the stored ones in step.

`plan(...)` is pure: who is reminded of what, and when. `schedule_for_case(...)` runs inside every
case save (server/services/cases.save_case): it resolves roles to people, inserts new reminders,
and cancels pending ones the case no longer needs (a clock was satisfied, the job was completed,
the case was closed or reassigned). The unique key (case, code, kind, recipient, due_at) makes
this idempotent: saving the same case twice plans the same rows.

The rules:
- before_due: the clock's responsible person (or everyone holding its role) shortly before each
  running clock is due — a third of the clock's span, at most the policy's reminder lead
  (so 5 minutes before the 15-minute arrival limit, 15 minutes before the 2-hour follow-up).
- overdue: the compound's managers when a running clock passes its limit.
- the Monday review (R-FU-3) is not planned per case: one reminder a week to the dispatchers, naming
  how many cases wait, and one to the managers if some are still not reviewed when it is due
  (`monday_review_plan`, stored by server/notify/weekly.py).
- escalation (R-EM-2): an emergency nobody has acknowledged goes to the next person in the chain
  as soon as the domain says to try them (an unreached attempt at once, a reached but
  unacknowledged one after `unacked_after_minutes`); a fresh emergency goes to the first in the chain.
- summons (R-EM-2): each person summoned to the scene of an emergency — the one the desk named, else
  everyone holding the post — at once, until they arrive or the event settles; it opens the summons on
  their phone, where they record their arrival and report back.
- unowned (R-IN-9, R-EM-3): an emergency raised on a staff phone that nobody at the desk has taken
  (cases.unowned_emergency) goes to the dispatchers and the control room 5 minutes after it reached the
  desk and every 15 minutes after, to the managers as well from the second; each stage is planned when
  the one before it is sent (the scheduler replans the case), so it repeats until someone takes it.
- referral / referral_others (R-OP-3, R-FU-3): an opening passed up, or a case the Monday review
  passed up, still waiting goes first to the one it names, then to the others who would answer it
  (D87: the managers and the case's own team leads; leadership only when none of them is there),
  at the times and to the people server/domain/referrals.py sets. Its due_at is when it was passed up: a new hand-up is
  a new reminder, and an answer cancels what is not sent yet.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.domain import deadlines
from server.domain import emergencies as em
from server.domain import referrals as rf
from server.domain.calendar import BusinessCalendar
from server.domain.cases import UNOWNED_FIRST, Case, CaseState, unowned_reminder_times, without_notes
from server.domain.deadlines import Clock, ClockCode, DeadlinePolicy
from server.domain.roles import ROLE_LABELS_EN, ROLE_LABELS_ZH, Role
from server.ids import new_id
from server.notify.tables import reminders
from server.notify.webpush import encode_payload, fit_payload, reminder_payload
from server.storage.db import UnitOfWork
from server.storage.schema import users

BEFORE_DUE = "before_due"
OVERDUE = "overdue"
ESCALATION = "escalation"
ESCALATION_CODE = "EM_ESCALATION"
ACK_CODE = "EM_ACK"  # the person reached is asked to confirm they have taken charge (R-EM-2)
REFERRAL = "referral"  # to the one a waiting referral names
REFERRAL_OTHERS = "referral_others"  # to the others who would answer it (D87)
REFERRAL_CODES = {rf.Referral.OPENING: "OP3_REFERRAL", rf.Referral.REVIEW: "FU3_REFERRAL"}
SUMMONS = "summons"  # R-EM-2: a person summoned to the scene, told at once
SUMMONS_CODE = "EM_SUMMONS"  # + ":" + the post summoned (one reminder per post a person is called to)
UNOWNED = "unowned"  # R-IN-9, R-EM-3: an emergency from a staff phone nobody at the desk has taken
UNOWNED_CODE = "EM_UNOWNED"
# An overdue reminder planned more than this after the limit is stale news: the desk's overdue
# list already shows it. Keeps a first deployment from paging managers about last month's cases.
OVERDUE_STALE_AFTER = timedelta(hours=24)
_ENDED = (CaseState.CLOSED, CaseState.NOT_OPENED, CaseState.CANNOT_HANDLE)
# The reminders row's case_id for the weekly review, which no one case owns.
MONDAY_REVIEW_CASE = "monday-review"
# A CAPA report's reminders are owned by its weekly check: the row's case_id is the check's id
# (server/notify/capa.py), whose prefix no case id has.
CHECK_ID_PREFIX = "wck_"


def case_of(subject_id: str) -> str | None:
    """The case a reminders row is about, from its case_id: None for the weekly review and a CAPA report."""
    return None if subject_id == MONDAY_REVIEW_CASE or subject_id.startswith(CHECK_ID_PREFIX) else subject_id
# A phone shows one notification per tag, a new one replacing the one before. A clock's reminders of a
# case share the case's tag (the overdue one replaces its due-soon); an emergency and a decision asked
# of someone keep tags of their own, so a routine reminder about the same case cannot take their place.
_TAG_PREFIX = {ESCALATION: "emergency", SUMMONS: "summons", REFERRAL: "referral", REFERRAL_OTHERS: "referral",
               UNOWNED: "unowned"}
# The titles' lead words; the phone's inbox reads the same ones (pwa/src/views/reminders.js, D93).
DUE_SOON_ZH, DUE_SOON_EN = "即将到期：", "Due soon: "
OVERDUE_ZH, OVERDUE_EN = "已超时：", "Overdue: "


class Texts(msgspec.Struct, frozen=True, kw_only=True):
    """A reminder's words, in Chinese and in English."""

    title: str
    body: str
    title_en: str
    body_en: str


class Planned(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    kind: str
    recipient_role: Role | None  # None: a post's holders (recipient_post)
    recipient_id: str | None  # None: everyone in the compound holding recipient_role (or recipient_post)
    due_at: datetime
    send_at: datetime
    title: str
    body: str
    # The same message in English, for a phone or desk switched to English (the case's own words,
    # content and address, stay as the resident gave them).
    title_en: str
    body_en: str
    job_id: str | None = None
    # A referral's others (D87): whom it reaches is resolved against the compound's active staff by
    # rf.recipients, not by recipient_role.
    others: rf.ReferralReminder | None = None
    # Where the notification and the inbox open; None: the job (job_id), else the inbox.
    url: str | None = None
    # A before_due's words should it go out at or after its deadline (D102): the scheduler was down,
    # or its push was retried past the limit. The scheduler chooses at send time (text_at_send).
    late: Texts | None = None
    # The notification's tag when not the case's (notification_tag): the weekly review's.
    tag: str | None = None
    # R-EM-2: an emergency post (emergencies.SummonedRole) whose holders are told, when the summons
    # names nobody; posts are not roles (D89).
    recipient_post: str | None = None


def lead_time(clock: Clock, policy: DeadlinePolicy) -> timedelta:
    """How long before due_at to remind: a third of the clock's span, at most the policy's lead."""
    span = max(clock.due_at - clock.started_at, timedelta(0))
    return min(timedelta(minutes=policy.reminder_lead_minutes), span / 3)


def notification_tag(case_id: str, kind: str) -> str:
    return f"{_TAG_PREFIX.get(kind, 'case')}-{case_id}"


def _where(case: Case) -> str:
    return case.address or ""


def _job_for(case: Case, clock: Clock) -> str | None:
    """The work order a clock's reminder opens, when the clock is that order's assignee's."""
    if clock.responsible_id is None:
        return None
    for wo in reversed(case.work_orders):
        if wo.assignee_id == clock.responsible_id:
            return wo.id
    return None


def plan(
    case: Case,
    clock_list: list[Clock],
    now: datetime,
    calendar: BusinessCalendar,
    policy: DeadlinePolicy,
    *,
    unacked_after_minutes: int = em.DEFAULT_UNACKED_AFTER_MINUTES,
    names: Mapping[str, str] | None = None,
) -> list[Planned]:
    """Every reminder the case needs right now (sent or not); what is not listed is not needed.

    `names` maps account ids to display names, for the referral reminders' text (who passed it up,
    to whom); without it they name the role.
    """
    if case.state in _ENDED:
        if case.state not in (CaseState.NOT_OPENED, CaseState.CANNOT_HANDLE):
            return []
        # Left unopened (R-OP-2, D69) or parked as cannot-handle (R-CL-4, D70), a written inquiry still
        # owes its written reply (R-IN-5): the front desk is reminded of that clock alone, and the
        # manager told when it passes.
        clock_list = [c for c in clock_list if c.code == ClockCode.IN5_WRITTEN_REPLY_2D]
    out: list[Planned] = []
    subject = " ".join(p for p in (case.no, _where(case)) if p)
    content = case.content if len(case.content) <= 60 else case.content[:60] + "…"
    for c in clock_list:
        # The Monday review is one reminder a week for all the cases it looks at (monday_review_plan):
        # planned per case, a desk with 30 open cases got 30 "即将到期" and the managers 30 "已超时".
        if not c.running or c.code == ClockCode.FU3_MONDAY_REVIEW:
            continue
        job_id = _job_for(case, c)
        if now < c.due_at:
            due = calendar.shown(c.due_at, now)
            out.append(Planned(
                code=str(c.code), kind=BEFORE_DUE, recipient_role=c.responsible_role,
                recipient_id=c.responsible_id, due_at=c.due_at, send_at=c.due_at - lead_time(c, policy),
                title=f"{DUE_SOON_ZH}{c.label_zh}",
                body=f"{subject}：{content}（截止 {due}）",
                title_en=f"{DUE_SOON_EN}{c.label_en}",
                body_en=f"{subject}: {content} (due {due})",
                job_id=job_id,
                late=Texts(
                    title=f"{OVERDUE_ZH}{c.label_zh}",
                    body=f"{subject}：{content}（已超时，截止 {due}）",
                    title_en=f"{OVERDUE_EN}{c.label_en}",
                    body_en=f"{subject}: {content} (overdue, was due {due})",
                ),
            ))
        if now - c.due_at <= OVERDUE_STALE_AFTER:
            out.append(Planned(
                code=str(c.code), kind=OVERDUE, recipient_role=Role.MANAGER, recipient_id=None,
                due_at=c.due_at, send_at=c.due_at,
                title=f"{OVERDUE_ZH}{c.label_zh}",
                body=f"{subject}：{content}（时限 {calendar.shown(c.due_at, now)}，"
                     f"负责：{ROLE_LABELS_ZH.get(c.responsible_role, str(c.responsible_role))}）",
                title_en=f"{OVERDUE_EN}{c.label_en}",
                body_en=f"{subject}: {content} (limit {calendar.shown(c.due_at, now)}, "
                        f"responsible: {ROLE_LABELS_EN.get(c.responsible_role, str(c.responsible_role))})",
            ))
    out.extend(_escalation(case, subject, content, calendar, now, unacked_after_minutes))
    out.extend(_summons(case, content, calendar, now))
    out.extend(_unowned(case, content, calendar, now))
    out.extend(_referrals(case, subject, content, calendar, now, names or {}))
    return out


def _referrals(
    case: Case, subject: str, content: str, calendar: BusinessCalendar, now: datetime, names: Mapping[str, str]
) -> list[Planned]:
    """R-OP-3, R-FU-3: a waiting referral reminds the one it names, then the others who would answer it (D87)."""
    out: list[Planned] = []
    for r in rf.referral_reminders(case, calendar):
        named = names.get(r.named_id) or ROLE_LABELS_ZH.get(r.named_role, str(r.named_role))
        named_en = names.get(r.named_id) or "the " + ROLE_LABELS_EN.get(r.named_role, str(r.named_role))
        by, by_en = names.get(r.by) or "服务中心", names.get(r.by) or "the service desk"
        at = calendar.shown(r.referred_at, now)
        if r.referral == rf.Referral.OPENING:
            what = content
            if r.audience == rf.Audience.NAMED:
                title, title_en = "请决定是否立项", "Please decide whether to open this case"
                body = f"{subject}：{what}（{by} {at} 转交您决定，尚未决定）"
                body_en = f"{subject}: {what} (passed to you by {by_en} at {at}; not decided yet)"
            else:
                title, title_en = f"立项待决定：已转交{named}", f"Opening undecided: passed to {named_en}"
                body = f"{subject}：{what}（{by} {at} 转交{named}，尚未决定；任何主管均可决定）"
                body_en = (f"{subject}: {what} (passed to {named_en} by {by_en} at {at}, not decided yet; "
                           "any supervisor may decide it)")
        else:
            # The desk's reason for passing it up says more to a manager than the resident's words.
            what = r.note or content
            if r.audience == rf.Audience.NAMED:
                title, title_en = "请答复周一回顾转交的案件", "A Monday review waits for your answer"
                body = f"{subject}：{what}（{by} {at} 转交您确认或定新的处理方式，尚未答复）"
                body_en = (f"{subject}: {what} (passed to you by {by_en} at {at} to confirm or to set a new "
                           "approach; not answered yet)")
            else:
                title, title_en = f"周一回顾转交{named}，尚未答复", f"Monday review passed to {named_en}, not answered"
                body = f"{subject}：{what}（{by} {at} 转交{named}，尚未答复；任何经理均可答复）"
                body_en = (f"{subject}: {what} (passed to {named_en} by {by_en} at {at}, not answered yet; "
                           "any manager may answer it)")
        common = dict(code=REFERRAL_CODES[r.referral], due_at=r.referred_at, send_at=r.send_at, title=title,
                      body=body, title_en=title_en, body_en=body_en, url=f"/#/case/{case.id}")
        if r.audience == rf.Audience.NAMED:
            out.append(Planned(kind=REFERRAL, recipient_role=r.named_role, recipient_id=r.recipient_id,
                               **common))  # type: ignore[arg-type]
        else:
            # One for all the others; a person holding two of the roles is reminded once (rf.recipients).
            out.append(Planned(kind=REFERRAL_OTHERS, recipient_role=Role.MANAGER, recipient_id=None,
                               others=r, **common))  # type: ignore[arg-type]
    return out


def _escalation(
    case: Case, subject: str, content: str, calendar: BusinessCalendar, now: datetime, unacked_after_minutes: int
) -> list[Planned]:
    state = case.emergency
    if state is None or state.settled_at is not None:
        return []
    if not state.attempts:
        at, why, why_en = state.declared_at, "紧急事件，请立即处理", "Emergency: act now"
    else:
        last = state.attempts[-1]
        who = ROLE_LABELS_ZH.get(last.target_role, str(last.target_role))
        who_en = ROLE_LABELS_EN.get(last.target_role, str(last.target_role))
        if last.reached:
            at = last.at + timedelta(minutes=unacked_after_minutes)
            why = f"{who} {unacked_after_minutes} 分钟内未确认，紧急事件转报给您"
            why_en = f"The {who_en} did not acknowledge within {unacked_after_minutes} minutes; the emergency passes to you"
        else:
            at, why = last.at, f"未能联系到{who}，紧急事件转报给您"
            why_en = f"The {who_en} could not be reached; the emergency passes to you"
    out: list[Planned] = []
    # The one the desk just reached by phone confirms in the app; until then the chain climbs on.
    for a in em.awaiting_acknowledgement(state):
        out.append(Planned(
            code=ACK_CODE, kind=ESCALATION, recipient_role=a.target_role, recipient_id=a.target_id,
            due_at=a.at, send_at=a.at, title=f"紧急事件：{subject}",
            body=f"服务中心已联系您，请在 {unacked_after_minutes} 分钟内确认接手：{content}",
            title_en=f"Emergency: {subject}",
            body_en=f"The service desk reached you; confirm within {unacked_after_minutes} minutes that you "
                    f"have taken charge: {content}",
        ))
    target = em.next_escalation_target(state, at, unacked_after_minutes)
    if target is not None:
        out.append(Planned(
            code=ESCALATION_CODE, kind=ESCALATION, recipient_role=target, recipient_id=None,
            due_at=at, send_at=at, title=f"紧急事件：{subject}",
            body=f"{why}：{content}（{calendar.shown(at, now)}）",
            title_en=f"Emergency: {subject}", body_en=f"{why_en}: {content} ({calendar.shown(at, now)})",
        ))
    return out


def monday_review_plan(calendar: BusinessCalendar, now: datetime, awaiting: int) -> list[Planned]:
    """R-FU-3: the week's one Monday-review reminder due now, naming how many cases `awaiting` review.

    From the start of the review day's working hours until its end (this_weeks_review_due), one to
    the dispatchers: the day's task and how many cases it holds. From its end, for a day, one to the
    managers if cases are still not reviewed (older is stale news, as for every overdue reminder).
    Nothing when nothing waits. `awaiting` is counted when the reminder is planned, which is when it is
    sent (server/notify/weekly.py), so the number is the review page's at that moment.
    """
    if awaiting <= 0:
        return []
    due = deadlines.this_weeks_review_due(calendar, now)
    opens = calendar.at(calendar.local(due).date(), calendar.work_start)
    _, label_zh, label_en = deadlines.CLOCK_INFO[ClockCode.FU3_MONDAY_REVIEW]
    at = calendar.shown(due, now)
    cases_en = f"{awaiting} {'case' if awaiting == 1 else 'cases'} from last week"
    common = dict(code=str(ClockCode.FU3_MONDAY_REVIEW), recipient_id=None, due_at=due, url="/#/review",
                  tag=f"monday-review-{calendar.local(due).date().isoformat()}")
    if opens <= now < due:
        return [Planned(
            kind=BEFORE_DUE, recipient_role=Role.DISPATCHER, send_at=opens,
            title=f"{DUE_SOON_ZH}{label_zh}", body=f"上周案件 {awaiting} 件待复查（截止 {at}）",
            title_en=f"{DUE_SOON_EN}{label_en}", body_en=f"{cases_en} to review (due {at})",
            late=Texts(
                title=f"{OVERDUE_ZH}{label_zh}", body=f"上周案件 {awaiting} 件待复查（已超时，截止 {at}）",
                title_en=f"{OVERDUE_EN}{label_en}", body_en=f"{cases_en} to review (overdue, was due {at})",
            ),
            **common,  # type: ignore[arg-type]
        )]
    if due <= now and now - due <= OVERDUE_STALE_AFTER:
        return [Planned(
            kind=OVERDUE, recipient_role=Role.MANAGER, send_at=due,
            title=f"{OVERDUE_ZH}{label_zh}", body=f"上周案件尚有 {awaiting} 件未复查（时限 {at}）",
            title_en=f"{OVERDUE_EN}{label_en}", body_en=f"{cases_en} not reviewed (limit {at})",
            **common,  # type: ignore[arg-type]
        )]
    return []


def _summons(case: Case, content: str, calendar: BusinessCalendar, now: datetime) -> list[Planned]:
    """R-EM-2: everyone summoned to the scene and not yet there is told at once, by push and in the inbox."""
    state = case.emergency
    if state is None or state.settled_at is not None:
        return []
    where = case.address or "事发地点"
    where_en = case.address or "the scene"
    out: list[Planned] = []
    for s in state.summons:
        if s.arrived_at is not None:
            continue
        at = calendar.shown(s.summoned_at, now)
        out.append(Planned(
            code=f"{SUMMONS_CODE}:{s.role}", kind=SUMMONS, recipient_role=None, recipient_id=s.person_id,
            recipient_post=None if s.person_id else str(s.role), due_at=s.summoned_at, send_at=s.summoned_at,
            title=f"紧急召集：{case.no}", body=f"你被召集到 {where} 现场：{content}（{at} 召集，到场后请报告）",
            title_en=f"Emergency call-out: {case.no}",
            body_en=f"You are summoned to the scene at {where_en}: {content} (called {at}; report back once there)",
            url=f"/#/summons/{case.id}/{s.role}",
        ))
    return out


def _unowned(case: Case, content: str, calendar: BusinessCalendar, now: datetime) -> list[Planned]:
    """R-IN-9, R-EM-3: an emergency raised on a staff phone that nobody at the desk has taken: the
    dispatchers and the control room (who take the calls at night) are told, the managers as well from the
    second reminder on; one tag, so each replaces the last on a phone. It opens the desk's home, whose
    emergency banner offers 接手."""
    fr = case.field_report
    if fr is None:
        return []
    where = f"，{case.address}" if case.address else ""
    where_en = f", {case.address}" if case.address else ""
    at = calendar.shown(fr.reported_at, now)
    out: list[Planned] = []
    for send_at in unowned_reminder_times(case, now):
        minutes = int((send_at - fr.received_at).total_seconds() // 60)
        roles = (Role.DISPATCHER, Role.CONTROL_ROOM) + ((Role.MANAGER,) if send_at > fr.received_at + UNOWNED_FIRST else ())
        for role in roles:
            out.append(Planned(
                code=UNOWNED_CODE, kind=UNOWNED, recipient_role=role, recipient_id=None,
                due_at=send_at, send_at=send_at, url="/#/",
                title=f"紧急事件无人接手：{case.no}",
                body=f"{case.contact_name} {at} 从现场报告：{content}{where}。已 {minutes} 分钟无人接手，"
                     "请在服务中心首页的紧急事件栏点「接手」",
                title_en=f"Emergency nobody has taken: {case.no}",
                body_en=f"{case.contact_name} reported from the scene at {at}: {content}{where_en}. Nobody at the "
                        f"desk has taken it for {minutes} min: press \"Take it\" on the desk's emergency banner",
            ))
    return out


def payload_for(case_id: str | None, p: Planned) -> dict:
    """The push payload; `case_id` None for a reminder no one case owns (the weekly review)."""
    payload = reminder_payload(case_id=case_id, job_id=p.job_id or "", kind=p.kind, title=p.title,  # type: ignore[arg-type]
                               body=p.body, title_en=p.title_en, body_en=p.body_en)
    payload["tag"] = p.tag or notification_tag(str(case_id), p.kind)
    if p.job_id is None:
        # Desk and leadership reminders have no job on the phone; they open the inbox, or the page
        # where what they are about is done (a referral: the case, where it is decided or answered).
        payload["job_id"] = None
        payload["url"] = p.url or "/#/reminders"
    payload["code"] = p.code
    if p.late is not None:
        # Kept with the reminder, never pushed: text_at_send takes it out.
        payload["late"] = msgspec.to_builtins(p.late)
    return payload


def text_at_send(payload: dict, kind: str, due_at: datetime, now: datetime) -> dict:
    """The payload as sent at `now` (D102): a before_due sent at or after its deadline says overdue.

    Pure. The test is the one the phone's inbox makes (D93): the server's send time (the inbox
    row's created_at) at or after due_at. A reminder planned before the late text was kept has
    only its title's lead word changed, as the inbox does.
    """
    out = {k: v for k, v in payload.items() if k != "late"}
    if kind != BEFORE_DUE or now < due_at:
        return out
    late = payload.get("late")
    if isinstance(late, dict):
        out.update({k: late[k] for k in ("title", "body", "title_en", "body_en") if late.get(k)})
    else:
        for key, soon, over in (("title", DUE_SOON_ZH, OVERDUE_ZH), ("title_en", DUE_SOON_EN, OVERDUE_EN)):
            text = out.get(key)
            if isinstance(text, str) and text.startswith(soon):
                out[key] = over + text[len(soon):]
    return fit_payload(out)


# --- storage -----------------------------------------------------------------------------------


class Accounts(msgspec.Struct, frozen=True, kw_only=True):
    by_role: dict[str, list[str]]  # active accounts' ids per role, in id order: who a role's reminder reaches
    names: dict[str, str]  # every account's display name, active or not (a referral may name someone since left)
    # Active accounts' ids per emergency post they hold (D89): who a summons naming nobody reaches.
    by_post: dict[str, list[str]] = {}


def forget_accounts(uow: UnitOfWork, compound_id: str) -> None:
    """Drop this transaction's copy of the compound's accounts, after it changed who holds a post."""
    cache = getattr(uow, "_accounts_cache", None)
    if cache is not None:
        cache.pop(compound_id, None)


async def compound_accounts(uow: UnitOfWork, compound_id: str) -> Accounts:
    """The compound's accounts, read once per transaction however many cases it reschedules."""
    cache = getattr(uow, "_accounts_cache", None)
    if cache is None:
        cache = {}
        uow._accounts_cache = cache  # type: ignore[attr-defined]
    if compound_id not in cache:
        rows = (await uow.conn.execute(
            select(users.c.id, users.c.roles, users.c.display_name, users.c.active, users.c.posts)
            .where(users.c.compound_id == compound_id)
            .order_by(users.c.id)
        )).all()
        by_role: dict[str, list[str]] = {}
        by_post: dict[str, list[str]] = {}
        for r in rows:
            if r.active:
                for role in json.loads(r.roles or "[]"):
                    by_role.setdefault(str(role), []).append(r.id)
                for post in json.loads(r.posts or "[]"):
                    by_post.setdefault(str(post), []).append(r.id)
        cache[compound_id] = Accounts(by_role=by_role, names={r.id: r.display_name for r in rows}, by_post=by_post)
    return cache[compound_id]


async def schedule_for_change(uow: UnitOfWork, before: Case | None, case: Case, clock_list: list[Clock]) -> None:
    """Reschedule only when the change alters the plan: a note or a photo leaves every reminder as it was.

    `plan` is pure, so comparing the plan for the case as it was read with the plan for the case as
    it is written is exact; the database work (two queries and the writes) is skipped otherwise.
    """
    if before is not None:
        # A note or a photo (the commonest push) changes nothing the planner reads: skip the two
        # clock and plan runs. test_notes_change_no_clock_and_no_reminder keeps this true.
        if without_notes(before) == without_notes(case):
            return
        from server.services.cases import compound_rules  # circular: cases imports this module

        rules = await compound_rules(uow, case.compound_id)
        before_clocks = deadlines.clocks(before, rules.calendar, uow.now, rules.policy)
        if plan(before, before_clocks, uow.now, rules.calendar, rules.policy) == plan(
            case, clock_list, uow.now, rules.calendar, rules.policy
        ):
            return
    await schedule_for_case(uow, case, clock_list)


async def schedule_for_case(uow: UnitOfWork, case: Case, clock_list: list[Clock]) -> None:
    """Bring the case's stored reminders in line with what it needs now (called by save_case)."""
    from server.services.cases import compound_rules  # circular: cases imports this module

    rules = await compound_rules(uow, case.compound_id)
    staff_accounts = await compound_accounts(uow, case.compound_id) if rf.referral_reminders(case, rules.calendar) else None
    planned = plan(case, clock_list, uow.now, rules.calendar, rules.policy,
                   names=staff_accounts.names if staff_accounts else None)
    if planned and staff_accounts is None:
        staff_accounts = await compound_accounts(uow, case.compound_id)
    await store_plan(uow, compound_id=case.compound_id, subject_id=case.id, payload_case_id=case.id,
                     planned=planned, accounts=staff_accounts)


async def store_plan(
    uow: UnitOfWork, *, compound_id: str, subject_id: str, payload_case_id: str | None, planned: list[Planned],
    accounts: Accounts | None,
) -> None:
    """Bring the stored reminders of one subject (a case, or what else owns reminders: a CAPA report) in line
    with `planned`: new ones inserted, pending ones no longer planned cancelled, the rest left alone.
    `subject_id` is the reminders row's case_id; `payload_case_id` the case the push names (None: no case)."""
    staff = accounts.by_role if accounts else {}
    posts = accounts.by_post if accounts else {}

    wanted: dict[tuple, dict] = {}
    for p in planned:
        if p.recipient_id:
            recipients = [p.recipient_id]
        elif p.others is not None:
            recipients = rf.recipients(p.others, staff)
        elif p.recipient_post is not None:
            recipients = posts.get(p.recipient_post, [])
        else:
            recipients = staff.get(str(p.recipient_role), [])
        payload = encode_payload(payload_for(payload_case_id, p)).decode("utf-8")
        for rid in recipients:
            key = (p.code, p.kind, rid, p.due_at)
            wanted[key] = dict(
                id=new_id("rem"), compound_id=compound_id, case_id=subject_id, job_id=p.job_id,
                code=p.code, kind=p.kind, recipient_id=rid, due_at=p.due_at, send_at=p.send_at,
                payload=payload, state="pending", attempts=0, next_attempt_at=p.send_at,
                delivered_to="[]", created_at=uow.now, updated_at=uow.now,
            )

    existing = (await uow.conn.execute(
        select(reminders.c.id, reminders.c.code, reminders.c.kind, reminders.c.recipient_id,
               reminders.c.due_at, reminders.c.state, reminders.c.attempts, reminders.c.payload,
               reminders.c.send_at)
        .where(reminders.c.case_id == subject_id)
    )).all()
    stale: list[str] = []
    for r in existing:
        key = (r.code, r.kind, r.recipient_id, r.due_at)
        row = wanted.get(key)
        if row is None:
            if r.state == "pending":
                stale.append(r.id)
            continue
        unchanged = r.payload == row["payload"] and r.send_at == row["send_at"]
        if r.state in ("claimed", "sent", "failed") or (r.state == "pending" and (unchanged or r.attempts)):
            del wanted[key]  # already as wanted, or in flight: leave it alone
    if stale:
        # A claimed reminder is left to finish: it is being sent at this moment.
        await uow.conn.execute(
            update(reminders).where(reminders.c.id.in_(stale), reminders.c.state == "pending")
            .values(state="cancelled", updated_at=uow.now)
        )
    if wanted:
        ins = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(reminders)
        stmt = ins.on_conflict_do_update(
            index_elements=[reminders.c.case_id, reminders.c.code, reminders.c.kind,
                            reminders.c.recipient_id, reminders.c.due_at],
            set_={
                "state": "pending", "payload": ins.excluded.payload, "job_id": ins.excluded.job_id,
                "send_at": ins.excluded.send_at, "next_attempt_at": ins.excluded.next_attempt_at,
                "updated_at": ins.excluded.updated_at,
            },
            # Revive a cancelled reminder the case needs again, refresh an untried pending one;
            # never touch one that is claimed, sent or failed (a concurrent save may have raced us).
            where=(reminders.c.state == "cancelled") | ((reminders.c.state == "pending") & (reminders.c.attempts == 0)),
        )
        await uow.conn.execute(stmt, list(wanted.values()))
