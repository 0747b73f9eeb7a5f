"""Desk commands on cases: intake, opening, dispatch, follow-up, closing, emergencies, handover.

Each command is one transaction through services.cases.apply, so a refused rule changes nothing.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import msgspec
from sqlalchemy import and_, delete, insert, or_, select

from server.audit import case_timeline
from server.auth.principal import Principal
from server.domain import cases as dc
from server.domain import deadlines
from server.domain import emergencies as em
from server.domain import handover as ho
from server.domain import leads as dl
from server.domain.calendar import BusinessCalendar, check_calendar
from server.domain.cases import Case
from server.domain.errors import DomainError, Refusal, fail, refuse
from server.domain.roles import DESK, EXECUTORS, Role
from server.domain.service_slips import signature_covers_slip
from server.ids import new_id
from server.input_guard import DatedIn
from server.services.cases import (
    OPEN_STATES,
    _clock_doc,
    apply,
    call_backs_deciding,
    case_summary,
    compound_rules,
    decode_case,
    load_case,
    new_work_order_id,
    next_case_no,
    store_transition,
    unit_info,
)
from server.services.contact_slips import open_slips_for
from server.storage.db import Database, UnitOfWork
from server.storage.schema import buildings, case_approvals, cases, compounds, handovers, units, users


def roles_of(who: Principal) -> set[Role]:
    return {Role(r) for r in who.roles}


# --- views -------------------------------------------------------------------------------------


async def case_view(uow_or_db: Any, case: Case) -> dict[str, Any]:
    if isinstance(uow_or_db, UnitOfWork):
        # Append this transaction's audit entries now so the returned timeline includes them.
        await uow_or_db.flush()
    conn = uow_or_db.conn
    now = uow_or_db.now
    rules = await compound_rules(conn, case.compound_id)
    from server.services.visits import call_backs_for  # visits imports the case services

    # The stored call-back decides the R-FU-6 call-back clock, which outlives the close.
    call_back = (await call_backs_for(conn, [case.id])).get(case.id)
    clock_list = deadlines.clocks(case, rules.calendar, now, rules.policy, call_back=call_back)
    missing = dc.missing_to_close(case)
    if case.slip is not None and case.slip.signature_sha256 and not signature_covers_slip(case):
        missing = [*missing, "signature_valid"]
    summary = case_summary(case, clock_list)
    # R-IN-6 (d): a work-contact slip sent to the developer and not yet answered (D44).
    summary["contact_slip"] = (await open_slips_for(conn, case.compound_id, [case.id], now)).get(case.id)
    # R-DI-1: whom the dispatch dialog offers as the leads to tell first about this case's work.
    summary["leads"] = list(await dispatch_leads(conn, case))
    return {
        "case": msgspec.to_builtins(case),
        "summary": summary,
        "clocks": [_clock_doc(c) for c in clock_list],
        "missing_to_close": missing,
        "slip_valid": signature_covers_slip(case),
        "timeline": await case_timeline(conn, case.id),
    }


async def get_case(db: Database, who: Principal, case_id: str) -> dict[str, Any]:
    async with db.transaction(write=False) as uow:
        case = await load_case(uow, case_id, who)
        if not (who.roles & {str(r) for r in dc.DESK | {Role.DEPUTY_GM, Role.GENERAL_MANAGER,
                                                          Role.ENGINEERING, Role.TEAM_LEAD}}):
            # Executors read only cases they hold a live work order on (object-level check): a job
            # reassigned away is no longer theirs to read.
            if not any(wo.assignee_id == who.user_id and wo.state != dc.WorkOrderState.CANCELLED
                       for wo in case.work_orders):
                raise fail("scope.not_assigned", "该工单未派给您", "This case is not assigned to you",
                           kind="forbidden")
        return await case_view(uow, case)


# Cases read per query when a filter can only be checked here (overdue, attention).
FILTER_CHUNK = 200


async def list_cases(db: Database, who: Principal, *, state: str | None, kind: str | None,
                     category: str | None, building_id: str | None, overdue: bool | None,
                     q: str | None, limit: int, open_only: bool = False,
                     before: str | None = None, attention: bool = False,
                     awaiting_me: bool = False, review_to_me: bool = False,
                     awaiting_any: bool = False, review_to_any: bool = False) -> list[dict[str, Any]]:
    """Newest first, at most `limit`; `before` (a case id from the previous page) pages back.

    Every filter is applied before the limit: a page holds the newest `limit` cases that match,
    however old they are (the overdue flag needs the deadline engine, and `attention` — emergency
    or major, what the banner and the manager's approvals show — is read off the case, so both are
    checked here, chunk by chunk, on the cases SQL could not rule out). `awaiting_me` keeps the
    openings passed up to the caller and not yet decided (R-OP-3), whatever the case's state: a
    case dispatched first (R-IN-7) can wait for its opening decision too. `review_to_me` keeps the
    cases a Monday review passed to the caller and still unanswered (R-FU-3), whichever week it was:
    a referral nobody answered by the next Monday still waits for the manager (D58).
    `awaiting_any` and `review_to_any` keep the same referrals whoever they name: any supervisor may
    decide such an opening (D50) and any manager may answer such a review (D58), so when the one named
    is on leave or off shift the others must see what waits for them (D77).
    """
    limit = min(limit, 1000)
    stmt = select(cases.c.id, cases.c.received_at, cases.c.doc).where(cases.c.compound_id == who.compound_id)
    if state:
        stmt = stmt.where(cases.c.state == state)
    referrals = awaiting_me or review_to_me or awaiting_any or review_to_any
    if open_only or referrals:
        stmt = stmt.where(cases.c.state.in_(OPEN_STATES))
    if awaiting_me or review_to_me:
        # The referral lives in the case's document; a case that never names the caller cannot wait
        # for them, so SQL rules most out and the exact check is below.
        stmt = stmt.where(cases.c.doc.like(f"%{who.user_id}%"))
    if awaiting_any:
        # The document is msgspec's compact JSON: a case never passed up stores the field as null.
        stmt = stmt.where(cases.c.doc.like('%"opening_referral":{%'))
    if review_to_any:
        # Any follow-up that named a manager (a Monday review, or R-FU-2's report); exact check below.
        stmt = stmt.where(cases.c.doc.like('%"reported_to_manager_id":"%'))
    if overdue and not referrals:
        # A closed case can still be overdue on the call-back it is owed (R-FU-6): its next_due_at
        # stays set until the call is recorded.
        stmt = stmt.where(or_(cases.c.state.in_(OPEN_STATES), cases.c.next_due_at.is_not(None)))
    if kind:
        stmt = stmt.where(cases.c.kind == kind)
    if category:
        # "help:complaint" names a category within its kind: the same code is a help kind, a
        # complaint category or a service code depending on the kind (R-IN-2..4), so the desk's
        # filter sends the kind with it. A plain code still matches it in any kind.
        cat_kind, sep, code = category.partition(":")
        if sep:
            stmt = stmt.where(cases.c.kind == cat_kind, cases.c.category == code)
        else:
            stmt = stmt.where(cases.c.category == category)
    if building_id:
        stmt = stmt.where(cases.c.building_id == building_id)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(cases.c.no.like(like), cases.c.doc.like(like)))
    # (received_at, id) is a total order, so a page boundary never skips or repeats a case.
    stmt = stmt.order_by(cases.c.received_at.desc(), cases.c.id.desc())
    out: list[dict[str, Any]] = []
    async with db.transaction(write=False) as uow:
        rules = await compound_rules(uow.conn, who.compound_id)
        cursor = None
        if before:
            cursor = (await uow.conn.execute(select(cases.c.received_at, cases.c.id).where(
                cases.c.id == before, cases.c.compound_id == who.compound_id))).first()
            if cursor is None:
                raise fail("case.not_found", "未找到该工单", "No such case", kind="not_found", case_id=before)
        now = db.clock.now()
        filtered_here = overdue is not None or attention or referrals
        # A small page filtered here would otherwise cost one query per case it skips.
        chunk = max(limit, FILTER_CHUNK) if filtered_here else limit
        while len(out) < limit:
            page = stmt
            if cursor is not None:
                page = page.where(or_(cases.c.received_at < cursor.received_at,
                                      and_(cases.c.received_at == cursor.received_at, cases.c.id < cursor.id)))
            rows = (await uow.conn.execute(page.limit(chunk))).all()
            found = [decode_case(r.doc) for r in rows]
            # The stored call-backs: a closed case's next deadline can be the call-back it is owed (R-FU-6).
            call_backs = await call_backs_deciding(uow.conn, found)
            for case in found:
                if attention and not (case.is_emergency or case.is_major):
                    continue
                if awaiting_me and not (case.awaiting_supervisor and case.awaiting_supervisor.to_id == who.user_id):
                    continue
                if review_to_me and not _review_waits_for(case, who.user_id):
                    continue
                if awaiting_any and case.awaiting_supervisor is None:
                    continue
                if review_to_any and dc.pending_review_referral(case) is None:
                    continue
                summary = case_summary(case, deadlines.clocks(case, rules.calendar, now, rules.policy,
                                                              call_back=call_backs.get(case.id)))
                if overdue is not None and summary["overdue"] != overdue:
                    continue
                out.append(summary)
                if len(out) == limit:
                    break
            if not filtered_here or len(rows) < chunk:
                break
            cursor = rows[-1]
        # The developer's open work-contact slips (R-IN-6 d, D44), one query for the page.
        slips = await open_slips_for(uow.conn, who.compound_id, [s["id"] for s in out if s["kind"] == "repair"], now)
        for s in out:
            s["contact_slip"] = slips.get(s["id"])
    return out


def _review_waits_for(case: Case, user_id: str) -> bool:
    referral = dc.pending_review_referral(case)
    return referral is not None and referral.reported_to_manager_id == user_id


async def follow_up_queue(db: Database, who: Principal) -> list[dict[str, Any]]:
    """Every running clock of every open case, soonest first (the dispatcher's work list).

    An intake left unopened is listed while a clock still runs on it: a written inquiry owes its
    written reply whatever the opening decision (R-IN-5, D69). Its stored next due time says so, so
    the thousands of unopened intakes a compound collects are not read to find the few that owe one.
    """
    stmt = select(cases.c.doc).where(cases.c.compound_id == who.compound_id, or_(
        cases.c.state.in_(OPEN_STATES),
        and_(cases.c.state == str(dc.CaseState.NOT_OPENED), cases.c.next_due_at.is_not(None))))
    async with db.transaction(write=False) as uow:
        rows = (await uow.conn.execute(stmt)).all()
        rules = await compound_rules(uow.conn, who.compound_id)
    now = db.clock.now()
    items = []
    for r in rows:
        case = decode_case(r.doc)
        for c in deadlines.follow_up_queue(deadlines.clocks(case, rules.calendar, now, rules.policy)):
            items.append({"case_id": case.id, "case_no": case.no, "content": case.content,
                          "address": case.address, "is_emergency": case.is_emergency, "clock": _clock_doc(c),
                          "due_at": c.due_at, "overdue": c.overdue})
    items.sort(key=lambda i: i["due_at"])
    return items


async def monday_review(db: Database, who: Principal) -> list[dict[str, Any]]:
    """R-FU-3: last week's cases still in hand, for the dispatcher's Monday review: those this week's
    review has still to look at, and those it has looked at (deadlines.on_monday_review, the test the
    cases' Monday-review clocks and the week's reminder make too)."""
    now = db.clock.now()
    async with db.transaction(write=False) as uow:
        rules = await compound_rules(uow.conn, who.compound_id)
        this_monday = rules.calendar.week_start(now)
        rows = (await uow.conn.execute(
            select(cases.c.doc).where(cases.c.compound_id == who.compound_id,
                                      cases.c.state.in_(OPEN_STATES),
                                      cases.c.received_at < this_monday)
            .order_by(cases.c.received_at)
        )).all()
    out = []
    for r in rows:
        case = decode_case(r.doc)
        if not deadlines.on_monday_review(case, rules.calendar, now):
            continue  # parked as cannot-handle before this week's review: the quarterly review's (R-CL-4)
        summary = case_summary(case, deadlines.clocks(case, rules.calendar, now, rules.policy))
        # This week's review of the case, if any: the dispatcher sees which of last week's cases are
        # done and whether one went to the manager; last week's review does not count for this one.
        done = [f for f in case.follow_ups if f.kind == dc.FollowUpKind.WEEKLY_REVIEW and f.at >= this_monday]
        last = done[-1] if done else None
        # A case passed to the manager carries the manager's answer once given (R-FU-3): the new
        # approach, or the case's cannot-handle state; until then the approvals page lists it. `by`
        # is whoever answered, which need not be the manager named (any manager may, D58, D77).
        summary["reviewed"] = {"at": last.at, "by": last.by, "note": last.note,
                               "reported_to_manager_id": last.reported_to_manager_id,
                               "answer": _review_answer_doc(case, last)} if last else None
        out.append(summary)
    return out


def _review_answer_doc(case: Case, review: dc.FollowUp) -> dict[str, Any] | None:
    answer = next((a for a in case.review_answers if a.referral_at == review.at), None)
    if answer is not None:
        return {"at": answer.at, "by": answer.by, "approach": answer.approach, "cannot_handle_reason": None}
    ch = case.cannot_handle
    if (review.reported_to_manager_id and case.state == dc.CaseState.CANNOT_HANDLE and ch is not None
            and ch.recorded_at >= review.at):
        # Confirming that the case cannot be handled answers the referral too (R-CL-4).
        return {"at": ch.recorded_at, "by": ch.confirmed_by, "approach": None, "cannot_handle_reason": ch.reason}
    return None


# --- commands ----------------------------------------------------------------------------------


class IntakeCallIn(DatedIn, kw_only=True):
    number: em.PublicNumber
    at: datetime  # the desk's clock when 已拨打 was pressed
    # D85: the desk confirmed a mark made long before sending is this request's call.
    confirmed: bool = False


class IntakeIn(DatedIn, kw_only=True):
    kind: dc.Kind
    channel: dc.Channel
    contact_name: str
    content: str
    phone: str = ""
    unit_id: str | None = None
    address: str = ""
    complaint_category: dc.ComplaintCategory | None = None
    help_kind: dc.HelpKind | None = None
    repair_responsibility: dc.RepairResponsibility | None = None
    repair_class: dc.RepairClass | None = None
    service_code: dc.PaidService | None = None
    fee_quote_cents: int | None = None
    is_major: bool = False
    emergency_trigger: em.EmergencyTrigger | None = None
    # R-EM-5: the public numbers called while the form was being filled in, each when it was marked,
    # with when the form was opened and when it was sent, all on the desk's clock (D73): recorded in
    # the intake's own transaction, so a refused intake stores neither.
    public_calls: Annotated[list[IntakeCallIn], msgspec.Meta(max_length=12)] = []
    form_opened_at: datetime | None = None
    sent_at: datetime | None = None


async def intake(db: Database, who: Principal, data: IntakeIn) -> dict[str, Any]:
    async with db.transaction() as uow:
        _, unit_label = await unit_info(uow.conn, data.unit_id)
        no = await next_case_no(uow, who.compound_id)
        out = dc.intake(
            case_id=new_id("case_"), no=no, compound_id=who.compound_id, kind=data.kind, channel=data.channel,
            contact_name=data.contact_name, phone=data.phone, content=data.content, receiver_id=who.user_id,
            now=uow.now, unit_id=data.unit_id, address=data.address or unit_label,
            complaint_category=data.complaint_category, help_kind=data.help_kind,
            repair_responsibility=data.repair_responsibility, repair_class=data.repair_class,
            service_code=data.service_code, fee_quote_cents=data.fee_quote_cents, is_major=data.is_major,
            emergency_trigger=data.emergency_trigger,
            public_calls=[em.CallAtIntake(number=x.number, at=x.at, confirmed=x.confirmed) for x in data.public_calls],
            form_opened_at=data.form_opened_at, sent_at=data.sent_at,
        )
        given = (data.repair_responsibility, data.repair_class, data.fee_quote_cents)
        if isinstance(out, dc.Transition) and any(v is not None for v in given):
            # R-IN-6: a class or fee given at intake passes the checks a later classification does
            # (a repair's fields on a repair only, no negative fee); classify's refusal, not its step.
            checked = dc.classify(out.case, by=who.user_id, now=uow.now, repair_responsibility=data.repair_responsibility,
                                  repair_class=data.repair_class, fee_quote_cents=data.fee_quote_cents)
            if isinstance(checked, Refusal):
                out = checked
        case = await store_transition(uow, who, out, created=True)
        return await case_view(uow, case)


async def command(db: Database, who: Principal, case_id: str, step) -> dict[str, Any]:  # noqa: ANN001
    """Run one domain step on a case in one transaction and return the fresh view."""
    async with db.transaction() as uow:
        case = await apply(uow, who, case_id, lambda c: step(c, uow))
        return await case_view(uow, case)


async def _staff_role(uow: UnitOfWork, who: Principal, user_id: str) -> Role:
    q = select(users.c.roles).where(users.c.id == user_id, users.c.compound_id == who.compound_id,
                                    users.c.active.is_(True))
    # Shared-locked on PostgreSQL until the dispatch commits: a deactivation (which locks the row for
    # update, then counts the person's open jobs) waits for it and sees the job, or, had it come first,
    # this read waits and finds the person inactive. Never a deactivated person holding a job (D129).
    row = (await uow.conn.execute(q.with_for_update(read=True) if uow.dialect == "postgresql" else q)).first()
    if row is None:
        raise fail("staff.not_found", "未找到该员工", "No such staff member", kind="invalid", user_id=user_id)
    roles = [Role(r) for r in msgspec.json.decode(row.roles)]
    for r in (Role.TEAM_LEAD, *EXECUTORS):
        if r in roles:
            return r
    raise fail("dispatch.not_executor", "只能派给班组主管或实施人员", "Dispatch goes to a team lead or an executor",
               kind="invalid", user_id=user_id)


async def lead_directory(conn: Any, compound_id: str) -> list[dl.StaffMember]:
    """The compound's active accounts with the roles and posts the staff list gives them now, in username
    order: whom `server.domain.leads` reads a line of work's leads off (R-DI-1)."""
    rows = (await conn.execute(select(users.c.id, users.c.roles, users.c.posts)
                               .where(users.c.compound_id == compound_id, users.c.active.is_(True))
                               .order_by(users.c.username))).all()
    known = {str(r) for r in Role}
    return [dl.StaffMember(id=r.id, roles=frozenset(Role(x) for x in msgspec.json.decode(r.roles) if x in known),
                           posts=frozenset(str(p) for p in msgspec.json.decode(r.posts or "[]"))) for r in rows]


async def dispatch_leads(conn: Any, case: Case) -> tuple[str, ...]:
    """The active accounts leading this case's line of work (R-DI-1): the dispatch checks the leads tried
    against them and the dialog offers them."""
    return dl.leads_for(case, await lead_directory(conn, case.compound_id))


async def dispatch_terms(conn: Any, case: Case) -> dict[str, Any]:
    """What `cases.dispatch` is told of the case's leads: who they are, and the post that makes a lead who is
    no team lead by account the lead (the records title him by it: 韩队长（保安队长）)."""
    staff = await lead_directory(conn, case.compound_id)
    return {"leads": dl.leads_for(case, staff), "lead_posts": dl.lead_posts_for(case, staff)}


def lead_attempts(who: Principal, ids: list[str], now: datetime,
                  means: em.Means = em.Means.PHONE) -> list[dc.DispatchRecord]:
    """The leads the desk tried and did not reach (R-DI-1), as told in the lead's capacity."""
    return [dc.DispatchRecord(told_id=lid, told_role=Role.TEAM_LEAD, at=now, by=who.user_id, means=means,
                              reached=False) for lid in ids]


# The roles that decide an opening the desk passed up (R-OP-3), most senior first.
_DECIDING_ROLES = (Role.GENERAL_MANAGER, Role.DEPUTY_GM, Role.MANAGER, Role.TEAM_LEAD)


async def refer_opening(db: Database, who: Principal, case_id: str, to_id: str, note: str) -> dict[str, Any]:
    """R-OP-3: record whom the dispatcher asked to decide; the rule checks they are a supervisor."""
    async with db.transaction() as uow:
        row = (await uow.conn.execute(select(users.c.roles).where(
            users.c.id == to_id, users.c.compound_id == who.compound_id, users.c.active.is_(True)))).first()
        if row is None:
            raise fail("staff.not_found", "未找到该员工", "No such staff member", kind="invalid", user_id=to_id)
        held = {Role(r) for r in msgspec.json.decode(row.roles)}
        # A non-supervisor is passed on with one of their roles, for the rule to refuse by its own code.
        to_role = next((r for r in _DECIDING_ROLES if r in held), next(iter(sorted(held)), Role.DISPATCHER))
        case = await apply(uow, who, case_id, lambda c: dc.refer_opening(
            c, to_id=to_id, to_role=to_role, by=who.user_id, roles=roles_of(who), now=uow.now, note=note))
        return await case_view(uow, case)


class DispatchIn(DatedIn, kw_only=True):
    assignee_id: str
    job: str = ""
    deadline_at: datetime | None = None
    means: em.Means = em.Means.PHONE
    # Team leads tried first and not reached (R-DI-1): recorded as attempts.
    unreached_lead_ids: list[str] = []


async def dispatch(db: Database, who: Principal, case_id: str, data: DispatchIn) -> dict[str, Any]:
    async with db.transaction() as uow:
        case = await load_case(uow, case_id, who)
        role = await _staff_role(uow, who, data.assignee_id)
        policy = (await compound_rules(uow, case.compound_id)).policy
        out = dc.dispatch(
            case, work_order_id=new_work_order_id(case), job=data.job or case.content[:100],
            assignee_id=data.assignee_id, assignee_role=role,
            deadline_at=deadlines.order_deadline(case, uow.now, policy, asked=data.deadline_at), by=who.user_id,
            roles=roles_of(who), now=uow.now, means=data.means,
            attempts=lead_attempts(who, data.unreached_lead_ids, uow.now, data.means),
            **await dispatch_terms(uow.conn, case),
        )
        case = await store_transition(uow, who, out)
        return await case_view(uow, case)


class CloseIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    result: str


async def approve_close(db: Database, who: Principal, case_id: str) -> dict[str, Any]:
    """The manager approves closing an emergency or major case (R-CL-2 E, R-EM-4)."""
    async with db.transaction() as uow:
        case = await load_case(uow, case_id, who)
        refusal = dc.check_close_approval(case)
        if refusal is not None:
            raise DomainError(refusal)
        await uow.conn.execute(delete(case_approvals).where(
            and_(case_approvals.c.case_id == case_id, case_approvals.c.kind == "close")))
        await uow.conn.execute(insert(case_approvals).values(
            case_id=case_id, kind="close", approver_id=who.user_id, at=uow.now))
        uow.audit(entity="case", entity_id=case_id, action="case.close_approved", actor_id=who.user_id,
                  actor_role=who.primary_role, device_id=who.device_id, case_id=case_id,
                  compound_id=who.compound_id)
        return await case_view(uow, case)


async def close(db: Database, who: Principal, case_id: str, data: CloseIn) -> dict[str, Any]:
    async with db.transaction() as uow:
        case = await load_case(uow, case_id, who)
        if case.slip is not None and case.slip.signature_sha256 and not signature_covers_slip(case):
            raise fail("slip.signature_void", "服务单内容在签字后被改动，签字失效",
                       "The slip changed after it was signed; the signature no longer covers it",
                       missing=["signature_valid"])
        approver_id, approver_roles = None, ()
        if dc.needs_manager_approval(case):
            if Role.MANAGER in roles_of(who):
                approver_id, approver_roles = who.user_id, (Role.MANAGER,)
            else:
                row = (await uow.conn.execute(select(case_approvals.c.approver_id, case_approvals.c.at).where(
                    case_approvals.c.case_id == case_id, case_approvals.c.kind == "close"))).first()
                if row is not None and dc.approval_still_counts(case, row.at):
                    r = (await uow.conn.execute(select(users.c.roles).where(users.c.id == row.approver_id))).one()
                    approver_id = row.approver_id
                    approver_roles = tuple(Role(x) for x in msgspec.json.decode(r.roles))
        out = dc.close(case, result=data.result, by=who.user_id, roles=roles_of(who), now=uow.now,
                       approver_id=approver_id, approver_roles=approver_roles)
        case = await store_transition(uow, who, out)
        return await case_view(uow, case)


async def quarterly_close(db: Database, who: Principal, case_id: str, result: str,
                          signature_sha256: str | None) -> dict[str, Any]:
    async def step(c: Case, uow: UnitOfWork):  # noqa: ANN202
        rules = await compound_rules(uow, c.compound_id)
        review = dc.QuarterlyReview(at=uow.now, approver_id=who.user_id, approver_roles=frozenset(roles_of(who)),
                                    approver_signature_sha256=signature_sha256)
        return dc.close_in_quarterly_review(c, review=review, calendar=rules.calendar, result=result,
                                            by=who.user_id, roles=roles_of(who), now=uow.now)

    async with db.transaction() as uow:
        case = await load_case(uow, case_id, who)
        case = await store_transition(uow, who, await step(case, uow))
        return await case_view(uow, case)


async def linked_problem(db: Database, who: Principal, case_id: str, description: str,
                         separately: bool) -> dict[str, Any]:
    """R-CL-1 C / R-CL-2 D: a problem found on the job, opened as its own case when it can be."""
    async with db.transaction() as uow:
        case = await load_case(uow, case_id, who)
        no = await next_case_no(uow, case.compound_id) if separately else None
        out = dc.report_linked_problem(case, description=description, by=who.user_id, now=uow.now,
                                       separately=separately, child_id=new_id("case_") if separately else None,
                                       child_no=no, problem_id=None if separately else new_id("lp_"))
        case = await store_transition(uow, who, out)
        return await case_view(uow, case)


async def set_feedback_date(db: Database, who: Principal, case_id: str, promised: date, reason: str):  # noqa: ANN201
    async with db.transaction() as uow:
        case = await load_case(uow, case_id, who)
        rules = await compound_rules(uow, case.compound_id)
        out = dc.set_feedback_date(
            case, promised=promised, calendar=rules.calendar, by=who.user_id, now=uow.now, reason=reason,
            close_limit=case.received_at + timedelta(days=rules.policy.complaint_close_days))
        case = await store_transition(uow, who, out)
        return await case_view(uow, case)


# --- calendar ----------------------------------------------------------------------------------


async def get_calendar(db: Database, who: Principal) -> BusinessCalendar:
    async with db.read() as conn:
        return (await compound_rules(conn, who.compound_id)).calendar


@functools.cache
def _known_zones() -> frozenset[str]:
    # Read once from the tz database; a zone added by a tzdata upgrade needs a restart anyway.
    return frozenset(zoneinfo.available_timezones())


async def put_calendar(db: Database, who: Principal, cal: BusinessCalendar) -> BusinessCalendar:
    # Checked before it is stored: every deadline of the compound is computed from this calendar.
    if (refusal := check_calendar(cal, zones=_known_zones())) is not None:
        raise DomainError(refusal)
    async with db.transaction() as uow:
        await uow.conn.execute(compounds.update().where(compounds.c.id == who.compound_id)
                               .values(calendar=msgspec.json.encode(cal).decode()))
        uow.audit(entity="compound", entity_id=who.compound_id, action="calendar.updated",
                  actor_id=who.user_id, actor_role=who.primary_role, device_id=who.device_id,
                  compound_id=who.compound_id, data=msgspec.to_builtins(cal))
    return cal


# --- directory ---------------------------------------------------------------------------------


async def staff(db: Database, who: Principal, role: str | None) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = (await conn.execute(select(users.c.id, users.c.display_name, users.c.username, users.c.roles,
                                          users.c.phone, users.c.posts)
                                   .where(users.c.compound_id == who.compound_id, users.c.active.is_(True))
                                   .order_by(users.c.username))).all()
    out = []
    for r in rows:
        roles = msgspec.json.decode(r.roles)
        if role and role not in roles:
            continue
        # `posts`: the emergency posts held (R-EM-2, D89), so the emergency panel names and calls them.
        out.append({"id": r.id, "username": r.username, "display_name": r.display_name, "roles": roles,
                    "phone": r.phone, "posts": msgspec.json.decode(r.posts or "[]")})
    return out


async def unit_directory(db: Database, who: Principal) -> list[dict[str, Any]]:
    async with db.read() as conn:
        bs = (await conn.execute(select(buildings).where(buildings.c.compound_id == who.compound_id)
                                 .order_by(buildings.c.name))).all()
        us = (await conn.execute(select(units).where(units.c.compound_id == who.compound_id)
                                 .order_by(units.c.label))).all()
    return [{"id": b.id, "name": b.name,
             "units": [{"id": u.id, "label": u.label, "floor": u.floor} for u in us if u.building_id == b.id]}
            for b in bs]


# --- shift handover (R-SH-1) --------------------------------------------------------------------


def _sheet_or_raise(out: ho.HandoverSheet | Any) -> ho.HandoverSheet:
    if isinstance(out, ho.HandoverSheet):
        return out
    raise DomainError(out)


async def _store_sheet(uow: UnitOfWork, who: Principal, sheet: ho.HandoverSheet, action: str,
                       created: bool = False) -> None:
    doc = msgspec.json.encode(sheet).decode()
    if created:
        await uow.conn.execute(insert(handovers).values(id=sheet.id, compound_id=sheet.compound_id,
                                                        built_at=sheet.built_at, doc=doc))
    else:
        await uow.conn.execute(handovers.update().where(handovers.c.id == sheet.id).values(doc=doc))
    uow.audit(entity="handover", entity_id=sheet.id, action=action, actor_id=who.user_id,
              actor_role=who.primary_role, device_id=who.device_id, compound_id=who.compound_id)


async def _load_sheet(uow: UnitOfWork, who: Principal, sheet_id: str) -> ho.HandoverSheet:
    q = select(handovers.c.doc).where(handovers.c.id == sheet_id, handovers.c.compound_id == who.compound_id)
    q = uow.for_update(q)  # two signers or reviewers at once: the second sees the first's result
    row = (await uow.conn.execute(q)).first()
    if row is None:
        raise fail("handover.not_found", "未找到交接单", "No such handover sheet", kind="not_found")
    return msgspec.json.decode(row.doc, type=ho.HandoverSheet)


async def _account_roles(uow: UnitOfWork, who: Principal, user_id: str) -> set[Role]:
    """The roles of an active account of the caller's compound; none for any other id."""
    row = (await uow.conn.execute(select(users.c.roles).where(
        users.c.id == user_id, users.c.compound_id == who.compound_id, users.c.active.is_(True)))).first()
    return {Role(r) for r in msgspec.json.decode(row.roles)} if row is not None else set()


async def follow_up(db: Database, who: Principal, case_id: str, *, kind: dc.FollowUpKind, note: str,
                    reported_to_manager_id: str | None, new_due_at: datetime | None,
                    medium: dc.ReplyMedium | None = None, signer: str | None = None) -> dict[str, Any]:
    """R-FU-1..3, R-FU-7, R-IN-5: record a follow-up; the manager it names must be one (the rule checks)."""
    async with db.transaction() as uow:
        manager_roles = await _account_roles(uow, who, reported_to_manager_id) if reported_to_manager_id else set()
        case = await apply(uow, who, case_id, lambda c: dc.record_follow_up(
            c, kind=kind, by=who.user_id, now=uow.now, note=note, reported_to_manager_id=reported_to_manager_id,
            manager_roles=manager_roles, new_due_at=new_due_at, medium=medium, signer=signer))
        return await case_view(uow, case)


async def escalation_attempt(db: Database, who: Principal, case_id: str, *, target_role: Role, target_id: str | None,
                             means: em.Means, reached: bool) -> dict[str, Any]:
    """R-EM-2: one try to reach a rung of the chain; a person named must hold its role (D89)."""
    async with db.transaction() as uow:
        target_roles = await _account_roles(uow, who, target_id) if target_id else None
        case = await apply(uow, who, case_id, lambda c: dc.emergency_step(
            c, lambda s: em.record_attempt(s, target_role=target_role, target_id=target_id, means=means,
                                           reached=reached, now=uow.now, target_roles=target_roles),
            name="emergency.attempt", by=who.user_id, now=uow.now, target_role=str(target_role), reached=reached,
            **({"target_id": target_id} if target_id else {})))
        return await case_view(uow, case)


async def summon(db: Database, who: Principal, case_id: str, *, role: em.SummonedRole,
                 person_id: str | None) -> dict[str, Any]:
    """R-EM-2: summon a post to the scene; a person named must be an active account of the compound.

    The summons reaches the person it names on their phone (D138): a name that is nobody's would be a
    call-out to no one, and the desk would wait for a report that cannot come."""
    async with db.transaction() as uow:
        if person_id is not None and not await _account_roles(uow, who, person_id):
            raise fail("emergency.person_unknown", "所选人员不是本小区的在职员工，请按通讯录选择",
                       "The person chosen is no active staff account of this compound; choose from the directory",
                       kind="invalid", person_id=person_id[:64])
        case = await apply(uow, who, case_id, lambda c: dc.emergency_step(
            c, lambda s: em.summon(s, role=role, person_id=person_id, now=uow.now),
            name="emergency.summoned", by=who.user_id, now=uow.now, role=str(role)))
        return await case_view(uow, case)


async def scene_report(db: Database, who: Principal, case_id: str, *, role: em.SummonedRole,
                       report: str | None) -> dict[str, Any]:
    """R-EM-2: the desk records an arrival and the report back told it by radio, the words in the history."""
    return await command(db, who, case_id, lambda c, u: dc.record_scene_report(
        c, role=role, report=report, by=who.user_id, now=u.now))


async def _is_desk_account(uow: UnitOfWork, who: Principal, user_id: str) -> bool:
    """An active account of the caller's compound with a desk role (dispatcher, front desk, control room, manager)."""
    row = (await uow.conn.execute(select(users.c.roles).where(
        users.c.id == user_id, users.c.compound_id == who.compound_id, users.c.active.is_(True)))).first()
    return row is not None and bool(set(msgspec.json.decode(row.roles)) & {str(r) for r in DESK})


async def hand_over_follow(db: Database, who: Principal, case_id: str, to_id: str) -> dict[str, Any]:
    """R-IN-9: hand the follow-up to another named person, who must be someone at the desk.

    A follower who is no account of the compound (or a technician) never sees the case's follow-up
    queue, and the case's reminders would go to nobody.
    """
    async with db.transaction() as uow:
        to_desk = await _is_desk_account(uow, who, to_id)

        def step(c: Case) -> dc.Transition | Refusal:
            out = dc.hand_over_follow(c, to_id=to_id, by=who.user_id, roles=roles_of(who), now=uow.now)
            if isinstance(out, Refusal) or to_desk:
                return out
            return refuse(dc.CaseReason.FOLLOWER_UNKNOWN, "请选择接手跟进的值班人员（调度、前台、控制室或经理）",
                          "Choose who follows the case up at the desk (dispatcher, front desk, control room or "
                          "manager)", kind="invalid", to_id=to_id)

        case = await apply(uow, who, case_id, step)
        return await case_view(uow, case)


async def create_handover(db: Database, who: Principal, incoming_id: str, notes: str) -> dict[str, Any]:
    async with db.transaction() as uow:
        # The incoming side signs on their own login at the desk: it must be an active desk account
        # of the compound, or nobody could ever countersign the sheet.
        if not await _is_desk_account(uow, who, incoming_id):
            raise fail(ho.HandoverReason.INCOMING_UNKNOWN, "请选择接班的值班人员（调度、前台、控制室或经理）",
                       "Choose the incoming duty person (dispatcher, front desk, control room or manager)",
                       kind="invalid", incoming_id=incoming_id)
        # Open cases, and the unopened intakes a clock still runs on: a written inquiry owed its
        # written reply (R-IN-5), found by its stored next due time as in the follow-up queue.
        rows = (await uow.conn.execute(select(cases.c.doc, cases.c.next_due_at).where(
            cases.c.compound_id == who.compound_id, or_(
                cases.c.state.notin_(["closed", "not_opened"]),
                and_(cases.c.state == str(dc.CaseState.NOT_OPENED), cases.c.next_due_at.is_not(None)))))).all()
        open_cases = [decode_case(r.doc) for r in rows]
        due = {c.id: r.next_due_at for c, r in zip(open_cases, rows, strict=True) if r.next_due_at}
        sheet = _sheet_or_raise(ho.build_handover(
            sheet_id=new_id("hov_"), compound_id=who.compound_id, outgoing_id=who.user_id,
            incoming_id=incoming_id, cases=open_cases, now=uow.now, notes=notes, next_due=due))
        await _store_sheet(uow, who, sheet, "handover.built", created=True)
        return msgspec.to_builtins(sheet)


async def sign_handover(db: Database, who: Principal, sheet_id: str, side: str, signature_sha256: str,
                        takes_over_case_ids: list[str]) -> dict[str, Any]:
    async with db.transaction() as uow:
        sheet = await _load_sheet(uow, who, sheet_id)
        if side == "outgoing":
            sheet = _sheet_or_raise(ho.sign_outgoing(sheet, by=who.user_id, signature_sha256=signature_sha256,
                                                     now=uow.now))
        else:
            sheet = _sheet_or_raise(ho.sign_incoming(sheet, by=who.user_id, signature_sha256=signature_sha256,
                                                     now=uow.now, takes_over_case_ids=takes_over_case_ids))
            # The incoming person now holds the post for each open emergency (R-EM-3). One they hold
            # already (an earlier sheet handed it to them) stays theirs: the sheet still names it, and
            # the signature confirms it, but nobody takes a post over from themselves.
            for cid in sheet.taken_over_case_ids:
                case = await load_case(uow, cid, who)
                if case.emergency is not None and case.emergency.at_post_id == who.user_id:
                    continue
                await store_transition(uow, who, dc.emergency_step(
                    case, lambda st: em.take_over(st, by=who.user_id, now=uow.now),
                    name="emergency.taken_over", by=who.user_id, now=uow.now))
        await _store_sheet(uow, who, sheet, f"handover.signed_{side}")
        return msgspec.to_builtins(sheet)


async def list_handovers(db: Database, who: Principal) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = (await conn.execute(select(handovers.c.doc).where(handovers.c.compound_id == who.compound_id)
                                   .order_by(handovers.c.built_at.desc()).limit(50))).all()
    return [msgspec.json.decode(r.doc) for r in rows]


async def review_handover(db: Database, who: Principal, sheet_id: str,
                          note: str) -> tuple[ho.HandoverSheet, list[ho.HandoverItem]]:
    """The supervisor's morning review (R-SH-1): recorded on the sheet, with what is still open now."""
    async with db.transaction() as uow:
        sheet = await _load_sheet(uow, who, sheet_id)
        ids = [i.case_id for i in sheet.items]
        listed: list[Case] = []
        for i in range(0, len(ids), 500):
            listed += [decode_case(r.doc) for r in (await uow.conn.execute(select(cases.c.doc).where(
                cases.c.compound_id == who.compound_id, cases.c.id.in_(ids[i:i + 500])))).all()]
        sheet = _sheet_or_raise(ho.review(sheet, by=who.user_id, roles=roles_of(who), now=uow.now, note=note,
                                          cases=listed))
        await _store_sheet(uow, who, sheet, "handover.reviewed")
        pressed = set(sheet.unfinished_case_ids)
        return sheet, [i for i in sheet.items if i.case_id in pressed]
