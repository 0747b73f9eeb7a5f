"""Paid special services (特约服务): the approved catalogue, bookings from consent to cashier settlement.

Rules: R-SS-1 (the general manager approves items and fees), R-SS-2 (booking, fee told and consent
before dispatch, prepayment or deposit), R-SS-3 (resident signs, cashier settles, no private
settlement or tips), R-SS-4 (loss review), R-SS-5 (return visits), R-FU-7 (arrival promises).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

import msgspec

from server.domain.cases import PaidService
from server.domain.errors import DomainError, Refusal, fail, refuse
from server.domain.roles import EXECUTORS, Role
from server.domain.surveys import CallBackSubject, CallBackTask, open_call_back

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")

# R-FU-7: the resident is promised 25 min for paid home repairs and cleaning, 15 for laundry
# pick-up, 10 for games, counted from the moment they accept the fee (000 篇5 10.1, 11.2). Items
# carry their own promise; these are the seed's figures.
PROMISE_HOME_SERVICE_MINUTES = 25
PROMISE_LAUNDRY_MINUTES = 15
PROMISE_GAMES_MINUTES = 10
TEAM_ARRIVAL_MINUTES = 20  # the team's own order: on site 20 min after dispatch (000 篇5 10.2, 11.3)
# The longest promise an item may carry: a week. The promise is added to the moment of consent, so an
# unbounded one would overflow the clock on every booking of the item.
MAX_PROMISE_MINUTES = 7 * 24 * 60
DELAY_NOTICE_MINUTES = 20  # if the promise cannot be kept, the resident hears why within 20 of it
# The most units one booking quotes (appliances, hours, pieces of laundry): a typo of 1000 would be
# told to the resident as a fee a hundred times too high (D100).
MAX_QUOTED_QUANTITY = 99

PROPOSERS = frozenset({Role.MANAGER})
APPROVER = Role.GENERAL_MANAGER
BOOKERS = frozenset({Role.FRONT_DESK, Role.DISPATCHER, Role.CONTROL_ROOM, Role.MANAGER})
SETTLER = Role.CASHIER


class SpecialServiceRefusal(StrEnum):
    NOT_MANAGER = "special_service.not_manager"
    NOT_GENERAL_MANAGER = "special_service.not_general_manager"
    NOTHING_TO_APPROVE = "special_service.nothing_to_approve"
    INVALID_FEE = "special_service.invalid_fee"
    INVALID_ITEM = "special_service.invalid_item"
    ITEM_NOT_APPROVED = "special_service.item_not_approved"
    ITEM_WITHDRAWN = "special_service.item_withdrawn"
    NOT_A_BOOKER = "special_service.not_a_booker"
    MISSING_CONTACT = "special_service.missing_contact"
    BAD_PHONE = "special_service.bad_phone"
    AGREEMENT_NOT_ACTIVE = "special_service.agreement_not_active"
    FEE_NOT_AS_QUOTED = "special_service.fee_not_as_quoted"
    NO_CONSENT = "special_service.no_consent"
    ADVANCE_NOT_REQUIRED = "special_service.advance_not_required"
    ADVANCE_MISSING = "special_service.advance_missing"
    WRONG_STATE = "special_service.wrong_state"
    SIGNATURE_MISSING = "special_service.signature_missing"
    INVALID_QUANTITY = "special_service.invalid_quantity"
    FIELD_STAFF_CANNOT_SETTLE = "special_service.field_staff_cannot_settle"
    NOT_CASHIER = "special_service.not_cashier"
    RECEIPT_MISSING = "special_service.receipt_missing"
    AMOUNT_NOT_AS_SLIP = "special_service.amount_not_as_slip"
    AMOUNT_ABOVE_SIGNED = "special_service.amount_above_signed"
    ADVANCE_ALREADY_PAID = "special_service.advance_already_paid"
    NOT_LOSS_MAKING = "special_service.not_loss_making"
    PRICE_NOT_RAISED = "special_service.price_not_raised"
    # R-SS-1 (D112): approved but not yet announced to residents, so not offered.
    ITEM_NOT_ANNOUNCED = "special_service.item_not_announced"
    NAME_EN_REQUIRED = "special_service.name_en_required"
    REASON_REQUIRED = "special_service.reason_required"
    NOT_SENT_BACK = "special_service.not_sent_back"
    # R-SS-1 (D123): a long-term agreement's fee above the one residents were told was never approved.
    AGREEMENT_FEE_ABOVE_ANNOUNCED = "special_service.agreement_fee_above_announced"


class ServiceUnit(StrEnum):
    PER_VISIT = "per_visit"  # 次
    PER_HOUR = "per_hour"  # 小时
    PER_PIECE = "per_piece"  # 件


UNIT_LABELS_ZH: dict[ServiceUnit, str] = {
    ServiceUnit.PER_VISIT: "次",
    ServiceUnit.PER_HOUR: "小时",
    ServiceUnit.PER_PIECE: "件",
}
UNIT_LABELS_EN: dict[ServiceUnit, str] = {
    ServiceUnit.PER_VISIT: "visit",
    ServiceUnit.PER_HOUR: "hour",
    ServiceUnit.PER_PIECE: "piece",
}


class Advance(StrEnum):
    """What the resident pays before the service (R-SS-2)."""

    NONE = "none"
    PREPAYMENT = "prepayment"  # counted towards the fee
    DEPOSIT = "deposit"  # returned at settlement


class ItemStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"
    RETURNED = "returned"  # a new item the GM sent back with a reason; the manager revises it (D112)


class PriceEntry(msgspec.Struct, frozen=True, kw_only=True):
    fee_cents: int
    approved_by: str
    approved_at: datetime


class SentBack(msgspec.Struct, frozen=True, kw_only=True):
    """The GM's "no" to a proposal, with the reason the manager revises against (R-SS-1, D112)."""

    price: bool  # a new fee for an approved item (True) or the new item itself (False)
    fee_cents: int  # the fee that was refused
    reason: str
    by: str
    at: datetime


class ServiceItem(msgspec.Struct, frozen=True, kw_only=True):
    """A catalogue entry. `fee_cents` is what is charged; only the GM's approval changes it."""

    code: str
    name_zh: str
    name_en: str
    fee_cents: int
    unit: ServiceUnit
    promise_minutes: int
    advance: Advance = Advance.NONE
    advance_cents: int = 0
    status: ItemStatus = ItemStatus.PROPOSED
    proposed_by: str
    proposed_at: datetime
    pending_fee_cents: int | None = None  # a new price the manager proposed, awaiting the GM
    price_history: tuple[PriceEntry, ...] = ()
    announced_at: datetime | None = None
    # The fee residents were last told (D112): bookings quote it while a newer approved fee waits for
    # its notice. None on an item never announced, or announced before this was kept (then, if
    # `announced_at` is set, the current fee is the announced one).
    announced_fee_cents: int | None = None
    sent_back: SentBack | None = None  # the GM's last refusal, until the manager answers it


class BookingMode(StrEnum):
    ONCE = "once"  # a single request, usually by phone
    AGREEMENT = "agreement"  # under a long-term service agreement


class BookingState(StrEnum):
    BOOKED = "booked"
    DISPATCHED = "dispatched"
    COMPLETED = "completed"
    SETTLED = "settled"


class Agreement(msgspec.Struct, frozen=True, kw_only=True):
    """A long-term service agreement: the resident consented to the fee once, when signing it."""

    id: str
    item_code: str
    resident_name: str
    unit: str  # the registered unit's label as it was at signing
    phone: str
    fee_cents: int
    signed_at: datetime
    valid_until: datetime
    # The registered unit (R-SS-2); None on an agreement signed before agreements named one.
    unit_id: str | None = None


class Booking(msgspec.Struct, frozen=True, kw_only=True):
    """One booked service. There is deliberately no field for a tip or for money taken on site:
    the only money that enters is the advance and the settlement, both through the cashier (R-SS-3)."""

    id: str
    # The number people quote (TY20261123-001): given at booking, per compound and local day, so a
    # booking has one before any case is opened for it. None only on a booking stored before it.
    booking_no: str | None = None
    item_code: str
    mode: BookingMode
    agreement_id: str | None = None
    resident_name: str
    unit: str
    phone: str
    booked_at: datetime
    booked_by: str
    unit_fee_cents: int  # the fee quoted at booking, per item unit
    promise_minutes: int
    state: BookingState = BookingState.BOOKED
    consent_at: datetime | None = None
    arrive_by: datetime | None = None  # promised to the resident once the fee is accepted (R-FU-7)
    advance: Advance = Advance.NONE
    advance_required_cents: int = 0
    advance_paid_cents: int = 0
    advance_receipt_no: str | None = None
    # Who took the advance and when, kept with the money for the printed settlement statement (结算单);
    # the name as it was then, since a cashier may not read the staff list.
    advance_paid_at: datetime | None = None
    advance_paid_by: str | None = None
    advance_paid_by_name: str | None = None
    dispatched_at: datetime | None = None
    case_no: str | None = None  # the case the dispatch opened, as people quote it (GD20261123-0001)
    dispatched_to: tuple[str, ...] = ()
    completed_at: datetime | None = None
    # What the resident was told at booking (R-SS-2, D100): the number of units the unit fee is quoted
    # for (1 for a per-visit item) and, once they accept it, the total they accepted. The slip's
    # quantity below is what was really done; the statement prints both.
    quoted_quantity: int = 1
    told_fee_cents: int | None = None
    quantity: int = 0
    slip_fee_cents: int | None = None  # what is billed: the approved unit fee × quantity
    # The fee on the slip as the resident signed it. Equal to slip_fee_cents unless the desk had to
    # complete by hand (a fee that is not a whole number of units); the statement prints both then.
    signed_fee_cents: int | None = None
    signature_sha256: str | None = None
    signer_name: str | None = None
    slip_hash: str | None = None  # the content hash the resident's signature covers (R-CL-6)
    settled_at: datetime | None = None
    settled_by: str | None = None
    settled_by_name: str | None = None
    receipt_no: str | None = None
    settled_cents: int | None = None  # collected at settlement; negative means money handed back


class LossReview(msgspec.Struct, frozen=True, kw_only=True):
    item_code: str
    period_start: datetime
    period_end: datetime
    settled_count: int
    revenue_cents: int
    cost_cents: int
    margin_cents: int
    loss_making: bool


class LossDecisionKind(StrEnum):
    PROMOTE = "promote"  # attract more users
    RAISE_PRICE = "raise_price"  # becomes a price proposal for the GM
    STOP = "stop"  # withdraw the item


class LossDecision(msgspec.Struct, frozen=True, kw_only=True):
    review: LossReview
    decision: LossDecisionKind
    decided_by: str
    decided_at: datetime
    note: str = ""
    proposed_fee_cents: int | None = None


# --- catalogue (R-SS-1) ----------------------------------------------------------------------


def _require_manager(by_role: Role) -> None:
    if by_role not in PROPOSERS:
        raise fail(
            SpecialServiceRefusal.NOT_MANAGER,
            "服务项目及收费由管理处经理提出",
            "Only the manager proposes items and fees",
            kind="forbidden",
            role=str(by_role),
        )


def _require_valid_fee(fee_cents: int) -> None:
    if fee_cents <= 0:
        raise fail(
            SpecialServiceRefusal.INVALID_FEE,
            "收费标准须为正数",
            "The fee must be positive",
            kind="invalid",
            fee_cents=fee_cents,
        )


def _require_item_terms(
    *, name_en: str, fee_cents: int, promise_minutes: int, advance: Advance, advance_cents: int
) -> None:
    _require_valid_fee(fee_cents)
    if not name_en.strip():
        # English screens, the statement and the phone show it; the Chinese name copied in its place
        # read as Chinese on every English screen (D112).
        raise fail(
            SpecialServiceRefusal.NAME_EN_REQUIRED,
            "须填写英文名称",
            "The English name is required",
            kind="invalid",
            missing=["name_en"],
        )
    if promise_minutes <= 0 or (advance is Advance.NONE) != (advance_cents == 0) or advance_cents < 0:
        raise fail(
            SpecialServiceRefusal.INVALID_ITEM,
            "时限或预付金额不正确",
            "The time promise or the advance amount is wrong",
            kind="invalid",
            promise_minutes=promise_minutes,
            advance=str(advance),
            advance_cents=advance_cents,
        )


def propose_item(
    *,
    code: str,
    name_zh: str,
    name_en: str,
    fee_cents: int,
    unit: ServiceUnit,
    promise_minutes: int,
    advance: Advance = Advance.NONE,
    advance_cents: int = 0,
    by_role: Role,
    by_id: str,
    now: datetime,
) -> ServiceItem:
    _require_manager(by_role)
    _require_item_terms(name_en=name_en, fee_cents=fee_cents, promise_minutes=promise_minutes,
                        advance=advance, advance_cents=advance_cents)
    return ServiceItem(
        code=code,
        name_zh=name_zh,
        name_en=name_en.strip(),
        fee_cents=fee_cents,
        unit=unit,
        promise_minutes=promise_minutes,
        advance=advance,
        advance_cents=advance_cents,
        proposed_by=by_id,
        proposed_at=now,
    )


def revise_item(
    item: ServiceItem,
    *,
    name_zh: str,
    name_en: str,
    fee_cents: int,
    unit: ServiceUnit,
    promise_minutes: int,
    advance: Advance = Advance.NONE,
    advance_cents: int = 0,
    by_role: Role,
    by_id: str,
    now: datetime,
) -> ServiceItem:
    """The manager answers a sent-back item with a revised proposal; it waits for the GM again (D112)."""
    _require_manager(by_role)
    if item.status is not ItemStatus.RETURNED:
        raise fail(
            SpecialServiceRefusal.NOT_SENT_BACK,
            "只有被退回的项目可以修改后重新提出",
            "Only an item sent back can be revised and proposed again",
            status=str(item.status),
        )
    # A fresh proposal under the same code: the reason it answers is in the audit trail.
    return propose_item(code=item.code, name_zh=name_zh, name_en=name_en, fee_cents=fee_cents, unit=unit,
                        promise_minutes=promise_minutes, advance=advance, advance_cents=advance_cents,
                        by_role=by_role, by_id=by_id, now=now)


def propose_price(item: ServiceItem, *, fee_cents: int, by_role: Role) -> ServiceItem:
    """A new price waits beside the current one; bookings keep the old fee until the GM approves."""
    _require_manager(by_role)
    _require_valid_fee(fee_cents)
    if item.status is not ItemStatus.APPROVED:
        raise fail(
            SpecialServiceRefusal.ITEM_NOT_APPROVED,
            "项目尚未批准",
            "The item is not approved",
            status=str(item.status),
        )
    # A new fee answers the GM's refusal of the last one.
    return msgspec.structs.replace(item, pending_fee_cents=fee_cents, sent_back=None)


def approve(item: ServiceItem, *, by_role: Role, by_id: str, now: datetime) -> ServiceItem:
    """The general manager approves a proposed item or a pending price (R-SS-1)."""
    if by_role is not APPROVER:
        raise fail(
            SpecialServiceRefusal.NOT_GENERAL_MANAGER,
            "服务项目及收费须总经理审批",
            "Only the general manager approves items and fees",
            kind="forbidden",
            role=str(by_role),
        )
    if item.status is ItemStatus.PROPOSED:
        fee = item.fee_cents
    elif item.status is ItemStatus.APPROVED and item.pending_fee_cents is not None:
        fee = item.pending_fee_cents
    else:
        raise fail(
            SpecialServiceRefusal.NOTHING_TO_APPROVE,
            "没有待审批的项目或价格",
            "There is no item or price awaiting approval",
            status=str(item.status),
        )
    entry = PriceEntry(fee_cents=fee, approved_by=by_id, approved_at=now)
    return msgspec.structs.replace(
        item,
        status=ItemStatus.APPROVED,
        fee_cents=fee,
        pending_fee_cents=None,
        price_history=(*item.price_history, entry),
        # Residents were told the old fee (or nothing): the approved one is announced anew (R-SS-1).
        # The old one stays what bookings quote until then (D112).
        announced_at=None,
        announced_fee_cents=quoted_fee(item),
        sent_back=None,
    )


def send_back(item: ServiceItem, *, reason: str, by_role: Role, by_id: str, now: datetime) -> ServiceItem:
    """The general manager refuses a proposed item or a new fee, saying why (R-SS-1, D112).

    A new item becomes `returned` for the manager to revise; a refused fee is dropped and the item
    keeps its approved fee. Either way the reason stays on the item until the manager answers it.
    """
    if by_role is not APPROVER:
        raise fail(
            SpecialServiceRefusal.NOT_GENERAL_MANAGER,
            "服务项目及收费须总经理审批",
            "Only the general manager approves items and fees",
            kind="forbidden",
            role=str(by_role),
        )
    if not reason.strip():
        raise fail(
            SpecialServiceRefusal.REASON_REQUIRED,
            "退回须说明原因",
            "Sending back needs a reason",
            kind="invalid",
            missing=["reason"],
        )
    if item.status is ItemStatus.PROPOSED:
        back = SentBack(price=False, fee_cents=item.fee_cents, reason=reason.strip(), by=by_id, at=now)
        return msgspec.structs.replace(item, status=ItemStatus.RETURNED, sent_back=back)
    if item.status is ItemStatus.APPROVED and item.pending_fee_cents is not None:
        back = SentBack(price=True, fee_cents=item.pending_fee_cents, reason=reason.strip(), by=by_id, at=now)
        return msgspec.structs.replace(item, pending_fee_cents=None, sent_back=back)
    raise fail(
        SpecialServiceRefusal.NOTHING_TO_APPROVE,
        "没有待审批的项目或价格",
        "There is no item or price awaiting approval",
        status=str(item.status),
    )


def quoted_fee(item: ServiceItem) -> int | None:
    """The fee residents were told, which a booking quotes (R-SS-1, D112): the current fee once it is
    announced; while a newer approved fee waits for its notice, the last one announced; None for an
    item never announced."""
    if item.announced_at is not None:
        return item.fee_cents
    return item.announced_fee_cents


def announce(item: ServiceItem, *, now: datetime) -> ServiceItem:
    """Residents are told only about approved items and fees."""
    _require_approved(item)
    return msgspec.structs.replace(item, announced_at=now, announced_fee_cents=item.fee_cents)


def require_agreement_fee(item: ServiceItem, fee_cents: int) -> int:
    """The fee per unit a long-term agreement may be signed at (R-SS-1, R-SS-2, D123): at most the fee
    residents were told. The GM approves the fee standard; a higher fee is one nobody approved, and
    no reason typed at the desk approves it. Less is the desk's to agree for a long term (004 4.3.1:
    an agreement is settled by its own terms). The item must be offered, as for a booking."""
    announced = require_offered(item)
    if fee_cents > announced:
        unit_zh, unit_en = UNIT_LABELS_ZH[item.unit], UNIT_LABELS_EN[item.unit]
        raise fail(
            SpecialServiceRefusal.AGREEMENT_FEE_ABOVE_ANNOUNCED,
            f"协议收费不得高于向住户公告的 {announced / 100:.2f} 元/{unit_zh}",
            f"The agreement's fee cannot be above the {announced / 100:.2f} yuan per {unit_en} announced to residents",
            kind="invalid",
            field="fee_cents",
            announced_fee_cents=announced,
            fee_cents=fee_cents,
        )
    return fee_cents


def withdraw(item: ServiceItem, *, by_role: Role) -> ServiceItem:
    if by_role not in PROPOSERS | {APPROVER}:
        raise fail(
            SpecialServiceRefusal.NOT_MANAGER,
            "只有经理或总经理可停止服务项目",
            "Only the manager or the general manager stops an item",
            kind="forbidden",
            role=str(by_role),
        )
    return msgspec.structs.replace(item, status=ItemStatus.WITHDRAWN, pending_fee_cents=None)


def offered(item: ServiceItem) -> bool:
    """Approved and announced to residents: what the desk may book (R-SS-1)."""
    return item.status is ItemStatus.APPROVED and quoted_fee(item) is not None


def require_offered(item: ServiceItem) -> int:
    """The fee a booking of the item quotes now; refused unless the item is approved and announced."""
    _require_approved(item)
    fee = quoted_fee(item)
    if fee is None:
        raise fail(
            SpecialServiceRefusal.ITEM_NOT_ANNOUNCED,
            "项目尚未向住户公告，不能预约",
            "The item has not been announced to residents yet and cannot be booked",
            item_code=item.code,
        )
    return fee


def _require_approved(item: ServiceItem) -> None:
    if item.status is ItemStatus.WITHDRAWN:
        raise fail(
            SpecialServiceRefusal.ITEM_WITHDRAWN,
            "该服务已停止",
            "The service was stopped",
            item_code=item.code,
        )
    if item.status is not ItemStatus.APPROVED:
        raise fail(
            SpecialServiceRefusal.ITEM_NOT_APPROVED,
            "项目未经总经理批准,不能提供",
            "The item is not approved by the general manager",
            item_code=item.code,
        )


# --- bookings (R-SS-2) -----------------------------------------------------------------------


def book(
    item: ServiceItem,
    *,
    id: str,
    resident_name: str,
    unit: str,
    phone: str,
    by_role: Role,
    by_id: str,
    now: datetime,
    quantity: int = 1,
) -> Booking:
    """A one-off booking. The fee is quoted from the catalogue for `quantity` units; consent comes
    separately, for the total (D100). The unit fee is the one residents were told (D112)."""
    fee = require_offered(item)
    _require_booker(by_role)
    _require_contact(resident_name, unit, phone)
    _require_quantity(item, quantity)
    return Booking(
        id=id,
        item_code=item.code,
        mode=BookingMode.ONCE,
        resident_name=resident_name.strip(),
        unit=unit.strip(),
        phone=phone.strip(),
        booked_at=now,
        booked_by=by_id,
        unit_fee_cents=fee,
        promise_minutes=item.promise_minutes,
        advance=item.advance,
        advance_required_cents=item.advance_cents,
        quoted_quantity=quantity,
    )


def book_under_agreement(
    item: ServiceItem, agreement: Agreement, *, id: str, by_role: Role, by_id: str, now: datetime,
    quantity: int = 1,
) -> Booking:
    """A booking under a long-term agreement: its fee and consent are the agreement's."""
    require_offered(item)
    _require_booker(by_role)
    _require_quantity(item, quantity)
    if agreement.item_code != item.code or not (agreement.signed_at <= now < agreement.valid_until):
        raise fail(
            SpecialServiceRefusal.AGREEMENT_NOT_ACTIVE,
            "长期服务协议不适用或已过期",
            "The long-term agreement does not cover this service now",
            agreement_id=agreement.id,
        )
    return Booking(
        id=id,
        item_code=item.code,
        mode=BookingMode.AGREEMENT,
        agreement_id=agreement.id,
        resident_name=agreement.resident_name,
        unit=agreement.unit,
        phone=agreement.phone,
        booked_at=now,
        booked_by=by_id,
        unit_fee_cents=agreement.fee_cents,
        promise_minutes=item.promise_minutes,
        consent_at=agreement.signed_at,
        arrive_by=now + timedelta(minutes=item.promise_minutes),
        advance=item.advance,
        advance_required_cents=item.advance_cents,
        quoted_quantity=quantity,
        # The resident accepted the agreement's fee when signing it; this visit's total follows.
        told_fee_cents=agreement.fee_cents * quantity,
    )


def _require_quantity(item: ServiceItem, quantity: int) -> None:
    """A per-piece or per-hour fee is quoted for a number of units; a per-visit fee for one visit."""
    most = 1 if item.unit is ServiceUnit.PER_VISIT else MAX_QUOTED_QUANTITY
    if not 1 <= quantity <= most:
        raise fail(
            SpecialServiceRefusal.INVALID_QUANTITY,
            f"数量须为 1 至 {most} {UNIT_LABELS_ZH[item.unit]}",
            f"The quantity must be 1 to {most} ({UNIT_LABELS_EN[item.unit]})",
            kind="invalid",
            quantity=quantity,
            max_quantity=most,
        )


def told_fee(booking: Booking) -> int:
    """The total the resident is told before dispatch: the quoted unit fee × the quoted quantity."""
    return booking.unit_fee_cents * booking.quoted_quantity


def _require_booker(by_role: Role) -> None:
    if by_role not in BOOKERS:
        raise fail(
            SpecialServiceRefusal.NOT_A_BOOKER,
            "特约服务由服务中心受理",
            "Special services are booked at the service desk",
            kind="forbidden",
            role=str(by_role),
        )


def _require_contact(resident_name: str, unit: str, phone: str) -> None:
    missing = [
        name
        for name, value in (("resident_name", resident_name), ("unit", unit), ("phone", phone))
        if not value.strip()
    ]
    if missing:
        raise fail(
            SpecialServiceRefusal.MISSING_CONTACT,
            "须登记姓名、单元和电话",
            "Name, unit and phone must be recorded",
            kind="invalid",
            missing=missing,
        )
    # The technician rings this number from the lift lobby: "abc" or a typo'd 3 digits is no contact.
    if not _PHONE.fullmatch(phone.strip()) or sum(ch.isdigit() for ch in phone) < 5:
        raise fail(
            SpecialServiceRefusal.BAD_PHONE,
            "电话号码格式不正确（只能有数字、空格、+、-、括号，至少 5 位数字）",
            "The phone number is not valid (digits, spaces, + - and brackets only, at least 5 digits)",
            kind="invalid",
            phone=phone,
        )


_PHONE = re.compile(r"\+?[0-9 ()\-]{5,30}")


def record_consent(booking: Booking, *, shown_fee_cents: int, now: datetime) -> Booking:
    """The resident agreed to the total they were told: the approved unit fee quoted on the booking
    × the quoted quantity, computed here; a desk showing any other figure is refused (D100)."""
    _require_state(booking, BookingState.BOOKED)
    if booking.consent_at is not None:
        # A second click, or a second tab: the first consent started the promise; a second would
        # move it later than what the resident was told.
        raise fail(
            SpecialServiceRefusal.WRONG_STATE,
            "住户已同意收费",
            "The resident has already agreed to the fee",
            kind="conflict",
            state=str(booking.state),
        )
    total = told_fee(booking)
    if shown_fee_cents != total:
        raise fail(
            SpecialServiceRefusal.FEE_NOT_AS_QUOTED,
            "告知的收费与标准不符",
            "The fee told differs from the approved fee",
            kind="invalid",
            shown_fee_cents=shown_fee_cents,
            fee_cents=total,
            unit_fee_cents=booking.unit_fee_cents,
            quantity=booking.quoted_quantity,
        )
    # The resident is told "within N minutes" in the same breath as accepting the fee (R-FU-7).
    return msgspec.structs.replace(
        booking,
        consent_at=now,
        arrive_by=now + timedelta(minutes=booking.promise_minutes),
        told_fee_cents=total,
    )


def record_advance(
    booking: Booking,
    *,
    amount_cents: int,
    receipt_no: str,
    by_role: Role,
    by_id: str,
    now: datetime,
    by_name: str = "",
) -> Booking:
    """The prepayment or deposit is paid at the cashier, with a receipt, before the service."""
    _require_cashier(by_role, receipt_no)
    if booking.advance is Advance.NONE:
        raise fail(SpecialServiceRefusal.ADVANCE_NOT_REQUIRED, "该服务无需预付", "No advance is required")
    _require_state(booking, BookingState.BOOKED)
    if booking.advance_paid_cents > 0:
        # A retry after a lost answer, or a second cashier's tab: the money was taken once, under
        # one receipt; a second record would overwrite the first receipt on the statement.
        raise fail(
            SpecialServiceRefusal.ADVANCE_ALREADY_PAID,
            f"预付款已收取，收据号 {booking.advance_receipt_no or '—'}",
            f"The advance was already taken (receipt {booking.advance_receipt_no or '—'})",
            kind="conflict",
            receipt_no=booking.advance_receipt_no,
        )
    if amount_cents != booking.advance_required_cents:
        raise fail(
            SpecialServiceRefusal.AMOUNT_NOT_AS_SLIP,
            "预付金额与规定不符",
            "The advance differs from the required amount",
            kind="invalid",
            amount_cents=amount_cents,
            required_cents=booking.advance_required_cents,
        )
    return msgspec.structs.replace(
        booking,
        advance_paid_cents=amount_cents,
        advance_receipt_no=receipt_no.strip(),
        advance_paid_at=now,
        advance_paid_by=by_id,
        advance_paid_by_name=by_name.strip() or None,
    )


def dispatch_refusal(booking: Booking) -> Refusal | None:
    """Why the booking may not be dispatched yet, or None."""
    if booking.state is not BookingState.BOOKED:
        return refuse(
            SpecialServiceRefusal.WRONG_STATE,
            "状态不允许派工",
            "The booking cannot be dispatched now",
            state=str(booking.state),
        )
    if booking.consent_at is None:
        return refuse(
            SpecialServiceRefusal.NO_CONSENT,
            "住户尚未认可收费,不能派工",
            "The resident has not agreed to the fee",
            missing=["consent"],
        )
    if booking.advance_paid_cents < booking.advance_required_cents:
        return refuse(
            SpecialServiceRefusal.ADVANCE_MISSING,
            "须先预交费用或押金",
            "The prepayment or deposit has not been paid",
            missing=["advance"],
            required_cents=booking.advance_required_cents,
        )
    return None


def promised_at(booking: Booking) -> datetime | None:
    """When the resident was promised arrival: when they accepted the fee (R-FU-7).

    Under a long-term agreement the fee was accepted when it was signed, months ago; the promise
    is made when the resident asks for this visit, i.e. at the booking.
    """
    if booking.consent_at is None:
        return None
    return max(booking.consent_at, booking.booked_at)


def promised_arrival(booking: Booking) -> datetime | None:
    """The arrival time the resident was promised (R-FU-7), or None before they accepted the fee."""
    start = promised_at(booking)
    return None if start is None else start + timedelta(minutes=booking.promise_minutes)


class PromiseState(StrEnum):
    """Where the resident's arrival promise stands (R-FU-7)."""

    RUNNING = "running"  # not yet due, nobody on site yet
    MET = "met"  # on site by the promised time
    MISSED = "missed"  # past it: on site late, or still nobody there


class PromiseView(msgspec.Struct, frozen=True, kw_only=True):
    """The promise as the desk's bookings table shows it, before and after dispatch (D100)."""

    due_at: datetime
    state: PromiseState
    arrived_at: datetime | None = None
    agreed: bool = False  # a new time agreed with the resident after a delay notice replaced it


def promise_state(*, due_at: datetime, arrived_at: datetime | None, now: datetime) -> PromiseState:
    """Met when the team was on site by the promised time; missed once it passed without them."""
    if arrived_at is not None:
        return PromiseState.MET if arrived_at <= due_at else PromiseState.MISSED
    return PromiseState.MISSED if now > due_at else PromiseState.RUNNING


def booking_promise(
    booking: Booking,
    *,
    now: datetime,
    case_due_at: datetime | None = None,
    arrived_at: datetime | None = None,
    agreed: bool = False,
) -> PromiseView | None:
    """The resident's promise on a booking: None before they accepted the fee. Once dispatched, the
    case's promise clock decides (`case_due_at`, which a delay notice may have moved) and the first
    arrival on site meets it; before that, the booking's own promised arrival."""
    due = case_due_at or promised_arrival(booking)
    if due is None:
        return None
    return PromiseView(
        due_at=due,
        state=promise_state(due_at=due, arrived_at=arrived_at, now=now),
        arrived_at=arrived_at,
        agreed=agreed,
    )


def dispatch(booking: Booking, *, to: Iterable[str], now: datetime, case_no: str | None = None) -> Booking:
    """Send the job out. The resident's promise keeps running from the fee's acceptance, not from now."""
    if refusal := dispatch_refusal(booking):
        raise DomainError(refusal)
    return msgspec.structs.replace(
        booking,
        state=BookingState.DISPATCHED,
        dispatched_at=now,
        dispatched_to=tuple(to),
        arrive_by=promised_arrival(booking),  # never None: consent was checked just above
        case_no=case_no,
    )


def opening_note(booking: Booking, *, item_name: str, tz: tzinfo, unit_label: str = "") -> str:
    """The note on the case a booking opens: what was booked, for whom, and the promise, in words.

    The desk reads it in the case's timeline next to the others; a booking id there meant nothing to
    anyone. The promised time is the compound's wall clock (D20), as the resident was told it.
    """
    who = " ".join(x for x in (booking.resident_name, booking.unit) if x)
    # The booking number is what the resident and the cashier quote (D39), so the case names it too.
    booked = f"特约服务预约 {booking.booking_no}" if booking.booking_no else "特约服务预约"
    parts = [f"{booked}：{item_name}", f"住户 {who}" if who else ""]
    if booking.quoted_quantity > 1:
        # Several units quoted (D100): the case says how many and the total the resident accepted.
        total = booking.told_fee_cents if booking.told_fee_cents is not None else told_fee(booking)
        parts[0] += f" {booking.quoted_quantity} {unit_label}".rstrip()
        parts.append(f"已告知收费 ¥{total / 100:.2f}")
    arrive = promised_arrival(booking)
    if arrive is not None:
        local = arrive.astimezone(tz)
        parts.append(f"承诺 {local.month}月{local.day}日 {local:%H:%M} 前到达")
    return "，".join(p for p in parts if p)


def promise_minutes_of(service_code: str | None) -> int:
    """The resident's promise for a case's service class (R-FU-7); anything but laundry and games is 25."""
    special: dict[str | None, int] = {
        PaidService.LAUNDRY: PROMISE_LAUNDRY_MINUTES,
        PaidService.GAMES: PROMISE_GAMES_MINUTES,
    }
    return special.get(service_code, PROMISE_HOME_SERVICE_MINUTES)


def team_arrive_by(*, promised_by: datetime, now: datetime, minutes: int = TEAM_ARRIVAL_MINUTES) -> datetime:
    """The on-site deadline of a work order sent now: 20 minutes, never past the resident's promise.

    A promise already missed cannot cap it; the team still gets its 20 minutes, and the desk owes
    the resident the reason and a new time (R-FU-7). `minutes` is the compound's figure for the
    team's own order when its deadline policy sets one, so the order and its clock say the same.
    """
    own = now + timedelta(minutes=minutes)
    return min(own, promised_by) if promised_by > now else own


def delay_notice_due(booking: Booking) -> datetime | None:
    """When the resident must hear why the promise will slip, if it will (R-FU-7)."""
    start = promised_at(booking)
    return None if start is None else start + timedelta(minutes=DELAY_NOTICE_MINUTES)


def slip_fee(booking: Booking, quantity: int) -> int:
    return booking.unit_fee_cents * quantity


def complete(
    booking: Booking,
    *,
    quantity: int,
    signature_sha256: str,
    signer_name: str,
    now: datetime,
    slip_hash: str | None = None,
    signed_fee_cents: int | None = None,
) -> Booking:
    """The resident signs the slip, which carries the fee; no signature, no completion (R-SS-3).

    Never more than was signed for: a quantity whose approved total exceeds the fee on the signed
    slip is refused (the cashier could otherwise collect money the resident never agreed to).
    """
    _require_state(booking, BookingState.DISPATCHED)
    if quantity <= 0:
        raise fail(
            SpecialServiceRefusal.INVALID_QUANTITY,
            "数量须为正数",
            "The quantity must be positive",
            kind="invalid",
            quantity=quantity,
        )
    if signed_fee_cents is not None and slip_fee(booking, quantity) > signed_fee_cents:
        raise fail(
            SpecialServiceRefusal.AMOUNT_ABOVE_SIGNED,
            "按此数量计费超过住户签字的金额",
            "At this quantity the fee exceeds what the resident signed for",
            kind="invalid",
            quantity=quantity,
            amount_cents=slip_fee(booking, quantity),
            signed_fee_cents=signed_fee_cents,
        )
    if not SHA256_HEX.match(signature_sha256 or "") or not signer_name.strip():
        raise fail(
            SpecialServiceRefusal.SIGNATURE_MISSING,
            "须住户在服务单上签字确认",
            "The resident must sign the slip",
            kind="invalid",
            missing=["signature"],
        )
    return msgspec.structs.replace(
        booking,
        state=BookingState.COMPLETED,
        completed_at=now,
        quantity=quantity,
        slip_fee_cents=slip_fee(booking, quantity),
        signature_sha256=signature_sha256,
        signer_name=signer_name.strip(),
        slip_hash=slip_hash,
        signed_fee_cents=signed_fee_cents,
    )


def balance_due(booking: Booking) -> int:
    """What the cashier collects at settlement: the signed slip's fee less the advance paid."""
    # A deposit is set off against the fee like a prepayment; a negative balance is handed back.
    return (booking.slip_fee_cents or 0) - booking.advance_paid_cents


def _require_cashier(by_role: Role, receipt_no: str) -> None:
    if by_role in EXECUTORS:
        raise fail(
            SpecialServiceRefusal.FIELD_STAFF_CANNOT_SETTLE,
            "服务人员不得与住户私下结算",
            "Field staff never settle with residents",
            kind="forbidden",
            role=str(by_role),
        )
    if by_role is not SETTLER:
        raise fail(
            SpecialServiceRefusal.NOT_CASHIER,
            "费用由收银员收取",
            "Only the cashier collects fees",
            kind="forbidden",
            role=str(by_role),
        )
    if not receipt_no.strip():
        raise fail(
            SpecialServiceRefusal.RECEIPT_MISSING,
            "须开具收据",
            "A receipt number is required",
            kind="invalid",
            missing=["receipt_no"],
        )


def settle(
    booking: Booking,
    *,
    amount_cents: int,
    receipt_no: str,
    by_role: Role,
    by_id: str,
    now: datetime,
    by_name: str = "",
) -> Booking:
    """Only the cashier settles, for exactly the signed slip's balance: nothing more can be taken."""
    _require_cashier(by_role, receipt_no)
    _require_state(booking, BookingState.COMPLETED)
    due = balance_due(booking)
    if amount_cents != due:
        raise fail(
            SpecialServiceRefusal.AMOUNT_NOT_AS_SLIP,
            "收款金额与服务单不符",
            "The amount differs from the signed slip",
            kind="invalid",
            amount_cents=amount_cents,
            due_cents=due,
        )
    return msgspec.structs.replace(
        booking,
        state=BookingState.SETTLED,
        settled_at=now,
        settled_by=by_id,
        settled_by_name=by_name.strip() or None,
        receipt_no=receipt_no.strip(),
        settled_cents=amount_cents,
    )


def _require_state(booking: Booking, state: BookingState) -> None:
    if booking.state is not state:
        raise fail(
            SpecialServiceRefusal.WRONG_STATE,
            "当前状态不允许此操作",
            "Not allowed in the booking's current state",
            state=str(booking.state),
            expected=str(state),
        )


# --- loss review (R-SS-4) --------------------------------------------------------------------


def revenue(
    bookings: Iterable[Booking], *, item_code: str | None, start: datetime, end: datetime
) -> tuple[int, int]:
    """(settled count, revenue) of settlements in [start, end); revenue is the slip fees."""
    count = total = 0
    for b in bookings:
        if b.settled_at is None or not (start <= b.settled_at < end):
            continue
        if item_code is not None and b.item_code != item_code:
            continue
        count += 1
        total += b.slip_fee_cents or 0
    return count, total


def review_loss(
    item_code: str, bookings: Iterable[Booking], *, cost_cents: int, start: datetime, end: datetime
) -> LossReview:
    count, earned = revenue(bookings, item_code=item_code, start=start, end=end)
    margin = earned - cost_cents
    return LossReview(
        item_code=item_code,
        period_start=start,
        period_end=end,
        settled_count=count,
        revenue_cents=earned,
        cost_cents=cost_cents,
        margin_cents=margin,
        loss_making=margin < 0,
    )


def decide_on_loss(
    item: ServiceItem,
    review: LossReview,
    *,
    decision: LossDecisionKind,
    by_role: Role,
    by_id: str,
    now: datetime,
    new_fee_cents: int | None = None,
    note: str = "",
) -> tuple[LossDecision, ServiceItem]:
    """The manager decides; a price rise is only a proposal until the GM approves it."""
    _require_manager(by_role)
    if not review.loss_making:
        raise fail(
            SpecialServiceRefusal.NOT_LOSS_MAKING,
            "该服务未亏损",
            "The service is not losing money",
            margin_cents=review.margin_cents,
        )
    updated = item
    if decision is LossDecisionKind.RAISE_PRICE:
        if new_fee_cents is None or new_fee_cents <= item.fee_cents:
            raise fail(
                SpecialServiceRefusal.PRICE_NOT_RAISED,
                "新价格须高于现价",
                "The new fee must be above the current one",
                kind="invalid",
                fee_cents=item.fee_cents,
                new_fee_cents=new_fee_cents,
            )
        updated = propose_price(item, fee_cents=new_fee_cents, by_role=by_role)
    elif decision is LossDecisionKind.STOP:
        updated = withdraw(item, by_role=by_role)
    record = LossDecision(
        review=review,
        decision=decision,
        decided_by=by_id,
        decided_at=now,
        note=note,
        proposed_fee_cents=updated.pending_fee_cents,
    )
    return record, updated


# --- return visit (R-SS-5) -------------------------------------------------------------------


def return_visit_for(booking: Booking, *, task_id: str) -> CallBackTask:
    """Every completed service gets a call-back; its grades go to the staff who did it."""
    if booking.completed_at is None:
        raise fail(
            SpecialServiceRefusal.WRONG_STATE,
            "服务尚未完成",
            "The service is not completed",
            state=str(booking.state),
        )
    return open_call_back(
        id=task_id,
        subject=CallBackSubject.SPECIAL_SERVICE,
        subject_id=booking.id,
        completed_at=booking.completed_at,
        staff_ids=booking.dispatched_to,
    )
