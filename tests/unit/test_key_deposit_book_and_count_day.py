"""The key count the accountant reconciles and the day it is counted (R-KY-1): a month's deposit book lists
every deposit held at its start, taken in it, refunded, kept and held at its end, receipt by receipt, and
held at the start + taken = held at the end + refunded + kept; the physical count is recorded from the 30th
(the month's last day when shorter), the day the seed has it handed in (003 4.5.6)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from server.domain import keys as k
from server.domain.errors import DomainError
from server.domain.monthly_report import month_bounds

CST = timezone(timedelta(hours=8))
SIG = "cd" * 32
ID = k.IdShown(doc_type=k.IdDocType.PASSPORT, last4="9876")
NOV = month_bounds(2026, 11, CST)
DEC = month_bounds(2026, 12, CST)


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CST)


def key(kid: str) -> k.Key:
    return k.register_key(id=kid, building="3", floor="02", key_type=k.KeyType.RESIDENT_ENTRUSTED,
                          label=f"{kid} 入户门", now=at(10, 1))


def lend(kk: k.Key, loan_id: str, name: str, deposit: int, when: datetime) -> tuple[k.Key, k.KeyLoan]:
    return k.lend_key(kk, loan_id=loan_id, borrower_name=name, borrower_kind=k.BorrowerKind.OUTSIDER,
                      borrower_phone="13800138000", signature_sha256=SIG, lent_by="desk-1",
                      due_at=when + timedelta(hours=4), now=when, id_shown=ID, deposit_cents=deposit,
                      deposit_receipt_no=f"YJ-{loan_id}")


def the_register() -> tuple[list[k.Key], list[k.KeyLoan]]:
    """Four outsiders' loans around November, and a staff loan that takes no deposit."""
    # a: lent in October, held at November's start; returned 5 Nov, 60.00 back and 40.00 kept.
    a, la = lend(key("a"), "1", "甲", 10000, at(10, 28))
    a, la = k.return_key(a, la, received_by="desk-1", now=at(11, 5), refund_cents=6000, kept_reason="门锁损坏",
                         refund_receipt_no="TK-1")
    # b: lent 10 Nov, still out at November's end; returned 2 Dec, all back.
    b, lb = lend(key("b"), "2", "乙", 5000, at(11, 10))
    b, lb = k.return_key(b, lb, received_by="desk-1", now=at(12, 2), refund_cents=5000, refund_receipt_no="TK-2")
    # c: lent 12 Nov, a return recorded by mistake and undone that day (its refund void), then lost on 13 Nov
    # with the deposit kept; found 3 Dec and 30.00 of it handed back on 4 Dec.
    c, lc = lend(key("c"), "3", "丙", 8000, at(11, 12))
    c, lc = k.return_key(c, lc, received_by="desk-1", now=at(11, 12, 11), refund_cents=8000, refund_receipt_no="TK-X")
    c, lc = k.correct_return(c, lc, key_loans=[lc], reason="登记错了钥匙", by="desk-2", now=at(11, 12, 12), tz=CST)
    c, lc = k.lost_on_loan(c, lc, account="工地遗失", now=at(11, 13), reported_by="desk-1", refund_cents=0,
                           kept_reason="钥匙遗失")
    c = k.record_found(c, note="借用人交回", by="desk-1", now=at(12, 3))
    lc = k.refund_kept_deposit(c, lc, refund_cents=3000, refund_receipt_no="TK-3", reason="找回，扣除换锁费",
                               by="desk-1", now=at(12, 4))
    # d: taken on the month's last evening, out at its end (the reviewer's YJ-001 of 31 December).
    d, ld = lend(key("d"), "4", "丁", 20000, at(11, 30, 23))
    # e: a staff loan, no deposit: in no list.
    e, le = k.lend_key(key("e"), loan_id="5", borrower_name="张师傅", borrower_kind=k.BorrowerKind.STAFF,
                       borrower_user_id="usr_zhang", signature_sha256=SIG, lent_by="desk-1",
                       due_at=at(11, 20, 14), now=at(11, 20))
    return [a, b, c, d, e], [la, lb, lc, ld, le]


def receipts(loans: tuple[k.KeyLoan, ...]) -> list[tuple[str | None, str, int]]:
    return [(x.deposit_receipt_no, x.borrower_name, x.deposit_cents) for x in loans]


def test_a_months_deposit_book_lists_every_receipt_and_balances():  # R-KY-1
    keys, loans = the_register()
    nov = k.deposit_book(keys, loans, start=NOV[0], end=NOV[1])
    assert receipts(nov.held_at_start) == [("YJ-1", "甲", 10000)]
    assert receipts(nov.taken) == [("YJ-2", "乙", 5000), ("YJ-3", "丙", 8000), ("YJ-4", "丁", 20000)]
    # Only the settlements in force: the return undone the same day is not money moved.
    assert [(s.loan_id, s.settlement.refunded_cents, s.settlement.kept_cents, s.settlement.kept_reason)
            for s in nov.settled] == [("1", 6000, 4000, "门锁损坏"), ("3", 0, 8000, "钥匙遗失")]
    assert receipts(nov.held_at_end) == [("YJ-2", "乙", 5000), ("YJ-4", "丁", 20000)]
    assert (nov.held_at_start_cents, nov.taken_cents, nov.held_at_end_cents, nov.refunded_cents, nov.kept_cents) == (
        10000, 33000, 25000, 6000, 12000)
    # Held at the start + taken = held at the end + refunded + kept: 100 + 330 = 250 + 60 + 120.
    assert nov.held_at_start_cents + nov.taken_cents == nov.held_at_end_cents + nov.refunded_cents + nov.kept_cents
    assert nov.balances

    dec = k.deposit_book(keys, loans, start=DEC[0], end=DEC[1])
    # December opens with what November closed on.
    assert receipts(dec.held_at_start) == receipts(nov.held_at_end)
    assert dec.taken == ()
    assert [(s.loan_id, s.entry, s.settlement.refunded_cents, s.settlement.kept_cents) for s in dec.settled] == [
        ("2", k.SettlementEntry.SETTLED, 5000, 0), ("3", k.SettlementEntry.KEPT_REFUNDED, 3000, -3000)]
    assert receipts(dec.held_at_end) == [("YJ-4", "丁", 20000)]
    assert dec.balances and (dec.refunded_cents, dec.kept_cents) == (8000, -3000)

    # The book's figures are the month's count's, so the workbook and the sheet agree.
    for book, (start, end) in ((nov, NOV), (dec, DEC)):
        c = k.month_end_count(keys, loans, start=start, end=end)
        assert (book.held_at_end_cents, book.refunded_cents, book.kept_cents) == (
            c.deposits_held_cents, c.deposits_refunded_cents, c.deposits_kept_cents)


def test_a_deposit_taken_at_the_months_end_instant_belongs_to_the_next_month():  # R-KY-1
    kk, loan = lend(key("a"), "1", "甲", 10000, NOV[1])
    nov = k.deposit_book([kk], [loan], start=NOV[0], end=NOV[1])
    dec = k.deposit_book([kk], [loan], start=DEC[0], end=DEC[1])
    assert (nov.taken, nov.held_at_end) == ((), ())
    assert (receipts(dec.held_at_start), receipts(dec.taken), receipts(dec.held_at_end)) == (
        [], [("YJ-1", "甲", 10000)], [("YJ-1", "甲", 10000)])


# --- the physical count, from the 30th --------------------------------------------------------------


def count(year: int, month: int, now: datetime) -> k.PhysicalCount:
    return k.record_physical_count(year=year, month=month, already=None, counted_by="usr_desk", witness_name=None,
                                   matches_register=True, discrepancy=None, now=now, tz=CST)


def test_the_physical_count_is_recorded_from_the_30th_the_day_it_is_handed_in():  # R-KY-1
    with pytest.raises(DomainError) as e:
        count(2026, 11, at(11, 29, 23, 59))
    r = e.value.refusal
    assert (r.code, r.kind, r.details["opens_on"]) == (k.KeyRefusal.COUNT_MONTH_OPEN, "invalid", "2026-11-30")
    assert r.zh == "2026年11月的实物盘点自11月30日起登记"
    assert r.en == "The count for 2026-11 can be recorded from 2026-11-30"
    # The 30th begins at midnight in the compound's zone, not in UTC.
    assert count(2026, 11, at(11, 30, 0, 0)).counted_at == at(11, 30, 0, 0)
    # A month of 31 days is still counted on its 30th; and any day after, if nobody did.
    assert count(2026, 12, at(12, 30, 9)).month == 12
    assert count(2026, 11, at(12, 15)).counted_at == at(12, 15)
    assert k.count_opens_on(2026, 12) == date(2026, 12, 30)


def test_a_shorter_month_is_counted_from_its_last_day():  # R-KY-1
    assert k.count_opens_on(2027, 2) == date(2027, 2, 28)
    assert k.count_opens_on(2028, 2) == date(2028, 2, 29)
    with pytest.raises(DomainError) as e:
        count(2027, 2, at(2, 27, 23, 59, year=2027))
    assert e.value.refusal.details["opens_on"] == "2027-02-28"
    assert count(2027, 2, at(2, 28, 8, year=2027)).counted_by == "usr_desk"
