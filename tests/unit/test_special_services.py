"""Paid special services: catalogue approval, booking, consent, signed slip, cashier settlement, loss review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from server.domain import special_services as ss
from server.domain.errors import DomainError
from server.domain.roles import EXECUTORS, Role
from server.domain.surveys import CallBackSubject, Grade, SurveyArea, grades_by_staff, record_call_back
from server.domain.surveys import work_areas as sv_work_areas

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=CST)
SIG = "ab" * 32
R = ss.SpecialServiceRefusal


def code_of(excinfo: pytest.ExceptionInfo[DomainError]) -> str:
    return excinfo.value.refusal.code


def proposed(
    fee: int = 5000, advance: ss.Advance = ss.Advance.NONE, advance_cents: int = 0
) -> ss.ServiceItem:
    return ss.propose_item(
        code="plumbing",
        name_zh="水电维修",
        name_en="Plumbing and electrical repair",
        fee_cents=fee,
        unit=ss.ServiceUnit.PER_HOUR,
        promise_minutes=ss.PROMISE_HOME_SERVICE_MINUTES,
        advance=advance,
        advance_cents=advance_cents,
        by_role=Role.MANAGER,
        by_id="mgr-1",
        now=T0,
    )


def approved(**kw) -> ss.ServiceItem:
    """Approved by the GM and announced to residents: what the desk may book (R-SS-1)."""
    return ss.announce(
        ss.approve(proposed(**kw), by_role=Role.GENERAL_MANAGER, by_id="gm-1", now=T0 + timedelta(days=1)),
        now=T0 + timedelta(days=1),
    )


def booked(item: ss.ServiceItem | None = None, at: datetime = T0 + timedelta(days=2)) -> ss.Booking:
    return ss.book(
        item or approved(),
        id="bk-1",
        resident_name="王女士",
        unit="3-2-501",
        phone="13800000000",
        by_role=Role.FRONT_DESK,
        by_id="desk-1",
        now=at,
    )


def consented(booking: ss.Booking) -> ss.Booking:
    return ss.record_consent(booking, shown_fee_cents=booking.unit_fee_cents, now=booking.booked_at)


def dispatched(booking: ss.Booking | None = None) -> ss.Booking:
    b = booking or consented(booked())
    return ss.dispatch(b, to=["tech-7"], now=b.booked_at + timedelta(minutes=2))


def completed(booking: ss.Booking | None = None, quantity: int = 3) -> ss.Booking:
    b = booking or dispatched()
    return ss.complete(
        b,
        quantity=quantity,
        signature_sha256=SIG,
        signer_name="王女士",
        now=b.dispatched_at + timedelta(hours=3),
    )


# --- catalogue -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.GENERAL_MANAGER])
def test_only_general_manager_can_approve_an_item(role):  # R-SS-1
    with pytest.raises(DomainError) as e:
        ss.approve(proposed(), by_role=role, by_id="x", now=T0)
    assert code_of(e) == R.NOT_GENERAL_MANAGER
    assert e.value.refusal.kind == "forbidden"


def test_general_manager_approval_records_fee_in_price_history():  # R-SS-1
    item = approved()
    assert item.status is ss.ItemStatus.APPROVED
    assert item.price_history == (
        ss.PriceEntry(fee_cents=5000, approved_by="gm-1", approved_at=T0 + timedelta(days=1)),
    )


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.MANAGER])
def test_only_manager_proposes_items_and_prices(role):  # R-SS-1
    with pytest.raises(DomainError) as e:
        ss.propose_item(
            code="x",
            name_zh="x",
            name_en="x",
            fee_cents=100,
            unit=ss.ServiceUnit.PER_VISIT,
            promise_minutes=25,
            by_role=role,
            by_id="u",
            now=T0,
        )
    assert code_of(e) == R.NOT_MANAGER
    with pytest.raises(DomainError) as e:
        ss.propose_price(approved(), fee_cents=9000, by_role=role)
    assert code_of(e) == R.NOT_MANAGER


def test_only_general_manager_can_approve_a_price():  # R-SS-1
    item = ss.propose_price(approved(), fee_cents=6000, by_role=Role.MANAGER)
    for role in (Role.MANAGER, Role.DEPUTY_GM, Role.CASHIER):
        with pytest.raises(DomainError) as e:
            ss.approve(item, by_role=role, by_id="x", now=T0)
        assert code_of(e) == R.NOT_GENERAL_MANAGER
    # Until the GM approves, bookings are quoted the old fee.
    assert item.fee_cents == 5000 and item.pending_fee_cents == 6000
    assert booked(item).unit_fee_cents == 5000
    later = T0 + timedelta(days=10)
    raised = ss.approve(item, by_role=Role.GENERAL_MANAGER, by_id="gm-1", now=later)
    assert raised.fee_cents == 6000 and raised.pending_fee_cents is None
    assert [(p.fee_cents, p.approved_at) for p in raised.price_history] == [
        (5000, T0 + timedelta(days=1)),
        (6000, later),
    ]
    # Residents were told ¥50: bookings quote it until the ¥60 is announced (D112).
    assert booked(raised).unit_fee_cents == 5000
    assert booked(ss.announce(raised, now=later)).unit_fee_cents == 6000


def test_nothing_to_approve_once_approved():  # R-SS-1
    with pytest.raises(DomainError) as e:
        ss.approve(approved(), by_role=Role.GENERAL_MANAGER, by_id="gm-1", now=T0)
    assert code_of(e) == R.NOTHING_TO_APPROVE


@pytest.mark.parametrize(
    ("item", "code"),
    [
        (proposed(), R.ITEM_NOT_APPROVED),
        (ss.withdraw(approved(), by_role=Role.MANAGER), R.ITEM_WITHDRAWN),
    ],
)
def test_only_approved_items_can_be_booked_or_announced(item, code):  # R-SS-1
    with pytest.raises(DomainError) as e:
        booked(item)
    assert code_of(e) == code
    with pytest.raises(DomainError) as e:
        ss.announce(item, now=T0)
    assert code_of(e) == code
    assert ss.announce(approved(), now=T0).announced_at == T0


def test_a_newly_approved_fee_waits_to_be_announced_again():  # R-SS-1
    # Residents were told the old fee; until the new one is announced the item shows it is not.
    told = ss.announce(approved(), now=T0)
    raised = ss.propose_price(told, fee_cents=told.fee_cents + 300, by_role=Role.MANAGER)
    assert raised.announced_at == T0  # the old fee still applies and was announced
    assert ss.approve(raised, by_role=Role.GENERAL_MANAGER, by_id="gm-1", now=T0).announced_at is None


@pytest.mark.parametrize(
    ("fee", "promise", "advance", "advance_cents"),
    [
        (0, 25, ss.Advance.NONE, 0),
        (100, 0, ss.Advance.NONE, 0),
        (100, 25, ss.Advance.DEPOSIT, 0),
        (100, 25, ss.Advance.NONE, 500),
    ],
)
def test_item_needs_positive_fee_promise_and_consistent_advance(
    fee, promise, advance, advance_cents
):  # R-SS-1
    with pytest.raises(DomainError) as e:
        ss.propose_item(
            code="x",
            name_zh="x",
            name_en="x",
            fee_cents=fee,
            unit=ss.ServiceUnit.PER_PIECE,
            promise_minutes=promise,
            advance=advance,
            advance_cents=advance_cents,
            by_role=Role.MANAGER,
            by_id="m",
            now=T0,
        )
    assert e.value.refusal.kind == "invalid"


# --- booking, consent, dispatch --------------------------------------------------------------


def test_booking_records_resident_unit_phone_and_quotes_approved_fee():  # R-SS-2
    b = booked()
    assert (b.resident_name, b.unit, b.phone, b.item_code) == ("王女士", "3-2-501", "13800000000", "plumbing")
    assert b.unit_fee_cents == 5000 and b.mode is ss.BookingMode.ONCE and b.consent_at is None


@pytest.mark.parametrize("missing", ["resident_name", "unit", "phone"])
def test_booking_refused_without_name_unit_or_phone(missing):  # R-SS-2
    args = {"resident_name": "王女士", "unit": "3-2-501", "phone": "13800000000"} | {missing: "  "}
    with pytest.raises(DomainError) as e:
        ss.book(approved(), id="b", by_role=Role.FRONT_DESK, by_id="d", now=T0, **args)
    assert code_of(e) == R.MISSING_CONTACT and e.value.refusal.details["missing"] == [missing]


@pytest.mark.parametrize("phone", ["abc", "138", "1380000000a", "+86 138-0000-0000 转 8"])
def test_booking_refused_with_a_phone_nobody_can_ring(phone):  # R-SS-2
    with pytest.raises(DomainError) as e:
        ss.book(approved(), id="b", by_role=Role.FRONT_DESK, by_id="d", now=T0,
                resident_name="王女士", unit="3-2-501", phone=phone)
    assert code_of(e) == R.BAD_PHONE


@pytest.mark.parametrize("phone", ["13800000000", "+86 138-0000-0000", "(021) 6123 4567", "88001"])
def test_booking_takes_mobile_landline_and_extension_style_numbers(phone):  # R-SS-2
    b = ss.book(approved(), id="b", by_role=Role.FRONT_DESK, by_id="d", now=T0,
                resident_name="王女士", unit="3-2-501", phone=phone)
    assert b.phone == phone


@pytest.mark.parametrize("role", sorted(EXECUTORS | {Role.CASHIER, Role.RESIDENT}))
def test_field_staff_cashier_and_residents_do_not_take_bookings(role):  # R-SS-2
    with pytest.raises(DomainError) as e:
        ss.book(approved(), id="b", resident_name="a", unit="u", phone="p", by_role=role, by_id="x", now=T0)
    assert code_of(e) == R.NOT_A_BOOKER


def test_dispatch_refused_without_consent():  # R-SS-2
    b = booked()
    assert ss.dispatch_refusal(b).code == R.NO_CONSENT
    with pytest.raises(DomainError) as e:
        ss.dispatch(b, to=["tech-7"], now=T0)
    assert code_of(e) == R.NO_CONSENT and e.value.refusal.details["missing"] == ["consent"]
    assert ss.dispatch(consented(b), to=["tech-7"], now=T0).state is ss.BookingState.DISPATCHED


def test_consent_must_be_to_the_fee_actually_quoted():  # R-SS-2
    with pytest.raises(DomainError) as e:
        ss.record_consent(booked(), shown_fee_cents=4000, now=T0)
    assert code_of(e) == R.FEE_NOT_AS_QUOTED


def test_dispatch_refused_until_required_prepayment_paid_at_cashier():  # R-SS-2
    item = approved(advance=ss.Advance.PREPAYMENT, advance_cents=5000)
    b = consented(booked(item))
    assert ss.dispatch_refusal(b).code == R.ADVANCE_MISSING
    with pytest.raises(DomainError) as e:
        ss.record_advance(b, amount_cents=5000, receipt_no="R-001", by_role=Role.TECHNICIAN, by_id="t", now=T0)
    assert code_of(e) == R.FIELD_STAFF_CANNOT_SETTLE
    with pytest.raises(DomainError) as e:
        ss.record_advance(b, amount_cents=3000, receipt_no="R-001", by_role=Role.CASHIER, by_id="c", now=T0)
    assert code_of(e) == R.AMOUNT_NOT_AS_SLIP
    paid = ss.record_advance(b, amount_cents=5000, receipt_no="R-001", by_role=Role.CASHIER, by_id="c", now=T0)
    assert ss.dispatch_refusal(paid) is None


def test_an_advance_is_taken_once_and_a_second_receipt_never_overwrites_the_first():  # R-SS-2 R-SS-3
    item = approved(advance=ss.Advance.PREPAYMENT, advance_cents=5000)
    paid = ss.record_advance(consented(booked(item)), amount_cents=5000, receipt_no="YF-1",
                             by_role=Role.CASHIER, by_id="c1", now=T0)
    with pytest.raises(DomainError) as e:
        ss.record_advance(paid, amount_cents=5000, receipt_no="YF-2", by_role=Role.CASHIER, by_id="c2",
                          now=T0 + timedelta(minutes=1))
    assert code_of(e) == R.ADVANCE_ALREADY_PAID
    assert e.value.refusal.details["receipt_no"] == "YF-1"


def test_advance_refused_where_item_needs_none():  # R-SS-2
    with pytest.raises(DomainError) as e:
        ss.record_advance(booked(), amount_cents=100, receipt_no="R", by_role=Role.CASHIER, by_id="c", now=T0)
    assert code_of(e) == R.ADVANCE_NOT_REQUIRED


def yearly_agreement() -> ss.Agreement:
    """A long-term plumbing agreement signed at T0 for a year."""
    return ss.Agreement(
        id="ag-1",
        item_code="plumbing",
        resident_name="李先生",
        unit="5-1-201",
        phone="139",
        fee_cents=4500,
        signed_at=T0,
        valid_until=T0 + timedelta(days=365),
    )


def test_agreement_booking_carries_the_agreements_consent_and_fee():  # R-SS-2
    agreement = yearly_agreement()
    b = ss.book_under_agreement(
        approved(), agreement, id="b2", by_role=Role.FRONT_DESK, by_id="d", now=T0 + timedelta(days=30)
    )
    assert b.mode is ss.BookingMode.AGREEMENT and b.consent_at == T0 and b.unit_fee_cents == 4500
    assert ss.dispatch_refusal(b) is None
    with pytest.raises(DomainError) as e:
        ss.book_under_agreement(
            approved(), agreement, id="b3", by_role=Role.FRONT_DESK, by_id="d", now=T0 + timedelta(days=365)
        )
    assert code_of(e) == R.AGREEMENT_NOT_ACTIVE


def test_dispatch_keeps_the_25_minute_promise_and_20_minute_notice_made_at_consent():  # R-FU-7
    b = dispatched()
    accepted = b.consent_at  # the fixture consents at booking and dispatches 2 minutes later
    assert b.arrive_by == accepted + timedelta(minutes=25)
    assert ss.delay_notice_due(b) == accepted + timedelta(minutes=20)
    assert b.dispatched_to == ("tech-7",)


def test_promise_to_resident_runs_from_fee_acceptance_not_from_dispatch():  # R-FU-7
    b = booked(at=T0)
    assert b.arrive_by is None and ss.delay_notice_due(b) is None
    b = ss.record_consent(b, shown_fee_cents=5000, now=T0 + timedelta(minutes=3))
    # told "within 25 minutes" when accepting the fee at 09:03: due 09:28, reason for a delay by 09:23
    assert b.arrive_by == datetime(2026, 11, 2, 9, 28, tzinfo=CST)
    assert ss.delay_notice_due(b) == datetime(2026, 11, 2, 9, 23, tzinfo=CST)
    sent = ss.dispatch(b, to=["tech-7"], now=T0 + timedelta(minutes=10))
    assert sent.dispatched_at == datetime(2026, 11, 2, 9, 10, tzinfo=CST)
    assert sent.arrive_by == datetime(2026, 11, 2, 9, 28, tzinfo=CST)  # not 09:35
    assert ss.delay_notice_due(sent) == datetime(2026, 11, 2, 9, 23, tzinfo=CST)  # not 09:30


def test_team_order_is_due_20_minutes_after_dispatch_never_past_the_promise():  # R-FU-7
    promised_by = datetime(2026, 11, 2, 9, 28, tzinfo=CST)  # fee accepted 09:03
    # dispatched 09:05: the team's own 20 minutes (09:25) come first
    at = datetime(2026, 11, 2, 9, 5, tzinfo=CST)
    assert ss.team_arrive_by(promised_by=promised_by, now=at) == datetime(2026, 11, 2, 9, 25, tzinfo=CST)
    # dispatched 09:10: 09:30 would break the promise, so the order is due 09:28
    at = datetime(2026, 11, 2, 9, 10, tzinfo=CST)
    assert ss.team_arrive_by(promised_by=promised_by, now=at) == promised_by
    # dispatched 09:40, promise already missed: the team still gets 20 minutes (10:00)
    at = datetime(2026, 11, 2, 9, 40, tzinfo=CST)
    assert ss.team_arrive_by(promised_by=promised_by, now=at) == datetime(2026, 11, 2, 10, 0, tzinfo=CST)


@pytest.mark.parametrize("minutes", [ss.PROMISE_LAUNDRY_MINUTES, ss.PROMISE_GAMES_MINUTES])
def test_laundry_and_games_promises_run_from_fee_acceptance(minutes):  # R-FU-7
    item = msgspec.structs.replace(approved(), promise_minutes=minutes)
    b = ss.record_consent(booked(item, at=T0), shown_fee_cents=5000, now=T0 + timedelta(minutes=1))
    sent = ss.dispatch(b, to=["cleaner-1"], now=T0 + timedelta(minutes=2))
    # laundry: 09:01 + 15 = 09:16; games: 09:01 + 10 = 09:11; the order is capped at that too
    assert sent.arrive_by == T0 + timedelta(minutes=1 + minutes)
    assert ss.team_arrive_by(promised_by=sent.arrive_by, now=sent.dispatched_at) == sent.arrive_by
    assert (ss.PROMISE_LAUNDRY_MINUTES, ss.PROMISE_GAMES_MINUTES) == (15, 10)


def test_agreement_booking_promise_runs_from_the_booking_not_the_signing():  # R-FU-7
    agreement = yearly_agreement()
    asked = datetime(2026, 12, 2, 14, 0, tzinfo=CST)
    b = ss.book_under_agreement(approved(), agreement, id="b2", by_role=Role.FRONT_DESK, by_id="d", now=asked)
    assert b.consent_at == T0 and ss.promised_at(b) == asked
    assert b.arrive_by == datetime(2026, 12, 2, 14, 25, tzinfo=CST)
    assert ss.delay_notice_due(b) == datetime(2026, 12, 2, 14, 20, tzinfo=CST)


# --- completion and settlement ---------------------------------------------------------------


def test_completion_requires_resident_signature_and_puts_fee_on_slip():  # R-SS-3
    b = dispatched()
    for sig, name in (("", "王女士"), ("not-a-hash", "王女士"), (SIG, " ")):
        with pytest.raises(DomainError) as e:
            ss.complete(b, quantity=1, signature_sha256=sig, signer_name=name, now=T0)
        assert code_of(e) == R.SIGNATURE_MISSING
    done = completed(b, quantity=3)
    # 3 hours × 50.00 = 150.00 yuan: 3 × 5000 = 15000 fen on the slip the resident signed
    assert done.slip_fee_cents == 15000 and done.signature_sha256 == SIG
    assert done.state is ss.BookingState.COMPLETED


def test_a_quantity_billing_more_than_the_signed_fee_is_refused_and_both_figures_are_kept():  # R-SS-3
    # The resident signed a slip for 125.00 on a 50.00-per-hour item: 3 hours would bill 150.00.
    with pytest.raises(DomainError) as e:
        ss.complete(dispatched(), quantity=3, signature_sha256=SIG, signer_name="王女士", now=T0,
                    signed_fee_cents=12500)
    assert code_of(e) == R.AMOUNT_ABOVE_SIGNED
    assert (e.value.refusal.details["amount_cents"], e.value.refusal.details["signed_fee_cents"]) == (15000, 12500)
    done = ss.complete(dispatched(), quantity=2, signature_sha256=SIG, signer_name="王女士", now=T0,
                       signed_fee_cents=12500)
    assert (done.slip_fee_cents, done.signed_fee_cents) == (10000, 12500)
    assert ss.balance_due(done) == 10000  # never more than signed for


def test_cannot_complete_before_dispatch():  # R-SS-3
    with pytest.raises(DomainError) as e:
        ss.complete(consented(booked()), quantity=1, signature_sha256=SIG, signer_name="王", now=T0)
    assert code_of(e) == R.WRONG_STATE


@pytest.mark.parametrize("role", sorted(EXECUTORS))
def test_field_staff_can_never_settle(role):  # R-SS-3
    with pytest.raises(DomainError) as e:
        ss.settle(completed(), amount_cents=15000, receipt_no="R-9", by_role=role, by_id="x", now=T0)
    assert code_of(e) == R.FIELD_STAFF_CANNOT_SETTLE and e.value.refusal.kind == "forbidden"


@pytest.mark.parametrize("role", sorted(set(Role) - EXECUTORS - {Role.CASHIER}))
def test_only_cashier_settles(role):  # R-SS-3
    with pytest.raises(DomainError) as e:
        ss.settle(completed(), amount_cents=15000, receipt_no="R-9", by_role=role, by_id="x", now=T0)
    assert code_of(e) == R.NOT_CASHIER


def test_settlement_needs_receipt_and_exactly_the_slip_balance():  # R-SS-3
    done = completed()
    with pytest.raises(DomainError) as e:
        ss.settle(done, amount_cents=15000, receipt_no=" ", by_role=Role.CASHIER, by_id="c", now=T0)
    assert code_of(e) == R.RECEIPT_MISSING
    # 15000 + 1000 "tip": refused, the cashier can take only what the signed slip says
    with pytest.raises(DomainError) as e:
        ss.settle(done, amount_cents=16000, receipt_no="R-9", by_role=Role.CASHIER, by_id="c", now=T0)
    assert code_of(e) == R.AMOUNT_NOT_AS_SLIP
    settled = ss.settle(done, amount_cents=15000, receipt_no="R-9", by_role=Role.CASHIER, by_id="c", now=T0)
    assert (settled.state, settled.receipt_no, settled.settled_cents) == (
        ss.BookingState.SETTLED,
        "R-9",
        15000,
    )
    with pytest.raises(DomainError) as e:
        ss.settle(settled, amount_cents=15000, receipt_no="R-9", by_role=Role.CASHIER, by_id="c", now=T0)
    assert code_of(e) == R.WRONG_STATE


def test_settlement_sets_prepayment_off_against_the_slip():  # R-SS-3
    item = approved(advance=ss.Advance.DEPOSIT, advance_cents=20000)
    b = ss.record_advance(consented(booked(item)), amount_cents=20000, receipt_no="R-1", by_role=Role.CASHIER,
                          by_id="c", now=T0)
    done = completed(dispatched(b), quantity=3)
    # slip 3 × 5000 = 15000; deposit 20000 paid → balance 15000 − 20000 = −5000 (handed back)
    assert ss.balance_due(done) == -5000
    settled = ss.settle(done, amount_cents=-5000, receipt_no="R-2", by_role=Role.CASHIER, by_id="c", now=T0)
    assert settled.settled_cents == -5000


def test_booking_has_no_place_for_tips_or_private_payment():  # R-SS-3
    money_fields = {f for f in ss.Booking.__struct_fields__ if f.endswith("_cents")}
    # The only money a booking can record: the quote, the advance (cashier) and the settlement (cashier).
    assert money_fields == {
        "unit_fee_cents",
        "told_fee_cents",  # the quote × the quoted quantity the resident accepted: told, never collected
        "advance_required_cents",
        "advance_paid_cents",
        "slip_fee_cents",
        "signed_fee_cents",  # what the signed slip says: a record for the statement, never collected
        "settled_cents",
    }
    assert not any("tip" in f or "private" in f for f in ss.Booking.__struct_fields__)


def test_booking_encodes_to_json_for_storage():
    b = completed()
    assert msgspec.json.decode(msgspec.json.encode(b), type=ss.Booking) == b


# --- loss review -----------------------------------------------------------------------------


def settled_at(day: int, quantity: int, item_code: str = "plumbing") -> ss.Booking:
    b = completed(quantity=quantity)
    b = msgspec.structs.replace(b, item_code=item_code)
    return ss.settle(
        b,
        amount_cents=ss.balance_due(b),
        receipt_no=f"R-{day}",
        by_role=Role.CASHIER,
        by_id="c",
        now=datetime(2026, 11, day, 15, 0, tzinfo=CST),
    )


START, END = datetime(2026, 11, 1, tzinfo=CST), datetime(2026, 12, 1, tzinfo=CST)


def test_loss_review_sums_settled_revenue_in_the_period():  # R-SS-4
    bookings = [
        settled_at(3, 1),  # 5000
        settled_at(10, 2),  # 10000
        settled_at(12, 4, item_code="cleaning"),  # another service: not counted
        completed(),  # completed, never settled: not revenue
    ]
    outside = ss.settle(
        completed(),
        amount_cents=15000,
        receipt_no="R-old",
        by_role=Role.CASHIER,
        by_id="c",
        now=datetime(2026, 10, 31, 23, 59, tzinfo=CST),
    )
    review = ss.review_loss("plumbing", [*bookings, outside], cost_cents=20000, start=START, end=END)
    # revenue 5000 + 10000 = 15000; cost 20000 → margin −5000, loss-making
    assert (review.settled_count, review.revenue_cents, review.margin_cents, review.loss_making) == (
        2,
        15000,
        -5000,
        True,
    )


def test_loss_raise_price_is_only_a_proposal_until_general_manager_approves():  # R-SS-4
    review = ss.review_loss("plumbing", [settled_at(3, 1)], cost_cents=9000, start=START, end=END)
    record, item = ss.decide_on_loss(
        approved(),
        review,
        decision=ss.LossDecisionKind.RAISE_PRICE,
        new_fee_cents=7000,
        by_role=Role.MANAGER,
        by_id="mgr-1",
        now=END,
    )
    assert record.proposed_fee_cents == 7000 and item.fee_cents == 5000 and item.pending_fee_cents == 7000
    with pytest.raises(DomainError) as e:
        ss.approve(item, by_role=Role.MANAGER, by_id="mgr-1", now=END)
    assert code_of(e) == R.NOT_GENERAL_MANAGER
    assert ss.approve(item, by_role=Role.GENERAL_MANAGER, by_id="gm", now=END).fee_cents == 7000
    with pytest.raises(DomainError) as e:
        ss.decide_on_loss(
            approved(),
            review,
            decision=ss.LossDecisionKind.RAISE_PRICE,
            new_fee_cents=5000,
            by_role=Role.MANAGER,
            by_id="mgr-1",
            now=END,
        )
    assert code_of(e) == R.PRICE_NOT_RAISED


def test_loss_stop_withdraws_the_item_and_promote_keeps_it():  # R-SS-4
    review = ss.review_loss("plumbing", [], cost_cents=1, start=START, end=END)
    _, stopped = ss.decide_on_loss(
        approved(), review, decision=ss.LossDecisionKind.STOP, by_role=Role.MANAGER, by_id="m", now=END
    )
    assert stopped.status is ss.ItemStatus.WITHDRAWN
    record, kept = ss.decide_on_loss(
        approved(),
        review,
        decision=ss.LossDecisionKind.PROMOTE,
        by_role=Role.MANAGER,
        by_id="m",
        now=END,
        note="leaflets",
    )
    assert kept == approved() and record.decision is ss.LossDecisionKind.PROMOTE


def test_loss_decision_is_the_managers_and_only_for_a_losing_service():  # R-SS-4
    losing = ss.review_loss("plumbing", [], cost_cents=1, start=START, end=END)
    with pytest.raises(DomainError) as e:
        ss.decide_on_loss(
            approved(), losing, decision=ss.LossDecisionKind.STOP, by_role=Role.DISPATCHER, by_id="d", now=END
        )
    assert code_of(e) == R.NOT_MANAGER
    # revenue 5000, cost 5000 → margin 0: not a loss
    even = ss.review_loss("plumbing", [settled_at(3, 1)], cost_cents=5000, start=START, end=END)
    with pytest.raises(DomainError) as e:
        ss.decide_on_loss(
            approved(), even, decision=ss.LossDecisionKind.STOP, by_role=Role.MANAGER, by_id="m", now=END
        )
    assert code_of(e) == R.NOT_LOSS_MAKING


# --- return visit ----------------------------------------------------------------------------


def test_completed_service_gets_a_return_visit_that_feeds_staff_reviews():  # R-SS-5
    with pytest.raises(DomainError):
        ss.return_visit_for(dispatched(), task_id="cb-1")
    done = completed()
    task = ss.return_visit_for(done, task_id="cb-1")
    assert task.subject is CallBackSubject.SPECIAL_SERVICE and task.subject_id == done.id
    assert task.staff_ids == ("tech-7",)
    # slip back within 24 h, call-back within 72 h after: at the latest 96 h after completion
    assert task.due_at == done.completed_at + timedelta(hours=96)
    graded = record_call_back(
        task,
        by_role=Role.FRONT_DESK,
        by_id="desk-1",
        grades={SurveyArea.STAFF_ATTITUDE: Grade.A, SurveyArea.STAFF_EFFICIENCY: Grade.C},
        comment="late",
        now=done.completed_at + timedelta(hours=30),
        work_areas=sv_work_areas("special_service", "home_repair"),
    )
    tally = grades_by_staff([graded])["tech-7"]
    assert (tally.a, tally.b, tally.c) == (1, 0, 1)


# --- what the desk reads and prints ------------------------------------------------------------


def test_the_case_a_booking_opens_says_what_was_booked_for_whom_and_by_when():  # R-SS-2 R-FU-7
    b = consented(booked())  # consent 2026-11-04 09:00 +08:00, 25-minute promise
    note = ss.opening_note(b, item_name="水电维修", tz=CST)
    assert note == "特约服务预约：水电维修，住户 王女士 3-2-501，承诺 11月4日 09:25 前到达"
    assert b.id not in note
    # The promise reads on the compound's own clock (D20), not UTC's.
    assert "承诺 11月4日 01:25 前到达" in ss.opening_note(b, item_name="水电维修", tz=UTC)
    # Numbered bookings (D39): the case names the number the resident and the cashier quote.
    numbered = msgspec.structs.replace(b, booking_no="TY20261104-003")
    assert ss.opening_note(numbered, item_name="水电维修", tz=CST).startswith("特约服务预约 TY20261104-003：水电维修，")


def test_the_money_events_keep_who_took_the_money_and_when():  # R-SS-3
    item = approved(advance=ss.Advance.PREPAYMENT, advance_cents=2000)
    paid_at = T0 + timedelta(days=2, minutes=5)
    b = ss.record_advance(consented(booked(item)), amount_cents=2000, receipt_no=" SJ-1 ", by_role=Role.CASHIER,
                          by_id="cash-1", by_name="刘收银", now=paid_at)
    assert (b.advance_paid_at, b.advance_paid_by, b.advance_paid_by_name, b.advance_receipt_no) == (
        paid_at, "cash-1", "刘收银", "SJ-1")
    b = ss.dispatch(b, to=["tech-7"], now=paid_at, case_no="GD20261104-0001")
    assert b.case_no == "GD20261104-0001"
    done = ss.complete(b, quantity=2, signature_sha256=SIG, signer_name="王女士", now=paid_at, slip_hash="cd" * 32)
    assert done.slip_hash == "cd" * 32
    settled = ss.settle(done, amount_cents=ss.balance_due(done), receipt_no="SJ-2", by_role=Role.CASHIER,
                        by_id="cash-1", by_name="刘收银", now=paid_at)
    assert (settled.settled_by, settled.settled_by_name, settled.settled_cents) == ("cash-1", "刘收银", 8000)


# --- quantity, total told, promise state (D100) --------------------------------------------------


def test_consent_is_to_the_unit_fee_times_the_quoted_quantity():  # R-SS-2
    b = ss.book(approved(), id="bk-3", resident_name="黄业主", unit="1-101", phone="13800000001",
                by_role=Role.FRONT_DESK, by_id="desk-1", now=T0, quantity=3)
    assert (b.quoted_quantity, ss.told_fee(b), b.told_fee_cents) == (3, 15000, None)
    # The unit fee alone is not what the resident was told for three hours: refused.
    with pytest.raises(DomainError) as e:
        ss.record_consent(b, shown_fee_cents=5000, now=T0)
    assert code_of(e) == R.FEE_NOT_AS_QUOTED
    assert e.value.refusal.details["fee_cents"] == 15000
    agreed = ss.record_consent(b, shown_fee_cents=15000, now=T0)
    assert agreed.told_fee_cents == 15000
    # A second click would restart the promise later than the resident was told.
    with pytest.raises(DomainError) as e:
        ss.record_consent(agreed, shown_fee_cents=15000, now=T0 + timedelta(minutes=5))
    assert code_of(e) == R.WRONG_STATE


def test_a_per_visit_item_is_quoted_for_one_visit_and_a_quantity_is_bounded():  # R-SS-2
    visit = ss.announce(ss.approve(ss.propose_item(
        code="unlock", name_zh="开锁", name_en="Unlock", fee_cents=5000, unit=ss.ServiceUnit.PER_VISIT,
        promise_minutes=25, by_role=Role.MANAGER, by_id="m", now=T0), by_role=Role.GENERAL_MANAGER, by_id="g",
        now=T0), now=T0)
    args = dict(id="bk-4", resident_name="黄业主", unit="1-101", phone="13800000001", by_role=Role.FRONT_DESK,
                by_id="d", now=T0)
    for item, quantity in ((visit, 2), (approved(), 0), (approved(), ss.MAX_QUOTED_QUANTITY + 1)):
        with pytest.raises(DomainError) as e:
            ss.book(item, quantity=quantity, **args)
        assert code_of(e) == R.INVALID_QUANTITY
    assert ss.book(visit, **args).quoted_quantity == 1


def test_the_case_a_several_unit_booking_opens_names_the_quantity_and_the_total():  # R-SS-2
    b = ss.book(approved(), id="bk-5", resident_name="王女士", unit="3-2-501", phone="13800000000",
                by_role=Role.FRONT_DESK, by_id="d", now=T0, quantity=2)
    b = ss.record_consent(b, shown_fee_cents=10000, now=T0)
    assert ss.opening_note(b, item_name="水电维修", tz=CST, unit_label="小时") == (
        "特约服务预约：水电维修 2 小时，住户 王女士 3-2-501，已告知收费 ¥100.00，承诺 11月2日 09:25 前到达")


def test_the_promise_is_running_met_or_missed():  # R-FU-7
    due = T0 + timedelta(minutes=25)
    assert ss.promise_state(due_at=due, arrived_at=None, now=T0) is ss.PromiseState.RUNNING
    assert ss.promise_state(due_at=due, arrived_at=None, now=due + timedelta(seconds=1)) is ss.PromiseState.MISSED
    assert ss.promise_state(due_at=due, arrived_at=due, now=due + timedelta(hours=1)) is ss.PromiseState.MET
    late = due + timedelta(minutes=3)
    assert ss.promise_state(due_at=due, arrived_at=late, now=late) is ss.PromiseState.MISSED
    b = booked(at=T0)
    assert ss.booking_promise(b, now=T0) is None  # no promise before the fee is accepted
    b = ss.record_consent(b, shown_fee_cents=5000, now=T0)
    p = ss.booking_promise(b, now=T0 + timedelta(minutes=1))
    assert (p.due_at, p.state) == (due, ss.PromiseState.RUNNING)
    # Once dispatched the case's clock decides: a new time agreed after a delay notice, and the arrival.
    moved = ss.booking_promise(b, now=due + timedelta(minutes=10), case_due_at=due + timedelta(hours=1),
                               arrived_at=due + timedelta(minutes=5), agreed=True)
    assert (moved.state, moved.agreed) == (ss.PromiseState.MET, True)


# --- between the GM's word and the residents' notice; sending back (R-SS-1, D112) ----------------


def gm_approved(**kw) -> ss.ServiceItem:
    return ss.approve(proposed(**kw), by_role=Role.GENERAL_MANAGER, by_id="gm-1", now=T0)


def test_an_approved_item_is_not_booked_before_it_is_announced():  # R-SS-1
    item = gm_approved()
    assert not ss.offered(item) and ss.quoted_fee(item) is None
    with pytest.raises(DomainError) as e:
        booked(item)
    assert code_of(e) == R.ITEM_NOT_ANNOUNCED
    agreement = ss.Agreement(id="ag", item_code=item.code, resident_name="王女士", unit="3-2-501",
                             phone="13800000000", fee_cents=4000, signed_at=T0, valid_until=T0 + timedelta(days=90))
    with pytest.raises(DomainError) as e:
        ss.book_under_agreement(item, agreement, id="b", by_role=Role.FRONT_DESK, by_id="d", now=T0)
    assert code_of(e) == R.ITEM_NOT_ANNOUNCED
    told = ss.announce(item, now=T0)
    assert ss.offered(told) and booked(told).unit_fee_cents == 5000


def test_a_new_fee_is_quoted_only_once_announced_the_last_announced_one_until_then():  # R-SS-1 R-SS-2
    told = approved(fee=5000)
    raised = ss.approve(ss.propose_price(told, fee_cents=6000, by_role=Role.MANAGER), by_role=Role.GENERAL_MANAGER,
                        by_id="gm-1", now=T0 + timedelta(days=3))
    assert raised.fee_cents == 6000 and raised.announced_at is None
    assert ss.offered(raised) and ss.quoted_fee(raised) == 5000
    assert booked(raised).unit_fee_cents == 5000
    # A second rise approved before the first was announced still quotes what residents were told.
    again = ss.approve(ss.propose_price(raised, fee_cents=7000, by_role=Role.MANAGER), by_role=Role.GENERAL_MANAGER,
                       by_id="gm-1", now=T0 + timedelta(days=4))
    assert ss.quoted_fee(again) == 5000
    assert booked(ss.announce(again, now=T0 + timedelta(days=5))).unit_fee_cents == 7000


def test_an_item_announced_before_the_announced_fee_was_kept_quotes_its_fee():  # R-SS-1
    # Stored before D112: announced_at set, no announced_fee_cents.
    old = msgspec.structs.replace(approved(fee=8000), announced_fee_cents=None)
    assert ss.quoted_fee(old) == 8000 and booked(old).unit_fee_cents == 8000


def test_an_item_needs_its_english_name():  # R-SS-1
    with pytest.raises(DomainError) as e:
        ss.propose_item(code="ac", name_zh="空调加氟", name_en=" ", fee_cents=15000, unit=ss.ServiceUnit.PER_VISIT,
                        promise_minutes=25, by_role=Role.MANAGER, by_id="m", now=T0)
    assert code_of(e) == R.NAME_EN_REQUIRED and e.value.refusal.kind == "invalid"


def test_only_the_gm_sends_back_and_only_with_a_reason():  # R-SS-1
    item = proposed()
    for role in (Role.MANAGER, Role.DEPUTY_GM):
        with pytest.raises(DomainError) as e:
            ss.send_back(item, reason="太贵", by_role=role, by_id="x", now=T0)
        assert code_of(e) == R.NOT_GENERAL_MANAGER
    with pytest.raises(DomainError) as e:
        ss.send_back(item, reason="  ", by_role=Role.GENERAL_MANAGER, by_id="gm", now=T0)
    assert code_of(e) == R.REASON_REQUIRED
    with pytest.raises(DomainError) as e:
        ss.send_back(approved(), reason="太贵", by_role=Role.GENERAL_MANAGER, by_id="gm", now=T0)
    assert code_of(e) == R.NOTHING_TO_APPROVE


def test_a_sent_back_item_is_revised_by_the_manager_and_waits_for_the_gm_again():  # R-SS-1
    back = ss.send_back(proposed(fee=15000), reason="收费偏高", by_role=Role.GENERAL_MANAGER, by_id="gm", now=T0)
    assert back.status is ss.ItemStatus.RETURNED and back.sent_back is not None
    assert (back.sent_back.reason, back.sent_back.price, back.sent_back.fee_cents) == ("收费偏高", False, 15000)
    for step in (lambda: booked(back), lambda: ss.approve(back, by_role=Role.GENERAL_MANAGER, by_id="gm", now=T0)):
        with pytest.raises(DomainError):
            step()
    terms = dict(name_zh="水电维修", name_en="Plumbing", fee_cents=12000, unit=ss.ServiceUnit.PER_VISIT,
                 promise_minutes=25, advance=ss.Advance.DEPOSIT, advance_cents=5000)
    with pytest.raises(DomainError) as e:
        ss.revise_item(back, **terms, by_role=Role.DISPATCHER, by_id="d", now=T0)
    assert code_of(e) == R.NOT_MANAGER
    again = ss.revise_item(back, **terms, by_role=Role.MANAGER, by_id="mgr-1", now=T0 + timedelta(hours=1))
    assert again.status is ss.ItemStatus.PROPOSED and again.sent_back is None and again.code == back.code
    assert (again.fee_cents, again.advance, again.advance_cents) == (12000, ss.Advance.DEPOSIT, 5000)
    with pytest.raises(DomainError) as e:
        ss.revise_item(again, **terms, by_role=Role.MANAGER, by_id="mgr-1", now=T0)
    assert code_of(e) == R.NOT_SENT_BACK


def test_a_sent_back_fee_leaves_the_approved_fee_until_a_new_one_is_proposed():  # R-SS-1
    pending = ss.propose_price(approved(fee=5000), fee_cents=6000, by_role=Role.MANAGER)
    back = ss.send_back(pending, reason="本季不调价", by_role=Role.GENERAL_MANAGER, by_id="gm", now=T0)
    assert back.status is ss.ItemStatus.APPROVED and back.pending_fee_cents is None and back.fee_cents == 5000
    assert back.sent_back is not None and back.sent_back.price and back.sent_back.fee_cents == 6000
    assert ss.offered(back) and booked(back).unit_fee_cents == 5000
    assert ss.propose_price(back, fee_cents=5500, by_role=Role.MANAGER).sent_back is None


def test_an_agreement_fee_may_be_the_announced_fee_or_below_it():  # R-SS-1 R-SS-2
    # The desk may agree less for a long term (D123); the fee checked is the one residents were told.
    item = approved(fee=5000)
    assert ss.require_agreement_fee(item, 5000) == 5000
    assert ss.require_agreement_fee(item, 4500) == 4500


def test_an_agreement_fee_above_the_announced_fee_is_refused():  # R-SS-1 R-SS-2
    # A fee above the announced one is a fee the GM never approved (D123).
    with pytest.raises(DomainError) as e:
        ss.require_agreement_fee(approved(fee=5000), 5001)
    assert code_of(e) == R.AGREEMENT_FEE_ABOVE_ANNOUNCED
    assert e.value.refusal.details["announced_fee_cents"] == 5000
    assert e.value.refusal.kind == "invalid"


def test_an_agreement_fee_is_checked_against_the_announced_fee_not_an_unannounced_raise():  # R-SS-1
    # ¥50 announced, ¥60 approved but not yet announced: ¥60 is above what residents were told.
    item = ss.approve(ss.propose_price(approved(fee=5000), fee_cents=6000, by_role=Role.MANAGER),
                      by_role=Role.GENERAL_MANAGER, by_id="gm-1", now=T0 + timedelta(days=3))
    assert item.fee_cents == 6000 and ss.quoted_fee(item) == 5000
    with pytest.raises(DomainError) as e:
        ss.require_agreement_fee(item, 6000)
    assert code_of(e) == R.AGREEMENT_FEE_ABOVE_ANNOUNCED
