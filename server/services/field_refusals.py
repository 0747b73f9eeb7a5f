"""The desk's list of field records the push refused, marking them handled, and accepting a refused
completion as the work done (domain/field_refusals.py).

Each record is shown with what the desk needs to put it right: the case's state now and who holds
its job now (name, role, phone), beside who sent the record, so the dispatcher knows whom to call;
and, for a signed completion refused because the job was reassigned, whether it can be accepted now.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth.principal import Principal
from server.domain import field_refusals as fr
from server.domain.cases import Case, ServiceSlip, Transition
from server.domain.errors import DomainError, Refusal
from server.services import visits
from server.services.cases import decode_case, load_case, save_case
from server.services.field import CompleteArgs, keep_signature, signature_owner, slip_from_args
from server.storage.db import Database, UnitOfWork
from server.storage.schema import cases, field_refusals, slip_signatures, sync_clients, users
from server.sync.job_terms import booking_terms
from server.sync.protocol import MAX_MUTATION_ID

LIST_LIMIT = 200
_args = msgspec.json.Decoder(dict)
_roles = msgspec.json.Decoder(list[str])


class HandleIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(max_length=2000)]


class RefusalKey(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    client_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    mutation_id: Annotated[int, msgspec.Meta(ge=1, le=MAX_MUTATION_ID)]


class HandleManyIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    items: Annotated[list[RefusalKey], msgspec.Meta(max_length=fr.BATCH_MAX)]
    note: Annotated[str, msgspec.Meta(max_length=2000)]


class JobHolder(msgspec.Struct, kw_only=True):
    """Who holds the case's job now (fr.job_holder): the person to call about the refused record."""

    user_id: str
    name: str
    role: str  # the role the work order was given to them as
    phone: str
    work_order_id: str
    work_order_state: str


class NotAcceptable(msgspec.Struct, kw_only=True):
    """Why a refused completion cannot be accepted now (the refusal the acceptance would answer)."""

    code: str
    message: str
    message_en: str


class FieldRefusalView(fr.FieldRefusal, kw_only=True):
    user_name: str
    user_roles: list[str] = []
    user_phone: str = ""
    case_no: str | None = None
    # The case as it stands now, not as it was when the phone's record was refused.
    case_state: str | None = None
    holder: JobHolder | None = None
    # An open signed completion refused because its order was withdrawn, read by someone who may accept
    # one (dispatcher, manager): whether accepting it now would succeed — the acceptance's own check,
    # run on the case as it stands — and if not, why. False and null for every other record or reader.
    may_accept: bool = False
    not_acceptable: NotAcceptable | None = None


def _query(compound_id: str):  # noqa: ANN202
    # The case is joined on the compound too: a forged id naming another compound's case shows as none.
    return (
        select(field_refusals, users.c.display_name.label("user_name"), users.c.roles.label("user_roles"),
               users.c.phone.label("user_phone"), cases.c.no.label("case_no"))
        .join(users, users.c.id == field_refusals.c.user_id)
        .outerjoin(cases, and_(cases.c.id == field_refusals.c.case_id, cases.c.compound_id == compound_id))
        .where(field_refusals.c.compound_id == compound_id)
    )


def _refusal(row) -> fr.FieldRefusal:  # noqa: ANN001
    return fr.FieldRefusal(
        client_id=row.client_id, mutation_id=row.mutation_id, user_id=row.user_id,
        case_id=row.case_id if row.case_no is not None else None, type=row.type, code=row.code,
        message=row.message, message_en=row.message_en, args=_args.decode(row.args),
        device_time=row.device_time, received_at=row.received_at, handled_at=row.handled_at,
        handled_by=row.handled_by, handled_note=row.handled_note, acted_at=row.acted_at,
        clock_changed_s=row.clock_changed_s, accepted=bool(row.accepted),
    )


async def _views(conn: AsyncConnection, compound_id: str, rows: list[Any],
                 refusals: list[fr.FieldRefusal] | None = None, *, roles: Iterable[str] = (),
                 now: datetime | None = None) -> list[FieldRefusalView]:
    """The rows as the desk reads them; `refusals` (one per row) replaces the stored record, e.g. just handled.

    With the reader's `roles` and `now`, each open withdrawn completion says whether the reader could
    accept it now (`may_accept`, else `not_acceptable`)."""
    # Each case once, however many of its records were refused (a reassigned job's phone sends several).
    case_ids = sorted({r.case_id for r in rows if r.case_no is not None})
    decoded: dict[str, Case] = {}
    for i in range(0, len(case_ids), 500):
        decoded.update((c.id, decode_case(c.doc)) for c in (await conn.execute(
            select(cases.c.id, cases.c.doc).where(cases.c.compound_id == compound_id,
                                                  cases.c.id.in_(case_ids[i:i + 500])))).all())
    holders = {cid: wo for cid, c in decoded.items() if (wo := fr.job_holder(c)) is not None}
    people: dict[str, Any] = {}
    ids = sorted({wo.assignee_id for wo in holders.values()})
    if ids:
        # One query for every holder on the page; an account of another compound is nobody here.
        people = {p.id: p for p in (await conn.execute(
            select(users.c.id, users.c.display_name, users.c.phone)
            .where(users.c.compound_id == compound_id, users.c.id.in_(ids)))).all()}
    bases = [refusals[i] if refusals is not None else _refusal(r) for i, r in enumerate(rows)]
    verdicts: dict[tuple[str, int], Refusal | None] = {}
    if now is not None and set(roles) & fr.ACCEPTORS:
        verdicts = await _acceptance(conn, compound_id, [
            (b, decoded.get(r.case_id) if r.case_no is not None else None) for b, r in zip(bases, rows, strict=True)
            if b.handled_at is None and fr.is_withdrawn_completion(b)], roles=roles, now=now)
    out = []
    for i, r in enumerate(rows):
        base = bases[i]
        case = decoded.get(r.case_id) if r.case_no is not None else None
        wo = holders.get(r.case_id) if case is not None else None
        holder = None
        if wo is not None:
            p = people.get(wo.assignee_id)
            holder = JobHolder(user_id=wo.assignee_id, name=p.display_name if p else wo.assignee_id,
                               role=str(wo.assignee_role), phone=p.phone if p else "", work_order_id=wo.id,
                               work_order_state=str(wo.state))
        out.append(FieldRefusalView(
            **{f: getattr(base, f) for f in base.__struct_fields__},
            user_name=r.user_name, user_roles=_roles.decode(r.user_roles), user_phone=r.user_phone or "",
            case_no=r.case_no, case_state=str(case.state) if case is not None else None, holder=holder,
            **_verdict_fields(verdicts, fr.key_of(base)),
        ))
    return out


def _verdict_fields(verdicts: dict[tuple[str, int], Refusal | None], key: tuple[str, int]) -> dict[str, Any]:
    if key not in verdicts:
        return {}
    why = verdicts[key]
    if why is None:
        return {"may_accept": True}
    return {"not_acceptable": NotAcceptable(code=why.code, message=why.zh, message_en=why.en)}


_LEAD_UP_COLUMNS = (field_refusals.c.type.in_(fr.LEAD_UP)
                    & (field_refusals.c.code == str(fr.CaseReason.WORK_ORDER_WITHDRAWN)))


async def _lead_ups(conn: AsyncConnection, compound_id: str, client_ids: list[str]) -> list[fr.FieldRefusal]:
    """The acceptances and arrivals these phones sent on withdrawn orders: the lead-up of their completions."""
    if not client_ids:
        return []
    rows = (await conn.execute(_query(compound_id).where(
        field_refusals.c.client_id.in_(sorted(set(client_ids))), _LEAD_UP_COLUMNS))).all()
    return [_refusal(r) for r in rows]


async def _acceptance(conn: AsyncConnection, compound_id: str, items: list[tuple[fr.FieldRefusal, Case | None]], *,
                      roles: Iterable[str], now: datetime) -> dict[tuple[str, int], Refusal | None]:
    """For each open withdrawn completion on the page, what accepting it now would answer: None (it would be
    accepted) or the refusal. The acceptance itself, run on the case as it stands (`fr.accept_completion`),
    so the page offers 接受完工 exactly where the server takes it."""
    if not items:
        return {}
    lead = await _lead_ups(conn, compound_id, [c.client_id for c, _ in items])
    shas = sorted({s for c, _ in items if isinstance(s := c.args.get("signature_sha256"), str)})
    owners = dict((await conn.execute(select(slip_signatures.c.signature_sha256, slip_signatures.c.case_id)
                                       .where(slip_signatures.c.signature_sha256.in_(shas)))).all()) if shas else {}
    out: dict[tuple[str, int], Refusal | None] = {}
    for completion, case in items:
        try:
            slip = slip_from_args(msgspec.convert(completion.args, CompleteArgs), completion.user_id)
        except (msgspec.ValidationError, ValueError):
            slip = None
        fee_unit = (await booking_terms(conn, case))["fee_unit_code"] if case is not None else None
        sha = completion.args.get("signature_sha256")
        got = _accept_on(case, completion, slip, fr.lead_up_of(completion, lead),
                         owners.get(sha) if isinstance(sha, str) else None, roles=roles, by="", now=now,
                         fee_unit=fee_unit)
        out[fr.key_of(completion)] = got if isinstance(got, Refusal) else None
    return out


def _accept_on(case: Case | None, completion: fr.FieldRefusal, slip: ServiceSlip | None, lead_up: list[fr.FieldRefusal],
               signature_case_id: str | None, *, roles: Iterable[str], by: str, now: datetime,
               fee_unit: str | None) -> Transition | Refusal:
    """`fr.accept_completion`, or the reason it cannot be tried: no such case here, or a record whose
    arguments are not a completion's (refused as malformed before its order was ever looked at)."""
    if case is None or slip is None:
        why = fr.acceptance_refusal(None, completion, roles=roles, lead_up=lead_up, signature_case_id=signature_case_id)
        assert why is not None  # without its case nothing is acceptable
        return why
    return fr.accept_completion(case, completion, slip=slip, lead_up=lead_up, signature_case_id=signature_case_id,
                                by=by, roles=roles, now=now, fee_unit=fee_unit)


async def list_refusals(db: Database, who: Principal, *, case_id: str | None = None,
                        include_handled: bool = False) -> list[FieldRefusalView]:
    """Newest first: the open ones (or all, for one case's history), at most LIST_LIMIT."""
    q = _query(who.compound_id)
    if case_id is not None:
        q = q.where(field_refusals.c.case_id == case_id)
    if not include_handled:
        q = q.where(field_refusals.c.handled_at.is_(None))
    q = q.order_by(field_refusals.c.received_at.desc(), field_refusals.c.mutation_id.desc()).limit(LIST_LIMIT)
    async with db.read() as conn:
        return await _views(conn, who.compound_id, (await conn.execute(q)).all(), roles=who.roles,
                            now=db.clock.now())


def _audit_handled(uow: UnitOfWork, who: Principal, done: fr.FieldRefusal, **extra: Any) -> None:
    uow.audit(entity="field_refusal", entity_id=f"{done.client_id}:{done.mutation_id}", action="refusal.handled",
              actor_id=who.user_id, actor_role=who.primary_role, device_id=who.device_id,
              compound_id=who.compound_id,
              data={"case_id": done.case_id, "type": done.type, "code": done.code, "note": done.handled_note,
                    **extra})


async def handle(db: Database, who: Principal, client_id: str, mutation_id: int, data: HandleIn) -> FieldRefusalView:
    async with db.transaction() as uow:
        key = and_(field_refusals.c.client_id == client_id, field_refusals.c.mutation_id == mutation_id)
        # Lock the row alone: PostgreSQL cannot lock the nullable side of the view's outer join.
        mine = and_(key, field_refusals.c.compound_id == who.compound_id)
        if (await uow.conn.execute(uow.for_update(select(field_refusals.c.mutation_id).where(mine)))).first() is None:
            raise fr.not_found([(client_id, mutation_id)])
        row = (await uow.conn.execute(_query(who.compound_id).where(key))).one()
        done = fr.handle(_refusal(row), by=who.user_id, note=data.note, now=uow.now)
        await uow.conn.execute(update(field_refusals).where(key).values(
            handled_at=done.handled_at, handled_by=done.handled_by, handled_note=done.handled_note))
        _audit_handled(uow, who, done)
        return (await _views(uow.conn, who.compound_id, [row], [done]))[0]


async def handle_many(db: Database, who: Principal, data: HandleManyIn) -> list[FieldRefusalView]:
    """Mark several refused records handled with one note, in one transaction: all of them or none.

    Every named record must be one of the caller's compound (`refusal.not_found`, naming those that
    are not) and still open (`refusal.already_handled`, naming those that are not); the domain asks
    for one reason of refusal among them. The rows are locked in key order, so two desks handling
    overlapping selections at once queue rather than deadlock, and the second is told which records
    the first just handled.
    """
    keys = [(i.client_id, i.mutation_id) for i in data.items]
    fr.check_selection(keys)
    named = or_(*(and_(field_refusals.c.client_id == c, field_refusals.c.mutation_id == m) for c, m in keys))
    async with db.transaction() as uow:
        mine = and_(named, field_refusals.c.compound_id == who.compound_id)
        locked = (await uow.conn.execute(uow.for_update(
            select(field_refusals.c.client_id, field_refusals.c.mutation_id).where(mine)
            .order_by(field_refusals.c.client_id, field_refusals.c.mutation_id)))).all()
        found = {(r.client_id, r.mutation_id) for r in locked}
        if missing := [k for k in keys if k not in found]:
            raise fr.not_found(missing)
        rows = {(r.client_id, r.mutation_id): r
                for r in (await uow.conn.execute(_query(who.compound_id).where(named))).all()}
        ordered = [rows[k] for k in keys]
        done = fr.handle_many([_refusal(r) for r in ordered], by=who.user_id, note=data.note, now=uow.now)
        await uow.conn.execute(update(field_refusals).where(mine).values(
            handled_at=uow.now, handled_by=who.user_id, handled_note=done[0].handled_note))
        for d in done:
            _audit_handled(uow, who, d, batch=len(done))
        return await _views(uow.conn, who.compound_id, ordered, done)


async def accept(db: Database, who: Principal, client_id: str, mutation_id: int) -> FieldRefusalView:
    """Accept a signed completion refused because the desk reassigned its job: the work is done, by the
    technician who did it, when the phone recorded it (D141).

    In one transaction: the completion and the same phone's refused acceptance and arrival on that job are
    locked (in key order, as handle_many locks, so the two queue rather than deadlock on PostgreSQL), the case
    is locked and the domain applies them (`fr.accept_completion`: refused with its code when the case has
    moved on); the case is saved like any step (its clocks, the phones' jobs — the order withdrawn leaves its
    holder's phone saying why — and the call-back), the resident's signature is kept against reuse, and the
    records are marked handled as accepted, each audited.
    """
    async with db.transaction() as uow:
        conn = uow.conn
        mine = and_(field_refusals.c.compound_id == who.compound_id, field_refusals.c.client_id == client_id)
        locked = (await conn.execute(uow.for_update(
            select(field_refusals.c.mutation_id).where(mine, or_(field_refusals.c.mutation_id == mutation_id,
                                                                  _LEAD_UP_COLUMNS))
            .order_by(field_refusals.c.mutation_id)))).scalars().all()
        if mutation_id not in locked:
            raise fr.not_found([(client_id, mutation_id)])
        key = and_(field_refusals.c.client_id == client_id, field_refusals.c.mutation_id == mutation_id)
        row = (await conn.execute(_query(who.compound_id).where(key))).one()
        completion = _refusal(row)
        case = await load_case(uow, completion.case_id, who) if completion.case_id is not None else None
        lead_up = fr.lead_up_of(completion, await _lead_ups(conn, who.compound_id, [client_id]))
        try:
            slip = slip_from_args(msgspec.convert(completion.args, CompleteArgs), completion.user_id)
        except (msgspec.ValidationError, ValueError):
            slip = None
        sha = completion.args.get("signature_sha256")
        owner = await signature_owner(conn, sha) if isinstance(sha, str) else None
        fee_unit = (await booking_terms(uow, case))["fee_unit_code"] if case is not None else None
        out = _accept_on(case, completion, slip, lead_up, owner, roles=who.roles, by=who.user_id, now=uow.now,
                         fee_unit=fee_unit)
        if isinstance(out, Refusal):
            raise DomainError(out)
        assert case is not None and slip is not None and slip.signature_sha256 is not None
        applied = fr.accepted_with(completion, lead_up)
        await _store_accepted(uow, who, out, {fr.key_of(r): r for r in [completion, *lead_up]})
        await keep_signature(uow, slip.signature_sha256, case.id)
        done = fr.mark_accepted(applied, by=who.user_id, now=uow.now)
        await conn.execute(update(field_refusals).where(
            field_refusals.c.client_id == client_id,
            field_refusals.c.mutation_id.in_([r.mutation_id for r in done])).values(
            handled_at=uow.now, handled_by=who.user_id, accepted=True))
        wo = next(w for w in out.case.work_orders if w.id == fr.job_of(completion))
        withdrawn = [w for w in out.case.work_orders if w.withdrawn_for == wo.id]
        for d in done:
            # The completion's entry is on the case's history too: who accepted it, and what it set aside.
            uow.audit(entity="field_refusal", entity_id=f"{d.client_id}:{d.mutation_id}", action="refusal.accepted",
                      actor_id=who.user_id, actor_role=who.primary_role, device_id=who.device_id,
                      compound_id=who.compound_id, case_id=case.id if d is done[0] else None,
                      data={"case_id": case.id, "type": d.type, "code": d.code, "work_order_id": wo.id,
                            "done_by": wo.assignee_id, "received_at": d.received_at.isoformat(),
                            **({"completed_at": wo.completed_at.isoformat() if wo.completed_at else None,
                                "withdrawn": [{"work_order_id": w.id, "assignee_id": w.assignee_id}
                                              for w in withdrawn]} if d is done[0] else
                               {"with_completion": f"{completion.client_id}:{completion.mutation_id}"})})
        await uow.flush()  # the case as saved: the answer reads its state and holder now
        return (await _views(conn, who.compound_id, [row], [done[0]]))[0]


async def _store_accepted(uow: UnitOfWork, who: Principal, out: Transition,
                          records: dict[tuple[str, int], fr.FieldRefusal]) -> None:
    """Save the case as any step saves it, and audit its events under who did each: the desk's withdrawal
    under the caller, the phone's steps under the technician and their phone (the history names who did the
    work), at the receipt like every audit row, with the acted time and the phone clock's evidence (D124,
    D128) as a synced step has them."""
    await save_case(uow, out.case)
    await visits.on_case_saved(uow, out.case)
    devices: dict[str, str | None] = {}
    for client in sorted({k[0] for k in records}):
        devices[client] = (await uow.conn.execute(select(sync_clients.c.device_id).where(
            sync_clients.c.client_id == client))).scalar_one_or_none()
    roles = {w.assignee_id: str(w.assignee_role) for w in out.case.work_orders}
    for ev in out.events:
        data = msgspec.to_builtins(ev.data)
        if ev.at != uow.now:
            data["acted_at"] = ev.at.isoformat()
        rec = records.get(_key(data.get("refusal")))
        if rec is not None and rec.clock_changed_s is not None and rec.device_time is not None:
            data.setdefault("clock_changed_s", rec.clock_changed_s)
            data.setdefault("device_at", rec.device_time.isoformat())
        phone = rec is not None and ev.by != who.user_id
        uow.audit(entity="case", entity_id=out.case.id, action=ev.name,
                  actor_id=ev.by if phone else who.user_id,
                  actor_role=roles.get(ev.by or "") if phone else who.primary_role,
                  device_id=devices.get(rec.client_id) if phone and rec is not None else who.device_id,
                  case_id=out.case.id, compound_id=out.case.compound_id, data=data)


def _key(ref: Any) -> tuple[str, int]:
    client, _, mid = str(ref or "").rpartition(":")
    return client, int(mid) if mid.isdigit() else -1
