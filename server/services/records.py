"""Record keeping at the desk: how long records are kept (R-RC-1) and compensations (R-RC-2).

A small compensation is agreed by phone with the developer's lead and confirmed in writing; a
large one closes only with a settlement memo the owner signed (an uploaded signature image).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import insert, select, update

from server.auth.principal import Principal
from server.domain import records as rc
from server.domain.errors import fail
from server.domain.roles import APPROVERS, Role
from server.ids import new_id
from server.services.acting import acting_role
from server.services.cases import compound_rules, load_case
from server.storage.db import Database, UnitOfWork
from server.storage.schema import blobs
from server.storage.tables_services import compensations

# Above this a compensation is "large" (R-RC-2). The seed names no figure; ¥2,000 is the
# company's line until the compound's settings carry one.
COMPENSATION_THRESHOLD_CENTS = 200_000

_enc = msgspec.json.Encoder()
_comp_dec = msgspec.json.Decoder(rc.Compensation)

RECORD_LABELS = {
    rc.RecordKind.HELP_LOG: ("住户求助登记表", "Help log"),
    rc.RecordKind.SERVICE_SLIP: ("服务单", "Service slip"),
    rc.RecordKind.RELEASE_SLIP: ("放行通知单", "Release slip"),
}
RECORD_RULES = {
    rc.RecordKind.HELP_LOG: ("每年归档,保存两年", "Archived yearly, kept two years"),
    rc.RecordKind.SERVICE_SLIP: ("调度员会签后即归档,作为收费依据,长期保存",
                                 "Archived once the dispatcher countersigns; the billing basis, kept"),
    rc.RecordKind.RELEASE_SLIP: ("保安每 10 天交回服务中心归档,长期保存",
                                 "Security hands its copies in every 10 days; kept"),
}


class CompensationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    case_id: str
    amount_cents: int


class PhoneApprovalIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    developer_lead: str


class WrittenIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    contact_slip_no: str


class MemoIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    memo_no: str
    owner_name: str
    owner_signature_sha256: str


async def retention(db: Database, who: Principal, created_at: datetime | None) -> list[dict[str, Any]]:
    """Each record kind's archive and keep-until dates, for a record made at `created_at` (default now)."""
    async with db.read() as conn:
        cal = (await compound_rules(conn, who.compound_id)).calendar
    at = cal.local(created_at or db.clock.now())
    now = db.clock.now()
    return [{
        "kind": str(kind), "label_zh": RECORD_LABELS[kind][0], "label_en": RECORD_LABELS[kind][1],
        "rule_zh": RECORD_RULES[kind][0], "rule_en": RECORD_RULES[kind][1],
        "created_at": at, "archive_due": rc.archive_due(kind, at), "keep_until": rc.retention_until(kind, at),
        "may_purge_now": rc.may_purge(kind, at, now),
    } for kind in rc.RecordKind]


def _view(c: rc.Compensation) -> dict[str, Any]:
    refusal = rc.close_refusal(c, by_role=Role.MANAGER) if c.closed_at is None else None
    missing = list(refusal.details.get("missing", [])) if refusal is not None else []
    return {**msgspec.to_builtins(c), "large": rc.is_large(c), "missing_to_close": missing}


async def _load(uow: UnitOfWork, who: Principal, comp_id: str) -> rc.Compensation:
    q = select(compensations.c.doc).where(compensations.c.id == comp_id,
                                          compensations.c.compound_id == who.compound_id)
    q = uow.for_update(q)
    row = (await uow.conn.execute(q)).first()
    if row is None:
        raise fail("compensation.not_found", "未找到该赔付记录", "No such compensation", kind="not_found")
    return _comp_dec.decode(row.doc)


async def _save(uow: UnitOfWork, who: Principal, c: rc.Compensation, action: str) -> dict[str, Any]:
    await uow.conn.execute(update(compensations).where(compensations.c.id == c.id).values(
        closed_at=c.closed_at, doc=_enc.encode(c).decode()))
    uow.audit(entity="compensation", entity_id=c.id, action=action, actor_id=who.user_id,
              actor_role=who.primary_role, device_id=who.device_id, case_id=c.case_id,
              compound_id=who.compound_id)
    return _view(c)


async def open_compensation(db: Database, who: Principal, data: CompensationIn) -> dict[str, Any]:
    async with db.transaction() as uow:
        await load_case(uow, data.case_id, who)
        c = rc.open_compensation(id=new_id("cmp_"), case_id=data.case_id, amount_cents=data.amount_cents,
                                 threshold_cents=COMPENSATION_THRESHOLD_CENTS, by_id=who.user_id, now=uow.now)
        await uow.conn.execute(insert(compensations).values(
            id=c.id, compound_id=who.compound_id, case_id=c.case_id, opened_at=c.opened_at,
            doc=_enc.encode(c).decode()))
        uow.audit(entity="compensation", entity_id=c.id, action="compensation.opened", actor_id=who.user_id,
                  actor_role=who.primary_role, device_id=who.device_id, case_id=c.case_id,
                  compound_id=who.compound_id, data={"amount_cents": c.amount_cents})
        return _view(c)


async def list_compensations(db: Database, who: Principal) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = (await conn.execute(select(compensations.c.doc).where(
            compensations.c.compound_id == who.compound_id).order_by(compensations.c.opened_at.desc()))).all()
    return [_view(_comp_dec.decode(r.doc)) for r in rows]


async def phone_approval(db: Database, who: Principal, comp_id: str, lead: str) -> dict[str, Any]:
    async with db.transaction() as uow:
        c = rc.record_phone_approval(await _load(uow, who, comp_id), developer_lead=lead, now=uow.now)
        return await _save(uow, who, c, "compensation.phone_approved")


async def written_confirmation(db: Database, who: Principal, comp_id: str, slip_no: str) -> dict[str, Any]:
    async with db.transaction() as uow:
        c = rc.record_written_confirmation(await _load(uow, who, comp_id), contact_slip_no=slip_no)
        return await _save(uow, who, c, "compensation.confirmed_in_writing")


async def memo(db: Database, who: Principal, comp_id: str, data: MemoIn) -> dict[str, Any]:
    async with db.transaction() as uow:
        c = await _load(uow, who, comp_id)
        uploaded = (await uow.conn.execute(select(blobs.c.sha256).where(
            blobs.c.sha256 == data.owner_signature_sha256))).first()
        if uploaded is None:
            raise fail(rc.RecordsRefusal.MEMO_NOT_SIGNED_BY_OWNER, "和解备忘须业主签字",
                       "The settlement memo must be signed by the owner", kind="invalid",
                       missing=["owner_signature"])
        c = rc.record_memo(c, rc.SettlementMemo(memo_no=data.memo_no.strip(), owner_name=data.owner_name,
                                                 owner_signature_sha256=data.owner_signature_sha256,
                                                 amount_cents=c.amount_cents, signed_at=uow.now))
        return await _save(uow, who, c, "compensation.memo_signed")


async def close(db: Database, who: Principal, comp_id: str) -> dict[str, Any]:
    async with db.transaction() as uow:
        c = rc.close_compensation(await _load(uow, who, comp_id), by_role=acting_role(who, sorted(APPROVERS)),
                                  by_id=who.user_id, now=uow.now)
        return await _save(uow, who, c, "compensation.closed")
