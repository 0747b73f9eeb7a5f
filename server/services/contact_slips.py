"""Work-contact slips 工作联系单 to the developer (R-IN-6 d, D44): one transaction per command.

Each command loads the repair case (locked on PostgreSQL, so two desks cannot open two slips for one
repair at once), applies the pure rule from server.domain.contact_slips, stores the document and
writes an audit entry into the case's timeline. A refused rule raises before anything is written,
and the transaction rolls back whatever was staged (a slip number taken included).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import msgspec
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth.principal import Principal
from server.domain import contact_slips as dcs
from server.domain.errors import fail
from server.ids import new_id
from server.input_guard import DatedIn
from server.services.cases import compound_rules, day_number, load_case
from server.storage.db import Database, UnitOfWork
from server.storage.tables_contact_slips import contact_slips

_enc = msgspec.json.Encoder()
_dec = msgspec.json.Decoder(dcs.ContactSlip)


class CreateIn(DatedIn, kw_only=True):
    description: str
    addressee: str = ""  # empty: the compound's usual addressee (the last slip's, else the default)
    location: str = ""
    requested_action: str = ""
    reply_by: date | None = None


class EditIn(DatedIn, kw_only=True):
    addressee: str | None = None
    description: str | None = None
    location: str | None = None
    requested_action: str | None = None
    reply_by: date | None = None


class VerifyIn(DatedIn, kw_only=True):
    verified_by: str
    verified_at: datetime
    note: str


class ReplyIn(DatedIn, kw_only=True):
    replied_on: date
    text: str


class ContactSlipView(dcs.ContactSlip, frozen=True, kw_only=True):
    """The wire shape: the stored slip plus what the desk follows it up by."""

    open: bool
    overdue: bool


class CaseContactSlips(msgspec.Struct, kw_only=True):
    slips: list[ContactSlipView]
    default_addressee: str  # what a new slip is addressed to unless the desk types another


def slip_view(slip: dcs.ContactSlip, today: date) -> ContactSlipView:
    return ContactSlipView(**{f: getattr(slip, f) for f in slip.__struct_fields__}, open=dcs.is_open(slip),
                           overdue=dcs.is_overdue(slip, today))


def _audit(uow: UnitOfWork, who: Principal, slip: dcs.ContactSlip, action: str, **data: Any) -> None:
    # case_id puts the entry on the case's timeline beside the repair's own steps.
    uow.audit(entity="contact_slip", entity_id=slip.id, action=action, actor_id=who.user_id,
              actor_role=who.primary_role, device_id=who.device_id, compound_id=who.compound_id,
              case_id=slip.case_id, data=msgspec.to_builtins({"no": slip.no, **data}))


async def _save(uow: UnitOfWork, slip: dcs.ContactSlip, *, created: bool = False) -> None:
    values = dict(no=slip.no, state=str(slip.state), reply_by=slip.reply_by, updated_at=slip.updated_at,
                  doc=_enc.encode(slip).decode())
    if created:
        await uow.conn.execute(insert(contact_slips).values(
            id=slip.id, compound_id=slip.compound_id, case_id=slip.case_id, created_at=slip.created_at, **values))
    else:
        await uow.conn.execute(update(contact_slips).where(contact_slips.c.id == slip.id).values(**values))


async def _load(uow: UnitOfWork, who: Principal, slip_id: str) -> dcs.ContactSlip:
    q = uow.for_update(select(contact_slips.c.doc).where(
        contact_slips.c.id == slip_id, contact_slips.c.compound_id == who.compound_id))
    row = (await uow.conn.execute(q)).first()
    if row is None:
        raise fail("contact_slip.not_found", "未找到该工作联系单", "No such work-contact slip", kind="not_found",
                   slip_id=slip_id)
    return _dec.decode(row.doc)


async def _for_case(conn: AsyncConnection, case_id: str) -> list[dcs.ContactSlip]:
    rows = (await conn.execute(select(contact_slips.c.doc).where(contact_slips.c.case_id == case_id)
                               .order_by(contact_slips.c.created_at, contact_slips.c.id))).all()
    return [_dec.decode(r.doc) for r in rows]


async def _today(uow_or_conn: UnitOfWork | AsyncConnection, compound_id: str, now: datetime) -> date:
    return (await compound_rules(uow_or_conn, compound_id)).calendar.local(now).date()


async def default_addressee(conn: AsyncConnection, compound_id: str) -> str:
    """The addressee of the compound's latest slip: the developer's after-sales office rarely changes,
    and the compound settings name none (D44)."""
    row = (await conn.execute(select(contact_slips.c.doc).where(contact_slips.c.compound_id == compound_id)
                              .order_by(contact_slips.c.created_at.desc(), contact_slips.c.id.desc())
                              .limit(1))).first()
    last = _dec.decode(row.doc).addressee if row is not None else ""
    return last or dcs.DEFAULT_ADDRESSEE


async def next_slip_no(uow: UnitOfWork, compound_id: str) -> str:
    """LX20261123-001 (联系单): per compound per local day, in the counters the case and booking
    numbers use, so two slips issued in one instant take consecutive numbers."""
    return await day_number(uow, compound_id, sequence="contact_slip_no", prefix="LX", digits=3)


async def list_for_case(db: Database, who: Principal, case_id: str) -> CaseContactSlips:
    async with db.transaction(write=False) as uow:
        case = await load_case(uow, case_id, who)
        today = await _today(uow, case.compound_id, uow.now)
        return CaseContactSlips(slips=[slip_view(s, today) for s in await _for_case(uow.conn, case.id)],
                                default_addressee=await default_addressee(uow.conn, who.compound_id))


async def get(db: Database, who: Principal, slip_id: str) -> ContactSlipView:
    async with db.transaction(write=False) as uow:
        slip = await _load(uow, who, slip_id)
        return slip_view(slip, await _today(uow, slip.compound_id, uow.now))


async def create(db: Database, who: Principal, case_id: str, data: CreateIn) -> ContactSlipView:
    async with db.transaction() as uow:
        case = await load_case(uow, case_id, who)
        addressee = data.addressee.strip() or await default_addressee(uow.conn, who.compound_id)
        slip = dcs.create(case, await _for_case(uow.conn, case.id), id=new_id("lxd_"), addressee=addressee,
                          description=data.description, location=data.location or case.address,
                          requested_action=data.requested_action, reply_by=data.reply_by, by=who.user_id,
                          now=uow.now)
        await _save(uow, slip, created=True)
        _audit(uow, who, slip, "contact_slip.created", addressee=slip.addressee)
        return slip_view(slip, await _today(uow, case.compound_id, uow.now))


async def edit(db: Database, who: Principal, slip_id: str, data: EditIn) -> ContactSlipView:
    async with db.transaction() as uow:
        slip = await _load(uow, who, slip_id)
        changes = {k: getattr(data, k) for k in dcs.EDITABLE if getattr(data, k) is not None}
        slip = dcs.edit(slip, by=who.user_id, now=uow.now, **changes)
        await _save(uow, slip)
        _audit(uow, who, slip, "contact_slip.edited", fields=sorted(changes))
        return slip_view(slip, await _today(uow, slip.compound_id, uow.now))


async def verify(db: Database, who: Principal, slip_id: str, data: VerifyIn) -> ContactSlipView:
    async with db.transaction() as uow:
        slip = dcs.record_verification(await _load(uow, who, slip_id), verified_by=data.verified_by,
                                       verified_at=data.verified_at, note=data.note, by=who.user_id, now=uow.now)
        await _save(uow, slip)
        _audit(uow, who, slip, "contact_slip.verified", verified_by=slip.verification.verified_by,
               note=slip.verification.note)
        return slip_view(slip, await _today(uow, slip.compound_id, uow.now))


async def issue(db: Database, who: Principal, slip_id: str) -> ContactSlipView:
    async with db.transaction() as uow:
        slip = await _load(uow, who, slip_id)
        case = await load_case(uow, slip.case_id, who)
        today = await _today(uow, slip.compound_id, uow.now)
        # The number is taken inside the transaction: a refused issue rolls the counter back too.
        slip = dcs.issue(slip, case, no=await next_slip_no(uow, slip.compound_id), today=today, by=who.user_id,
                         now=uow.now)
        await _save(uow, slip)
        _audit(uow, who, slip, "contact_slip.issued", addressee=slip.addressee, reply_by=slip.reply_by)
        return slip_view(slip, today)


async def reply(db: Database, who: Principal, slip_id: str, data: ReplyIn) -> ContactSlipView:
    async with db.transaction() as uow:
        slip = await _load(uow, who, slip_id)
        rules = await compound_rules(uow, slip.compound_id)
        today = rules.calendar.local(uow.now).date()
        issued_day = rules.calendar.local(slip.issued_at).date() if slip.issued_at else today
        slip = dcs.record_reply(slip, text=data.text, replied_on=data.replied_on, issued_day=issued_day, today=today,
                                by=who.user_id, now=uow.now)
        await _save(uow, slip)
        _audit(uow, who, slip, "contact_slip.answered", text=slip.reply.text)
        return slip_view(slip, today)


async def open_slips_for(conn: AsyncConnection, compound_id: str, case_ids: Iterable[str],
                         now: datetime) -> dict[str, dict[str, Any]]:
    """The case summary's follow-up flag: each case's sent, unanswered slip (number, reply date,
    overdue), one query for a page of cases. A draft is not shown: nothing was asked yet."""
    ids = list(case_ids)
    if not ids:
        return {}
    rows = (await conn.execute(select(contact_slips.c.doc).where(
        contact_slips.c.compound_id == compound_id, contact_slips.c.case_id.in_(ids),
        contact_slips.c.state == str(dcs.ContactSlipState.SENT)))).all()
    if not rows:
        return {}
    today = await _today(conn, compound_id, now)
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        s = _dec.decode(r.doc)
        out[s.case_id] = {"id": s.id, "no": s.no, "reply_by": s.reply_by, "overdue": dcs.is_overdue(s, today)}
    return out
