"""The key register: keys filed by building, floor and type; signed loans, returns, the monthly count (R-KY-1)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from enum import StrEnum

import msgspec

from server.domain.calendar import BusinessCalendar
from server.domain.errors import DomainError, Refusal, fail, refuse
from server.domain.monthly_report import report_due_on

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
ID_TAIL = re.compile(r"^[0-9A-Za-z]{4}$")
# A number someone can be rung on: digits with the usual separators, at least 5 digits (an extension),
# at most 20 characters (an international number with spaces).
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{3,18}[0-9]$")


class KeyRefusal(StrEnum):
    NOT_IN_STORE = "key.not_in_store"
    NOT_ON_LOAN = "key.not_on_loan"
    WRONG_LOAN = "key.wrong_loan"
    SIGNATURE_MISSING = "key.signature_missing"
    ID_REQUIRED = "key.id_required"
    ID_TOO_LONG = "key.id_too_long"
    DEPOSIT_REQUIRED = "key.deposit_required"
    DUE_BEFORE_LOAN = "key.due_before_loan"
    ALREADY_LOST = "key.already_lost"
    STAFF_NOT_IDENTIFIED = "key.staff_not_identified"
    # Settling an outsider's deposit when the loan ends (D64).
    DEPOSIT_UNSETTLED = "key.deposit_unsettled"
    REFUND_ABOVE_DEPOSIT = "key.refund_above_deposit"
    REFUND_NEGATIVE = "key.refund_negative"
    KEEP_REASON_REQUIRED = "key.keep_reason_required"
    # A refund is handed over against a refund receipt, whose number is recorded (D72).
    REFUND_RECEIPT_REQUIRED = "key.refund_receipt_required"
    # Correcting a return recorded by mistake (D72).
    NOT_RETURNED = "key.not_returned"
    RETURN_NOT_CORRECTABLE = "key.return_not_correctable"
    MOVED_SINCE_RETURN = "key.moved_since_return"
    CORRECTION_REASON_REQUIRED = "key.correction_reason_required"
    # The physical month-end count (D72).
    COUNT_MONTH_OPEN = "key.count_month_open"
    COUNT_ALREADY_RECORDED = "key.count_already_recorded"
    COUNT_VERDICT_REQUIRED = "key.count_verdict_required"
    COUNT_DISCREPANCY_REQUIRED = "key.count_discrepancy_required"
    # Correcting a loss reported by mistake, the same day; finding a key that was really lost (D80).
    NOT_LOST = "key.not_lost"
    LOSS_NOT_CORRECTABLE = "key.loss_not_correctable"
    LOSS_CORRECTION_REASON_REQUIRED = "key.loss_correction_reason_required"
    FOUND_NOTE_REQUIRED = "key.found_note_required"
    # Refunding a deposit kept for a key lost on loan, once the key is found (D86).
    NOT_LOST_ON_LOAN = "key.not_lost_on_loan"
    NOT_FOUND_YET = "key.not_found_yet"
    NOTHING_KEPT = "key.nothing_kept"
    KEPT_ALREADY_REFUNDED = "key.kept_already_refunded"
    KEPT_REFUND_REQUIRED = "key.kept_refund_required"
    REFUND_ABOVE_KEPT = "key.refund_above_kept"
    KEPT_REFUND_REASON_REQUIRED = "key.kept_refund_reason_required"
    # Amending a recorded physical count the day it was recorded (D86).
    COUNT_NOT_RECORDED = "key.count_not_recorded"
    COUNT_NOT_AMENDABLE = "key.count_not_amendable"
    COUNT_NOT_AMENDER = "key.count_not_amender"
    COUNT_AMEND_REASON_REQUIRED = "key.count_amend_reason_required"
    # What the desk needs to chase a key (D119): an outsider's phone, and what happened at a loss.
    PHONE_REQUIRED = "key.phone_required"
    LOSS_ACCOUNT_REQUIRED = "key.loss_account_required"


class KeyType(StrEnum):
    RESIDENT_ENTRUSTED = "resident_entrusted"  # 用户托管钥匙
    PLANT_ROOM_SPARE = "plant_room_spare"  # 设备用房备用钥匙
    OTHER = "other"


class KeyState(StrEnum):
    IN_STORE = "in_store"
    ON_LOAN = "on_loan"
    LOST = "lost"


class BorrowerKind(StrEnum):
    STAFF = "staff"  # the company's own people sign only
    OUTSIDER = "outsider"  # anyone else also shows ID and pays a deposit


class IdDocType(StrEnum):
    RESIDENT_ID_CARD = "resident_id_card"
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    DRIVING_LICENCE = "driving_licence"
    OTHER = "other"


class IdShown(msgspec.Struct, frozen=True, kw_only=True):
    """The ID an outsider showed. Only its type and last four characters are kept, never the number."""

    doc_type: IdDocType
    last4: str


class DepositSettlement(msgspec.Struct, frozen=True, kw_only=True):
    """What became of an outsider's deposit when the loan ended: refunded, kept, or part of each.

    `refunded_cents + kept_cents` is always the deposit taken; whatever is kept carries its reason
    (the key lost, the lock damaged), so the deposit book balances against the receipts.
    """

    refunded_cents: int
    kept_cents: int
    kept_reason: str | None = None
    # The number of the refund receipt the borrower signed for the money handed back; None when
    # nothing was refunded, and on settlements recorded before it was asked (D72).
    refund_receipt_no: str | None = None
    settled_by: str
    settled_at: datetime


class KeptRefund(msgspec.Struct, frozen=True, kw_only=True):
    """Money from a deposit kept for a key lost on loan, handed back after the key was found (D86): how
    much (at most what was kept), against which refund receipt, why, by whom and when. The settlement
    made at the loss stays as it was: this is a later entry in the deposit book, in its own month."""

    refunded_cents: int
    refund_receipt_no: str
    reason: str
    refunded_by: str
    refunded_at: datetime


class KeyFound(msgspec.Struct, frozen=True, kw_only=True):
    """A key really lost, found again (any day later) and put back in the cabinet (D80)."""

    found_at: datetime
    found_by: str
    note: str  # where it was found, who brought it back


class LossCorrection(msgspec.Struct, frozen=True, kw_only=True):
    """A loss reported by mistake and undone the same day: why, by whom, when, and the deposit settlement
    the report made (on a loan that took one), undone with it and kept here with its refund receipt now
    void (D80)."""

    deposit_settlement: DepositSettlement | None = None
    reason: str
    corrected_by: str
    corrected_at: datetime


class KeyLoss(msgspec.Struct, frozen=True, kw_only=True):
    """One report of the key lost, and how it ended: not yet (the key is lost), found again (the loss
    stands: it happened), or corrected as a mistake (as if never reported). `loan_id` is the loan it was
    lost on, when it was lent."""

    lost_at: datetime
    reported_by: str | None = None  # None for a loss reported before this was kept
    loan_id: str | None = None
    # What happened, as the desk was told it (经过, D119); None on losses reported before it was asked.
    account: str | None = None
    found: KeyFound | None = None
    correction: LossCorrection | None = None

    @property
    def ended_at(self) -> datetime | None:
        if self.found is not None:
            return self.found.found_at
        if self.correction is not None:
            return self.correction.corrected_at
        return None


class Key(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    building: str
    floor: str
    key_type: KeyType
    label: str  # what the tag says: a unit, a plant room
    state: KeyState = KeyState.IN_STORE
    registered_at: datetime
    lost_at: datetime | None = None  # the loss in force while the key is lost
    # Every loss reported, oldest first, with how it ended (D80). A key lost before this was kept has
    # only `lost_at`; `key_losses` reads both.
    losses: tuple[KeyLoss, ...] = ()


class ReturnCorrection(msgspec.Struct, frozen=True, kw_only=True):
    """A return recorded by mistake and undone: what the return said (its time, who took the key back
    and the deposit settled with it), why it was undone, by whom and when. Kept on the loan so the
    register still shows the mistake and its correction (D72)."""

    returned_at: datetime
    received_by: str | None = None
    deposit_settlement: DepositSettlement | None = None
    reason: str
    corrected_by: str
    corrected_at: datetime


class KeyLoan(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    key_id: str
    borrower_name: str
    borrower_kind: BorrowerKind
    # A staff borrower is a staff account, not a name typed at the counter: that is what lets the
    # ID and deposit be waived (R-KY-1). None for outsiders.
    borrower_user_id: str | None = None
    signature_sha256: str  # the signature image is a content-addressed blob
    id_shown: IdShown | None = None
    # An outsider's phone, to chase an overdue key (D119); None for staff (reached through their account)
    # and on loans made before it was asked.
    borrower_phone: str | None = None
    deposit_cents: int = 0
    deposit_receipt_no: str | None = None
    lent_by: str
    lent_at: datetime
    due_at: datetime
    returned_at: datetime | None = None
    received_by: str | None = None
    # A key lost while lent ends its loan here: it is then neither on loan nor overdue.
    lost_at: datetime | None = None
    lost_reported_by: str | None = None
    # Set when a loan that took a deposit ends (returned or lost); None while it is open and for
    # loans without a deposit.
    deposit_settlement: DepositSettlement | None = None
    # Returns recorded by mistake and undone, oldest first (D72).
    corrections: tuple[ReturnCorrection, ...] = ()
    # What was kept of the deposit at a loss, handed back once the key was found; once only (D86).
    kept_refund: KeptRefund | None = None


class KeyCount(msgspec.Struct, frozen=True, kw_only=True):
    """The month-end count; overdue loans are a subset of those on loan.

    The deposits: those still held against keys on loan at `counted_at`, and those settled (refunded
    or kept) from `since` to `counted_at` — the month's movements the front desk reports with the keys.
    """

    counted_at: datetime
    total: int
    in_store: int
    on_loan: int
    overdue: int
    lost: int
    by_type: dict[KeyType, int]
    since: datetime | None = None
    deposits_held_cents: int = 0
    deposits_refunded_cents: int = 0
    deposits_kept_cents: int = 0
    # Losses reported from `since` to `counted_at` and not corrected as mistakes (a key found again
    # since still counts: it was lost), and keys found again in that time (D80).
    lost_in_period: int = 0
    found_in_period: int = 0
    # Deposits kept in an earlier settlement and handed back in this period once the key was found (D86).
    # They are in `deposits_refunded_cents` (money handed back) and taken off `deposits_kept_cents`, which
    # is therefore what the period kept net and may be negative: held at the start + taken in = held at
    # the end + refunded + kept, month by month.
    deposits_kept_refunded_cents: int = 0


def register_key(*, id: str, building: str, floor: str, key_type: KeyType, label: str, now: datetime) -> Key:
    return Key(id=id, building=building, floor=floor, key_type=key_type, label=label, registered_at=now)


def filing_order(keys: Iterable[Key]) -> list[Key]:
    """The cabinet's order: building, then floor, then type, so a key is found where it is filed."""
    return sorted(keys, key=lambda k: (k.building, k.floor, k.key_type, k.label))


def lend_key(
    key: Key,
    *,
    loan_id: str,
    borrower_name: str,
    borrower_kind: BorrowerKind,
    signature_sha256: str,
    lent_by: str,
    due_at: datetime,
    now: datetime,
    id_shown: IdShown | None = None,
    deposit_cents: int = 0,
    deposit_receipt_no: str | None = None,
    borrower_user_id: str | None = None,
    borrower_phone: str | None = None,
) -> tuple[Key, KeyLoan]:
    """Lend a key. `borrower_user_id` is the staff account of a staff borrower, already checked to
    be one of the compound's active staff by the caller."""
    if key.state is not KeyState.IN_STORE:
        raise fail(KeyRefusal.NOT_IN_STORE, "钥匙不在柜内", "The key is not in store", state=str(key.state))
    if borrower_kind is BorrowerKind.STAFF and not borrower_user_id:
        raise fail(
            KeyRefusal.STAFF_NOT_IDENTIFIED,
            "公司员工借用须选择员工账号；其他人按外来人员登记证件和押金",
            "A staff loan must name a staff account; anyone else is an outsider (ID and deposit)",
            kind="invalid",
            missing=["borrower_user_id"],
        )
    if not SHA256_HEX.match(signature_sha256) or not borrower_name.strip():
        raise fail(
            KeyRefusal.SIGNATURE_MISSING,
            "借用须登记姓名并签名",
            "A loan needs the borrower's name and signature",
            kind="invalid",
            missing=["signature"],
        )
    if due_at <= now:
        raise fail(
            KeyRefusal.DUE_BEFORE_LOAN,
            "归还时间须晚于借出时间",
            "The return time must be after the loan",
            kind="invalid",
        )
    phone = None
    if borrower_kind is BorrowerKind.OUTSIDER:
        _require_outsider_terms(id_shown, deposit_cents, deposit_receipt_no)
        phone = _outsider_phone(borrower_phone)
        borrower_user_id = None
    loan = KeyLoan(
        id=loan_id,
        key_id=key.id,
        borrower_name=borrower_name.strip(),
        borrower_kind=borrower_kind,
        borrower_user_id=borrower_user_id,
        signature_sha256=signature_sha256,
        id_shown=id_shown,
        borrower_phone=phone,
        deposit_cents=deposit_cents,
        deposit_receipt_no=deposit_receipt_no,
        lent_by=lent_by,
        lent_at=now,
        due_at=due_at,
    )
    return msgspec.structs.replace(key, state=KeyState.ON_LOAN), loan


def _require_outsider_terms(id_shown: IdShown | None, deposit_cents: int, receipt_no: str | None) -> None:
    if id_shown is None:
        raise fail(
            KeyRefusal.ID_REQUIRED,
            "非公司人员须出示有效证件",
            "An outsider must show valid ID",
            kind="invalid",
            missing=["id_shown"],
        )
    # Holding full ID numbers is a liability; refuse rather than silently truncate so the
    # client learns to send only the tail.
    if not ID_TAIL.match(id_shown.last4):
        raise fail(
            KeyRefusal.ID_TOO_LONG,
            "证件号只记录后四位",
            "Record only the ID's last four characters",
            kind="invalid",
        )
    if deposit_cents <= 0 or not (receipt_no or "").strip():
        raise fail(
            KeyRefusal.DEPOSIT_REQUIRED,
            "非公司人员须交押金",
            "An outsider must pay a deposit",
            kind="invalid",
            missing=["deposit"],
        )


def _outsider_phone(phone: str | None) -> str:
    """An outsider's number, trimmed: an overdue key is chased by ringing its borrower, and an outsider has
    no account to reach them through (D119)."""
    p = (phone or "").strip()
    if not PHONE.match(p) or sum(c.isdigit() for c in p) < 5:
        raise fail(
            KeyRefusal.PHONE_REQUIRED,
            "非公司人员借用须登记联系电话",
            "An outsider's loan needs a phone number to reach them",
            kind="invalid",
            missing=["borrower_phone"],
        )
    return p


def default_due(now: datetime, calendar: BusinessCalendar) -> datetime:
    """When a loan is due back if the desk gives no time (D119): the close of the working day it is lent in
    (before the desk opens, that same day's close), or, lent after the close or on a day off, the next
    working day's opening — an overdue key is chased by the desk, so it falls due when the desk is there
    to chase it, never at midnight."""
    local = calendar.local(now)
    day = local.date()
    if calendar.is_working_day(day) and local.time().replace(tzinfo=None) < calendar.work_end:
        return calendar.at(day, calendar.work_end)
    return calendar.at(calendar.next_working_day(day), calendar.work_start)


def settle_deposit(
    loan: KeyLoan,
    *,
    refund_cents: int | None,
    kept_reason: str | None,
    by: str,
    now: datetime,
    refund_receipt_no: str | None = None,
) -> DepositSettlement | None:
    """How the deposit of a loan that is ending is settled: `refund_cents` handed back, the rest kept
    for the reason given. A loan without a deposit has nothing to settle (None).

    The desk must say what it refunds: defaulting to a full refund would record money handed back that
    nobody confirmed, and defaulting to keeping it would record a deduction nobody decided (R-KY-1).
    """
    if refund_cents is not None and refund_cents < 0:
        raise fail(KeyRefusal.REFUND_NEGATIVE, "退还金额不能为负数", "The refund cannot be negative",
                   kind="invalid", refund_cents=refund_cents)
    if loan.deposit_cents <= 0:
        if refund_cents:
            raise _refund_above(loan, refund_cents)
        return None
    if refund_cents is None:
        raise fail(
            KeyRefusal.DEPOSIT_UNSETTLED,
            "须登记押金的退还金额（全额、部分或不退）",
            "Say how much of the deposit is refunded (all, part or none)",
            kind="invalid",
            missing=["refund_cents"],
            deposit_cents=loan.deposit_cents,
        )
    if refund_cents > loan.deposit_cents:
        raise _refund_above(loan, refund_cents)
    kept = loan.deposit_cents - refund_cents
    reason = (kept_reason or "").strip()
    if kept and not reason:
        raise fail(
            KeyRefusal.KEEP_REASON_REQUIRED,
            "扣留押金须写明原因",
            "Give the reason the deposit, or part of it, is kept",
            kind="invalid",
            missing=["kept_reason"],
            kept_cents=kept,
        )
    receipt = (refund_receipt_no or "").strip()
    if refund_cents and not receipt:
        # Money handed back is signed for on a refund receipt; without its number the deposit book
        # cannot be balanced against the receipt book (D72).
        raise fail(
            KeyRefusal.REFUND_RECEIPT_REQUIRED,
            "退还押金须登记退款收据号",
            "Record the refund receipt number for the deposit handed back",
            kind="invalid",
            missing=["refund_receipt_no"],
            refund_cents=refund_cents,
        )
    # A reason only explains money kept, a receipt only money handed back.
    return DepositSettlement(refunded_cents=refund_cents, kept_cents=kept, kept_reason=reason if kept else None,
                             refund_receipt_no=receipt if refund_cents else None, settled_by=by, settled_at=now)


def _refund_above(loan: KeyLoan, refund_cents: int) -> DomainError:
    return fail(KeyRefusal.REFUND_ABOVE_DEPOSIT, "退还金额超过所收押金", "The refund is more than the deposit taken",
                kind="invalid", deposit_cents=loan.deposit_cents, refund_cents=refund_cents)


def return_key(
    key: Key,
    loan: KeyLoan,
    *,
    received_by: str,
    now: datetime,
    refund_cents: int | None = None,
    kept_reason: str | None = None,
    refund_receipt_no: str | None = None,
) -> tuple[Key, KeyLoan]:
    if loan.key_id != key.id:
        raise fail(KeyRefusal.WRONG_LOAN, "借用记录与钥匙不符", "The loan is for another key", kind="invalid")
    if key.state is not KeyState.ON_LOAN or loan.returned_at is not None:
        raise fail(KeyRefusal.NOT_ON_LOAN, "钥匙未借出", "The key is not on loan", state=str(key.state))
    settlement = settle_deposit(loan, refund_cents=refund_cents, kept_reason=kept_reason, by=received_by, now=now,
                                refund_receipt_no=refund_receipt_no)
    returned = msgspec.structs.replace(loan, returned_at=now, received_by=received_by, deposit_settlement=settlement)
    return msgspec.structs.replace(key, state=KeyState.IN_STORE), returned


def report_lost(key: Key, *, now: datetime, reported_by: str | None = None, loan_id: str | None = None,
                account: str | None = None) -> Key:
    """The key recorded lost: in the cabinet, or (`loan_id`) while lent, with what happened (`account`,
    D119). The report joins the key's losses, where it stays whether the key is found again or the report
    is corrected (D80)."""
    if key.state is KeyState.LOST:
        raise fail(KeyRefusal.ALREADY_LOST, "钥匙已登记遗失", "The key is already recorded lost")
    told = (account or "").strip()
    if not told:
        # Where and how it went missing is what a search, a lock change or a kept deposit rests on.
        raise fail(KeyRefusal.LOSS_ACCOUNT_REQUIRED, "登记遗失须写明经过", "Say what happened to the key",
                   kind="invalid", missing=["loss_account"])
    loss = KeyLoss(lost_at=now, reported_by=reported_by, loan_id=loan_id, account=told)
    return msgspec.structs.replace(key, state=KeyState.LOST, lost_at=now, losses=(*key.losses, loss))


def lost_on_loan(
    key: Key,
    loan: KeyLoan,
    *,
    now: datetime,
    reported_by: str,
    refund_cents: int | None = None,
    kept_reason: str | None = None,
    refund_receipt_no: str | None = None,
    account: str | None = None,
) -> tuple[Key, KeyLoan]:
    """A key reported lost while lent (the borrower lost it): the key is lost and its open loan ends
    with it, so the loan stops counting as on loan or overdue and still names who had the key. An
    outsider's deposit is settled here as at a return — usually kept, for the lost key."""
    if loan.key_id != key.id:
        raise fail(KeyRefusal.WRONG_LOAN, "借用记录与钥匙不符", "The loan is for another key", kind="invalid")
    if loan.returned_at is not None or loan.lost_at is not None:
        raise fail(KeyRefusal.NOT_ON_LOAN, "钥匙未借出", "The key is not on loan", state=str(key.state))
    lost = report_lost(key, now=now, reported_by=reported_by, loan_id=loan.id, account=account)
    settlement = settle_deposit(loan, refund_cents=refund_cents, kept_reason=kept_reason, by=reported_by, now=now,
                                refund_receipt_no=refund_receipt_no)
    return lost, msgspec.structs.replace(loan, lost_at=now, lost_reported_by=reported_by,
                                         deposit_settlement=settlement)


# --- correcting a return recorded by mistake (D72) -------------------------------------------------
#
# A return recorded against the wrong key, or before the key was really back, is undone rather than
# edited: the loan is open again and the undone return stays on it as a ReturnCorrection. The window is
# the calendar day (in the compound's zone) the return was recorded on: months end at local midnight,
# so a correction can never change a month that has ended, whose count may already be recorded and
# signed, nor the deposits a past month reported.


def _local_day(at: datetime, tz: tzinfo) -> date:
    return at.astimezone(tz).date()


def why_return_not_correctable(
    key: Key, loan: KeyLoan, key_loans: Iterable[KeyLoan], *, now: datetime, tz: tzinfo
) -> Refusal | None:
    """Why the return that ended `loan` cannot be undone now (None if it can). `key_loans` are all the
    key's loans: only the latest may be reopened, and only while the key has stayed in the cabinet."""
    if loan.key_id != key.id:
        return refuse(KeyRefusal.WRONG_LOAN, "借用记录与钥匙不符", "The loan is for another key", kind="invalid")
    if loan.returned_at is None:
        # Still out, or ended by a loss: there is no return to undo.
        return refuse(KeyRefusal.NOT_RETURNED, "该次借用没有归还登记可更正", "That loan has no recorded return to correct")
    latest = loan_history(key_loans)
    # A loss recorded in the cabinet since the return (found again by now, or the key would not be in
    # store) says the key was in the cabinet then; a loss corrected as a mistake never happened (D80).
    lost_since = any(loss.correction is None and loss.lost_at >= loan.returned_at for loss in key_losses(key))
    if key.state is not KeyState.IN_STORE or not latest or latest[0].id != loan.id or lost_since:
        # Lent again (or recorded lost) since: reopening this loan would put the key out twice.
        return refuse(KeyRefusal.MOVED_SINCE_RETURN, "钥匙归还后已再次借出或登记遗失，不能更正该次归还",
                      "The key has been lent again or recorded lost since; that return cannot be corrected",
                      state=str(key.state))
    if _local_day(loan.returned_at, tz) != _local_day(now, tz):
        return refuse(KeyRefusal.RETURN_NOT_CORRECTABLE, "归还登记只能在登记当天更正",
                      "A return can be corrected only on the day it was recorded",
                      returned_at=loan.returned_at.isoformat())
    return None


def correct_return(
    key: Key,
    loan: KeyLoan,
    *,
    key_loans: Iterable[KeyLoan],
    reason: str | None,
    by: str,
    now: datetime,
    tz: tzinfo,
) -> tuple[Key, KeyLoan]:
    """Undo the return that ended `loan`: the key is on loan again and the loan open, as before it.

    The deposit settled with the return is undone with it. A settlement is what a loan's end did with
    the deposit (D64); on an open loan the deposit is held again, and leaving the settlement in place
    would count the same money as both held and refunded. What was settled stays on the record in the
    correction (with its refund receipt, now void), and the real return settles the deposit afresh.
    """
    refusal = why_return_not_correctable(key, loan, key_loans, now=now, tz=tz)
    if refusal is not None:
        raise DomainError(refusal)
    why = (reason or "").strip()
    if not why:
        raise fail(KeyRefusal.CORRECTION_REASON_REQUIRED, "更正归还登记须写明原因",
                   "Give the reason the return is corrected", kind="invalid", missing=["correction_reason"])
    assert loan.returned_at is not None  # checked above
    correction = ReturnCorrection(returned_at=loan.returned_at, received_by=loan.received_by,
                                  deposit_settlement=loan.deposit_settlement, reason=why, corrected_by=by,
                                  corrected_at=now)
    reopened = msgspec.structs.replace(loan, returned_at=None, received_by=None, deposit_settlement=None,
                                       corrections=(*loan.corrections, correction))
    return msgspec.structs.replace(key, state=KeyState.ON_LOAN), reopened


# --- a loss reported by mistake, and a key found again (D80) ----------------------------------------
#
# Two different things. A loss reported by mistake (the wrong key marked, or the key was never missing)
# is undone the same day as a D72 return correction is: as if it had not been reported — the key is back
# where it was (in the cabinet, or out on the loan the report ended, reopened), the deposit settlement the
# report made is undone, and the undone report stays on the key, marked corrected. A key really lost and
# found again later is not a mistake: the loss stands in the month it happened, and finding it puts the
# key back in the cabinet from then on.


def key_losses(key: Key) -> tuple[KeyLoss, ...]:
    """The key's losses, oldest first, including a loss in force recorded before losses were kept
    (only `lost_at` then)."""
    if key.lost_at is not None and not any(loss.lost_at == key.lost_at and loss.ended_at is None
                                           for loss in key.losses):
        return (*key.losses, KeyLoss(lost_at=key.lost_at))
    return key.losses


def current_loss(key: Key) -> KeyLoss | None:
    """The loss in force, None unless the key is lost."""
    if key.state is not KeyState.LOST:
        return None
    return next((loss for loss in reversed(key_losses(key)) if loss.ended_at is None), None)


def _end_loss(key: Key, ended: KeyLoss, *, state: KeyState) -> Key:
    losses = key_losses(key)
    i = next(i for i in range(len(losses) - 1, -1, -1) if losses[i].ended_at is None)
    return msgspec.structs.replace(key, state=state, lost_at=None, losses=(*losses[:i], ended, *losses[i + 1:]))


def _not_lost(key: Key):  # noqa: ANN202
    return refuse(KeyRefusal.NOT_LOST, "钥匙未登记遗失", "The key is not recorded lost", state=str(key.state))


def why_loss_not_correctable(key: Key, *, now: datetime, tz: tzinfo) -> Refusal | None:
    """Why the loss in force cannot be undone as a mistake now (None if it can): the key must still be
    recorded lost (not found since) and the report made today, in the compound's zone."""
    loss = current_loss(key)
    if loss is None:
        return _not_lost(key)
    if _local_day(loss.lost_at, tz) != _local_day(now, tz):
        return refuse(KeyRefusal.LOSS_NOT_CORRECTABLE, "遗失登记只能在登记当天更正；之后找到的钥匙请登记找回",
                      "A loss can be corrected only on the day it was reported; a key found later is recorded found",
                      lost_at=loss.lost_at.isoformat())
    return None


def lost_loan(key: Key, loans: Iterable[KeyLoan]) -> KeyLoan | None:
    """The loan the loss in force ended (None when the key was lost in the cabinet)."""
    loss = current_loss(key)
    if loss is None:
        return None
    return next((loan for loan in loans if loan.key_id == key.id and loan.lost_at == loss.lost_at
                 and (loss.loan_id is None or loan.id == loss.loan_id)), None)


def correct_loss(
    key: Key,
    loan: KeyLoan | None,
    *,
    reason: str | None,
    by: str,
    now: datetime,
    tz: tzinfo,
) -> tuple[Key, KeyLoan | None]:
    """Undo a loss reported by mistake, the same day. `loan` is the loan the report ended (`lost_loan`),
    None if the key was lost in the cabinet. The key goes back where it was: in the cabinet, or on loan
    under that loan, reopened. As with a corrected return (D72) the deposit settlement the report made
    is undone — the deposit is held again — and kept in the correction with its refund receipt, now void.
    """
    refusal = why_loss_not_correctable(key, now=now, tz=tz)
    if refusal is not None:
        raise DomainError(refusal)
    why = (reason or "").strip()
    if not why:
        raise fail(KeyRefusal.LOSS_CORRECTION_REASON_REQUIRED, "更正遗失登记须写明原因",
                   "Give the reason the loss report is corrected", kind="invalid", missing=["correction_reason"])
    loss = current_loss(key)
    assert loss is not None  # checked above
    if loan is not None and (loan.key_id != key.id or loan.lost_at != loss.lost_at):
        raise fail(KeyRefusal.WRONG_LOAN, "借用记录与钥匙不符", "The loan is for another key", kind="invalid")
    correction = LossCorrection(deposit_settlement=loan.deposit_settlement if loan else None, reason=why,
                                corrected_by=by, corrected_at=now)
    undone = msgspec.structs.replace(loss, reported_by=loss.reported_by or (loan.lost_reported_by if loan else None),
                                     loan_id=loan.id if loan else None, correction=correction)
    if loan is None:
        return _end_loss(key, undone, state=KeyState.IN_STORE), None
    reopened = msgspec.structs.replace(loan, lost_at=None, lost_reported_by=None, deposit_settlement=None)
    return _end_loss(key, undone, state=KeyState.ON_LOAN), reopened


def record_found(key: Key, *, note: str | None, by: str, now: datetime) -> Key:
    """A key really lost, found again: back in the cabinet and lendable. The loss stays on the key and in
    the count of the month it happened; a loan it ended stays ended, its deposit as it was settled."""
    loss = current_loss(key)
    if loss is None:
        raise DomainError(_not_lost(key))
    text = (note or "").strip()
    if not text:
        raise fail(KeyRefusal.FOUND_NOTE_REQUIRED, "登记找回须写明在何处找到、由谁交回",
                   "Say where the key was found and who brought it back", kind="invalid", missing=["found_note"])
    found = msgspec.structs.replace(loss, found=KeyFound(found_at=now, found_by=by, note=text))
    return _end_loss(key, found, state=KeyState.IN_STORE)


# --- a deposit kept for a key lost on loan, refunded once the key is found (D86) ------------------------
#
# The loss stands (D80): the loan stays ended by it and the settlement made then stays in its month. What
# is handed back later is a new entry in the deposit book, dated when it happens and signed for on its own
# refund receipt, so a signed month never changes and the later month explains the receipt it issued.


def loss_of_loan(key: Key, loan: KeyLoan) -> KeyLoss | None:
    """The loss report that ended `loan` (not one corrected as a mistake: that reopened the loan)."""
    if loan.lost_at is None:
        return None
    return next((loss for loss in key_losses(key) if loss.correction is None and loss.lost_at == loan.lost_at
                 and (loss.loan_id is None or loss.loan_id == loan.id)), None)


def why_kept_not_refundable(key: Key, loan: KeyLoan) -> Refusal | None:
    """Why what was kept of `loan`'s deposit cannot be handed back now (None if it can): the loan must have
    been ended by a loss, the key found since, something kept, and nothing handed back yet."""
    if loan.key_id != key.id:
        return refuse(KeyRefusal.WRONG_LOAN, "借用记录与钥匙不符", "The loan is for another key", kind="invalid")
    if loan.kept_refund is not None:
        return refuse(KeyRefusal.KEPT_ALREADY_REFUNDED, "该次借用扣留的押金已办理退还",
                      "The deposit kept on that loan has already been refunded",
                      refunded_at=loan.kept_refund.refunded_at.isoformat())
    loss = loss_of_loan(key, loan)
    if loss is None:
        return refuse(KeyRefusal.NOT_LOST_ON_LOAN, "只有借出期间遗失的钥匙，找回后才能退还扣留的押金",
                      "Only a deposit kept for a key lost on loan is refunded when the key is found")
    s = loan.deposit_settlement
    if s is None or s.kept_cents <= 0:
        return refuse(KeyRefusal.NOTHING_KEPT, "该次借用没有扣留押金", "Nothing of that loan's deposit was kept")
    if loss.found is None:
        return refuse(KeyRefusal.NOT_FOUND_YET, "钥匙尚未登记找回，先登记找回再退还扣留的押金",
                      "The key is not recorded found yet; record it found before refunding the kept deposit",
                      state=str(key.state))
    return None


def refund_kept_deposit(
    key: Key,
    loan: KeyLoan,
    *,
    refund_cents: int | None,
    refund_receipt_no: str | None,
    reason: str | None,
    by: str,
    now: datetime,
) -> KeyLoan:
    """Hand back what was kept of the deposit of a loan a loss ended, the key found since: all of it or
    part (the borrower may still owe for a lock changed meanwhile), against its refund receipt (D72), with
    the reason. Once only."""
    refusal = why_kept_not_refundable(key, loan)
    if refusal is not None:
        raise DomainError(refusal)
    s = loan.deposit_settlement
    assert s is not None  # checked above
    if refund_cents is not None and refund_cents < 0:
        raise fail(KeyRefusal.REFUND_NEGATIVE, "退还金额不能为负数", "The refund cannot be negative",
                   kind="invalid", refund_cents=refund_cents)
    if not refund_cents:
        raise fail(KeyRefusal.KEPT_REFUND_REQUIRED, "须登记退还的扣留押金金额", "Say how much of the kept deposit is refunded",
                   kind="invalid", missing=["refund_cents"], kept_cents=s.kept_cents)
    if refund_cents > s.kept_cents:
        raise fail(KeyRefusal.REFUND_ABOVE_KEPT, "退还金额超过扣留的押金", "The refund is more than the deposit kept",
                   kind="invalid", kept_cents=s.kept_cents, refund_cents=refund_cents)
    receipt = (refund_receipt_no or "").strip()
    if not receipt:
        raise fail(KeyRefusal.REFUND_RECEIPT_REQUIRED, "退还押金须登记退款收据号",
                   "Record the refund receipt number for the deposit handed back", kind="invalid",
                   missing=["refund_receipt_no"], refund_cents=refund_cents)
    why = (reason or "").strip()
    if not why:
        raise fail(KeyRefusal.KEPT_REFUND_REASON_REQUIRED, "退还扣留的押金须写明原因",
                   "Give the reason the kept deposit is refunded", kind="invalid", missing=["refund_reason"])
    return msgspec.structs.replace(loan, kept_refund=KeptRefund(
        refunded_cents=refund_cents, refund_receipt_no=receipt, reason=why, refunded_by=by, refunded_at=now))


def is_overdue(loan: KeyLoan, now: datetime) -> bool:
    return loan.returned_at is None and loan.lost_at is None and now > loan.due_at


def overdue_loans(loans: Iterable[KeyLoan], now: datetime) -> list[KeyLoan]:
    return sorted((loan for loan in loans if is_overdue(loan, now)), key=lambda loan: loan.due_at)


def loan_history(loans: Iterable[KeyLoan]) -> list[KeyLoan]:
    """A key's loans, newest first: the register page reads from the latest loan back."""
    return sorted(loans, key=lambda loan: (loan.lent_at, loan.id), reverse=True)


def _settled_between(loan: KeyLoan, since: datetime | None, until: datetime) -> DepositSettlement | None:
    s = loan.deposit_settlement
    if s is None or s.settled_at > until or (since is not None and s.settled_at < since):
        return None
    return s


def _kept_refunded_between(loan: KeyLoan, since: datetime | None, until: datetime) -> KeptRefund | None:
    r = loan.kept_refund
    if r is None or r.refunded_at > until or (since is not None and r.refunded_at < since):
        return None
    return r


def monthly_count(
    keys: Iterable[Key], loans: Iterable[KeyLoan], now: datetime, *, since: datetime | None = None
) -> KeyCount:
    """The count at `now`. `loans` must hold the keys' open loans; any ended ones passed too add their
    deposit settlements made from `since` (every one given, when None) up to `now`."""
    keys = list(keys)
    loans = list(loans)
    on_loan_ids = {k.id for k in keys if k.state is KeyState.ON_LOAN}
    open_loans = [loan for loan in loans if loan.key_id in on_loan_ids and loan.returned_at is None
                  and loan.lost_at is None]
    # Only the open loan of a key on loan can make it overdue; old returned loans are history.
    overdue = {loan.key_id for loan in open_loans if is_overdue(loan, now)}
    by_state = {state: sum(1 for k in keys if k.state is state) for state in KeyState}
    settled = [s for s in (_settled_between(loan, since, now) for loan in loans) if s is not None]
    kept_refunded = sum(r.refunded_cents for r in (_kept_refunded_between(loan, since, now) for loan in loans) if r)
    # A loss corrected as a mistake was never one; a loss whose key was found again was (D80).
    losses = [loss for k in keys for loss in key_losses(k) if loss.correction is None and loss.lost_at <= now]
    return KeyCount(
        counted_at=now,
        total=len(keys),
        in_store=by_state[KeyState.IN_STORE],
        on_loan=by_state[KeyState.ON_LOAN],
        overdue=len(overdue),
        lost=by_state[KeyState.LOST],
        by_type={t: sum(1 for k in keys if k.key_type is t) for t in KeyType},
        since=since,
        deposits_held_cents=sum(loan.deposit_cents for loan in open_loans),
        deposits_refunded_cents=sum(s.refunded_cents for s in settled) + kept_refunded,
        deposits_kept_cents=sum(s.kept_cents for s in settled) - kept_refunded,
        deposits_kept_refunded_cents=kept_refunded,
        lost_in_period=sum(1 for loss in losses if since is None or loss.lost_at >= since),
        found_in_period=sum(1 for loss in losses if loss.found is not None and loss.found.found_at <= now
                            and (since is None or loss.found.found_at >= since)),
    )


# --- the deposits settled in a period, one by one (D80) -------------------------------------------


class LoanEnd(StrEnum):
    RETURNED = "returned"
    LOST = "lost"


class SettlementUndone(msgspec.Struct, frozen=True, kw_only=True):
    """The correction that undid a settlement: the return or loss report it came with was a mistake."""

    reason: str
    corrected_by: str
    corrected_at: datetime


class SettlementEntry(StrEnum):
    SETTLED = "settled"  # the deposit settled as the loan ended
    KEPT_REFUNDED = "kept_refunded"  # what was kept at a loss, handed back after the key was found (D86)


class SettledDeposit(msgspec.Struct, frozen=True, kw_only=True):
    """One deposit settled in a period, for the accountant to tick against the receipt book: the loan
    (key, borrower, deposit and its receipt), how it ended, and the settlement. An `undone` one was
    voided by a correction: it is listed so its refund receipt number is accounted for, and is not in
    the period's sums.

    A `kept_refunded` entry is a deposit kept at a loss and handed back later (D86): its `settlement` is
    that movement — `refunded_cents` handed back on its refund receipt, `kept_cents` the same amount taken
    off what was kept (negative), its reason, who and when — so the period's sums are the sums of its
    entries in force, as for any other."""

    key_id: str
    loan_id: str
    borrower_name: str
    deposit_cents: int
    deposit_receipt_no: str | None = None
    ended: LoanEnd
    settlement: DepositSettlement
    undone: SettlementUndone | None = None
    entry: SettlementEntry = SettlementEntry.SETTLED


def _in_period(at: datetime, since: datetime | None, until: datetime) -> bool:
    return at <= until and (since is None or at >= since)


def settled_deposits(
    keys: Iterable[Key], loans: Iterable[KeyLoan], until: datetime, *, since: datetime | None = None
) -> list[SettledDeposit]:
    """Every deposit settled from `since` to `until`, oldest first: those in force (their sums are the
    count's refunded and kept), then, in time order with them, those undone by a corrected return (D72)
    or a corrected loss report (D80) made by `until`. `keys` and `loans` as for `monthly_count`."""
    loans = list(loans)
    by_id = {loan.id: loan for loan in loans}
    out: list[SettledDeposit] = []

    def row(loan: KeyLoan, s: DepositSettlement, ended: LoanEnd, undone: SettlementUndone | None = None) -> None:
        out.append(SettledDeposit(key_id=loan.key_id, loan_id=loan.id, borrower_name=loan.borrower_name,
                                  deposit_cents=loan.deposit_cents, deposit_receipt_no=loan.deposit_receipt_no,
                                  ended=ended, settlement=s, undone=undone))

    for loan in loans:
        if (s := _settled_between(loan, since, until)) is not None:
            row(loan, s, LoanEnd.LOST if loan.lost_at is not None else LoanEnd.RETURNED)
        if (r := _kept_refunded_between(loan, since, until)) is not None:
            out.append(SettledDeposit(
                key_id=loan.key_id, loan_id=loan.id, borrower_name=loan.borrower_name,
                deposit_cents=loan.deposit_cents, deposit_receipt_no=loan.deposit_receipt_no, ended=LoanEnd.LOST,
                settlement=DepositSettlement(refunded_cents=r.refunded_cents, kept_cents=-r.refunded_cents,
                                             kept_reason=r.reason, refund_receipt_no=r.refund_receipt_no,
                                             settled_by=r.refunded_by, settled_at=r.refunded_at),
                entry=SettlementEntry.KEPT_REFUNDED))
        for c in loan.corrections:
            if c.deposit_settlement is not None and c.corrected_at <= until and _in_period(
                    c.deposit_settlement.settled_at, since, until):
                row(loan, c.deposit_settlement, LoanEnd.RETURNED,
                    SettlementUndone(reason=c.reason, corrected_by=c.corrected_by, corrected_at=c.corrected_at))
    for key in keys:
        for loss in key_losses(key):
            c = loss.correction
            if c is None or c.deposit_settlement is None or loss.loan_id not in by_id:
                continue
            if c.corrected_at <= until and _in_period(c.deposit_settlement.settled_at, since, until):
                row(by_id[loss.loan_id], c.deposit_settlement, LoanEnd.LOST,
                    SettlementUndone(reason=c.reason, corrected_by=c.corrected_by, corrected_at=c.corrected_at))
    return sorted(out, key=lambda d: (d.settlement.settled_at, d.loan_id))


# --- the register as it stood at an earlier instant (past months' counts) -------------------------
#
# Keys are never edited or deleted and a loan only ever gains its end, so the register at any past
# instant follows from the records themselves: a past month's count is recomputed, not stored, and
# cannot be missing because nobody pressed a button at the month's end. Something that happened
# exactly at `at` belongs to the next period (`at` is the exclusive end of a month).


def loan_as_of(loan: KeyLoan, at: datetime) -> KeyLoan | None:
    """The loan as the register showed it just before `at`: None if not lent yet; still open if it
    ended at or after `at`."""
    if loan.lent_at >= at:
        return None
    if any(c.corrected_at >= at for c in loan.corrections):
        loan = msgspec.structs.replace(loan, corrections=tuple(c for c in loan.corrections if c.corrected_at < at))
    if loan.kept_refund is not None and loan.kept_refund.refunded_at >= at:
        loan = msgspec.structs.replace(loan, kept_refund=None)  # handed back in a later month (D86)
    ended = loan.returned_at or loan.lost_at
    if ended is not None and ended >= at:
        return msgspec.structs.replace(loan, returned_at=None, received_by=None, lost_at=None,
                                       lost_reported_by=None, deposit_settlement=None, kept_refund=None)
    return loan


def key_as_of(key: Key, loans_then: Iterable[KeyLoan], at: datetime) -> Key | None:
    """The key just before `at` (None if not yet registered), given its loans as of `at`."""
    if key.registered_at >= at:
        return None
    # The losses reported before `at`, each as it then stood: found or corrected only if that came before.
    losses = tuple(_loss_as_of(loss, at) for loss in key_losses(key) if loss.lost_at < at)
    lost = next((loss for loss in reversed(losses) if loss.ended_at is None), None)
    if lost is not None:
        return msgspec.structs.replace(key, state=KeyState.LOST, lost_at=lost.lost_at, losses=losses)
    lent = any(loan.key_id == key.id and loan.returned_at is None and loan.lost_at is None for loan in loans_then)
    return msgspec.structs.replace(key, state=KeyState.ON_LOAN if lent else KeyState.IN_STORE, lost_at=None,
                                   losses=losses)


def _loss_as_of(loss: KeyLoss, at: datetime) -> KeyLoss:
    if loss.found is not None and loss.found.found_at >= at:
        loss = msgspec.structs.replace(loss, found=None)
    if loss.correction is not None and loss.correction.corrected_at >= at:
        loss = msgspec.structs.replace(loss, correction=None)
    return loss


def register_as_of(
    keys: Iterable[Key], loans: Iterable[KeyLoan], at: datetime
) -> tuple[list[tuple[Key, KeyLoan | None]], list[KeyLoan]]:
    """The cabinet just before `at` in filing order, each key with the loan it was out on; and every
    loan as it then stood (for the deposits settled in the period)."""
    loans_then = [then for loan in loans if (then := loan_as_of(loan, at)) is not None]
    by_key: dict[str, list[KeyLoan]] = {}
    for loan in loans_then:
        by_key.setdefault(loan.key_id, []).append(loan)
    keys_then = [then for key in keys if (then := key_as_of(key, by_key.get(key.id, ()), at)) is not None]
    rows = []
    for key in filing_order(keys_then):
        open_loan = None
        if key.state is KeyState.ON_LOAN:
            open_loan = next((loan for loan in by_key[key.id] if loan.returned_at is None and loan.lost_at is None), None)
        rows.append((key, open_loan))
    return rows, loans_then


def month_end_count(keys: Iterable[Key], loans: Iterable[KeyLoan], *, start: datetime, end: datetime) -> KeyCount:
    """A month's count as the register stood at its end, with the deposits settled during it."""
    rows, loans_then = register_as_of(keys, loans, end)
    return monthly_count([key for key, _ in rows], loans_then, end, since=start)


class DepositBook(msgspec.Struct, frozen=True, kw_only=True):
    """A period's deposits receipt by receipt, for the accountant to reconcile against the deposit and refund
    receipt books (R-KY-1): the loans holding a deposit at `since`, those that took one in the period, the
    settlements in force in it (refunds and what was kept, a kept deposit handed back later included, D86; a
    voided one moved no money) and the loans holding one at `until`. Every period balances:
    held at the start + taken = held at the end + refunded + kept."""

    since: datetime
    until: datetime
    held_at_start: tuple[KeyLoan, ...]
    taken: tuple[KeyLoan, ...]
    settled: tuple[SettledDeposit, ...]
    held_at_end: tuple[KeyLoan, ...]

    @property
    def held_at_start_cents(self) -> int:
        return sum(loan.deposit_cents for loan in self.held_at_start)

    @property
    def taken_cents(self) -> int:
        return sum(loan.deposit_cents for loan in self.taken)

    @property
    def refunded_cents(self) -> int:
        return sum(d.settlement.refunded_cents for d in self.settled)

    @property
    def kept_cents(self) -> int:
        return sum(d.settlement.kept_cents for d in self.settled)

    @property
    def held_at_end_cents(self) -> int:
        return sum(loan.deposit_cents for loan in self.held_at_end)

    @property
    def balances(self) -> bool:
        return self.held_at_start_cents + self.taken_cents == (
            self.held_at_end_cents + self.refunded_cents + self.kept_cents)


def _holding(rows: Iterable[tuple[Key, KeyLoan | None]]) -> tuple[KeyLoan, ...]:
    """The open loans that hold a deposit, oldest first."""
    return tuple(sorted((loan for _, loan in rows if loan is not None and loan.deposit_cents),
                        key=lambda loan: (loan.lent_at, loan.id)))


def deposit_book(keys: Iterable[Key], loans: Iterable[KeyLoan], *, start: datetime, end: datetime) -> DepositBook:
    """The deposits of the period [start, end) as the register stood at its end: what was held at each end is
    what the count of that instant holds (`register_as_of`), so a month opens on what the last one closed on.
    `loans` must hold every loan open at `start` or lent before `end`, as for `month_end_count`."""
    keys, loans = list(keys), list(loans)
    at_start, _ = register_as_of(keys, loans, start)
    at_end, loans_then = register_as_of(keys, loans, end)
    taken = sorted((loan for loan in loans_then if loan.lent_at >= start and loan.deposit_cents),
                   key=lambda loan: (loan.lent_at, loan.id))
    listed = settled_deposits([key for key, _ in at_end], loans_then, end, since=start)
    settled = [d for d in listed if d.undone is None]
    return DepositBook(since=start, until=end, held_at_start=_holding(at_start), taken=tuple(taken),
                       settled=tuple(settled), held_at_end=_holding(at_end))


def counted_months(first: datetime, now: datetime, tz: tzinfo) -> list[tuple[int, int]]:
    """The months that have ended since the one `first` (the first key's registration) fell in,
    newest first: the months whose count can be looked back on."""
    a, b = first.astimezone(tz), now.astimezone(tz)
    months = []
    y, m = a.year, a.month
    while (y, m) < (b.year, b.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months[::-1]


# --- the physical count at the cabinet (D72) -------------------------------------------------------


class CountAmendment(msgspec.Struct, frozen=True, kw_only=True):
    """What a same-day amendment of a physical count replaced — the verdict, discrepancy and witness as
    they stood — and why, by whom, when (D86). Kept so the sheet shows the first entry struck through."""

    matches_register: bool
    discrepancy: str | None = None
    witness_name: str | None = None
    reason: str
    amended_by: str
    amended_at: datetime


class PhysicalCount(msgspec.Struct, frozen=True, kw_only=True):
    """A month's count done at the cabinet, keys in hand against the month-end sheet: who counted (an
    account), who witnessed it (a name, optional), when it was recorded, and whether what was found
    matched the register — if not, what was missing or extra. Recorded once per month."""

    year: int
    month: int
    counted_by: str
    witness_name: str | None = None
    counted_at: datetime
    matches_register: bool
    discrepancy: str | None = None
    # Same-day amendments, oldest first, each with what it replaced (D86).
    amendments: tuple[CountAmendment, ...] = ()


def _count_verdict(matches_register: bool | None, discrepancy: str | None) -> str | None:
    """The verdict must be said and a mismatch say what differed; returns the discrepancy, trimmed."""
    if matches_register is None:
        raise fail(KeyRefusal.COUNT_VERDICT_REQUIRED, "须选择实物与登记是否一致",
                   "Say whether the keys found match the register", kind="invalid", missing=["count_verdict"])
    note = (discrepancy or "").strip()
    if not matches_register and not note:
        raise fail(KeyRefusal.COUNT_DISCREPANCY_REQUIRED, "实物与登记不符时须写明差异（缺少或多出的钥匙）",
                   "Say which keys were missing or extra against the register", kind="invalid",
                   missing=["discrepancy"])
    return note or None


def count_opens_on(year: int, month: int) -> date:
    """The first day a month's physical count may be recorded: the 30th, or the month's last day when it is
    shorter. The seed has the keys counted at the month's end and the count handed in to the customer-service
    supervisor on the 30th (003 4.5.6), the day the monthly report is handed in too (D103)."""
    return report_due_on(year, month)


def record_physical_count(
    *,
    year: int,
    month: int,
    already: PhysicalCount | None,
    counted_by: str,
    witness_name: str | None,
    matches_register: bool | None,
    discrepancy: str | None,
    now: datetime,
    tz: tzinfo,
) -> PhysicalCount:
    """Record the physical count of a month, from its 30th (`count_opens_on`, a day in `tz`, the compound's
    zone) on: earlier, most of the month's loans and returns are still to come.

    A count already recorded is not replaced (a recount is a discrepancy to note on the next one, not a
    rewrite; a slip is amended the same day, D86). Whether the cabinet matched is said explicitly, and a
    mismatch says what differed.
    """
    if already is not None:
        raise fail(KeyRefusal.COUNT_ALREADY_RECORDED, "该月的实物盘点已登记", "That month's count is already recorded",
                   year=year, month=month, counted_at=already.counted_at.isoformat())
    opens = count_opens_on(year, month)
    if _local_day(now, tz) < opens:
        raise fail(KeyRefusal.COUNT_MONTH_OPEN, f"{year}年{month}月的实物盘点自{opens.month}月{opens.day}日起登记",
                   f"The count for {year}-{month:02d} can be recorded from {opens.isoformat()}", kind="invalid",
                   year=year, month=month, opens_on=opens.isoformat())
    note = _count_verdict(matches_register, discrepancy)
    assert matches_register is not None  # checked above
    witness = (witness_name or "").strip()
    return PhysicalCount(year=year, month=month, counted_by=counted_by, witness_name=witness or None,
                         counted_at=now, matches_register=matches_register, discrepancy=note)


# A recorded count is amended, not re-recorded, and only on the calendar day it was recorded (in the
# compound's zone), by its counter or a manager (D86): the desk's daily window of D72 and D80. The count
# is printed and signed as the month's report (R-KY-1); a slip noticed while the sheet is still at the
# desk is put right on the record, the first entry kept struck through, while a difference found on a
# later day is a finding of that day — a recount noted on the next month's count — and never rewrites a
# report already handed in.


def why_count_not_amendable(count: PhysicalCount, *, by: str, by_manager: bool, now: datetime,
                            tz: tzinfo) -> Refusal | None:
    """Why `by` cannot amend `count` now (None if they can)."""
    if by != count.counted_by and not by_manager:
        return refuse(KeyRefusal.COUNT_NOT_AMENDER, "实物盘点只能由盘点人本人或经理更正",
                      "Only the counter or a manager may amend the count", kind="forbidden")
    if _local_day(count.counted_at, tz) != _local_day(now, tz):
        return refuse(KeyRefusal.COUNT_NOT_AMENDABLE, "实物盘点只能在登记当天更正；之后发现的差异记入下月盘点",
                      "A count can be amended only on the day it was recorded; a difference found later goes on "
                      "the next month's count", counted_at=count.counted_at.isoformat())
    return None


def amend_physical_count(
    count: PhysicalCount | None,
    *,
    year: int,
    month: int,
    by: str,
    by_manager: bool,
    matches_register: bool | None,
    discrepancy: str | None,
    witness_name: str | None,
    reason: str | None,
    now: datetime,
    tz: tzinfo,
) -> PhysicalCount:
    """Amend the verdict, discrepancy and witness of a recorded count the day it was recorded; the counter
    and the time of the count stay, what was replaced is kept in the amendment with the reason."""
    if count is None:
        raise fail(KeyRefusal.COUNT_NOT_RECORDED, "该月尚未登记实物盘点", "That month's count has not been recorded",
                   kind="not_found", year=year, month=month)
    refusal = why_count_not_amendable(count, by=by, by_manager=by_manager, now=now, tz=tz)
    if refusal is not None:
        raise DomainError(refusal)
    note = _count_verdict(matches_register, discrepancy)
    assert matches_register is not None  # checked above
    why = (reason or "").strip()
    if not why:
        raise fail(KeyRefusal.COUNT_AMEND_REASON_REQUIRED, "更正实物盘点须写明原因", "Give the reason the count is amended",
                   kind="invalid", missing=["amend_reason"])
    was = CountAmendment(matches_register=count.matches_register, discrepancy=count.discrepancy,
                         witness_name=count.witness_name, reason=why, amended_by=by, amended_at=now)
    witness = (witness_name or "").strip()
    return msgspec.structs.replace(count, matches_register=matches_register, discrepancy=note,
                                   witness_name=witness or None, amendments=(*count.amendments, was))
