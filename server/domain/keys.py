"""The key register: keys filed by building, floor and type; signed loans, returns, the monthly count (R-KY-1)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

import msgspec

from server.domain.errors import fail

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
ID_TAIL = re.compile(r"^[0-9A-Za-z]{4}$")


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


class Key(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    building: str
    floor: str
    key_type: KeyType
    label: str  # what the tag says: a unit, a plant room
    state: KeyState = KeyState.IN_STORE
    registered_at: datetime
    lost_at: datetime | None = None


class IdShown(msgspec.Struct, frozen=True, kw_only=True):
    """The ID an outsider showed. Only its type and last four characters are kept, never the number."""

    doc_type: IdDocType
    last4: str


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
    deposit_cents: int = 0
    deposit_receipt_no: str | None = None
    lent_by: str
    lent_at: datetime
    due_at: datetime
    returned_at: datetime | None = None
    received_by: str | None = None
    # A key lost while lent ends its loan here: it is then neither on loan nor overdue.
    lost_at: datetime | None = None


class KeyCount(msgspec.Struct, frozen=True, kw_only=True):
    """The month-end count; overdue loans are a subset of those on loan."""

    counted_at: datetime
    total: int
    in_store: int
    on_loan: int
    overdue: int
    lost: int
    by_type: dict[KeyType, int]


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
    if borrower_kind is BorrowerKind.OUTSIDER:
        _require_outsider_terms(id_shown, deposit_cents, deposit_receipt_no)
        borrower_user_id = None
    loan = KeyLoan(
        id=loan_id,
        key_id=key.id,
        borrower_name=borrower_name.strip(),
        borrower_kind=borrower_kind,
        borrower_user_id=borrower_user_id,
        signature_sha256=signature_sha256,
        id_shown=id_shown,
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


def return_key(key: Key, loan: KeyLoan, *, received_by: str, now: datetime) -> tuple[Key, KeyLoan]:
    if loan.key_id != key.id:
        raise fail(KeyRefusal.WRONG_LOAN, "借用记录与钥匙不符", "The loan is for another key", kind="invalid")
    if key.state is not KeyState.ON_LOAN or loan.returned_at is not None:
        raise fail(KeyRefusal.NOT_ON_LOAN, "钥匙未借出", "The key is not on loan", state=str(key.state))
    returned = msgspec.structs.replace(loan, returned_at=now, received_by=received_by)
    return msgspec.structs.replace(key, state=KeyState.IN_STORE), returned


def report_lost(key: Key, *, now: datetime) -> Key:
    if key.state is KeyState.LOST:
        raise fail(KeyRefusal.ALREADY_LOST, "钥匙已登记遗失", "The key is already recorded lost")
    return msgspec.structs.replace(key, state=KeyState.LOST, lost_at=now)


def lost_on_loan(key: Key, loan: KeyLoan, *, now: datetime) -> tuple[Key, KeyLoan]:
    """A key reported lost while lent (the borrower lost it): the key is lost and its open loan ends
    with it, so the loan stops counting as on loan or overdue and still names who had the key."""
    if loan.key_id != key.id:
        raise fail(KeyRefusal.WRONG_LOAN, "借用记录与钥匙不符", "The loan is for another key", kind="invalid")
    if loan.returned_at is not None or loan.lost_at is not None:
        raise fail(KeyRefusal.NOT_ON_LOAN, "钥匙未借出", "The key is not on loan", state=str(key.state))
    return report_lost(key, now=now), msgspec.structs.replace(loan, lost_at=now)


def is_overdue(loan: KeyLoan, now: datetime) -> bool:
    return loan.returned_at is None and loan.lost_at is None and now > loan.due_at


def overdue_loans(loans: Iterable[KeyLoan], now: datetime) -> list[KeyLoan]:
    return sorted((loan for loan in loans if is_overdue(loan, now)), key=lambda loan: loan.due_at)


def monthly_count(keys: Iterable[Key], loans: Iterable[KeyLoan], now: datetime) -> KeyCount:
    keys = list(keys)
    on_loan_ids = {k.id for k in keys if k.state is KeyState.ON_LOAN}
    # Only the open loan of a key on loan can make it overdue; old returned loans are history.
    overdue = {loan.key_id for loan in loans if loan.key_id in on_loan_ids and is_overdue(loan, now)}
    by_state = {state: sum(1 for k in keys if k.state is state) for state in KeyState}
    return KeyCount(
        counted_at=now,
        total=len(keys),
        in_store=by_state[KeyState.IN_STORE],
        on_loan=by_state[KeyState.ON_LOAN],
        overdue=len(overdue),
        lost=by_state[KeyState.LOST],
        by_type={t: sum(1 for k in keys if k.key_type is t) for t in KeyType},
    )
