"""The key cabinet's records of what happened at the counter (R-KY-1): the physical month-end count with
who counted, the refund receipt of a deposit handed back, and a return recorded by mistake undone the
same day with the undone return kept on the loan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from server.domain import keys as k
from server.domain.errors import DomainError
from server.domain.monthly_report import month_bounds

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 3, 9, 0, tzinfo=CST)
SIG = "cd" * 32
R = k.KeyRefusal
ID = k.IdShown(doc_type=k.IdDocType.PASSPORT, last4="9876")


def key(id: str = "k1", at: datetime = T0) -> k.Key:
    return k.register_key(id=id, building="3", floor="02", key_type=k.KeyType.RESIDENT_ENTRUSTED,
                          label=f"{id} 入户门", now=at)


def lend_outsider(kk: k.Key, *, at: datetime = T0, loan_id: str = "L1", deposit: int = 10000):
    return k.lend_key(kk, loan_id=loan_id, borrower_name="装修工 王某", borrower_kind=k.BorrowerKind.OUTSIDER, borrower_phone="13800138000",
                      signature_sha256=SIG, lent_by="desk-1", due_at=at + timedelta(hours=4), now=at,
                      id_shown=ID, deposit_cents=deposit, deposit_receipt_no="YJ-01")


def lend_staff(kk: k.Key, *, at: datetime = T0, loan_id: str = "L1"):
    return k.lend_key(kk, loan_id=loan_id, borrower_name="张师傅", borrower_kind=k.BorrowerKind.STAFF,
                      borrower_user_id="usr_zhang", signature_sha256=SIG, lent_by="desk-1",
                      due_at=at + timedelta(hours=4), now=at)


def refused(fn, *args, **kwargs) -> k.KeyRefusal:  # noqa: ANN001
    with pytest.raises(DomainError) as e:
        fn(*args, **kwargs)
    return e.value.refusal


BACK = T0 + timedelta(hours=2)


# --- the refund receipt ------------------------------------------------------------------------


@pytest.mark.parametrize("receipt", [None, "", "   "])
def test_a_refund_is_refused_without_its_receipt_number(receipt):  # R-KY-1
    kk, loan = lend_outsider(key())
    for refund in (10000, 2500):
        r = refused(k.return_key, kk, loan, received_by="desk-2", now=BACK, refund_cents=refund,
                    kept_reason="门锁损坏", refund_receipt_no=receipt)
        assert (r.code, r.kind, r.details["missing"]) == (R.REFUND_RECEIPT_REQUIRED, "invalid", ["refund_receipt_no"])
    r = refused(k.lost_on_loan, kk, loan, reported_by="desk-2", account="钥匙遗失", now=BACK, refund_cents=5000, kept_reason="遗失",
                refund_receipt_no=receipt)
    assert r.code == R.REFUND_RECEIPT_REQUIRED


def test_nothing_refunded_needs_no_receipt_and_keeps_none():  # R-KY-1
    kk, loan = lend_outsider(key())
    _, back = k.return_key(kk, loan, received_by="desk-2", now=BACK, refund_cents=0, kept_reason="钥匙损坏",
                           refund_receipt_no="TK-9")
    assert back.deposit_settlement.refund_receipt_no is None and back.deposit_settlement.kept_cents == 10000
    _, back = k.return_key(kk, loan, received_by="desk-2", now=BACK, refund_cents=4000, kept_reason="门锁损坏",
                           refund_receipt_no=" TK-9 ")
    assert back.deposit_settlement.refund_receipt_no == "TK-9"


# --- correcting a recorded return ------------------------------------------------------------------


def _returned_outsider(at: datetime = BACK):
    kk, loan = lend_outsider(key())
    kk, loan = k.return_key(kk, loan, received_by="desk-2", now=at, refund_cents=10000, refund_receipt_no="TK-1")
    return kk, loan


def test_a_return_undone_the_same_day_puts_the_key_back_on_loan_and_keeps_the_mistake():  # R-KY-1
    kk, loan = _returned_outsider()
    later = BACK + timedelta(hours=3)
    kk2, reopened = k.correct_return(kk, loan, key_loans=[loan], reason=" 登记错了钥匙 ", by="usr_disp",
                                     now=later, tz=CST)
    assert kk2.state is k.KeyState.ON_LOAN
    assert (reopened.returned_at, reopened.received_by, reopened.deposit_settlement) == (None, None, None)
    [c] = reopened.corrections
    assert (c.returned_at, c.received_by, c.reason, c.corrected_by, c.corrected_at) == (
        BACK, "desk-2", "登记错了钥匙", "usr_disp", later)
    # The deposit settled with the undone return is undone with it, and kept on record there.
    assert c.deposit_settlement == loan.deposit_settlement and c.deposit_settlement.refund_receipt_no == "TK-1"
    # Open again: overdue once past due, and its deposit counted as held, not refunded.
    assert k.is_overdue(reopened, T0 + timedelta(hours=5))
    count = k.monthly_count([kk2], [reopened], later, since=T0 - timedelta(days=2))
    assert (count.on_loan, count.deposits_held_cents, count.deposits_refunded_cents) == (1, 10000, 0)
    # The real return then settles it afresh; both returns stay on the loan's record.
    kk3, back = k.return_key(kk2, reopened, received_by="desk-3", now=later + timedelta(hours=1), refund_cents=10000,
                             refund_receipt_no="TK-2")
    assert kk3.state is k.KeyState.IN_STORE and len(back.corrections) == 1
    assert back.deposit_settlement.refund_receipt_no == "TK-2"


def test_a_return_is_corrected_only_on_the_day_it_was_recorded():  # R-KY-1
    late = datetime(2026, 11, 3, 23, 50, tzinfo=CST)
    kk, loan = _returned_outsider(at=late)
    next_day = datetime(2026, 11, 4, 0, 5, tzinfo=CST)
    r = refused(k.correct_return, kk, loan, key_loans=[loan], reason="错登", by="u", now=next_day, tz=CST)
    assert r.code == R.RETURN_NOT_CORRECTABLE
    assert k.why_return_not_correctable(kk, loan, [loan], now=late + timedelta(minutes=9), tz=CST) is None
    # The day is the compound's: in UTC both instants fall on 3 November, locally they do not.
    assert k.why_return_not_correctable(kk, loan, [loan], now=next_day, tz=UTC) is None


def test_a_return_needs_a_reason_to_be_corrected():  # R-KY-1
    kk, loan = _returned_outsider()
    for reason in (None, "", "  "):
        r = refused(k.correct_return, kk, loan, key_loans=[loan], reason=reason, by="u", now=BACK, tz=CST)
        assert (r.code, r.kind, r.details["missing"]) == (R.CORRECTION_REASON_REQUIRED, "invalid",
                                                          ["correction_reason"])


def test_a_return_cannot_be_corrected_once_the_key_was_lent_again_or_lost():  # R-KY-1
    kk, first = lend_staff(key())
    kk, first = k.return_key(kk, first, received_by="desk-2", now=BACK)
    lent, second = lend_staff(kk, at=BACK + timedelta(minutes=5), loan_id="L2")
    assert refused(k.correct_return, lent, first, key_loans=[first, second], reason="x", by="u",
                   now=BACK + timedelta(minutes=10), tz=CST).code == R.MOVED_SINCE_RETURN
    # Lent and back again: the key is in the cabinet, but the first loan is no longer its latest.
    back, second = k.return_key(lent, second, received_by="desk-2", now=BACK + timedelta(minutes=8))
    assert refused(k.correct_return, back, first, key_loans=[first, second], reason="x", by="u",
                   now=BACK + timedelta(minutes=10), tz=CST).code == R.MOVED_SINCE_RETURN
    # The latest one can be.
    assert k.why_return_not_correctable(back, second, [first, second], now=BACK + timedelta(minutes=10), tz=CST) is None
    # Recorded lost in the cabinet since.
    lost = k.report_lost(back, account="钥匙遗失", now=BACK + timedelta(minutes=9))
    assert refused(k.correct_return, lost, second, key_loans=[first, second], reason="x", by="u",
                   now=BACK + timedelta(minutes=10), tz=CST).code == R.MOVED_SINCE_RETURN


def test_a_return_cannot_be_corrected_once_the_key_was_recorded_lost_since_even_if_found_again():  # R-KY-1
    # Returned, then lost from the cabinet and found the same day: the key is in the cabinet and the loan is
    # still its latest, but it was recorded lost in the cabinet since the return. Reopening the loan would
    # put the key out on loan through a loss recorded in the cabinet (D72: "recorded lost since").
    kk, loan = _returned_outsider()
    lost = k.report_lost(kk, account="钥匙遗失", now=BACK + timedelta(minutes=5), reported_by="desk-2")
    found = k.record_found(lost, note="保洁在柜旁拾到", by="desk-2", now=BACK + timedelta(minutes=20))
    assert found.state is k.KeyState.IN_STORE
    assert refused(k.correct_return, found, loan, key_loans=[loan], reason="x", by="u",
                   now=BACK + timedelta(minutes=30), tz=CST).code == R.MOVED_SINCE_RETURN
    # A loss report itself undone as a mistake never happened: the return can still be corrected.
    corrected = k.correct_loss(lost, None, reason="误报", by="u", now=BACK + timedelta(minutes=20), tz=CST)[0]
    assert k.why_return_not_correctable(corrected, loan, [loan], now=BACK + timedelta(minutes=30), tz=CST) is None


def test_only_a_recorded_return_can_be_corrected():  # R-KY-1
    kk, loan = lend_outsider(key())
    assert refused(k.correct_return, kk, loan, key_loans=[loan], reason="x", by="u", now=BACK,
                   tz=CST).code == R.NOT_RETURNED
    lost, ended = k.lost_on_loan(kk, loan, account="钥匙遗失", now=BACK, reported_by="desk-2", refund_cents=0, kept_reason="遗失")
    assert refused(k.correct_return, lost, ended, key_loans=[ended], reason="x", by="u", now=BACK,
                   tz=CST).code == R.NOT_RETURNED


def test_a_past_months_sheet_does_not_show_a_correction_made_after_it():  # R-KY-1
    # Returned and corrected on 1 December: the November sheet shows the loan open, with no correction.
    kk, loan = lend_outsider(key())
    dec1 = datetime(2026, 12, 1, 9, tzinfo=CST)
    kk, loan = k.return_key(kk, loan, received_by="desk-2", now=dec1, refund_cents=10000, refund_receipt_no="TK-1")
    kk, loan = k.correct_return(kk, loan, key_loans=[loan], reason="错登", by="u", now=dec1 + timedelta(hours=1),
                                tz=CST)
    start, end = month_bounds(2026, 11, CST)
    [(_, then)], _ = k.register_as_of([kk], [loan], end)
    assert then.returned_at is None and then.corrections == ()


# --- the physical count --------------------------------------------------------------------------

NOV_START, NOV_END = month_bounds(2026, 11, CST)


def count(**kw):  # noqa: ANN201
    args = dict(year=2026, month=11, already=None, counted_by="usr_desk", witness_name=None,
                matches_register=True, discrepancy=None, now=NOV_END + timedelta(hours=9), tz=CST)
    return k.record_physical_count(**{**args, **kw})


def test_a_physical_count_records_who_counted_the_witness_and_when():  # R-KY-1
    at = NOV_END + timedelta(hours=9)
    c = count(witness_name=" 保安 陈某 ", now=at)
    assert c == k.PhysicalCount(year=2026, month=11, counted_by="usr_desk", witness_name="保安 陈某", counted_at=at,
                                matches_register=True, discrepancy=None)
    assert count(witness_name="  ").witness_name is None


def test_a_count_that_does_not_match_the_register_says_what_differed():  # R-KY-1
    r = refused(count, matches_register=False, discrepancy="  ")
    assert (r.code, r.details["missing"]) == (R.COUNT_DISCREPANCY_REQUIRED, ["discrepancy"])
    c = count(matches_register=False, discrepancy=" 2栋-502 入户门 不在柜内 ")
    assert (c.matches_register, c.discrepancy) == (False, "2栋-502 入户门 不在柜内")
    # Whether it matched is said, never assumed.
    assert refused(count, matches_register=None).code == R.COUNT_VERDICT_REQUIRED


def test_a_month_is_counted_once_and_only_from_its_30th():  # R-KY-1
    # Handed in on the 30th (003 4.5.6, D103): the day before is too early (test_key_deposit_book_and_count_day).
    r = refused(count, now=NOV_END - timedelta(days=1, minutes=1))
    assert (r.code, r.kind) == (R.COUNT_MONTH_OPEN, "invalid")
    assert count(now=NOV_END - timedelta(days=1)).counted_at == NOV_END - timedelta(days=1)
    assert count(now=NOV_END).counted_at == NOV_END
    r = refused(count, already=count())
    assert (r.code, r.kind) == (R.COUNT_ALREADY_RECORDED, "conflict")
