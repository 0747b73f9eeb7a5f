"""The desk's list of field records the push refused, and marking them handled (domain/field_refusals.py).

Each record is shown with what the desk needs to put it right: the case's state now and who holds
its job now (name, role, phone), beside who sent the record, so the dispatcher knows whom to call.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth.principal import Principal
from server.domain import field_refusals as fr
from server.domain.cases import Case
from server.services.cases import decode_case
from server.storage.db import Database, UnitOfWork
from server.storage.schema import cases, field_refusals, users
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


class FieldRefusalView(fr.FieldRefusal, kw_only=True):
    user_name: str
    user_roles: list[str] = []
    user_phone: str = ""
    case_no: str | None = None
    # The case as it stands now, not as it was when the phone's record was refused.
    case_state: str | None = None
    holder: JobHolder | None = None


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
        handled_by=row.handled_by, handled_note=row.handled_note,
    )


async def _views(conn: AsyncConnection, compound_id: str, rows: list[Any],
                 refusals: list[fr.FieldRefusal] | None = None) -> list[FieldRefusalView]:
    """The rows as the desk reads them; `refusals` (one per row) replaces the stored record, e.g. just handled."""
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
    out = []
    for i, r in enumerate(rows):
        base = refusals[i] if refusals is not None else _refusal(r)
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
        ))
    return out


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
        return await _views(conn, who.compound_id, (await conn.execute(q)).all())


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
