"""Special services at the desk: the approved catalogue, agreements, bookings through to the cashier.

Rules: R-SS-1 (GM approves items and fees), R-SS-2 (fee told and consent before dispatch, advance),
R-SS-3 (signed slip, cashier settles, field staff never do), R-SS-4 (loss review), R-FU-7.
A dispatched booking becomes a case of kind special_service, so the technician's phone flow
(accept, arrive, job.complete with the resident's signature) is the same as for a repair.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import msgspec
from sqlalchemy import insert, select, update

from server.auth.principal import Principal
from server.domain import cases as dc
from server.domain import deadlines
from server.domain import special_services as sp
from server.domain.cases import Case, CaseState, PaidService
from server.domain.errors import fail
from server.domain.roles import EXECUTORS, Role
from server.ids import new_id
from server.input_guard import DatedIn
from server.services.acting import acting_role
from server.storage.db import Database, UnitOfWork
from server.storage.schema import units, users
from server.storage.tables_services import (
    service_agreements,
    service_bookings,
    service_items,
    service_loss_decisions,
)

_enc = msgspec.json.Encoder()
_item_dec = msgspec.json.Decoder(sp.ServiceItem)
_booking_dec = msgspec.json.Decoder(sp.Booking)
_agreement_dec = msgspec.json.Decoder(sp.Agreement)

MANAGERS = (Role.MANAGER,)
BOOKER_ROLES = (Role.FRONT_DESK, Role.DISPATCHER, Role.CONTROL_ROOM, Role.MANAGER)


# --- wire ------------------------------------------------------------------------------------


class ItemIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # The item's key in service_items, a column of 40 characters, and a path segment of its routes.
    code: Annotated[str, msgspec.Meta(max_length=40)] = msgspec.field(default="")
    name_zh: str = ""
    name_en: str = ""
    fee_cents: int = 0
    unit: sp.ServiceUnit = sp.ServiceUnit.PER_VISIT
    promise_minutes: Annotated[int, msgspec.Meta(le=sp.MAX_PROMISE_MINUTES)] = sp.PROMISE_HOME_SERVICE_MINUTES
    advance: sp.Advance = sp.Advance.NONE
    advance_cents: int = 0


class PriceIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    fee_cents: int


class SendBackIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # Why the GM refuses the proposal: the manager revises against it (D112).
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class LossDecisionIn(DatedIn, kw_only=True):
    start: datetime
    end: datetime
    cost_cents: int
    decision: sp.LossDecisionKind
    new_fee_cents: int | None = None
    note: str = ""


class AgreementIn(DatedIn, kw_only=True):
    item_code: str
    resident_name: str
    # A registered unit, as for a one-off booking: by id, or by its exact label for an API caller.
    unit_id: str | None = None
    unit: str = ""
    phone: str
    fee_cents: int
    valid_until: datetime


class BookIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    item_code: str
    resident_name: str = ""
    unit: str = ""
    phone: str = ""
    unit_id: str | None = None
    agreement_id: str | None = None
    # The desk's notes on the request (what, where in the home, access): the case's content at dispatch.
    content: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    # Units the fee is quoted for (appliances, hours, pieces): 1 for a per-visit item (D100).
    quantity: int = 1


class ConsentIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # The total the desk told the resident: the approved unit fee × the quoted quantity (D100).
    shown_fee_cents: int


class MoneyIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    amount_cents: int
    receipt_no: str


class BookingDispatchIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    assignee_id: str
    # Team leads tried first and not reached (R-DI-1).
    unreached_lead_ids: list[str] = []


class CompleteIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    quantity: int


# --- storage ---------------------------------------------------------------------------------


def _not_found(what: str, **details: Any):  # noqa: ANN202
    return fail(f"{what}.not_found", "未找到", "Not found", kind="not_found", **details)


async def load_item(uow: UnitOfWork, compound_id: str, code: str) -> sp.ServiceItem:
    q = select(service_items.c.doc).where(service_items.c.compound_id == compound_id,
                                          service_items.c.code == code)
    q = uow.for_update(q)
    row = (await uow.conn.execute(q)).first()
    if row is None:
        raise _not_found("special_service.item", item_code=code)
    return _item_dec.decode(row.doc)


async def _save_item(uow: UnitOfWork, compound_id: str, item: sp.ServiceItem, *, created: bool = False) -> None:
    values = dict(status=str(item.status), updated_at=uow.now, doc=_enc.encode(item).decode())
    if created:
        exists = (await uow.conn.execute(select(service_items.c.code).where(
            service_items.c.compound_id == compound_id, service_items.c.code == item.code))).first()
        if exists is not None:
            raise fail("special_service.item_exists", "该服务项目已存在", "The item already exists",
                       item_code=item.code)
        await uow.conn.execute(insert(service_items).values(compound_id=compound_id, code=item.code, **values))
    else:
        await uow.conn.execute(update(service_items).where(
            service_items.c.compound_id == compound_id, service_items.c.code == item.code).values(**values))


def _audit(uow: UnitOfWork, who: Principal, entity: str, entity_id: str, action: str,
           case_id: str | None = None, **data: Any) -> None:
    uow.audit(entity=entity, entity_id=entity_id, action=action, actor_id=who.user_id,
              actor_role=who.primary_role, device_id=who.device_id, compound_id=who.compound_id,
              case_id=case_id, data=msgspec.to_builtins(data))


def item_view(item: sp.ServiceItem) -> dict[str, Any]:
    out = msgspec.to_builtins(item)
    out["unit_label"] = sp.UNIT_LABELS_ZH[item.unit]
    out["unit_label_en"] = sp.UNIT_LABELS_EN[item.unit]
    # Approved and announced (R-SS-1, D112); a booking quotes the fee residents were told.
    out["bookable"] = sp.offered(item)
    out["quoted_fee_cents"] = sp.quoted_fee(item) if item.status is sp.ItemStatus.APPROVED else None
    return out


async def _load_booking(uow: UnitOfWork, who: Principal, booking_id: str) -> tuple[sp.Booking, str | None]:
    q = select(service_bookings.c.doc, service_bookings.c.case_id).where(
        service_bookings.c.id == booking_id, service_bookings.c.compound_id == who.compound_id)
    q = uow.for_update(q)
    row = (await uow.conn.execute(q)).first()
    if row is None:
        raise _not_found("special_service.booking", booking_id=booking_id)
    return _booking_dec.decode(row.doc), row.case_id


async def _save_booking(uow: UnitOfWork, compound_id: str, b: sp.Booking, *, case_id: str | None = None,
                        created: bool = False, unit_id: str | None = None, content: str = "") -> None:
    values = dict(state=str(b.state), settled_at=b.settled_at, doc=_enc.encode(b).decode())
    if case_id is not None:
        values["case_id"] = case_id
    if created:
        await uow.conn.execute(insert(service_bookings).values(
            id=b.id, compound_id=compound_id, booking_no=b.booking_no, item_code=b.item_code,
            booked_at=b.booked_at, unit_id=unit_id, content=content.strip(), **values))
    else:
        await uow.conn.execute(update(service_bookings).where(service_bookings.c.id == b.id).values(**values))


def booking_view(b: sp.Booking, case_id: str | None, item: sp.ServiceItem | None = None, *,
                 content: str = "", promise: sp.PromiseView | None = None,
                 leads: Sequence[str] = ()) -> dict[str, Any]:
    refusal = sp.dispatch_refusal(b) if b.state is sp.BookingState.BOOKED else None
    return {
        # Whom its dispatch tells first (R-DI-1): every lead, a special service being of no one trade (D144).
        # The chooser offers these and only these as leads, as the dispatch takes them; none once dispatched.
        "leads": list(leads) if b.state is sp.BookingState.BOOKED else [],
        "booking": msgspec.to_builtins(b),
        "case_id": case_id,
        "item_name_zh": item.name_zh if item else b.item_code,
        "item_name_en": item.name_en if item else b.item_code,
        "balance_due_cents": sp.balance_due(b) if b.state is sp.BookingState.COMPLETED else None,
        "missing_to_dispatch": list(refusal.details.get("missing", [])) if refusal else [],
        # What the desk tells (or told) the resident, computed here from the approved unit fee (D100).
        "told_fee_cents": b.told_fee_cents if b.told_fee_cents is not None else sp.told_fee(b),
        "content": content,
        "promise": msgspec.to_builtins(promise) if promise is not None else None,
    }


async def _booking_leads(conn: Any, compound_id: str) -> list[str]:
    """The leads a booking's dispatch accepts, from the staff list as it is now (D144)."""
    from server.domain import leads as dl
    from server.services.desk import lead_directory

    return list(dl.leads_of_line(dl.SPECIAL_SERVICE_LINE, await lead_directory(conn, compound_id)))


async def _promises(conn, bookings: list[tuple[sp.Booking, str | None]], now: datetime,  # noqa: ANN001
                    compound_id: str, known: Case | None = None) -> dict[str, sp.PromiseView | None]:
    """Each booking's arrival promise (R-FU-7) and where it stands, by booking id (D100).

    Before dispatch the booking's own promised arrival; once its case is open, the case's promise
    clock (a delay notice's new agreed time moves it) and the first arrival on site: one query for
    the cases per 500 bookings, the compound's rules read once."""
    from server.services.cases import compound_rules, decode_case
    from server.storage.schema import cases

    found: dict[str, Case] = {known.id: known} if known is not None else {}
    ids = [case_id for _, case_id in bookings if case_id and case_id not in found]
    for i in range(0, len(ids), 500):
        for row in (await conn.execute(select(cases.c.id, cases.c.doc).where(cases.c.id.in_(ids[i:i + 500])))).all():
            found[row.id] = decode_case(row.doc)
    rules = await compound_rules(conn, compound_id) if found else None
    out: dict[str, sp.PromiseView | None] = {}
    for b, case_id in bookings:
        case = found.get(case_id) if case_id else None
        if case is None or rules is None:
            out[b.id] = sp.booking_promise(b, now=now)
            continue
        clock = next((c for c in deadlines.clocks(case, rules.calendar, now, rules.policy)
                      if c.code in _PROMISE_CLOCKS), None)
        if clock is None:
            out[b.id] = sp.booking_promise(b, now=now)
            continue
        agreed = clock.code is deadlines.ClockCode.FU7_PAID_PROMISE_25M and deadlines.paid_promise_due(
            case, rules.policy)[1]
        out[b.id] = sp.booking_promise(b, now=now, case_due_at=clock.due_at, arrived_at=clock.satisfied_at,
                                       agreed=agreed)
    return out


# The case clock that carries the resident's promise, per service class (R-FU-7).
_PROMISE_CLOCKS = frozenset({deadlines.ClockCode.FU7_PAID_PROMISE_25M, deadlines.ClockCode.FU7_LAUNDRY_15M,
                             deadlines.ClockCode.FU7_GAMES_10M})


# --- catalogue (R-SS-1) ----------------------------------------------------------------------


async def list_items(db: Database, who: Principal) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = (await conn.execute(select(service_items.c.doc).where(
            service_items.c.compound_id == who.compound_id).order_by(service_items.c.code))).all()
    return [item_view(_item_dec.decode(r.doc)) for r in rows]


def _require_code_and_name(data: ItemIn) -> None:
    if not data.code.strip() or not data.name_zh.strip():
        raise fail("special_service.invalid_item", "须填写项目编号和名称", "Code and name are required",
                   kind="invalid", missing=[n for n in ("code", "name_zh") if not getattr(data, n).strip()])


async def propose_item(db: Database, who: Principal, data: ItemIn) -> dict[str, Any]:
    _require_code_and_name(data)
    async with db.transaction() as uow:
        item = sp.propose_item(
            code=data.code.strip(), name_zh=data.name_zh.strip(), name_en=data.name_en.strip(),
            fee_cents=data.fee_cents, unit=data.unit, promise_minutes=data.promise_minutes,
            advance=data.advance, advance_cents=data.advance_cents,
            by_role=acting_role(who, MANAGERS), by_id=who.user_id, now=uow.now)
        await _save_item(uow, who.compound_id, item, created=True)
        _audit(uow, who, "service_item", item.code, "service_item.proposed", fee_cents=item.fee_cents)
        return item_view(item)


async def _item_step(db: Database, who: Principal, code: str, step, action: str) -> dict[str, Any]:  # noqa: ANN001
    async with db.transaction() as uow:
        item = step(await load_item(uow, who.compound_id, code), uow)
        await _save_item(uow, who.compound_id, item)
        _audit(uow, who, "service_item", code, action, fee_cents=item.fee_cents,
               pending_fee_cents=item.pending_fee_cents, status=str(item.status))
        return item_view(item)


async def propose_price(db: Database, who: Principal, code: str, fee_cents: int) -> dict[str, Any]:
    return await _item_step(db, who, code, lambda i, u: sp.propose_price(
        i, fee_cents=fee_cents, by_role=acting_role(who, MANAGERS)), "service_item.price_proposed")


async def approve_item(db: Database, who: Principal, code: str) -> dict[str, Any]:
    return await _item_step(db, who, code, lambda i, u: sp.approve(
        i, by_role=acting_role(who, (Role.GENERAL_MANAGER,)), by_id=who.user_id, now=u.now),
        "service_item.approved")


async def send_back_item(db: Database, who: Principal, code: str, reason: str) -> dict[str, Any]:
    """The GM refuses a proposed item or fee with a reason, audited (R-SS-1, D112)."""
    async with db.transaction() as uow:
        item = sp.send_back(await load_item(uow, who.compound_id, code), reason=reason,
                            by_role=acting_role(who, (Role.GENERAL_MANAGER,)), by_id=who.user_id, now=uow.now)
        await _save_item(uow, who.compound_id, item)
        back = item.sent_back
        _audit(uow, who, "service_item", code, "service_item.sent_back", status=str(item.status),
               price=back.price if back else None, fee_cents=back.fee_cents if back else None,
               reason=back.reason if back else "")
        return item_view(item)


async def revise_item(db: Database, who: Principal, code: str, data: ItemIn) -> dict[str, Any]:
    """The manager proposes a sent-back item again, revised; it waits for the GM (D112)."""
    data = msgspec.structs.replace(data, code=code)
    _require_code_and_name(data)
    async with db.transaction() as uow:
        item = sp.revise_item(
            await load_item(uow, who.compound_id, code), name_zh=data.name_zh.strip(), name_en=data.name_en,
            fee_cents=data.fee_cents, unit=data.unit, promise_minutes=data.promise_minutes, advance=data.advance,
            advance_cents=data.advance_cents, by_role=acting_role(who, MANAGERS), by_id=who.user_id, now=uow.now)
        await _save_item(uow, who.compound_id, item)
        _audit(uow, who, "service_item", code, "service_item.revised", fee_cents=item.fee_cents,
               advance=str(item.advance), advance_cents=item.advance_cents)
        return item_view(item)


async def announce_item(db: Database, who: Principal, code: str) -> dict[str, Any]:
    return await _item_step(db, who, code, lambda i, u: sp.announce(i, now=u.now), "service_item.announced")


async def withdraw_item(db: Database, who: Principal, code: str) -> dict[str, Any]:
    return await _item_step(db, who, code, lambda i, u: sp.withdraw(
        i, by_role=acting_role(who, (Role.MANAGER, Role.GENERAL_MANAGER))), "service_item.withdrawn")


# --- loss review (R-SS-4) --------------------------------------------------------------------


async def _settled_bookings(conn, compound_id: str, start: datetime, end: datetime) -> list[sp.Booking]:  # noqa: ANN001
    rows = (await conn.execute(select(service_bookings.c.doc).where(
        service_bookings.c.compound_id == compound_id, service_bookings.c.settled_at >= start,
        service_bookings.c.settled_at < end))).all()
    return [_booking_dec.decode(r.doc) for r in rows]


async def loss_review(db: Database, who: Principal, code: str, start: datetime, end: datetime,
                      cost_cents: int) -> dict[str, Any]:
    async with db.transaction(write=False) as uow:
        await load_item(uow, who.compound_id, code)
        bookings = await _settled_bookings(uow.conn, who.compound_id, start, end)
    return msgspec.to_builtins(sp.review_loss(code, bookings, cost_cents=cost_cents, start=start, end=end))


async def decide_loss(db: Database, who: Principal, code: str, data: LossDecisionIn) -> dict[str, Any]:
    async with db.transaction() as uow:
        item = await load_item(uow, who.compound_id, code)
        bookings = await _settled_bookings(uow.conn, who.compound_id, data.start, data.end)
        review = sp.review_loss(code, bookings, cost_cents=data.cost_cents, start=data.start, end=data.end)
        record, item = sp.decide_on_loss(item, review, decision=data.decision,
                                         by_role=acting_role(who, MANAGERS), by_id=who.user_id, now=uow.now,
                                         new_fee_cents=data.new_fee_cents, note=data.note)
        await _save_item(uow, who.compound_id, item)
        await uow.conn.execute(insert(service_loss_decisions).values(
            id=new_id("sld_"), compound_id=who.compound_id, item_code=code, decided_at=uow.now,
            doc=_enc.encode(record).decode()))
        _audit(uow, who, "service_item", code, "service_item.loss_decided", decision=str(data.decision))
        return {"decision": msgspec.to_builtins(record), "item": item_view(item)}


# --- agreements and bookings (R-SS-2) --------------------------------------------------------


async def _find_unit(uow: UnitOfWork, compound_id: str, unit_id: str | None, label: str) -> tuple[str, str] | None:
    """The registered unit (label, id) named by its id, or else by its exact label; None if none is."""
    q = select(units.c.id, units.c.label).where(units.c.compound_id == compound_id)
    q = q.where(units.c.id == unit_id) if unit_id else q.where(units.c.label == label.strip())
    row = (await uow.conn.execute(q)).first()
    return (row.label, row.id) if row is not None else None


async def registered_unit(uow: UnitOfWork, compound_id: str, unit_id: str | None, label: str) -> tuple[str, str]:
    """The unit of a booking or an agreement: one of the compound's registered units, picked as at
    intake (D41). A typed "2栋3单元801" that is no unit gave the case no unit, the technician no door,
    the unit's history nothing. An API caller may still name it by its registered label."""
    found = await _find_unit(uow, compound_id, unit_id, label)
    if found is None:
        raise fail("unit.not_found", "未找到该房号，请从已登记的房号中选择",
                   "No such unit; choose one of the registered units", kind="invalid",
                   missing=["unit_id"], unit_id=unit_id, unit=label.strip())
    return found


async def create_agreement(db: Database, who: Principal, data: AgreementIn) -> dict[str, Any]:
    async with db.transaction() as uow:
        item = await load_item(uow, who.compound_id, data.item_code)
        # Approved and announced, as for a one-off booking (R-SS-1, D112).
        sp.require_offered(item)
        if str(acting_role(who, BOOKER_ROLES)) not in {str(r) for r in sp.BOOKERS}:
            raise fail(sp.SpecialServiceRefusal.NOT_A_BOOKER, "特约服务由服务中心受理",
                       "Special services are booked at the service desk", kind="forbidden")
        if data.fee_cents <= 0 or data.valid_until <= uow.now:
            raise fail(sp.SpecialServiceRefusal.INVALID_FEE, "协议收费或期限不正确",
                       "The agreement's fee or term is wrong", kind="invalid")
        # At most the announced fee per unit: a higher one was never approved (R-SS-1, D123).
        sp.require_agreement_fee(item, data.fee_cents)
        # Typed text would be kept for the agreement's whole term and every case it opens (R-SS-2).
        unit, unit_id = await registered_unit(uow, who.compound_id, data.unit_id, data.unit)
        ag = sp.Agreement(id=new_id("agr_"), item_code=item.code, resident_name=data.resident_name.strip(),
                          unit=unit, unit_id=unit_id, phone=data.phone.strip(), fee_cents=data.fee_cents,
                          signed_at=uow.now, valid_until=data.valid_until)
        await uow.conn.execute(insert(service_agreements).values(
            id=ag.id, compound_id=who.compound_id, item_code=ag.item_code, valid_until=ag.valid_until,
            doc=_enc.encode(ag).decode()))
        _audit(uow, who, "service_agreement", ag.id, "service_agreement.signed", item_code=item.code)
        return msgspec.to_builtins(ag)


async def list_agreements(db: Database, who: Principal) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = (await conn.execute(select(service_agreements.c.doc).where(
            service_agreements.c.compound_id == who.compound_id))).all()
    return [msgspec.json.decode(r.doc) for r in rows]


async def next_booking_no(uow: UnitOfWork, compound_id: str) -> str:
    """Booking numbers run per compound per local day, like case numbers: TY20261123-001 (特约);
    two bookings in one instant take consecutive numbers, never the same one (D39)."""
    from server.services.cases import day_number

    return await day_number(uow, compound_id, sequence="booking_no", prefix="TY", digits=3)


async def book(db: Database, who: Principal, data: BookIn) -> dict[str, Any]:
    async with db.transaction() as uow:
        item = await load_item(uow, who.compound_id, data.item_code)
        role = acting_role(who, BOOKER_ROLES)
        unit, unit_id = data.unit, data.unit_id
        if data.agreement_id:
            row = (await uow.conn.execute(select(service_agreements.c.doc).where(
                service_agreements.c.id == data.agreement_id,
                service_agreements.c.compound_id == who.compound_id))).first()
            if row is None:
                raise _not_found("special_service.agreement", agreement_id=data.agreement_id)
            ag = _agreement_dec.decode(row.doc)
            b = sp.book_under_agreement(item, ag, id=new_id("bkg_"), by_role=role, by_id=who.user_id, now=uow.now,
                                        quantity=data.quantity)
            # The agreement names the door for its whole term, so its case gets the unit. One signed
            # before agreements named a unit keeps booking; its text gives the unit if it is a label.
            unit_id = ag.unit_id
            if unit_id is None and (found := await _find_unit(uow, who.compound_id, None, ag.unit)):
                unit_id = found[1]
        else:
            if unit_id or unit.strip():
                unit, unit_id = await registered_unit(uow, who.compound_id, unit_id, unit)
            b = sp.book(item, id=new_id("bkg_"), resident_name=data.resident_name, unit=unit, phone=data.phone,
                        by_role=role, by_id=who.user_id, now=uow.now, quantity=data.quantity)
        # Numbered once the booking is accepted, so a refused booking uses up no number.
        b = msgspec.structs.replace(b, booking_no=await next_booking_no(uow, who.compound_id))
        await _save_booking(uow, who.compound_id, b, created=True, unit_id=unit_id, content=data.content)
        _audit(uow, who, "service_booking", b.id, "service_booking.booked", item_code=item.code, mode=str(b.mode),
               quantity=b.quoted_quantity)
        return booking_view(b, None, item, content=data.content.strip(), promise=sp.booking_promise(b, now=uow.now),
                            leads=await _booking_leads(uow.conn, who.compound_id))


async def list_bookings(db: Database, who: Principal, state: str | None = None) -> list[dict[str, Any]]:
    q = select(service_bookings.c.doc, service_bookings.c.case_id, service_bookings.c.content).where(
        service_bookings.c.compound_id == who.compound_id)
    if state:
        q = q.where(service_bookings.c.state == state)
    async with db.read() as conn:
        rows = (await conn.execute(q.order_by(service_bookings.c.booked_at.desc()).limit(500))).all()
        items = {i.code: i for i in [_item_dec.decode(r.doc) for r in (await conn.execute(
            select(service_items.c.doc).where(service_items.c.compound_id == who.compound_id))).all()]}
        found = [(_booking_dec.decode(r.doc), r) for r in rows]
        promises = await _promises(conn, [(b, r.case_id) for b, r in found], db.clock.now(), who.compound_id)
        leads = await _booking_leads(conn, who.compound_id)
    return [booking_view(b, r.case_id, items.get(b.item_code), content=r.content or "", promise=promises[b.id],
                         leads=leads) for b, r in found]


async def get_booking(db: Database, who: Principal, booking_id: str) -> dict[str, Any]:
    """One booking however old (the list holds the newest 500): what its statement prints."""
    async with db.read() as conn:
        row = (await conn.execute(select(service_bookings.c.doc, service_bookings.c.case_id,
                                         service_bookings.c.content).where(
            service_bookings.c.id == booking_id, service_bookings.c.compound_id == who.compound_id))).first()
        if row is None:
            raise _not_found("special_service.booking", booking_id=booking_id)
        b = _booking_dec.decode(row.doc)
        item_row = (await conn.execute(select(service_items.c.doc).where(
            service_items.c.compound_id == who.compound_id, service_items.c.code == b.item_code))).first()
        promise = (await _promises(conn, [(b, row.case_id)], db.clock.now(), who.compound_id))[b.id]
        leads = await _booking_leads(conn, who.compound_id)
    return booking_view(b, row.case_id, _item_dec.decode(item_row.doc) if item_row else None,
                        content=row.content or "", promise=promise, leads=leads)


async def _booking_step(db: Database, who: Principal, booking_id: str, step, action: str) -> dict[str, Any]:  # noqa: ANN001
    async with db.transaction() as uow:
        b, case_id = await _load_booking(uow, who, booking_id)
        b = step(b, uow)
        await _save_booking(uow, who.compound_id, b)
        _audit(uow, who, "service_booking", b.id, action, case_id=case_id, state=str(b.state),
               **({"told_fee_cents": b.told_fee_cents, "quantity": b.quoted_quantity}
                  if action == "service_booking.consented" else {}))
        _, content = await _booking_unit_id(uow, b.id)
        promise = (await _promises(uow.conn, [(b, case_id)], uow.now, who.compound_id))[b.id]
        return booking_view(b, case_id, await load_item(uow, who.compound_id, b.item_code), content=content,
                            promise=promise, leads=await _booking_leads(uow.conn, who.compound_id))


async def consent(db: Database, who: Principal, booking_id: str, shown_fee_cents: int) -> dict[str, Any]:
    return await _booking_step(db, who, booking_id, lambda b, u: sp.record_consent(
        b, shown_fee_cents=shown_fee_cents, now=u.now), "service_booking.consented")


async def advance(db: Database, who: Principal, booking_id: str, data: MoneyIn) -> dict[str, Any]:
    return await _booking_step(db, who, booking_id, lambda b, u: sp.record_advance(
        b, amount_cents=data.amount_cents, receipt_no=data.receipt_no,
        by_role=acting_role(who, (Role.CASHIER,)), by_id=who.user_id, by_name=who.display_name, now=u.now),
        "service_booking.advance_paid")


def settle_role(who: Principal) -> Role:
    """The cashier role if held; otherwise a field role wins, so the refusal names the real problem."""
    return acting_role(who, (Role.CASHIER, *sorted(EXECUTORS)))


async def settle(db: Database, who: Principal, booking_id: str, data: MoneyIn) -> dict[str, Any]:
    return await _booking_step(db, who, booking_id, lambda b, u: sp.settle(
        b, amount_cents=data.amount_cents, receipt_no=data.receipt_no, by_role=settle_role(who),
        by_id=who.user_id, by_name=who.display_name, now=u.now), "service_booking.settled")


def paid_service_of(item: sp.ServiceItem) -> PaidService:
    """The deadline engine's service class (R-FU-7) for a catalogue item, read from its promise."""
    if item.code in {str(p) for p in PaidService}:
        return PaidService(item.code)
    if item.promise_minutes == sp.PROMISE_LAUNDRY_MINUTES:
        return PaidService.LAUNDRY
    if item.promise_minutes == sp.PROMISE_GAMES_MINUTES:
        return PaidService.GAMES
    return PaidService.HOME_CLEANING if "clean" in item.code else PaidService.HOME_REPAIR


async def _booking_unit_id(uow: UnitOfWork, booking_id: str) -> tuple[str | None, str]:
    row = (await uow.conn.execute(select(service_bookings.c.unit_id, service_bookings.c.content).where(
        service_bookings.c.id == booking_id))).one()
    return row.unit_id, row.content or ""


async def dispatch(db: Database, who: Principal, booking_id: str, data: BookingDispatchIn) -> dict[str, Any]:
    """Consent and advance are checked first; then a special_service case is opened and dispatched.

    The case is received when the resident accepted the fee, so its R-FU-7 clocks (the promise and
    the 20-minute delay notice) run from then; the team's order gets 20 minutes from now, capped by
    the promise.
    """
    from server.services.cases import compound_rules, new_work_order_id, next_case_no, store_transition
    from server.services.desk import _staff_role, case_view, dispatch_terms, lead_attempts, roles_of

    async with db.transaction() as uow:
        b, case_id = await _load_booking(uow, who, booking_id)
        if refusal := sp.dispatch_refusal(b):
            from server.domain.errors import DomainError

            raise DomainError(refusal)
        item = await load_item(uow, who.compound_id, b.item_code)
        roles = roles_of(who)
        unit_id, content = await _booking_unit_id(uow, b.id)
        no = await next_case_no(uow, who.compound_id)
        case = await store_transition(uow, who, dc.intake(
            case_id=new_id("case_"), no=no, compound_id=who.compound_id, kind=dc.Kind.SPECIAL_SERVICE,
            channel=dc.Channel.PHONE, contact_name=b.resident_name, phone=b.phone,
            content=content or f"特约服务：{item.name_zh}", receiver_id=who.user_id,
            now=sp.promised_at(b) or uow.now, unit_id=unit_id, address=b.unit,
            service_code=paid_service_of(item), fee_quote_cents=b.unit_fee_cents, booking_id=b.id),
            created=True)
        rules = await compound_rules(uow, who.compound_id)
        case = await store_transition(uow, who, dc.decide_opening(
            case, open=True, by=who.user_id, roles=roles, now=uow.now, reason=dc.OpenReason.A_SITE_FOLLOW_UP,
            note=sp.opening_note(b, item_name=item.name_zh, tz=rules.calendar.zone,
                                 unit_label=sp.UNIT_LABELS_ZH[item.unit])))
        role = await _staff_role(uow, who, data.assignee_id)
        attempts = lead_attempts(who, data.unreached_lead_ids, uow.now)
        b = sp.dispatch(b, to=[data.assignee_id], now=uow.now, case_no=case.no)
        # The same deadline as the case's arrival clock and a desk re-dispatch (D41); the booking's own
        # promise caps it too, should the item promise less than the compound's deadline policy.
        own_cap = sp.team_arrive_by(promised_by=b.arrive_by or uow.now, now=uow.now,
                                    minutes=rules.policy.paid_arrive_minutes)
        case = await store_transition(uow, who, dc.dispatch(
            case, work_order_id=new_work_order_id(case), job=item.name_zh, assignee_id=data.assignee_id,
            assignee_role=role, deadline_at=deadlines.order_deadline(case, uow.now, rules.policy, asked=own_cap),
            by=who.user_id, roles=roles, now=uow.now, attempts=attempts, **await dispatch_terms(uow.conn, case)))
        await _save_booking(uow, who.compound_id, b, case_id=case.id)
        _audit(uow, who, "service_booking", b.id, "service_booking.dispatched", case_id=case.id,
               assignee_id=data.assignee_id)
        promise = (await _promises(uow.conn, [(b, case.id)], uow.now, who.compound_id, known=case))[b.id]
        view = booking_view(b, case.id, item, content=content, promise=promise)
        view["case"] = (await case_view(uow, case))["summary"]
        return view


def _complete_from_slip(b: sp.Booking, case: Case, quantity: int, now: datetime) -> sp.Booking:
    slip = case.slip
    if slip is None or not slip.signature_sha256:
        raise fail(sp.SpecialServiceRefusal.SIGNATURE_MISSING, "须住户在服务单上签字确认",
                   "The resident must sign the slip", kind="invalid", missing=["signature"])
    return sp.complete(b, quantity=quantity, signature_sha256=slip.signature_sha256,
                       signer_name=slip.signer_name or "", now=slip.signed_at or now, slip_hash=slip.content_hash,
                       signed_fee_cents=slip.fee_cents)


async def complete(db: Database, who: Principal, booking_id: str, quantity: int) -> dict[str, Any]:
    """The desk completes a booking whose signed slip did not name a whole number of units."""
    from server.services.cases import load_case

    async with db.transaction() as uow:
        b, case_id = await _load_booking(uow, who, booking_id)
        if case_id is None:
            raise fail(sp.SpecialServiceRefusal.WRONG_STATE, "尚未派工", "Not dispatched yet",
                       state=str(b.state))
        case = await load_case(uow, case_id, who)
        if case.state not in (CaseState.COMPLETED, CaseState.CLOSED):
            raise fail(sp.SpecialServiceRefusal.WRONG_STATE, "服务尚未完成", "The service is not completed",
                       state=str(case.state))
        b = _complete_from_slip(b, case, quantity, uow.now)
        await _save_booking(uow, who.compound_id, b)
        _audit(uow, who, "service_booking", b.id, "service_booking.completed", case_id=case_id,
               quantity=quantity)
        _, content = await _booking_unit_id(uow, b.id)
        promise = (await _promises(uow.conn, [(b, case_id)], uow.now, who.compound_id))[b.id]
        return booking_view(b, case_id, await load_item(uow, who.compound_id, b.item_code), content=content,
                            promise=promise)


async def on_case_saved(uow: UnitOfWork, case: Case) -> None:
    """When the linked case completes with a signed slip, the booking completes with it (R-SS-3).

    The quantity is read off the slip's fee; a fee that is not a whole number of units is left for
    the desk to complete by hand, never guessed.
    """
    if case.kind != dc.Kind.SPECIAL_SERVICE or case.last_completed_at is None or case.slip is None:
        return
    row = (await uow.conn.execute(select(service_bookings.c.doc).where(
        service_bookings.c.case_id == case.id, service_bookings.c.state == str(sp.BookingState.DISPATCHED)))
    ).first()
    if row is None:
        return
    b = _booking_dec.decode(row.doc)
    fee = case.slip.fee_cents
    if not case.slip.signature_sha256 or fee <= 0 or fee % b.unit_fee_cents:
        return
    b = _complete_from_slip(b, case, fee // b.unit_fee_cents, uow.now)
    await _save_booking(uow, case.compound_id, b)
    uow.audit(entity="service_booking", entity_id=b.id, action="service_booking.completed", actor_id=None,
              actor_role=None, device_id=None, case_id=case.id, compound_id=case.compound_id,
              data={"quantity": b.quantity, "slip_fee_cents": b.slip_fee_cents})


# --- demo ------------------------------------------------------------------------------------

DEMO_ITEMS = [
    # code, zh, en, fee (fen), unit, promise minutes, advance, advance (fen)
    ("drain_unblock", "疏通下水道", "Drain unblocking", 8000, sp.ServiceUnit.PER_VISIT, 25, sp.Advance.NONE, 0),
    ("appliance_cleaning", "家电清洗", "Appliance cleaning", 12000, sp.ServiceUnit.PER_PIECE, 25, sp.Advance.NONE, 0),
    ("unlock", "开锁", "Lock opening", 5000, sp.ServiceUnit.PER_VISIT, 25, sp.Advance.NONE, 0),
    ("laundry", "洗衣取送", "Laundry pick-up and delivery", 1500, sp.ServiceUnit.PER_PIECE, 15, sp.Advance.NONE, 0),
    ("games", "游戏配送", "Games delivery", 2000, sp.ServiceUnit.PER_VISIT, 10, sp.Advance.NONE, 0),
    # Paid partly in advance at the cashier (R-SS-2), so the demo reaches the cashier's 收预付 (D112).
    ("deep_cleaning", "深度保洁", "Deep home cleaning", 30000, sp.ServiceUnit.PER_VISIT, 25,
     sp.Advance.PREPAYMENT, 10000),
]


async def seed_demo(db: Database, compound_id: str) -> None:
    """The demo price list: proposed by the manager, approved by the general manager (R-SS-1)."""
    async with db.transaction() as uow:
        mgr = (await uow.conn.execute(select(users.c.id).where(
            users.c.compound_id == compound_id, users.c.username == "manager"))).scalar() or "usr_manager"
        gm = (await uow.conn.execute(select(users.c.id).where(
            users.c.compound_id == compound_id, users.c.username == "gm"))).scalar() or "usr_gm"
        for code, zh, en, fee, unit, promise, advance, advance_cents in DEMO_ITEMS:
            item = sp.propose_item(code=code, name_zh=zh, name_en=en, fee_cents=fee, unit=unit,
                                   promise_minutes=promise, advance=advance, advance_cents=advance_cents,
                                   by_role=Role.MANAGER, by_id=mgr, now=uow.now)
            item = sp.announce(sp.approve(item, by_role=Role.GENERAL_MANAGER, by_id=gm, now=uow.now), now=uow.now)
            await _save_item(uow, compound_id, item, created=True)

