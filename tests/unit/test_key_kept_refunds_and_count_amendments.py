"""The key cabinet's later entries (R-KY-1): a deposit kept for a key lost on loan, handed back once the key
is found, in the month it is handed back, the months' sums still balancing; and a recorded physical count
amended the day it was recorded by its counter or a manager, what it replaced kept (D86)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from server.domain import keys as k
from server.domain.errors import DomainError
from server.domain.monthly_report import month_bounds

CST = timezone(timedelta(hours=8))
SIG = "cd" * 32
R = k.KeyRefusal
ID = k.IdShown(doc_type=k.IdDocType.PASSPORT, last4="9876")
NOV = month_bounds(2026, 11, CST)
DEC = month_bounds(2026, 12, CST)
LENT = datetime(2026, 11, 20, 9, tzinfo=CST)
LOST = datetime(2026, 11, 21, 9, tzinfo=CST)
FOUND = datetime(2026, 12, 3, 15, tzinfo=CST)
REFUND = datetime(2026, 12, 4, 10, tzinfo=CST)


def refused(fn, *args, **kwargs):  # noqa: ANN001, ANN201
    with pytest.raises(DomainError) as e:
        fn(*args, **kwargs)
    return e.value.refusal


def lost_on_loan(*, refund: int = 0, deposit: int = 10000, loan_id: str = "L1", kid: str = "k1"):  # noqa: ANN201
    kk = k.register_key(id=kid, building="3", floor="02", key_type=k.KeyType.RESIDENT_ENTRUSTED,
                        label=f"{kid} 入户门", now=LENT - timedelta(days=30))
    kk, loan = k.lend_key(kk, loan_id=loan_id, borrower_name="装修工 王某", borrower_kind=k.BorrowerKind.OUTSIDER, borrower_phone="13800138000",
                          signature_sha256=SIG, lent_by="desk-1", due_at=LENT + timedelta(hours=4), now=LENT,
                          id_shown=ID, deposit_cents=deposit, deposit_receipt_no=f"YJ-{loan_id}")
    return k.lost_on_loan(kk, loan, account="钥匙遗失", now=LOST, reported_by="desk-2", refund_cents=refund,
                          kept_reason="钥匙遗失" if refund < deposit else None,
                          refund_receipt_no="TK-1" if refund else None)


def refund(kk: k.Key, loan: k.KeyLoan, cents: int | None = 6000, **kw) -> k.KeyLoan:  # noqa: ANN003
    args = {"refund_receipt_no": "TK-9", "reason": "钥匙找回，借用人交回", "by": "desk-3", "now": REFUND} | kw
    return k.refund_kept_deposit(kk, loan, refund_cents=cents, **args)


# --- a kept deposit refunded once the key is found ---------------------------------------------------


def test_a_kept_deposit_is_refunded_only_once_the_key_lost_on_loan_is_found():  # R-KY-1
    kk, loan = lost_on_loan()
    r = k.why_kept_not_refundable(kk, loan)
    assert (r.code, r.kind) == (R.NOT_FOUND_YET, "conflict")
    assert refused(refund, kk, loan).code == R.NOT_FOUND_YET
    found = k.record_found(kk, note="借用人在车里找到后交回", by="desk-3", now=FOUND)
    assert k.why_kept_not_refundable(found, loan) is None
    done = refund(found, loan, 6000, refund_receipt_no=" TK-9 ", reason=" 钥匙找回，借用人交回 ")
    assert done.kept_refund == k.KeptRefund(refunded_cents=6000, refund_receipt_no="TK-9", reason="钥匙找回，借用人交回",
                                            refunded_by="desk-3", refunded_at=REFUND)
    # The loss and its settlement stand as they were (D80): the refund is a later entry.
    assert (done.lost_at, done.deposit_settlement) == (loan.lost_at, loan.deposit_settlement)
    # Once only, whatever was left kept.
    r = refused(refund, found, done, 1000)
    assert (r.code, r.kind) == (R.KEPT_ALREADY_REFUNDED, "conflict")


def test_only_a_deposit_kept_at_a_loss_is_refunded_later():  # R-KY-1
    # Everything refunded at the loss: nothing kept to hand back.
    kk, loan = lost_on_loan(refund=10000)
    found = k.record_found(kk, note="找到", by="desk-3", now=FOUND)
    assert refused(refund, found, loan).code == R.NOTHING_KEPT
    # A returned loan (its deposit kept for a damaged lock) and an open one were not ended by a loss.
    kk = k.register_key(id="k2", building="3", floor="02", key_type=k.KeyType.OTHER, label="k2", now=LENT)
    kk, open_loan = k.lend_key(kk, loan_id="L2", borrower_name="x", borrower_kind=k.BorrowerKind.OUTSIDER, borrower_phone="13800138000",
                               signature_sha256=SIG, lent_by="d", due_at=LOST, now=LENT, id_shown=ID,
                               deposit_cents=5000, deposit_receipt_no="Y")
    assert refused(refund, kk, open_loan).code == R.NOT_LOST_ON_LOAN
    kk, returned = k.return_key(kk, open_loan, received_by="d", now=LOST, refund_cents=0, kept_reason="门锁损坏")
    assert refused(refund, kk, returned).code == R.NOT_LOST_ON_LOAN
    assert refused(refund, kk, loan).code == R.WRONG_LOAN


def test_a_kept_refund_states_an_amount_up_to_what_was_kept_its_receipt_and_its_reason():  # R-KY-1
    kk, loan = lost_on_loan(refund=2000)  # 8000 kept
    found = k.record_found(kk, note="找到", by="desk-3", now=FOUND)
    for cents, code in ((None, R.KEPT_REFUND_REQUIRED), (0, R.KEPT_REFUND_REQUIRED), (-1, R.REFUND_NEGATIVE),
                        (8001, R.REFUND_ABOVE_KEPT)):
        r = refused(refund, found, loan, cents)
        assert (r.code, r.kind) == (code, "invalid"), cents
    r = refused(refund, found, loan, 8000, refund_receipt_no="  ")
    assert (r.code, r.details["missing"]) == (R.REFUND_RECEIPT_REQUIRED, ["refund_receipt_no"])
    r = refused(refund, found, loan, 8000, reason=None)
    assert (r.code, r.details["missing"]) == (R.KEPT_REFUND_REASON_REQUIRED, ["refund_reason"])
    assert refund(found, loan, 8000).kept_refund.refunded_cents == 8000


def test_a_kept_refund_is_in_the_month_it_is_made_and_every_month_still_balances():  # R-KY-1
    kk, loan = lost_on_loan(refund=2000)  # 20 Nov lent 100.00, 21 Nov lost: 20.00 back, 80.00 kept
    found = k.record_found(kk, note="找到", by="desk-3", now=FOUND)
    done = refund(found, loan, 6000)  # 4 Dec: 60.00 of the 80.00 handed back
    nov = k.month_end_count([found], [done], start=NOV[0], end=NOV[1])
    dec = k.month_end_count([found], [done], start=DEC[0], end=DEC[1])
    # November is as it was signed; December hands back 60.00 and keeps 60.00 less.
    assert (nov.deposits_refunded_cents, nov.deposits_kept_cents, nov.deposits_kept_refunded_cents) == (2000, 8000, 0)
    assert (dec.deposits_refunded_cents, dec.deposits_kept_cents, dec.deposits_kept_refunded_cents) == (6000, -6000, 6000)
    # Held at the start + taken in = held at the end + refunded + kept: 0 + 100 = 0 + 20 + 80 in November,
    # 0 + 0 = 0 + 60 - 60 in December; over both, the loan's 100.00 is 80.00 refunded and 20.00 kept.
    for c, taken in ((nov, 10000), (dec, 0)):
        assert c.deposits_held_cents + c.deposits_refunded_cents + c.deposits_kept_cents == taken
    assert nov.deposits_refunded_cents + dec.deposits_refunded_cents == 8000
    assert nov.deposits_kept_cents + dec.deposits_kept_cents == 2000
    # December lists it as its own entry, against its refund receipt; November does not.
    [entry] = k.settled_deposits([found], k.register_as_of([found], [done], DEC[1])[1], DEC[1], since=DEC[0])
    assert (entry.entry, entry.loan_id, entry.ended, entry.undone) == (k.SettlementEntry.KEPT_REFUNDED, "L1",
                                                                       k.LoanEnd.LOST, None)
    s = entry.settlement
    assert (s.refunded_cents, s.kept_cents, s.refund_receipt_no, s.kept_reason, s.settled_by, s.settled_at) == (
        6000, -6000, "TK-9", "钥匙找回，借用人交回", "desk-3", REFUND)
    [settled] = k.settled_deposits([found], k.register_as_of([found], [done], NOV[1])[1], NOV[1], since=NOV[0])
    assert settled.entry is k.SettlementEntry.SETTLED and settled.settlement == loan.deposit_settlement
    # A sheet of an earlier instant does not show a refund made after it.
    assert k.loan_as_of(done, REFUND).kept_refund is None
    assert k.loan_as_of(done, REFUND + timedelta(seconds=1)).kept_refund == done.kept_refund
    # The live count of December, the same.
    live = k.monthly_count([found], [done], REFUND + timedelta(hours=1), since=DEC[0])
    assert (live.deposits_refunded_cents, live.deposits_kept_cents) == (6000, -6000)


# --- a physical count amended the day it was recorded ----------------------------------------------


def counted(at: datetime = datetime(2026, 12, 1, 10, tzinfo=CST)) -> k.PhysicalCount:
    return k.record_physical_count(year=2026, month=11, already=None, counted_by="desk-1", witness_name="保安 陈某",
                                   matches_register=True, discrepancy=None, now=at, tz=CST)


def amend(c: k.PhysicalCount | None, **kw) -> k.PhysicalCount:  # noqa: ANN003
    args = {"year": 2026, "month": 11, "by": "desk-1", "by_manager": False, "matches_register": False,
            "discrepancy": " 3栋 信报箱总钥匙 不在柜内 ", "witness_name": " 保安 陈某 ", "reason": " 勾错了核对结果 ",
            "now": datetime(2026, 12, 1, 16, tzinfo=CST), "tz": CST} | kw
    return k.amend_physical_count(c, **args)


def test_a_count_is_amended_the_day_it_was_recorded_keeping_what_it_replaced():  # R-KY-1
    c = counted()
    done = amend(c)
    assert (done.matches_register, done.discrepancy, done.witness_name) == (False, "3栋 信报箱总钥匙 不在柜内", "保安 陈某")
    # Who counted and when stay; the first entry is kept, with why it was amended, by whom, when.
    assert (done.counted_by, done.counted_at) == (c.counted_by, c.counted_at)
    assert done.amendments == (k.CountAmendment(matches_register=True, discrepancy=None, witness_name="保安 陈某",
                                                reason="勾错了核对结果", amended_by="desk-1",
                                                amended_at=datetime(2026, 12, 1, 16, tzinfo=CST)),)
    # A manager may amend it too, the same day, again: each amendment keeps what it replaced.
    again = amend(done, by="mgr", by_manager=True, matches_register=True, discrepancy=None, reason="复核后一致")
    assert [a.matches_register for a in again.amendments] == [True, False] and again.matches_register is True


def test_a_count_is_amended_only_by_its_counter_or_a_manager_that_day_with_a_reason():  # R-KY-1
    c = counted(datetime(2026, 12, 1, 23, 50, tzinfo=CST))
    r = refused(amend, c, by="desk-2")
    assert (r.code, r.kind) == (R.COUNT_NOT_AMENDER, "forbidden")
    next_day = datetime(2026, 12, 2, 0, 5, tzinfo=CST)
    r = refused(amend, c, now=next_day)
    assert (r.code, r.kind) == (R.COUNT_NOT_AMENDABLE, "conflict")
    assert refused(amend, c, by="mgr", by_manager=True, now=next_day).code == R.COUNT_NOT_AMENDABLE
    # The day is the compound's: in UTC both instants fall on 1 December.
    assert k.why_count_not_amendable(c, by="desk-1", by_manager=False, now=next_day, tz=UTC) is None
    for reason in (None, " "):
        r = refused(amend, c, reason=reason, now=next_day - timedelta(minutes=10))
        assert (r.code, r.details["missing"]) == (R.COUNT_AMEND_REASON_REQUIRED, ["amend_reason"])
    r = refused(amend, c, discrepancy=" ", now=next_day - timedelta(minutes=10))
    assert r.code == R.COUNT_DISCREPANCY_REQUIRED
    assert refused(amend, c, matches_register=None).code == R.COUNT_VERDICT_REQUIRED
    r = refused(amend, None)
    assert (r.code, r.kind) == (R.COUNT_NOT_RECORDED, "not_found")
