"""The key cabinet: keys filed by building, floor and type; signed loans, returns, the monthly count (R-KY-1).

A loan's signature is a content-addressed PNG uploaded first (PUT /api/blobs/{sha256}); the loan
refers to it by hash. An outsider's ID is kept as its type and last four characters only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from sqlalchemy import insert, select, update

from server.auth.principal import Principal
from server.domain import keys as dk
from server.domain.errors import fail
from server.ids import new_id
from server.input_guard import DatedIn
from server.storage.db import Database, UnitOfWork
from server.storage.schema import blobs as blobs_table
from server.storage.schema import users
from server.storage.tables_services import key_loans, keys

_enc = msgspec.json.Encoder()
_key_dec = msgspec.json.Decoder(dk.Key)
_loan_dec = msgspec.json.Decoder(dk.KeyLoan)


class KeyIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # Filed by building and floor, which are indexed columns of that width (tables_services.keys).
    building: Annotated[str, msgspec.Meta(max_length=100)]
    floor: Annotated[str, msgspec.Meta(max_length=20)]
    key_type: dk.KeyType
    label: Annotated[str, msgspec.Meta(max_length=100)]


class LoanIn(DatedIn, kw_only=True):
    borrower_kind: dk.BorrowerKind
    borrower_name: str = ""  # an outsider's name; a staff borrower's comes from their account
    borrower_user_id: str | None = None
    signature_sha256: str
    due_at: datetime
    id_shown: dk.IdShown | None = None
    deposit_cents: int = 0
    deposit_receipt_no: str | None = None


def _audit(uow: UnitOfWork, who: Principal, entity_id: str, action: str, **data: Any) -> None:
    uow.audit(entity="key", entity_id=entity_id, action=action, actor_id=who.user_id,
              actor_role=who.primary_role, device_id=who.device_id, compound_id=who.compound_id,
              data=msgspec.to_builtins(data))


async def _save_key(uow: UnitOfWork, compound_id: str, key: dk.Key, *, created: bool = False) -> None:
    values = dict(state=str(key.state), doc=_enc.encode(key).decode())
    if created:
        await uow.conn.execute(insert(keys).values(
            id=key.id, compound_id=compound_id, building=key.building, floor=key.floor,
            key_type=str(key.key_type), **values))
    else:
        await uow.conn.execute(update(keys).where(keys.c.id == key.id).values(**values))


async def _load_key(uow: UnitOfWork, who: Principal, key_id: str) -> dk.Key:
    q = select(keys.c.doc).where(keys.c.id == key_id, keys.c.compound_id == who.compound_id)
    q = uow.for_update(q)
    row = (await uow.conn.execute(q)).first()
    if row is None:
        raise fail("key.not_found", "未找到该钥匙", "No such key", kind="not_found", key_id=key_id)
    return _key_dec.decode(row.doc)


async def _open_loan(uow: UnitOfWork, key_id: str) -> dk.KeyLoan | None:
    row = (await uow.conn.execute(select(key_loans.c.doc).where(
        key_loans.c.key_id == key_id, key_loans.c.returned_at.is_(None)))).first()
    return _loan_dec.decode(row.doc) if row is not None else None


def loan_view(loan: dk.KeyLoan, now: datetime) -> dict[str, Any]:
    return {**msgspec.to_builtins(loan), "overdue": dk.is_overdue(loan, now)}


async def register(db: Database, who: Principal, data: KeyIn) -> dict[str, Any]:
    missing = [n for n in ("building", "floor", "label") if not getattr(data, n).strip()]
    if missing:
        raise fail("key.incomplete", "须登记楼栋、楼层和标签", "Building, floor and label are required",
                   kind="invalid", missing=missing)
    async with db.transaction() as uow:
        key = dk.register_key(id=new_id("key_"), building=data.building.strip(), floor=data.floor.strip(),
                              key_type=data.key_type, label=data.label.strip(), now=uow.now)
        await _save_key(uow, who.compound_id, key, created=True)
        _audit(uow, who, key.id, "key.registered", building=key.building, floor=key.floor,
               key_type=str(key.key_type))
        return {"key": msgspec.to_builtins(key), "loan": None}


async def list_keys(db: Database, who: Principal) -> list[dict[str, Any]]:
    """The register in filing order, each key with its open loan (flagged when overdue)."""
    async with db.read() as conn:
        ks = [_key_dec.decode(r.doc) for r in (await conn.execute(
            select(keys.c.doc).where(keys.c.compound_id == who.compound_id))).all()]
        loans = {ln.key_id: ln for ln in (_loan_dec.decode(r.doc) for r in (await conn.execute(
            select(key_loans.c.doc).where(key_loans.c.compound_id == who.compound_id,
                                          key_loans.c.returned_at.is_(None)))).all())}
    now = db.clock.now()
    return [{"key": msgspec.to_builtins(k), "loan": loan_view(loans[k.id], now) if k.id in loans else None}
            for k in dk.filing_order(ks)]


async def lend(db: Database, who: Principal, key_id: str, data: LoanIn) -> dict[str, Any]:
    async with db.transaction() as uow:
        key = await _load_key(uow, who, key_id)
        if dk.SHA256_HEX.match(data.signature_sha256):
            # The signature must be an uploaded image (a PNG from the signature pad), not just a hash.
            ctype = (await uow.conn.execute(select(blobs_table.c.content_type).where(
                blobs_table.c.sha256 == data.signature_sha256))).scalar()
            if ctype is None:
                raise fail("blob.missing", "签名图片尚未上传", "Upload the signature image first",
                           kind="invalid", missing=["signature_upload"])
            if ctype != "image/png":
                raise fail(dk.KeyRefusal.SIGNATURE_MISSING, "签名须为签名板图片", "The signature must be a PNG",
                           kind="invalid", missing=["signature"])
        name = data.borrower_name
        if data.borrower_kind is dk.BorrowerKind.STAFF and data.borrower_user_id:
            name = (await uow.conn.execute(select(users.c.display_name).where(
                users.c.id == data.borrower_user_id, users.c.compound_id == who.compound_id,
                users.c.active.is_(True)))).scalar()
            if name is None:
                raise fail("key.staff_unknown", "该员工账号不存在或已停用", "No active staff account with that id",
                           kind="invalid", borrower_user_id=data.borrower_user_id)
        key, loan = dk.lend_key(key, loan_id=new_id("kln_"), borrower_name=name,
                                borrower_user_id=data.borrower_user_id,
                                borrower_kind=data.borrower_kind, signature_sha256=data.signature_sha256,
                                lent_by=who.user_id, due_at=data.due_at, now=uow.now, id_shown=data.id_shown,
                                deposit_cents=data.deposit_cents, deposit_receipt_no=data.deposit_receipt_no)
        await _save_key(uow, who.compound_id, key)
        await uow.conn.execute(insert(key_loans).values(
            id=loan.id, compound_id=who.compound_id, key_id=key.id, lent_at=loan.lent_at, due_at=loan.due_at,
            returned_at=None, doc=_enc.encode(loan).decode()))
        _audit(uow, who, key.id, "key.lent", loan_id=loan.id, borrower_kind=str(loan.borrower_kind),
               deposit_cents=loan.deposit_cents)
        return {"key": msgspec.to_builtins(key), "loan": loan_view(loan, uow.now)}


async def return_key(db: Database, who: Principal, key_id: str) -> dict[str, Any]:
    async with db.transaction() as uow:
        key = await _load_key(uow, who, key_id)
        loan = await _open_loan(uow, key_id)
        if loan is None:
            raise fail(dk.KeyRefusal.NOT_ON_LOAN, "钥匙未借出", "The key is not on loan", state=str(key.state))
        key, loan = dk.return_key(key, loan, received_by=who.user_id, now=uow.now)
        await _save_key(uow, who.compound_id, key)
        await uow.conn.execute(update(key_loans).where(key_loans.c.id == loan.id).values(
            returned_at=loan.returned_at, doc=_enc.encode(loan).decode()))
        _audit(uow, who, key.id, "key.returned", loan_id=loan.id)
        return {"key": msgspec.to_builtins(key), "loan": loan_view(loan, uow.now)}


async def report_lost(db: Database, who: Principal, key_id: str) -> dict[str, Any]:
    async with db.transaction() as uow:
        key = await _load_key(uow, who, key_id)
        loan = await _open_loan(uow, key_id)
        if loan is None:
            key = dk.report_lost(key, now=uow.now)
        else:
            # Lost while lent: the loan ends with the key. The returned_at column marks when a loan
            # ended (returned or lost), which is what the open-loan queries ask; the record itself
            # says lost_at, not returned.
            key, loan = dk.lost_on_loan(key, loan, now=uow.now)
            await uow.conn.execute(update(key_loans).where(key_loans.c.id == loan.id).values(
                returned_at=loan.lost_at, doc=_enc.encode(loan).decode()))
        await _save_key(uow, who.compound_id, key)
        _audit(uow, who, key.id, "key.lost", loan_id=loan.id if loan else None)
        return {"key": msgspec.to_builtins(key), "loan": loan_view(loan, uow.now) if loan else None}


async def overdue(db: Database, who: Principal) -> list[dict[str, Any]]:
    async with db.read() as conn:
        loans = [_loan_dec.decode(r.doc) for r in (await conn.execute(select(key_loans.c.doc).where(
            key_loans.c.compound_id == who.compound_id, key_loans.c.returned_at.is_(None)))).all()]
    now = db.clock.now()
    return [loan_view(ln, now) for ln in dk.overdue_loans(loans, now)]


async def monthly_count(db: Database, who: Principal) -> dict[str, Any]:
    async with db.read() as conn:
        ks = [_key_dec.decode(r.doc) for r in (await conn.execute(
            select(keys.c.doc).where(keys.c.compound_id == who.compound_id))).all()]
        loans = [_loan_dec.decode(r.doc) for r in (await conn.execute(select(key_loans.c.doc).where(
            key_loans.c.compound_id == who.compound_id, key_loans.c.returned_at.is_(None)))).all()]
    return msgspec.to_builtins(dk.monthly_count(ks, loans, db.clock.now()))


async def seed_demo(db: Database, compound_id: str) -> None:
    async with db.transaction() as uow:
        for building, floor, key_type, label in (
            ("1栋", "1", dk.KeyType.RESIDENT_ENTRUSTED, "1栋-101 入户门"),
            ("1栋", "B1", dk.KeyType.PLANT_ROOM_SPARE, "1栋 水泵房"),
            ("2栋", "5", dk.KeyType.RESIDENT_ENTRUSTED, "2栋-502 入户门"),
            ("3栋", "1", dk.KeyType.OTHER, "3栋 信报箱总钥匙"),
        ):
            key = dk.register_key(id=new_id("key_"), building=building, floor=floor, key_type=key_type,
                                  label=label, now=uow.now)
            await _save_key(uow, compound_id, key, created=True)
