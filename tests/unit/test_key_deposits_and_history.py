"""The key register's deposits, history and past counts: an outsider's deposit is settled when the loan
ends, a key's loans read newest first, and a past month is counted as the register stood at its end."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from server.domain import keys as k
from server.domain.errors import DomainError
from server.domain.monthly_report import month_bounds

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 3, 9, 0, tzinfo=CST)
SIG = "cd" * 32
R = k.KeyRefusal
ID = k.IdShown(doc_type=k.IdDocType.PASSPORT, last4="9876")


def key(id: str = "k1", key_type: k.KeyType = k.KeyType.RESIDENT_ENTRUSTED, at: datetime = T0) -> k.Key:
    return k.register_key(id=id, building="3", floor="02", key_type=key_type, label=f"{id} 入户门", now=at)


def lend_outsider(kk: k.Key, *, deposit: int = 10000, at: datetime = T0, hours: int = 4, loan_id: str = "L1"):
    return k.lend_key(kk, loan_id=loan_id, borrower_name="装修工 王某", borrower_kind=k.BorrowerKind.OUTSIDER, borrower_phone="13800138000",
                      signature_sha256=SIG, lent_by="desk-1", due_at=at + timedelta(hours=hours), now=at,
                      id_shown=ID, deposit_cents=deposit, deposit_receipt_no="YJ-01")


def lend_staff(kk: k.Key, *, at: datetime = T0, hours: int = 4, loan_id: str = "L1"):
    return k.lend_key(kk, loan_id=loan_id, borrower_name="张师傅", borrower_kind=k.BorrowerKind.STAFF,
                      borrower_user_id="usr_zhang", signature_sha256=SIG, lent_by="desk-1",
                      due_at=at + timedelta(hours=hours), now=at)


BACK = T0 + timedelta(hours=2)


def test_an_outsiders_deposit_refunded_in_full_is_recorded_with_who_and_when():  # R-KY-1
    kk, loan = lend_outsider(key())
    _, back = k.return_key(kk, loan, received_by="desk-2", now=BACK, refund_cents=10000, kept_reason="ignored",
                           refund_receipt_no=" TK-7 ")
    assert back.deposit_settlement == k.DepositSettlement(
        refunded_cents=10000, kept_cents=0, kept_reason=None, refund_receipt_no="TK-7", settled_by="desk-2",
        settled_at=BACK)


def test_a_deposit_kept_in_whole_or_part_needs_its_reason():  # R-KY-1
    kk, loan = lend_outsider(key())
    for refund in (0, 6000):
        for reason in (None, "", "   "):
            with pytest.raises(DomainError) as e:
                k.return_key(kk, loan, received_by="desk-2", now=BACK, refund_cents=refund, kept_reason=reason,
                             refund_receipt_no="TK-7")
            assert e.value.refusal.code == R.KEEP_REASON_REQUIRED
            assert e.value.refusal.details["missing"] == ["kept_reason"]
    _, back = k.return_key(kk, loan, received_by="desk-2", now=BACK, refund_cents=6000, kept_reason=" 门锁损坏 ",
                           refund_receipt_no="TK-7")
    s = back.deposit_settlement
    assert (s.refunded_cents, s.kept_cents, s.kept_reason) == (6000, 4000, "门锁损坏")
    assert s.refunded_cents + s.kept_cents == loan.deposit_cents


@pytest.mark.parametrize(("refund", "code"), [
    (None, R.DEPOSIT_UNSETTLED),  # the desk must say what it handed back
    (10001, R.REFUND_ABOVE_DEPOSIT),
    (-1, R.REFUND_NEGATIVE),
])
def test_a_return_that_does_not_settle_the_deposit_within_it_is_refused(refund, code):  # R-KY-1
    kk, loan = lend_outsider(key())
    with pytest.raises(DomainError) as e:
        k.return_key(kk, loan, received_by="desk-2", now=BACK, refund_cents=refund, kept_reason="x")
    assert e.value.refusal.code == code and e.value.refusal.kind == "invalid"


def test_a_loan_without_a_deposit_has_nothing_to_settle():  # R-KY-1
    kk, loan = lend_staff(key())
    for refund in (None, 0):
        _, back = k.return_key(kk, loan, received_by="desk-2", now=BACK, refund_cents=refund)
        assert back.deposit_settlement is None and back.returned_at == BACK
    with pytest.raises(DomainError) as e:
        k.return_key(kk, loan, received_by="desk-2", now=BACK, refund_cents=1)
    assert e.value.refusal.code == R.REFUND_ABOVE_DEPOSIT


def test_a_lost_keys_deposit_is_settled_with_the_loss():  # R-KY-1
    kk, loan = lend_outsider(key())
    with pytest.raises(DomainError) as e:
        k.lost_on_loan(kk, loan, account="钥匙遗失", now=BACK, reported_by="desk-2")
    assert e.value.refusal.code == R.DEPOSIT_UNSETTLED
    with pytest.raises(DomainError) as e:
        k.lost_on_loan(kk, loan, account="钥匙遗失", now=BACK, reported_by="desk-2", refund_cents=0)
    assert e.value.refusal.code == R.KEEP_REASON_REQUIRED
    lost, ended = k.lost_on_loan(kk, loan, account="钥匙遗失", now=BACK, reported_by="desk-2", refund_cents=0, kept_reason="钥匙遗失")
    assert lost.state is k.KeyState.LOST and ended.lost_reported_by == "desk-2"
    assert ended.deposit_settlement == k.DepositSettlement(
        refunded_cents=0, kept_cents=10000, kept_reason="钥匙遗失", settled_by="desk-2", settled_at=BACK)


def test_a_keys_loans_read_newest_first():  # R-KY-1
    kk = key()
    loans = []
    for i in range(3):
        at = T0 + timedelta(days=i)
        kk, loan = lend_staff(kk, at=at, loan_id=f"L{i}")
        kk, loan = k.return_key(kk, loan, received_by="desk-2", now=at + timedelta(hours=1))
        loans.append(loan)
    assert [loan.id for loan in k.loan_history([loans[1], loans[0], loans[2]])] == ["L2", "L1", "L0"]


NOV = month_bounds(2026, 11, CST)
DEC = month_bounds(2026, 12, CST)


def _november_and_december():
    """Three keys filed on 3 Nov; one more on 10 Dec.
    k1: lent to an outsider (¥100) on 3 Nov, due that day, back 5 Dec with ¥60 refunded, ¥40 kept.
    k2: lent to staff on 20 Nov, back 25 Nov (a November loan only).
    k3: lent to an outsider (¥50) on 28 Dec, lost 29 Dec, the deposit kept.
    k4: filed 10 Dec, lent to staff at 23:00 on 31 Dec, due 1 Jan, still out."""
    k1, l1 = lend_outsider(key("k1"), deposit=10000)
    k1, l1 = k.return_key(k1, l1, received_by="desk-2", now=datetime(2026, 12, 5, 10, tzinfo=CST),
                          refund_cents=6000, kept_reason="门锁损坏", refund_receipt_no="TK-1")
    k2 = key("k2", k.KeyType.PLANT_ROOM_SPARE)
    k2, l2 = lend_staff(k2, at=datetime(2026, 11, 20, 9, tzinfo=CST), loan_id="L2")
    k2, l2 = k.return_key(k2, l2, received_by="desk-2", now=datetime(2026, 11, 25, 9, tzinfo=CST))
    k3 = key("k3", k.KeyType.OTHER)
    k3, l3 = lend_outsider(k3, deposit=5000, at=datetime(2026, 12, 28, 9, tzinfo=CST), loan_id="L3")
    k3, l3 = k.lost_on_loan(k3, l3, account="钥匙遗失", now=datetime(2026, 12, 29, 9, tzinfo=CST), reported_by="desk-2",
                            refund_cents=0, kept_reason="钥匙遗失")
    k4 = key("k4", at=datetime(2026, 12, 10, 9, tzinfo=CST))
    k4, l4 = lend_staff(k4, at=datetime(2026, 12, 31, 23, tzinfo=CST), hours=2, loan_id="L4")
    return [k1, k2, k3, k4], [l1, l2, l3, l4]


def test_a_past_month_is_counted_as_the_register_stood_at_its_end():  # R-KY-1
    keys, loans = _november_and_december()
    rows, _ = k.register_as_of(keys, loans, NOV[1])
    # At the end of November, in filing order (same building and floor: by type): k4 not yet filed;
    # k3 in the cabinet (its loss is December's), k2 back, k1 still out with the outsider (overdue).
    assert [(key.id, key.state, loan.id if loan else None) for key, loan in rows] == [
        ("k3", k.KeyState.IN_STORE, None), ("k2", k.KeyState.IN_STORE, None), ("k1", k.KeyState.ON_LOAN, "L1")]
    out = rows[2][1]
    assert out.returned_at is None and out.deposit_settlement is None  # December's return is not yet on it
    nov = k.month_end_count(keys, loans, start=NOV[0], end=NOV[1])
    assert (nov.total, nov.in_store, nov.on_loan, nov.overdue, nov.lost) == (3, 2, 1, 1, 0)
    assert (nov.deposits_held_cents, nov.deposits_refunded_cents, nov.deposits_kept_cents) == (10000, 0, 0)
    assert nov.counted_at == NOV[1] and nov.since == NOV[0]


def test_a_past_months_count_sums_the_deposits_settled_in_it():  # R-KY-1
    keys, loans = _november_and_december()
    dec = k.month_end_count(keys, loans, start=DEC[0], end=DEC[1])
    # End of December: k1, k2 in store; k3 lost; k4 on loan, not yet due (due 01:00 on 1 Jan).
    assert (dec.total, dec.in_store, dec.on_loan, dec.overdue, dec.lost) == (4, 2, 1, 0, 1)
    # k1's deposit settled 5 Dec (¥60 back, ¥40 kept), k3's kept whole 29 Dec (¥50); nothing held.
    assert (dec.deposits_held_cents, dec.deposits_refunded_cents, dec.deposits_kept_cents) == (0, 6000, 4000 + 5000)
    assert dec.by_type == {k.KeyType.RESIDENT_ENTRUSTED: 2, k.KeyType.PLANT_ROOM_SPARE: 1, k.KeyType.OTHER: 1}


def test_an_event_at_a_months_end_instant_belongs_to_the_next_month():  # R-KY-1
    kk, loan = lend_staff(key(), at=NOV[1])
    rows, _ = k.register_as_of([kk], [loan], NOV[1])
    assert rows[0][0].state is k.KeyState.IN_STORE and rows[0][1] is None


def test_the_months_to_look_back_on_run_from_the_first_key_to_last_month():  # R-KY-1
    first = datetime(2026, 10, 31, 23, 30, tzinfo=CST)  # still October in the compound's zone
    assert k.counted_months(first, datetime(2027, 1, 10, tzinfo=CST), CST) == [(2026, 12), (2026, 11), (2026, 10)]
    assert k.counted_months(first, datetime(2026, 10, 31, 23, 59, tzinfo=CST), CST) == []
