"""The key cabinet: keys filed by building, floor and type; signed loans, returns, the monthly count (R-KY-1).

A loan's signature is a content-addressed PNG uploaded first (PUT /api/blobs/{sha256}); the loan
refers to it by hash. An outsider's ID is kept as its type and last four characters only; the
deposit is settled (refunded, kept, or part of each, a refund against its receipt number) when the
loan ends. A return or a loss report recorded by mistake is undone the same day, the undone record
kept; a lost key found again is back in the cabinet, its loss kept (D80). Past months' counts are recomputed from the records as they stood at each month's
end (server/domain/keys.py); the physical count at the cabinet — who counted, the witness, what
differed — is the one part stored (key_counts), once per ended month. Each count lists the deposits
it settled one by one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from typing import Annotated, Any

import msgspec
from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth.principal import Principal
from server.domain import keys as dk
from server.domain.errors import fail
from server.domain.monthly_report import month_bounds
from server.domain.roles import Role
from server.ids import new_id
from server.input_guard import DatedIn
from server.services.cases import compound_rules
from server.storage.db import Database, UnitOfWork
from server.storage.schema import blobs as blobs_table
from server.storage.schema import users
from server.storage.tables_services import key_counts, key_loans, keys

_enc = msgspec.json.Encoder()
_key_dec = msgspec.json.Decoder(dk.Key)
_loan_dec = msgspec.json.Decoder(dk.KeyLoan)
_count_dec = msgspec.json.Decoder(dk.PhysicalCount)


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
    # Left out: the close of the working day it is lent in, or the next working day's opening (D119).
    due_at: datetime | None = None
    id_shown: dk.IdShown | None = None
    # An outsider's phone, required for one (key.phone_required, D119).
    borrower_phone: Annotated[str, msgspec.Meta(max_length=30)] | None = None
    deposit_cents: int = 0
    deposit_receipt_no: str | None = None


class SettleIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """How an outsider's deposit is settled as the loan ends (a return, or the key reported lost).

    Both may be left out for a loan that took no deposit. The sign and the ceiling of the refund are
    the rule's to refuse (key.refund_negative, key.refund_above_deposit), not the decoder's.
    """

    refund_cents: int | None = None
    kept_reason: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    # Required with any refund (key.refund_receipt_required).
    refund_receipt_no: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class LostIn(SettleIn, kw_only=True, forbid_unknown_fields=True):
    """A key reported lost: what happened (经过), which the rule requires (key.loss_account_required, D119),
    and, lost while lent, how the deposit is settled."""

    account: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class CorrectReturnIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Why a recorded return is undone; a blank one is the rule's to refuse
    (key.correction_reason_required)."""

    reason: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class CorrectLossIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Why a loss report is undone as a mistake; a blank one is the rule's to refuse
    (key.loss_correction_reason_required)."""

    reason: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class FoundIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Where a lost key was found and who brought it back; a blank one is the rule's to refuse
    (key.found_note_required)."""

    note: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class KeptRefundIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What is handed back of a deposit kept at a loss, the key found since (D86): the amount (at most what
    was kept), the refund receipt and the reason; each missing one is the rule's to refuse."""

    refund_cents: int | None = None
    refund_receipt_no: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    reason: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class PhysicalCountIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The physical count of an ended month. `matches_register` is the verdict and must be said
    (key.count_verdict_required); a mismatch needs its `discrepancy` (key.count_discrepancy_required)."""

    matches_register: bool | None = None
    discrepancy: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    witness_name: Annotated[str, msgspec.Meta(max_length=50)] | None = None


class AmendCountIn(PhysicalCountIn, kw_only=True, forbid_unknown_fields=True):
    """A recorded count's verdict, discrepancy and witness as they should read, and why (D86): the amendment
    replaces all three, so the desk sends what stays as well as what changes."""

    reason: Annotated[str, msgspec.Meta(max_length=200)] | None = None


# Months listed on the keys page: two years, the time records are kept (R-RC-1). Older months are
# still opened by their address.
PAST_MONTHS_LISTED = 24


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


def _people(loan: dk.KeyLoan) -> list[str]:
    s = loan.deposit_settlement
    undone = [i for c in loan.corrections for i in (c.received_by, c.corrected_by,
                                                     c.deposit_settlement.settled_by if c.deposit_settlement else None) if i]
    kept = [loan.kept_refund.refunded_by] if loan.kept_refund else []
    return [i for i in (loan.lent_by, loan.received_by, loan.lost_reported_by, s.settled_by if s else None) if i] + \
        undone + kept


def _loss_people(key: dk.Key) -> list[str]:
    out = []
    for loss in dk.key_losses(key):
        c = loss.correction
        out += [loss.reported_by, loss.found.found_by if loss.found else None, c.corrected_by if c else None,
                c.deposit_settlement.settled_by if c and c.deposit_settlement else None]
    return [i for i in out if i]


async def _names_of(conn: AsyncConnection, compound_id: str, ids: Iterable[str]) -> dict[str, str]:
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = (await conn.execute(select(users.c.id, users.c.display_name).where(
        users.c.compound_id == compound_id, users.c.id.in_(ids)))).all()
    return {r.id: r.display_name for r in rows}


async def _names(conn: AsyncConnection, compound_id: str, loans: Iterable[dk.KeyLoan],
                 keys_: Iterable[dk.Key] = ()) -> dict[str, str]:
    """Who handed a key out, took it back, settled its deposit, reported it lost, found it or corrected a
    record, by name: an account id means nothing on the register page or on paper."""
    return await _names_of(conn, compound_id, [*(i for loan in loans for i in _people(loan)),
                                               *(i for k in keys_ for i in _loss_people(k))])


def loss_view(loss: dk.KeyLoss, names: dict[str, str]) -> dict[str, Any]:
    """A loss with everyone in it by name: who reported it, found the key, corrected the report."""
    c = loss.correction
    return {**msgspec.to_builtins(loss),
            "reported_by_name": names.get(loss.reported_by or ""),
            "found_by_name": names.get(loss.found.found_by) if loss.found else None,
            "corrected_by_name": names.get(c.corrected_by) if c else None}


def settlement_view(d: dk.SettledDeposit, key: dk.Key | None, names: dict[str, str]) -> dict[str, Any]:
    """One settled deposit as the accountant reads it: the key, the borrower, the deposit and its
    receipt, refunded (and its refund receipt) or kept (and why), when and by whom; voided ones say so."""
    s = d.settlement
    return {
        "key_id": d.key_id, "key_label": key.label if key else None, "key_building": key.building if key else None,
        "key_floor": key.floor if key else None, "loan_id": d.loan_id, "borrower_name": d.borrower_name,
        "deposit_cents": d.deposit_cents, "deposit_receipt_no": d.deposit_receipt_no, "ended": str(d.ended),
        "refunded_cents": s.refunded_cents, "refund_receipt_no": s.refund_receipt_no, "kept_cents": s.kept_cents,
        "kept_reason": s.kept_reason, "settled_at": s.settled_at, "settled_by": s.settled_by,
        "settled_by_name": names.get(s.settled_by), "entry": str(d.entry),
        "undone": {**msgspec.to_builtins(d.undone), "corrected_by_name": names.get(d.undone.corrected_by)}
        if d.undone else None,
    }


async def _settlement_views(conn: AsyncConnection, compound_id: str, keys_: list[dk.Key], loans: list[dk.KeyLoan],
                            until: datetime, since: datetime) -> list[dict[str, Any]]:
    listed = dk.settled_deposits(keys_, loans, until, since=since)
    ids = [i for d in listed for i in (d.settlement.settled_by, d.undone.corrected_by if d.undone else None) if i]
    names = await _names_of(conn, compound_id, ids)
    by_id = {k.id: k for k in keys_}
    return [settlement_view(d, by_id.get(d.key_id), names) for d in listed]


def loan_view(loan: dk.KeyLoan, now: datetime, names: dict[str, str] | None = None) -> dict[str, Any]:
    names = names or {}
    s = loan.deposit_settlement
    return {
        **msgspec.to_builtins(loan),
        "overdue": dk.is_overdue(loan, now),
        "lent_by_name": names.get(loan.lent_by),
        "received_by_name": names.get(loan.received_by) if loan.received_by else None,
        "lost_reported_by_name": names.get(loan.lost_reported_by) if loan.lost_reported_by else None,
        "settled_by_name": names.get(s.settled_by) if s else None,
        "kept_refunded_by_name": names.get(loan.kept_refund.refunded_by) if loan.kept_refund else None,
        "corrections": [{**msgspec.to_builtins(c), "received_by_name": names.get(c.received_by or ""),
                         "corrected_by_name": names.get(c.corrected_by)} for c in loan.corrections],
    }


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
        names = await _names(conn, who.compound_id, loans.values())
        tz = (await compound_rules(conn, who.compound_id)).calendar.zone
    now = db.clock.now()
    # A lost key says whether its loss may still be undone as a mistake today (D80).
    return [{"key": msgspec.to_builtins(k), "loan": loan_view(loans[k.id], now, names) if k.id in loans else None,
             "loss_correctable": k.state is dk.KeyState.LOST and dk.why_loss_not_correctable(k, now=now, tz=tz) is None}
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
        due_at = data.due_at
        if due_at is None:
            due_at = dk.default_due(uow.now, (await compound_rules(uow, who.compound_id)).calendar)
        key, loan = dk.lend_key(key, loan_id=new_id("kln_"), borrower_name=name,
                                borrower_user_id=data.borrower_user_id,
                                borrower_kind=data.borrower_kind, signature_sha256=data.signature_sha256,
                                lent_by=who.user_id, due_at=due_at, now=uow.now, id_shown=data.id_shown,
                                deposit_cents=data.deposit_cents, deposit_receipt_no=data.deposit_receipt_no,
                                borrower_phone=data.borrower_phone)
        await _save_key(uow, who.compound_id, key)
        await uow.conn.execute(insert(key_loans).values(
            id=loan.id, compound_id=who.compound_id, key_id=key.id, lent_at=loan.lent_at, due_at=loan.due_at,
            returned_at=None, doc=_enc.encode(loan).decode()))
        _audit(uow, who, key.id, "key.lent", loan_id=loan.id, borrower_kind=str(loan.borrower_kind),
               deposit_cents=loan.deposit_cents)
        return {"key": msgspec.to_builtins(key),
                "loan": loan_view(loan, uow.now, await _names(uow.conn, who.compound_id, [loan]))}


async def return_key(db: Database, who: Principal, key_id: str, data: SettleIn | None = None) -> dict[str, Any]:
    data = data or SettleIn()
    async with db.transaction() as uow:
        key = await _load_key(uow, who, key_id)
        loan = await _open_loan(uow, key_id)
        if loan is None:
            raise fail(dk.KeyRefusal.NOT_ON_LOAN, "钥匙未借出", "The key is not on loan", state=str(key.state))
        key, loan = dk.return_key(key, loan, received_by=who.user_id, now=uow.now,
                                  refund_cents=data.refund_cents, kept_reason=data.kept_reason,
                                  refund_receipt_no=data.refund_receipt_no)
        await _save_key(uow, who.compound_id, key)
        await uow.conn.execute(update(key_loans).where(key_loans.c.id == loan.id).values(
            returned_at=loan.returned_at, doc=_enc.encode(loan).decode()))
        _audit(uow, who, key.id, "key.returned", loan_id=loan.id, deposit=loan.deposit_settlement)
        return {"key": msgspec.to_builtins(key),
                "loan": loan_view(loan, uow.now, await _names(uow.conn, who.compound_id, [loan]))}


async def report_lost(db: Database, who: Principal, key_id: str, data: LostIn | None = None) -> dict[str, Any]:
    data = data or LostIn()
    async with db.transaction() as uow:
        key = await _load_key(uow, who, key_id)
        loan = await _open_loan(uow, key_id)
        if loan is None:
            key = dk.report_lost(key, now=uow.now, reported_by=who.user_id, account=data.account)
        else:
            # Lost while lent: the loan ends with the key. The returned_at column marks when a loan
            # ended (returned or lost), which is what the open-loan queries ask; the record itself
            # says lost_at, not returned.
            key, loan = dk.lost_on_loan(key, loan, now=uow.now, reported_by=who.user_id,
                                        refund_cents=data.refund_cents, kept_reason=data.kept_reason,
                                        refund_receipt_no=data.refund_receipt_no, account=data.account)
            await uow.conn.execute(update(key_loans).where(key_loans.c.id == loan.id).values(
                returned_at=loan.lost_at, doc=_enc.encode(loan).decode()))
        await _save_key(uow, who.compound_id, key)
        _audit(uow, who, key.id, "key.lost", loan_id=loan.id if loan else None, account=key.losses[-1].account,
               deposit=loan.deposit_settlement if loan else None)
        if loan is None:
            return {"key": msgspec.to_builtins(key), "loan": None}
        return {"key": msgspec.to_builtins(key),
                "loan": loan_view(loan, uow.now, await _names(uow.conn, who.compound_id, [loan]))}


async def _key_loans(conn: AsyncConnection, compound_id: str, key_id: str) -> list[dk.KeyLoan]:
    return dk.loan_history(_loan_dec.decode(r.doc) for r in (await conn.execute(select(key_loans.c.doc).where(
        key_loans.c.key_id == key_id, key_loans.c.compound_id == compound_id))).all())


def _loan_of(loans: list[dk.KeyLoan], loan_id: str) -> dk.KeyLoan:
    """The key's loan named by the request, or `key.loan_not_found` (D72 corrections, D86 refunds)."""
    loan = next((ln for ln in loans if ln.id == loan_id), None)
    if loan is None:
        raise fail("key.loan_not_found", "未找到该借用记录", "No such loan of that key", kind="not_found",
                   loan_id=loan_id)
    return loan


async def history(db: Database, who: Principal, key_id: str) -> dict[str, Any]:
    """A key and every loan it has been out on, newest first (the 钥匙借用登记表 of that key); the loan
    whose return may still be corrected says so (`return_correctable`)."""
    now = db.clock.now()
    async with db.read() as conn:
        row = (await conn.execute(select(keys.c.doc).where(
            keys.c.id == key_id, keys.c.compound_id == who.compound_id))).first()
        if row is None:
            raise fail("key.not_found", "未找到该钥匙", "No such key", kind="not_found", key_id=key_id)
        key = _key_dec.decode(row.doc)
        loans = await _key_loans(conn, who.compound_id, key_id)
        names = await _names(conn, who.compound_id, loans, [key])
        tz = (await compound_rules(conn, who.compound_id)).calendar.zone
    views = [loan_view(loan, now, names) for loan in loans]
    for loan, view in zip(loans, views, strict=True):
        view["return_correctable"] = dk.why_return_not_correctable(key, loan, loans, now=now, tz=tz) is None
        # A deposit kept at a loss, the key found since, may be handed back (D86).
        view["kept_refundable"] = dk.why_kept_not_refundable(key, loan) is None
    # Its losses newest first, each with how it ended: found again, corrected as a mistake, or not yet (D80).
    return {"key": msgspec.to_builtins(key), "loans": views,
            "losses": [loss_view(loss, names) for loss in reversed(dk.key_losses(key))],
            "loss_correctable": dk.why_loss_not_correctable(key, now=now, tz=tz) is None}


async def correct_return(db: Database, who: Principal, key_id: str, loan_id: str,
                         data: CorrectReturnIn) -> dict[str, Any]:
    """Undo a return recorded by mistake, the same day: the key is on loan again under that loan, the
    deposit settled with the return is undone, and the undone return stays on the loan (D72)."""
    async with db.transaction() as uow:
        # The key row's lock orders this against a lend or a return of the same key.
        key = await _load_key(uow, who, key_id)
        loans = await _key_loans(uow.conn, who.compound_id, key_id)
        loan = _loan_of(loans, loan_id)
        tz = (await compound_rules(uow, who.compound_id)).calendar.zone
        undone = loan
        key, loan = dk.correct_return(key, loan, key_loans=loans, reason=data.reason, by=who.user_id,
                                      now=uow.now, tz=tz)
        await _save_key(uow, who.compound_id, key)
        await uow.conn.execute(update(key_loans).where(key_loans.c.id == loan.id).values(
            returned_at=None, doc=_enc.encode(loan).decode()))
        _audit(uow, who, key.id, "key.return_corrected", loan_id=loan.id, reason=loan.corrections[-1].reason,
               returned_at=undone.returned_at, received_by=undone.received_by,
               deposit_undone=undone.deposit_settlement)
        return {"key": msgspec.to_builtins(key),
                "loan": loan_view(loan, uow.now, await _names(uow.conn, who.compound_id, [loan]))}


async def correct_loss(db: Database, who: Principal, key_id: str, data: CorrectLossIn) -> dict[str, Any]:
    """Undo a loss reported by mistake, the same day: the key back in the cabinet, or on the loan the
    report ended (reopened, its deposit settlement undone); the undone report stays on the key (D80)."""
    async with db.transaction() as uow:
        # The key row's lock orders this against a find, a lend or a return of the same key.
        key = await _load_key(uow, who, key_id)
        loans = await _key_loans(uow.conn, who.compound_id, key_id)
        tz = (await compound_rules(uow, who.compound_id)).calendar.zone
        lost = dk.current_loss(key)
        loan = dk.lost_loan(key, loans)
        key, reopened = dk.correct_loss(key, loan, reason=data.reason, by=who.user_id, now=uow.now, tz=tz)
        await _save_key(uow, who.compound_id, key)
        if reopened is not None:
            # Open again: the returned_at column (when a loan ended, returned or lost) is cleared.
            await uow.conn.execute(update(key_loans).where(key_loans.c.id == reopened.id).values(
                returned_at=None, doc=_enc.encode(reopened).decode()))
        assert lost is not None  # the rule refused otherwise
        _audit(uow, who, key.id, "key.loss_corrected", loan_id=loan.id if loan else None,
               reason=key.losses[-1].correction.reason if key.losses[-1].correction else None,
               lost_at=lost.lost_at, reported_by=lost.reported_by or (loan.lost_reported_by if loan else None),
               deposit_undone=loan.deposit_settlement if loan else None)
        names = await _names(uow.conn, who.compound_id, [reopened] if reopened else [], [key])
        return {"key": msgspec.to_builtins(key), "loan": loan_view(reopened, uow.now, names) if reopened else None}


async def record_found(db: Database, who: Principal, key_id: str, data: FoundIn) -> dict[str, Any]:
    """A lost key found again: back in the cabinet and lendable, with who found it, when and the note;
    the loss stays on the key and in its month's count (D80)."""
    async with db.transaction() as uow:
        key = await _load_key(uow, who, key_id)
        lost = dk.current_loss(key)
        key = dk.record_found(key, note=data.note, by=who.user_id, now=uow.now)
        await _save_key(uow, who.compound_id, key)
        assert lost is not None  # the rule refused otherwise
        _audit(uow, who, key.id, "key.found", lost_at=lost.lost_at, loan_id=lost.loan_id,
               note=key.losses[-1].found.note if key.losses[-1].found else None)
        return {"key": msgspec.to_builtins(key), "loan": None}


async def refund_kept(db: Database, who: Principal, key_id: str, loan_id: str, data: KeptRefundIn) -> dict[str, Any]:
    """Hand back what was kept of a deposit when the key, lost on that loan, was found: its own entry in
    the deposit book, in the month it is made; once (D86)."""
    async with db.transaction() as uow:
        # The key row's lock orders two desks refunding the same loan: the second reads the first's refund.
        key = await _load_key(uow, who, key_id)
        loans = await _key_loans(uow.conn, who.compound_id, key_id)
        loan = _loan_of(loans, loan_id)
        loan = dk.refund_kept_deposit(key, loan, refund_cents=data.refund_cents,
                                      refund_receipt_no=data.refund_receipt_no, reason=data.reason,
                                      by=who.user_id, now=uow.now)
        r = loan.kept_refund
        assert r is not None
        await uow.conn.execute(update(key_loans).where(key_loans.c.id == loan.id).values(
            kept_refunded_at=r.refunded_at, doc=_enc.encode(loan).decode()))
        _audit(uow, who, key.id, "key.kept_refunded", loan_id=loan.id, refunded_cents=r.refunded_cents,
               refund_receipt_no=r.refund_receipt_no, reason=r.reason,
               kept_cents=loan.deposit_settlement.kept_cents if loan.deposit_settlement else None)
        return {"key": msgspec.to_builtins(key),
                "loan": loan_view(loan, uow.now, await _names(uow.conn, who.compound_id, [loan]))}


async def overdue(db: Database, who: Principal) -> list[dict[str, Any]]:
    async with db.read() as conn:
        loans = [_loan_dec.decode(r.doc) for r in (await conn.execute(select(key_loans.c.doc).where(
            key_loans.c.compound_id == who.compound_id, key_loans.c.returned_at.is_(None)))).all()]
    now = db.clock.now()
    return [loan_view(ln, now) for ln in dk.overdue_loans(loans, now)]


async def monthly_count(db: Database, who: Principal) -> dict[str, Any]:
    """This month's count so far: the cabinet now, and the deposits settled since the month began."""
    now = db.clock.now()
    async with db.read() as conn:
        tz = (await compound_rules(conn, who.compound_id)).calendar.zone
        local = now.astimezone(tz)
        since, _ = _month(local.year, local.month, tz)
        ks = await _all_keys(conn, who.compound_id)
        # The returned_at column is when a loan ended (returned or lost): open loans, and those that
        # ended this month, whose deposits were settled this month, and those whose kept deposit was
        # handed back this month (D86).
        loans = [_loan_dec.decode(r.doc) for r in (await conn.execute(select(key_loans.c.doc).where(
            key_loans.c.compound_id == who.compound_id,
            or_(key_loans.c.returned_at.is_(None), key_loans.c.returned_at >= since,
                key_loans.c.kept_refunded_at >= since)))).all()]
        settlements = await _settlement_views(conn, who.compound_id, ks, loans, now, since)
        physical = await _physical_sheet_view(conn, who, local.year, local.month, now, tz)
    opens = dk.count_opens_on(local.year, local.month)
    # The month's physical count is recorded from its 30th, on this page while the month runs (003 4.5.6).
    return {**msgspec.to_builtins(dk.monthly_count(ks, loans, now, since=since)), "settlements": settlements,
            "year": local.year, "month": local.month, "physical": physical, "physical_opens_on": opens.isoformat(),
            "physical_recordable": physical is None and local.date() >= opens}


def _month(year: int, month: int, tz: tzinfo) -> tuple[datetime, datetime]:
    """A month's bounds in the compound's zone, as UTC instants like every other time the API sends."""
    start, end = month_bounds(year, month, tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def _check_month(year: int, month: int) -> None:
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise fail("key.bad_month", "月份不正确", "No such month", kind="invalid")


async def _all_keys(conn: AsyncConnection, compound_id: str) -> list[dk.Key]:
    return [_key_dec.decode(r.doc) for r in (await conn.execute(
        select(keys.c.doc).where(keys.c.compound_id == compound_id))).all()]


async def _loans_between(conn: AsyncConnection, compound_id: str, start: datetime, end: datetime) -> list[dk.KeyLoan]:
    """The loans that bear on a count of a month inside [start, end): lent before `end` and not ended
    before `start` (the returned_at column is when a loan ended, returned or lost), or with a kept deposit
    handed back since `start` (D86)."""
    return [_loan_dec.decode(r.doc) for r in (await conn.execute(select(key_loans.c.doc).where(
        key_loans.c.compound_id == compound_id, key_loans.c.lent_at < end,
        or_(key_loans.c.returned_at.is_(None), key_loans.c.returned_at >= start,
            key_loans.c.kept_refunded_at >= start)))).all()]


async def past_counts(db: Database, who: Principal) -> list[dict[str, Any]]:
    """The counts of the months that have ended since the first key was filed, newest first."""
    now = db.clock.now()
    async with db.read() as conn:
        tz = (await compound_rules(conn, who.compound_id)).calendar.zone
        ks = await _all_keys(conn, who.compound_id)
        # A loan never precedes its key, so the first key filed opens the first month with a count.
        months = dk.counted_months(min(k.registered_at for k in ks), now, tz)[:PAST_MONTHS_LISTED] if ks else []
        if not months:
            return []
        oldest, _ = _month(*months[-1], tz)
        _, newest = _month(*months[0], tz)
        loans = await _loans_between(conn, who.compound_id, oldest, newest)
        physical = await _physical_views(conn, who.compound_id, await _physical_counts(conn, who.compound_id, months))
    out = []
    for year, month in months:
        start, end = _month(year, month, tz)
        count = dk.month_end_count(ks, loans, start=start, end=end)
        out.append({"year": year, "month": month, "count": msgspec.to_builtins(count),
                    "physical": physical.get((year, month))})
    return out


async def month_count(db: Database, who: Principal, year: int, month: int, *, so_far: bool = False) -> dict[str, Any]:
    """One ended month's count with the cabinet as it stood at the month's end, for its count sheet. With
    `so_far`, the month still running is given up to now: the sheet a physical count recorded from its 30th
    answers with (the month's own sheet is read once it has ended)."""
    _check_month(year, month)
    now = db.clock.now()
    async with db.read() as conn:
        tz = (await compound_rules(conn, who.compound_id)).calendar.zone
        start, end = _month(year, month, tz)
        if end > now and not so_far:
            # The month still running is counted live (GET /api/keys/count); a figure "at its end"
            # would be a guess.
            raise fail("key.month_not_ended", "该月尚未结束，本月盘点见钥匙管理页", "That month has not ended yet",
                       kind="invalid")
        until = min(end, now)
        ks = await _all_keys(conn, who.compound_id)
        rows, loans_then = dk.register_as_of(ks, await _loans_between(conn, who.compound_id, start, until), until)
        keys_then = [k for k, _ in rows]
        count = dk.monthly_count(keys_then, loans_then, until, since=start)
        # Each deposit settled in the month, recomputed as the count is (D80).
        settlements = await _settlement_views(conn, who.compound_id, keys_then, loans_then, until, start)
        names = await _names(conn, who.compound_id, [loan for _, loan in rows if loan is not None])
        view = await _physical_sheet_view(conn, who, year, month, now, tz)
    return {
        "year": year,
        "month": month,
        "count": msgspec.to_builtins(count),
        "physical": view,
        "settlements": settlements,
        "keys": [{"key": msgspec.to_builtins(k), "loan": loan_view(loan, until, names) if loan else None}
                 for k, loan in rows],
    }


async def _physical_sheet_view(conn: AsyncConnection, who: Principal, year: int, month: int, now: datetime,
                               tz: tzinfo) -> dict[str, Any] | None:
    """A month's physical count as its sheet shows it, None until recorded, with whether the caller may still
    amend it: its counter or a manager, the day it was recorded (D86)."""
    physical = await _physical_counts(conn, who.compound_id, [(year, month)])
    view = (await _physical_views(conn, who.compound_id, physical)).get((year, month))
    if view is not None:
        view["amendable"] = dk.why_count_not_amendable(physical[(year, month)], by=who.user_id,
                                                       by_manager=_is_manager(who), now=now, tz=tz) is None
    return view


# --- the physical count at the cabinet (D72) ---------------------------------------------------


async def _physical_counts(conn: AsyncConnection, compound_id: str,
                           months: list[tuple[int, int]]) -> dict[tuple[int, int], dk.PhysicalCount]:
    if not months:
        return {}
    years = sorted({y for y, _ in months})
    rows = (await conn.execute(select(key_counts.c.year, key_counts.c.month, key_counts.c.doc).where(
        key_counts.c.compound_id == compound_id, key_counts.c.year.in_(years)))).all()
    wanted = set(months)
    return {(r.year, r.month): _count_dec.decode(r.doc) for r in rows if (r.year, r.month) in wanted}


async def _physical_views(conn: AsyncConnection, compound_id: str,
                          counts: dict[tuple[int, int], dk.PhysicalCount]) -> dict[tuple[int, int], dict[str, Any]]:
    """Each count with who counted, and who amended it (D86), by name: an account id means nothing on the
    printed sheet."""
    names = await _names_of(conn, compound_id, [i for c in counts.values()
                                                for i in (c.counted_by, *(a.amended_by for a in c.amendments))])
    return {m: {**msgspec.to_builtins(c), "counted_by_name": names.get(c.counted_by),
                "amendments": [{**msgspec.to_builtins(a), "amended_by_name": names.get(a.amended_by)}
                               for a in c.amendments]}
            for m, c in counts.items()}


def _is_manager(who: Principal) -> bool:
    return Role.MANAGER in who.roles


async def record_physical_count(db: Database, who: Principal, year: int, month: int,
                                data: PhysicalCountIn) -> dict[str, Any]:
    """Record who counted a month's keys at the cabinet, the witness and what differed; once, from the month's
    30th (dk.count_opens_on). Answers with the month's sheet, so far while the month runs."""
    _check_month(year, month)
    async with db.transaction() as uow:
        tz = (await compound_rules(uow, who.compound_id)).calendar.zone
        already = (await _physical_counts(uow.conn, who.compound_id, [(year, month)])).get((year, month))
        count = dk.record_physical_count(year=year, month=month, already=already, counted_by=who.user_id,
                                         witness_name=data.witness_name, matches_register=data.matches_register,
                                         discrepancy=data.discrepancy, now=uow.now, tz=tz)
        try:
            await uow.conn.execute(insert(key_counts).values(
                compound_id=who.compound_id, year=year, month=month, counted_at=count.counted_at,
                doc=_enc.encode(count).decode()))
        except IntegrityError:
            # Two desks recording the same month at once (PostgreSQL): the primary key decides, the
            # rule speaks.
            raise fail(dk.KeyRefusal.COUNT_ALREADY_RECORDED, "该月的实物盘点已登记",
                       "That month's count is already recorded", year=year, month=month) from None
        _audit(uow, who, f"count:{year}-{month:02d}", "key.count_recorded", year=year, month=month,
               matches_register=count.matches_register, witness_name=count.witness_name,
               discrepancy=count.discrepancy)
    return await month_count(db, who, year, month, so_far=True)


async def amend_physical_count(db: Database, who: Principal, year: int, month: int,
                               data: AmendCountIn) -> dict[str, Any]:
    """Amend a recorded count the day it was recorded, by its counter or a manager, with the reason; what
    it replaced stays on the count (D86)."""
    _check_month(year, month)
    async with db.transaction() as uow:
        tz = (await compound_rules(uow, who.compound_id)).calendar.zone
        # The row's lock orders two amendments of one count: each keeps what the other left.
        row = (await uow.conn.execute(uow.for_update(select(key_counts.c.doc).where(
            key_counts.c.compound_id == who.compound_id, key_counts.c.year == year,
            key_counts.c.month == month)))).first()
        was = _count_dec.decode(row.doc) if row is not None else None
        count = dk.amend_physical_count(was, year=year, month=month, by=who.user_id, by_manager=_is_manager(who),
                                        matches_register=data.matches_register, discrepancy=data.discrepancy,
                                        witness_name=data.witness_name, reason=data.reason, now=uow.now, tz=tz)
        await uow.conn.execute(update(key_counts).where(
            key_counts.c.compound_id == who.compound_id, key_counts.c.year == year,
            key_counts.c.month == month).values(doc=_enc.encode(count).decode()))
        a = count.amendments[-1]
        _audit(uow, who, f"count:{year}-{month:02d}", "key.count_amended", year=year, month=month, reason=a.reason,
               was={"matches_register": a.matches_register, "discrepancy": a.discrepancy,
                    "witness_name": a.witness_name},
               now={"matches_register": count.matches_register, "discrepancy": count.discrepancy,
                    "witness_name": count.witness_name})
    return await month_count(db, who, year, month, so_far=True)


async def export_month_xlsx(db: Database, who: Principal, year: int, month: int, lang: str = "zh") -> bytes:
    """An ended month's count sheet as a workbook for the accountant: its figures, the physical count and
    the deposits it settled one by one, in the desk's language (D71, D86)."""
    from server.reports.key_count_xlsx import key_count_xlsx

    sheet = await month_count(db, who, year, month)
    async with db.read() as conn:
        tz = (await compound_rules(conn, who.compound_id)).calendar.zone
        start, end = _month(year, month, tz)
        ks = await _all_keys(conn, who.compound_id)
        # Every deposit held at the month's start, taken, settled and held at its end, receipt by receipt: the
        # accountant checks held at the start + taken = held at the end + refunded + kept (R-KY-1).
        book = dk.deposit_book(ks, await _loans_between(conn, who.compound_id, start, end), start=start, end=end)
    return key_count_xlsx(year=year, month=month, start=start, end=end,
                          count=msgspec.convert(sheet["count"], dk.KeyCount), physical=sheet["physical"],
                          settlements=sheet["settlements"], book=book, key_labels={k.id: k.label for k in ks},
                          tz=tz, lang=lang)


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
