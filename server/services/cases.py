"""Case storage and the one way every case change is applied: load, run a domain step, save.

Saving writes the aggregate document and its index columns, recomputes the clocks, emits the
desk's case summary and each assignee's job to the change feed (a removal to a phone whose job
was reassigned), and appends the step's events to the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import msgspec
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth.principal import Principal
from server.domain import deadlines
from server.domain import emergencies as em
from server.domain import surveys as sv
from server.domain.calendar import BusinessCalendar
from server.domain.cases import (
    Case,
    CaseState,
    FollowUp,
    Kind,
    Transition,
    WorkOrderState,
    field_report_unanswered,
    pending_review_referral,
    unowned_emergency,
)
from server.domain.deadlines import Clock, DeadlinePolicy
from server.domain.errors import DomainError, Refusal, fail
from server.domain.service_slips import signature_covers_slip
from server.notify import reminders
from server.services import visits
from server.storage.db import UnitOfWork, execute_many
from server.storage.schema import cases, compounds, counters, units, users
from server.sync.job_terms import NO_BOOKING, booking_terms
from server.sync.scopes import desk_scope, user_scope

_case_dec = msgspec.json.Decoder(Case)
_enc = msgspec.json.Encoder()

# Closed and not-opened cases run no clocks: only these can be due, overdue or awaiting review.
# Named as a list (not NOT IN) so both engines can look them up in ix_cases_compound_state.
OPEN_STATES = tuple(str(s) for s in CaseState if s not in (CaseState.CLOSED, CaseState.NOT_OPENED))


class CompoundRules(msgspec.Struct, frozen=True):
    calendar: BusinessCalendar
    policy: DeadlinePolicy


async def compound_rules(uow_or_conn: UnitOfWork | AsyncConnection, compound_id: str) -> CompoundRules:
    cache = getattr(uow_or_conn, "_rules_cache", None)
    if cache is not None and compound_id in cache:
        return cache[compound_id]
    conn = uow_or_conn.conn if isinstance(uow_or_conn, UnitOfWork) else uow_or_conn
    row = (await conn.execute(select(compounds.c.calendar, compounds.c.policy)
                              .where(compounds.c.id == compound_id))).one()
    rules = CompoundRules(
        calendar=msgspec.json.decode(row.calendar or "{}", type=BusinessCalendar),
        policy=msgspec.json.decode(row.policy or "{}", type=DeadlinePolicy),
    )
    if isinstance(uow_or_conn, UnitOfWork):
        if cache is None:
            cache = {}
            uow_or_conn._rules_cache = cache  # type: ignore[attr-defined]
        cache[compound_id] = rules
    return rules


def decode_case(doc: str | bytes) -> Case:
    return _case_dec.decode(doc)


def case_id_of_job(job_id: str) -> str:
    # Work-order ids are "<case id>-w<n>", so a job id names its case without another lookup.
    return job_id.rsplit("-w", 1)[0]


def new_work_order_id(case: Case) -> str:
    return f"{case.id}-w{len(case.work_orders) + 1}"


async def day_number(uow: UnitOfWork, compound_id: str, *, sequence: str, prefix: str, digits: int) -> str:
    """The next number of a sequence that restarts each local day per compound, e.g. GD20261123-0001.

    One `counters` row per sequence, compound and day, taken with an upsert: on PostgreSQL its row
    lock makes two transactions in one instant take consecutive numbers, never the same one."""
    rules = await compound_rules(uow, compound_id)
    day = rules.calendar.local(uow.now).strftime("%Y%m%d")
    ins = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(counters)
    stmt = ins.values(name=f"{sequence}:{compound_id}:{day}", value=1).on_conflict_do_update(
        index_elements=[counters.c.name], set_={"value": counters.c.value + 1}
    ).returning(counters.c.value)
    n = (await uow.conn.execute(stmt)).scalar_one()
    return f"{prefix}{day}-{n:0{digits}d}"


async def next_case_no(uow: UnitOfWork, compound_id: str) -> str:
    """Case numbers run per compound per local day: GD20261123-0001."""
    return await day_number(uow, compound_id, sequence="case_no", prefix="GD", digits=4)


async def load_case(uow: UnitOfWork, case_id: str, who: Principal | None = None) -> Case:
    """The case as this transaction sees it: staged changes first, then the database (locked on PG)."""
    key = ("case", case_id)
    case = uow.staged.get(key, (None,))[0] or uow.loaded.get(key)
    if case is None:
        q = select(cases.c.doc).where(cases.c.id == case_id)
        q = uow.for_update(q)
        row = (await uow.conn.execute(q)).first()
        if row is not None:
            case = decode_case(row.doc)
            uow.loaded[key] = case
    if case is None or (who is not None and case.compound_id != who.compound_id):
        raise fail("case.not_found", "未找到该工单", "No such case", kind="not_found", case_id=case_id)
    return case


async def preload_cases(uow: UnitOfWork, case_ids: list[str]) -> None:
    """Read (and on PostgreSQL lock) every named case in one statement, ahead of a batch's steps.

    A phone's batch names a handful of cases many times over; one `IN` query replaces a round
    trip per case. On PostgreSQL the rows are locked in id order, so two batches naming the same
    cases in opposite orders queue instead of deadlocking. Unknown ids are simply absent: the step
    that names one is refused by load_case as before.
    """
    wanted = sorted({cid for cid in case_ids if ("case", cid) not in uow.loaded and ("case", cid) not in uow.staged})
    for i in range(0, len(wanted), 500):
        q = select(cases.c.id, cases.c.doc).where(cases.c.id.in_(wanted[i : i + 500])).order_by(cases.c.id)
        q = uow.for_update(q)
        for row in (await uow.conn.execute(q)).all():
            uow.loaded[("case", row.id)] = decode_case(row.doc)


async def unit_info(conn: AsyncConnection, unit_id: str | None) -> tuple[str | None, str]:
    if not unit_id:
        return None, ""
    row = (await conn.execute(select(units.c.building_id, units.c.label).where(units.c.id == unit_id))).first()
    if row is None:
        raise fail("unit.not_found", "未找到该房号", "No such unit", kind="invalid", unit_id=unit_id)
    return row.building_id, row.label


def _clock_doc(c: Clock) -> dict[str, Any]:
    return {
        "code": str(c.code), "rule": c.rule, "label": c.label_zh, "label_en": c.label_en,
        "due_at": c.due_at, "overdue": c.overdue, "running": c.running, "satisfied_at": c.satisfied_at,
        # Stopped unmet by the close or cannot-handle (D90): the desk must not read it as done.
        "stopped_at": c.stopped_at, "stopped_by": str(c.stopped_by) if c.stopped_by else None,
        "responsible_role": str(c.responsible_role), "responsible_id": c.responsible_id,
    }


def case_category(case: Case) -> str | None:
    for v in (case.complaint_category, case.help_kind, case.service_code, case.repair_class):
        if v is not None:
            return str(v)
    return None


def call_back_decides(case: Case) -> bool:
    """Whether the case's stored call-back task decides one of its clocks: a repair whose slip came
    back has the R-FU-6 call-back clock, met by the call recorded on the task, closed case or not."""
    return case.kind == Kind.REPAIR and case.slip is not None and case.slip.slip_returned_at is not None


async def call_backs_deciding(conn: AsyncConnection, found: Iterable[Case]) -> dict[str, sv.CallBackTask]:
    """The stored call-back task of each case whose clocks it decides; no query when none does."""
    ids = [c.id for c in found if call_back_decides(c)]
    return await visits.call_backs_for(conn, ids) if ids else {}


def _referral_doc(fu: FollowUp | None) -> dict[str, Any] | None:
    if fu is None:
        return None
    return {"at": fu.at, "by": fu.by, "note": fu.note, "to_id": fu.reported_to_manager_id}


def case_summary(case: Case, clock_list: list[Clock]) -> dict[str, Any]:
    nxt = deadlines.next_due(clock_list)
    active = case.active_work_order
    return {
        "id": case.id, "no": case.no, "kind": str(case.kind), "state": str(case.state),
        "channel": str(case.channel), "category": case_category(case), "content": case.content,
        "contact_name": case.contact_name, "phone": case.phone, "address": case.address,
        "unit_id": case.unit_id, "received_at": case.received_at, "is_emergency": case.is_emergency,
        "is_major": case.is_major, "assignee_id": active.assignee_id if active else None,
        "next_due": _clock_doc(nxt) if nxt else None,
        "overdue": any(c.overdue and c.running for c in clock_list),
        "slip_signed": signature_covers_slip(case),
        # The desk's list flags a resident who signed but said they were not satisfied.
        "resident_grade": str(case.slip.resident_grade) if case.slip and case.slip.resident_grade else None,
        # R-OP-3: the opening the dispatcher passed up, still waiting for a supervisor's decision.
        # Who passed it up and when: a supervisor covering for the one named sees how long it waited.
        "awaiting_decision": (
            {"to_id": case.awaiting_supervisor.to_id, "to_role": str(case.awaiting_supervisor.to_role),
             "by": case.awaiting_supervisor.by, "at": case.awaiting_supervisor.at}
            if case.awaiting_supervisor else None
        ),
        # R-FU-3: the Monday review that passed the case to a manager who has not answered yet — of
        # whichever week: the case waits for the manager until answered, not only in the week it went up.
        "review_referral": _referral_doc(pending_review_referral(case)),
        # R-CL-4: why it could not be handled, which the quarterly review (the approvals page) judges.
        "cannot_handle_reason": (
            case.cannot_handle.reason if case.state == CaseState.CANNOT_HANDLE and case.cannot_handle else None
        ),
        # R-EM-5: the public emergency numbers this case calls for (the desk's prompt to call them).
        "numbers_to_call": [str(n) for n in em.numbers_to_call(
            help_kind=case.help_kind, trigger=case.emergency.trigger if case.emergency else None)],
        # R-IN-1: raised on a staff phone (the contact is the reporter): when tapped, when the server heard
        # of it, and whether the desk has answered them yet (unanswered ones head the emergency banner).
        "field_report": (
            {"by": case.field_report.by, "reported_at": case.field_report.reported_at,
             "received_at": case.field_report.received_at, "unanswered": field_report_unanswered(case),
             # Nobody at the desk has taken it yet (no follower, nobody at its post): the banner offers 接手.
             "unowned": unowned_emergency(case)}
            if case.field_report else None
        ),
        # R-EM-2: who was reached and has not yet confirmed taking charge (their desk asks them to).
        "awaiting_ack": [
            {"role": str(a.target_role), "target_id": a.target_id}
            for a in (em.awaiting_acknowledgement(case.emergency) if case.emergency else ())
        ],
    }


def job_doc(case: Case, wo, clock_list: list[Clock], booking: dict[str, Any] | None = None,  # noqa: ANN001
            countersigner: str | None = None) -> dict[str, Any]:
    mine = [c for c in clock_list if deadlines.shown_on_phone(c, wo.assignee_id)]
    slip = case.slip if case.slip is not None and case.slip.executor_id == wo.assignee_id else None
    return {
        "id": wo.id, "case_id": case.id, "case_no": case.no, "kind": str(case.kind), "title": wo.job,
        "content": case.content, "address": case.address, "contact_name": case.contact_name,
        "phone": case.phone, "state": str(wo.state), "case_state": str(case.state),
        "assigned_at": wo.assigned_at, "deadline_at": wo.deadline_at, "accepted_at": wo.accepted_at,
        "arrived_at": wo.arrived_at, "completed_at": wo.completed_at, "is_emergency": case.is_emergency,
        "fee_cents": case.fee_quote_cents or 0, "unable_reason": wo.unable_reason,
        # Reported unable and the desk has not acted yet (no newer dispatch, not closed): the phone keeps
        # the job open, takes notes and photos on it and says the desk will reassign or reschedule (D99).
        "awaiting_desk": wo.state == WorkOrderState.UNABLE and case.work_orders[-1].id == wo.id
        and case.state not in (CaseState.CLOSED, CaseState.CANNOT_HANDLE),
        "notes": [{"text": n.text, "photo_sha256": n.photo_sha256, "at": n.at, "by": n.by} for n in wo.notes],
        # Problems reported on this job, with the case opened for each: the technician tells the
        # resident the number (D98). `case_no` null: held on this case (R-CL-2 D).
        "linked_problems": [{"text": r.description, "at": r.at, "case_no": r.case_no, "held": r.case_no is None}
                            for r in wo.linked],
        # Each with how the phone shows it (D106): running, met, or missed by `late_min` minutes.
        "clocks": [{**_clock_doc(c), "state": st, "late_min": late}
                   for c in mine for st, late in [deadlines.phone_clock_state(c)]],
        # The same person's earlier orders on this case that this one replaced (an unable job dispatched
        # again to them): they leave the phone, their reason and notes are shown on this job (D105).
        "earlier": [
            {"job_id": w.id, "state": str(w.state), "assigned_at": w.assigned_at, "arrived_at": w.arrived_at,
             "unable_reason": w.unable_reason, "unable_at": w.unable_at,
             "notes": [{"text": n.text, "photo_sha256": n.photo_sha256, "at": n.at, "by": n.by} for n in w.notes]}
            for w in case.work_orders
            if w.id != wo.id and (gone := job_removal(case, w)) is not None and gone["new_job_id"] == wo.id
        ],
        "slip": msgspec.to_builtins(slip) if slip is not None else None,
        # This phone's records refused on sync that the desk accepted onto this order (D141): its outbox then
        # says 已由服务台接受 of them rather than 被拒.
        "accepted_refusals": accepted_refs(wo),
        # The phone prints the dispatcher's countersign line (R-CL-6) by name; it has no staff list.
        "countersigned_by_name": countersigner if slip is not None and slip.countersigned_by else None,
        # Before accepting, the technician sees what was agreed at the desk (D41): the booking's number,
        # item and fee (R-SS-2), or the repair's responsibility class, None meaning "judge on site", and
        # the fee told, None meaning none was (R-IN-6).
        "fee_quote_cents": case.fee_quote_cents,
        "repair_responsibility": str(case.repair_responsibility) if case.repair_responsibility else None,
        **(booking or NO_BOOKING),
    }


def summons_doc(case: Case, s: em.Summons) -> dict[str, Any]:
    """R-EM-2: a summons as the phone of the person summoned keeps it (entity `summons`, their scope), so
    they can see where to go, mark their arrival and report back offline."""
    state = case.emergency
    return {
        "id": f"{case.id}:{s.role}", "case_id": case.id, "case_no": case.no, "role": str(s.role),
        "trigger": str(state.trigger) if state else None, "content": case.content, "address": case.address,
        "contact_name": case.contact_name, "phone": case.phone, "summoned_at": s.summoned_at,
        "arrived_at": s.arrived_at, "report": s.report, "reported_at": s.reported_at,
        "settled_at": state.settled_at if state else None, "case_state": str(case.state),
    }


def summons_removal(case: Case, s: em.Summons, reason: str, *, to_names: list[str] | None = None) -> dict[str, Any]:
    """Why a summons leaves a phone, carried by the pull's `remove` (as a job's, D105): `closed` (the case
    was closed) or `post_passed` (a summons naming nobody followed its post to `to_names`, the holders now;
    none when the post was left empty)."""
    out: dict[str, Any] = {"reason": reason, "case_no": case.no, "role": str(s.role)}
    if to_names is not None:
        out["to_names"] = to_names
    return out


async def _emit_summons(uow: UnitOfWork, case: Case) -> None:
    """Each summons to the phones of the people it calls: the one named, else everyone holding the post
    (D89) and whoever is on the scene from it. A closed case's summonses leave the phones, saying why; a
    settled one stays, saying so. (Leaving the post takes it off a phone when the post changes hands:
    services/summons.py.)"""
    if case.emergency is None or not case.emergency.summons:
        return
    holders = (await reminders.compound_accounts(uow, case.compound_id)).by_post
    for s in case.emergency.summons:
        doc = summons_doc(case, s)
        for rid in em.summons_recipients(s, holders.get(str(s.role), [])):
            if case.state == CaseState.CLOSED:
                uow.emit(user_scope(rid), "summons", doc["id"], "remove", _enc.encode(summons_removal(case, s, "closed")))
            else:
                uow.emit(user_scope(rid), "summons", doc["id"], "upsert", _enc.encode(doc))


def accepted_refs(wo) -> list[dict[str, Any]]:  # noqa: ANN001
    """The records accepted onto an order (D141), as the phone keys its outbox: {client_id, mutation_id}."""
    return [{"client_id": client, "mutation_id": int(mid)}
            for client, _, mid in (ref.rpartition(":") for ref in wo.accepted_refusals)]


def job_removal(case: Case, wo) -> dict[str, Any] | None:  # noqa: ANN001
    """Why a work order leaves its assignee's phone, or None while it stays (D105).

    The pull's `remove` carries it, so a phone whose signed completion was refused can say "the desk
    gave this job to someone else" rather than guess between closed and reassigned. `closed`: the case
    was closed; `reassigned`: the desk dispatched it again to someone else; `redispatched`: again to the
    same person, whose new job is `new_job_id` (an unable job goes too: one job on the phone, its notes
    carried by the new one); `cancelled`: withdrawn with no new dispatch (the case cannot be handled);
    `done_earlier`: the work was done on an earlier order, whose refused completion the desk accepted
    (D141) — `new_job_id` is that order when it was this person's own. `accepted_refusals`, when the desk
    accepted some of this phone's refused records onto the order (D141), as the job document has it.
    """
    ids = [w.id for w in case.work_orders]
    later = case.work_orders[ids.index(wo.id) + 1:]
    again = next((w for w in reversed(later) if w.assignee_id == wo.assignee_id
                  and w.state != WorkOrderState.CANCELLED), None)
    if case.state == CaseState.CLOSED:
        reason = "closed"
    elif wo.withdrawn_for is not None:
        done = next((w for w in case.work_orders if w.id == wo.withdrawn_for), None)
        mine = done is not None and done.assignee_id == wo.assignee_id
        return {"reason": "done_earlier", "case_no": case.no, "new_job_id": wo.withdrawn_for if mine else None,
                **_accepted_on(wo)}
    elif wo.state == WorkOrderState.CANCELLED:
        reason = "redispatched" if again is not None else "reassigned" if later else "cancelled"
    elif wo.state == WorkOrderState.UNABLE and later:
        # Unable waits for the desk (D99); once it dispatches, to anyone, the job leaves the phone
        # saying to whom (D105): kept as finished, it never said what became of it.
        reason = "redispatched" if again is not None else "reassigned"
    else:
        return None
    return {"reason": reason, "case_no": case.no,
            "new_job_id": again.id if reason == "redispatched" and again is not None else None, **_accepted_on(wo)}


def _accepted_on(wo) -> dict[str, Any]:  # noqa: ANN001
    """The accepted records on a job leaving the phone (a case closed before the phone pulled its completed
    job still tells it, the feed keeping only the removal): nothing when there are none."""
    return {"accepted_refusals": accepted_refs(wo)} if wo.accepted_refusals else {}


async def save_case(uow: UnitOfWork, case: Case, *, created: bool = False) -> None:
    """Stage the case; it is written once when the transaction flushes, however often it changed.

    A phone back from a day offline pushes many mutations on few jobs: one load and one write per
    case per batch instead of one per mutation.
    """
    key = ("case", case.id)
    was_created = key in uow.staged and uow.staged[key][1]
    uow.staged[key] = (case, created or was_created)
    uow.on_flush(_write_staged_cases)


_INDEX_COLUMNS = ("kind", "state", "category", "unit_id", "assignee_id", "is_emergency", "next_due_at",
                  "updated_at", "doc")
# One statement for every staged case of a transaction (executemany): built once, compiled once.
_UPDATE_CASE = (
    update(cases).where(cases.c.id == bindparam("b_id"))
    .values(version=cases.c.version + 1, **{c: bindparam("b_" + c) for c in _INDEX_COLUMNS})
)


async def _write_staged_cases(uow: UnitOfWork) -> None:
    staged = [(k, v) for k, v in uow.staged.items() if k[0] == "case"]
    for key, _ in staged:
        del uow.staged[key]
    updates: list[dict[str, Any]] = []
    for key, (case, created) in staged:
        values = await _prepare_case(uow, case, before=None if created else uow.loaded.get(key))
        if created:
            building_id, _ = await unit_info(uow.conn, case.unit_id)
            await uow.conn.execute(
                insert(cases).values(id=case.id, compound_id=case.compound_id, no=case.no,
                                     received_at=case.received_at, building_id=building_id, version=1, **values)
            )
        else:
            updates.append({"b_id": case.id, **{"b_" + k: v for k, v in values.items()}})
        uow.loaded[key] = case
    await execute_many(uow.conn, _UPDATE_CASE, updates)


async def _prepare_case(uow: UnitOfWork, case: Case, *, before: Case | None) -> dict[str, Any]:
    """Clocks, reminders and feed documents for a case about to be written; returns its row values."""
    rules = await compound_rules(uow, case.compound_id)
    # With the stored call-back the R-FU-6 call-back clock outlives the close, so a closed case still
    # owed its call-back keeps it as next_due_at (and in the desk's summary) until the call is made.
    call_back = (await call_backs_deciding(uow.conn, [case])).get(case.id)
    clock_list = deadlines.clocks(case, rules.calendar, uow.now, rules.policy, call_back=call_back)
    await reminders.schedule_for_change(uow, before, case, clock_list)
    nxt = deadlines.next_due(clock_list)
    active = case.active_work_order
    values = dict(
        kind=str(case.kind), state=str(case.state), category=case_category(case),
        unit_id=case.unit_id, assignee_id=active.assignee_id if active else None,
        is_emergency=case.is_emergency, next_due_at=nxt.due_at if nxt else None,
        updated_at=uow.now, doc=_enc.encode(case).decode(),
    )
    uow.emit(desk_scope(case.compound_id), "case", case.id, "upsert", _enc.encode(case_summary(case, clock_list)))
    await _emit_summons(uow, case)
    booking = await booking_terms(uow, case) if case.work_orders else None
    countersigner = await _countersigner_name(uow.conn, case)
    for wo in case.work_orders:
        scope = user_scope(wo.assignee_id)
        gone = job_removal(case, wo)
        if gone is not None:
            # Reassigned away, cancelled, or done and closed: take it off that phone, saying why (D105).
            uow.emit(scope, "job", wo.id, "remove", _enc.encode(gone))
        else:
            uow.emit(scope, "job", wo.id, "upsert", _enc.encode(job_doc(case, wo, clock_list, booking, countersigner)))
    return values


async def replan_reminders(uow: UnitOfWork, case: Case) -> None:
    """Bring the case's stored reminders in line with it as a save would, without saving it.

    For reminders a case needed before the code that plans them existed (server/notify/catch_up.py):
    the same clocks `_prepare_case` computes, the same planner.
    """
    rules = await compound_rules(uow, case.compound_id)
    call_back = (await call_backs_deciding(uow.conn, [case])).get(case.id)
    clock_list = deadlines.clocks(case, rules.calendar, uow.now, rules.policy, call_back=call_back)
    await reminders.schedule_for_case(uow, case, clock_list)


async def _countersigner_name(conn: AsyncConnection, case: Case) -> str | None:
    """The name of the dispatcher who countersigned the slip (R-CL-6); no query until someone has."""
    by = case.slip.countersigned_by if case.slip is not None else None
    if by is None or case.state == CaseState.CLOSED:  # not countersigned, or the job leaves the phone
        return None
    return (await conn.execute(select(users.c.display_name).where(users.c.id == by))).scalar_one_or_none() or by


def _audit_events(uow: UnitOfWork, who: Principal, case: Case, transition: Transition,
                  evidence: dict[str, Any] | None = None) -> None:
    for ev in transition.events:
        data = msgspec.to_builtins(ev.data)
        # The audit row's `at` is the receipt (D97); a phone's step placed earlier also says when it
        # was done, so the case history can show the act and order by it (D124).
        if ev.at != uow.now:
            data["acted_at"] = ev.at.isoformat()
        # What the sync saw of the phone's clock (D128): kept with the step, not in the domain,
        # which knows only when the step counts. A key the step already holds (arrival's device_at)
        # is its own.
        for k, v in (evidence or {}).items():
            data.setdefault(k, v)
        uow.audit(entity="case", entity_id=case.id, action=ev.name, actor_id=who.user_id,
                  actor_role=who.primary_role, device_id=who.device_id, case_id=case.id,
                  compound_id=case.compound_id, data=data)


async def store_transition(uow: UnitOfWork, who: Principal, out: Transition | Refusal, *,
                           created: bool = False, evidence: dict[str, Any] | None = None) -> Case:
    """Save the step's case and audit its events; `evidence` joins each event's audit data."""
    if isinstance(out, Refusal):
        raise DomainError(out)
    await save_case(uow, out.case, created=created)
    await visits.on_case_saved(uow, out.case)  # R-FU-6 call-back; special-service booking completion
    _audit_events(uow, who, out.case, out, evidence)
    for child in out.new_cases:
        await save_case(uow, child, created=True)
        uow.audit(entity="case", entity_id=child.id, action="case.received", actor_id=who.user_id,
                  actor_role=who.primary_role, device_id=who.device_id, case_id=child.id,
                  compound_id=child.compound_id,
                  data={"kind": str(child.kind), "emergency": child.is_emergency, "parent_case_id": out.case.id,
                        "parent_case_no": out.case.no})
    return out.case


async def apply(uow: UnitOfWork, who: Principal, case_id: str,
                step: Callable[[Case], Transition | Refusal]) -> Case:
    case = await load_case(uow, case_id, who)
    return await store_transition(uow, who, step(case))
