"""The key cabinet's losses and the deposits a month settled (R-KY-1): a loss reported by mistake undone the
same day, as if never reported, the undone report kept; a key really lost and found again later, the
loss standing in the month it happened; and the month's settled deposits listed one by one, adding up to
the month's sums, with the settlements a correction undid listed apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from server.domain import keys as k
from server.domain.errors import DomainError
from server.domain.monthly_report import month_bounds

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 3, 9, 0, tzinfo=CST)
SIG = "cd" * 32
R = k.KeyRefusal
ID = k.IdShown(doc_type=k.IdDocType.PASSPORT, last4="9876")
NOV = month_bounds(2026, 11, CST)
DEC = month_bounds(2026, 12, CST)
LATER = T0 + timedelta(hours=3)


def key(id: str = "k1", at: datetime = T0) -> k.Key:
    return k.register_key(id=id, building="3", floor="02", key_type=k.KeyType.RESIDENT_ENTRUSTED,
                          label=f"{id} 入户门", now=at)


def lend_outsider(kk: k.Key, *, at: datetime = T0, loan_id: str = "L1", deposit: int = 10000,
                  name: str = "装修工 王某"):
    return k.lend_key(kk, loan_id=loan_id, borrower_name=name, borrower_kind=k.BorrowerKind.OUTSIDER, borrower_phone="13800138000",
                      signature_sha256=SIG, lent_by="desk-1", due_at=at + timedelta(hours=4), now=at,
                      id_shown=ID, deposit_cents=deposit, deposit_receipt_no=f"YJ-{loan_id}")


def refused(fn, *args, **kwargs) -> k.KeyRefusal:  # noqa: ANN001
    with pytest.raises(DomainError) as e:
        fn(*args, **kwargs)
    return e.value.refusal


def lost_out(at: datetime = T0 + timedelta(hours=1), *, refund: int = 2000):
    kk, loan = lend_outsider(key())
    return k.lost_on_loan(kk, loan, account="钥匙遗失", now=at, reported_by="desk-2", refund_cents=refund, kept_reason="钥匙遗失",
                          refund_receipt_no="TK-5" if refund else None)


# --- a loss reported by mistake ---------------------------------------------------------------------


def test_a_loss_reported_in_the_cabinet_by_mistake_is_undone_the_same_day_and_kept_as_corrected():  # R-KY-1
    lost = k.report_lost(key(), account="钥匙遗失", now=T0 + timedelta(hours=1), reported_by="desk-2")
    [loss] = lost.losses
    assert (loss.lost_at, loss.reported_by, loss.loan_id) == (T0 + timedelta(hours=1), "desk-2", None)
    back, none = k.correct_loss(lost, None, reason=" 标错了钥匙，应为502 ", by="usr_disp", now=LATER, tz=CST)
    assert none is None
    assert (back.state, back.lost_at) == (k.KeyState.IN_STORE, None)
    [undone] = back.losses
    assert (undone.lost_at, undone.reported_by, undone.found) == (T0 + timedelta(hours=1), "desk-2", None)
    assert undone.correction == k.LossCorrection(reason="标错了钥匙，应为502", corrected_by="usr_disp",
                                                 corrected_at=LATER)
    # As if never lost: the month counts it in the cabinet and no loss in the month; it can be lent again.
    c = k.monthly_count([back], [], LATER, since=NOV[0])
    assert (c.in_store, c.lost, c.lost_in_period, c.found_in_period) == (1, 0, 0, 0)
    nov = k.month_end_count([back], [], start=NOV[0], end=NOV[1])
    assert (nov.in_store, nov.lost, nov.lost_in_period) == (1, 0, 0)
    assert k.lend_key(back, loan_id="L9", borrower_name="x", borrower_kind=k.BorrowerKind.OUTSIDER, borrower_phone="13800138000",
                      signature_sha256=SIG, lent_by="d", due_at=LATER + timedelta(hours=1), now=LATER,
                      id_shown=ID, deposit_cents=100, deposit_receipt_no="Y")[0].state is k.KeyState.ON_LOAN


def test_a_loss_on_loan_undone_reopens_the_loan_and_undoes_its_deposit_settlement():  # R-KY-1
    lost, ended = lost_out()
    assert lost.losses[-1].loan_id == "L1"
    assert k.lost_loan(lost, [ended]) == ended
    back, reopened = k.correct_loss(lost, ended, reason="借用人仍持有钥匙", by="usr_disp", now=LATER, tz=CST)
    assert (back.state, back.lost_at) == (k.KeyState.ON_LOAN, None)
    assert (reopened.lost_at, reopened.lost_reported_by, reopened.deposit_settlement, reopened.returned_at) == (
        None, None, None, None)
    # The settlement the report made is undone with it, and kept in the correction, receipt and all.
    [loss] = back.losses
    assert loss.correction.deposit_settlement == ended.deposit_settlement
    assert loss.correction.deposit_settlement.refund_receipt_no == "TK-5"
    # The deposit is held again; nothing refunded or kept, nothing lost, the key out on its loan.
    c = k.monthly_count([back], [reopened], LATER, since=NOV[0])
    assert (c.on_loan, c.lost, c.lost_in_period, c.deposits_held_cents, c.deposits_refunded_cents,
            c.deposits_kept_cents) == (1, 0, 0, 10000, 0, 0)
    # The real return then settles it afresh.
    kk, returned = k.return_key(back, reopened, received_by="desk-3", now=LATER + timedelta(hours=1),
                                refund_cents=10000, refund_receipt_no="TK-6")
    assert kk.state is k.KeyState.IN_STORE and returned.deposit_settlement.refund_receipt_no == "TK-6"


def test_a_loss_is_corrected_only_on_the_day_it_was_reported_and_while_still_lost():  # R-KY-1
    late = datetime(2026, 11, 3, 23, 50, tzinfo=CST)
    lost, ended = lost_out(at=late)
    next_day = datetime(2026, 11, 4, 0, 5, tzinfo=CST)
    r = refused(k.correct_loss, lost, ended, reason="错登", by="u", now=next_day, tz=CST)
    assert (r.code, r.kind) == (R.LOSS_NOT_CORRECTABLE, "conflict")
    # The day is the compound's: in UTC both instants fall on 3 November.
    assert k.why_loss_not_correctable(lost, now=next_day, tz=UTC) is None
    assert k.why_loss_not_correctable(lost, now=late + timedelta(minutes=9), tz=CST) is None
    # Found again, it is no longer lost: there is no loss in force to correct.
    found = k.record_found(lost, note="保安室拾到", by="u", now=late + timedelta(minutes=5))
    assert refused(k.correct_loss, found, None, reason="x", by="u", now=late + timedelta(minutes=9),
                   tz=CST).code == R.NOT_LOST
    assert refused(k.correct_loss, key(), None, reason="x", by="u", now=LATER, tz=CST).code == R.NOT_LOST


def test_a_loss_needs_a_reason_to_be_corrected_and_the_loan_it_ended():  # R-KY-1
    lost, ended = lost_out()
    for reason in (None, "", "  "):
        r = refused(k.correct_loss, lost, ended, reason=reason, by="u", now=LATER, tz=CST)
        assert (r.code, r.kind, r.details["missing"]) == (R.LOSS_CORRECTION_REASON_REQUIRED, "invalid",
                                                          ["correction_reason"])
    _, other = lend_outsider(key("k2"), loan_id="L2")
    assert refused(k.correct_loss, lost, other, reason="x", by="u", now=LATER, tz=CST).code == R.WRONG_LOAN


# --- a key found again after a real loss ------------------------------------------------------------


def test_a_found_key_is_back_in_the_cabinet_and_its_loss_stays_in_the_month_it_happened():  # R-KY-1
    # Lent 20 Nov, lost 21 Nov (deposit kept), found 3 Dec.
    kk, loan = lend_outsider(key(), at=datetime(2026, 11, 20, 9, tzinfo=CST))
    kk, loan = k.lost_on_loan(kk, loan, account="钥匙遗失", now=datetime(2026, 11, 21, 9, tzinfo=CST), reported_by="desk-2",
                              refund_cents=0, kept_reason="钥匙遗失")
    dec3 = datetime(2026, 12, 3, 15, tzinfo=CST)
    found = k.record_found(kk, note=" 借用人在车里找到后交回 ", by="desk-3", now=dec3)
    assert (found.state, found.lost_at) == (k.KeyState.IN_STORE, None)
    [loss] = found.losses
    assert (loss.lost_at, loss.loan_id, loss.correction) == (datetime(2026, 11, 21, 9, tzinfo=CST), "L1", None)
    assert loss.found == k.KeyFound(found_at=dec3, found_by="desk-3", note="借用人在车里找到后交回")
    # November still counts it lost, December in the cabinet and found.
    nov = k.month_end_count([found], [loan], start=NOV[0], end=NOV[1])
    assert (nov.in_store, nov.lost, nov.lost_in_period, nov.found_in_period, nov.deposits_kept_cents) == (
        0, 1, 1, 0, 10000)
    dec = k.month_end_count([found], [loan], start=DEC[0], end=DEC[1])
    assert (dec.in_store, dec.lost, dec.lost_in_period, dec.found_in_period, dec.deposits_kept_cents) == (
        1, 0, 0, 1, 0)
    # The loan stays ended by the loss, its deposit as settled; the key can be lent again.
    assert loan.lost_at is not None and loan.deposit_settlement.kept_cents == 10000
    assert k.lend_key(found, loan_id="L2", borrower_name="x", borrower_kind=k.BorrowerKind.OUTSIDER, borrower_phone="13800138000",
                      signature_sha256=SIG, lent_by="d", due_at=dec3 + timedelta(hours=1), now=dec3,
                      id_shown=ID, deposit_cents=100, deposit_receipt_no="Y")[0].state is k.KeyState.ON_LOAN


def test_a_key_lost_and_found_in_one_month_counts_the_loss_and_the_find():  # R-KY-1
    lost = k.report_lost(key(), account="钥匙遗失", now=datetime(2026, 11, 5, 9, tzinfo=CST), reported_by="desk-2")
    found = k.record_found(lost, note="柜底找到", by="desk-2", now=datetime(2026, 11, 9, 9, tzinfo=CST))
    nov = k.month_end_count([found], [], start=NOV[0], end=NOV[1])
    assert (nov.in_store, nov.lost, nov.lost_in_period, nov.found_in_period) == (1, 0, 1, 1)
    # Lost again later and still lost: two losses on record, the second in force.
    again = k.report_lost(found, account="钥匙遗失", now=datetime(2026, 12, 2, 9, tzinfo=CST), reported_by="desk-2")
    assert [loss.found is None for loss in again.losses] == [False, True]
    dec = k.month_end_count([again], [], start=DEC[0], end=DEC[1])
    assert (dec.lost, dec.lost_in_period, dec.found_in_period) == (1, 1, 0)


def test_finding_needs_a_lost_key_and_a_note():  # R-KY-1
    assert refused(k.record_found, key(), note="x", by="u", now=LATER).code == R.NOT_LOST
    lost = k.report_lost(key(), account="钥匙遗失", now=T0)
    for note in (None, "", "  "):
        r = refused(k.record_found, lost, note=note, by="u", now=LATER)
        assert (r.code, r.kind, r.details["missing"]) == (R.FOUND_NOTE_REQUIRED, "invalid", ["found_note"])


def test_a_key_lost_before_losses_were_kept_can_be_found_and_corrected():  # R-KY-1
    legacy = k.Key(id="k1", building="3", floor="02", key_type=k.KeyType.OTHER, label="x", state=k.KeyState.LOST,
                   registered_at=T0, lost_at=T0 + timedelta(hours=1))
    assert k.current_loss(legacy) == k.KeyLoss(lost_at=T0 + timedelta(hours=1))
    found = k.record_found(legacy, note="找到", by="u", now=LATER)
    [loss] = found.losses
    assert (found.state, loss.lost_at, loss.found.found_by) == (k.KeyState.IN_STORE, T0 + timedelta(hours=1), "u")
    back, _ = k.correct_loss(legacy, None, reason="错登", by="u", now=LATER, tz=CST)
    assert back.state is k.KeyState.IN_STORE and back.losses[0].correction.reason == "错登"


def test_a_key_lost_on_loan_stored_before_losses_and_receipts_were_kept_still_loads_counts_and_corrects():  # R-KY-1
    # The documents as stored before D72/D80: a key with only `lost_at`, a loan and its settlement without
    # `corrections` or `refund_receipt_no`.
    kk, loan = lost_out(refund=0)
    key_doc, loan_doc = msgspec.to_builtins(kk), msgspec.to_builtins(loan)
    del key_doc["losses"], loan_doc["corrections"], loan_doc["deposit_settlement"]["refund_receipt_no"]
    old_key = msgspec.json.decode(msgspec.json.encode(key_doc), type=k.Key)
    old_loan = msgspec.json.decode(msgspec.json.encode(loan_doc), type=k.KeyLoan)
    assert (old_key.losses, old_loan.corrections, old_loan.deposit_settlement.refund_receipt_no) == ((), (), None)
    # Its loss is read from `lost_at`, counted in its month, and its loan is the one it ended.
    count = k.monthly_count([old_key], [old_loan], T0 + timedelta(hours=2), since=NOV[0])
    assert (count.lost, count.lost_in_period, count.deposits_kept_cents) == (1, 1, 10000)
    [listed] = k.settled_deposits([old_key], [old_loan], T0 + timedelta(hours=2), since=NOV[0])
    assert (listed.ended, listed.settlement.refund_receipt_no, listed.undone) == (k.LoanEnd.LOST, None, None)
    assert k.lost_loan(old_key, [old_loan]) == old_loan
    # Corrected the same day, the loan reopens and the undone report names who reported it and on which loan.
    back, reopened = k.correct_loss(old_key, old_loan, reason="错登", by="u", now=LATER, tz=CST)
    [undone] = back.losses
    assert (back.state, reopened.lost_at, reopened.deposit_settlement) == (k.KeyState.ON_LOAN, None, None)
    assert (undone.reported_by, undone.loan_id, undone.correction.deposit_settlement.kept_cents) == (
        "desk-2", "L1", 10000)


# --- the deposits settled in a month, one by one ------------------------------------------------------


def _november():
    """Four outsiders' loans, all in November 2026:
    A (¥100): back 5 Nov, ¥60 refunded against TK-1, ¥40 kept (lock damaged).
    B (¥50): lost 8 Nov, kept whole.
    C (¥80): back 10 Nov, refunded whole against TK-2, then the return corrected (still out).
    D (¥30): lost 12 Nov with ¥30 refunded against TK-3, the loss corrected the same day, then back
             13 Nov with ¥30 refunded against TK-4.
    E (¥20): back 30 Oct, refunded (October's, not November's)."""
    at = lambda d, h=9: datetime(2026, 11, d, h, tzinfo=CST)  # noqa: E731
    ka, la = lend_outsider(key("kA", datetime(2026, 10, 1, tzinfo=CST)), at=at(1), loan_id="LA",
                           name="甲", deposit=10000)
    ka, la = k.return_key(ka, la, received_by="desk-2", now=at(5), refund_cents=6000, kept_reason="门锁损坏",
                          refund_receipt_no="TK-1")
    kb, lb = lend_outsider(key("kB", datetime(2026, 10, 1, tzinfo=CST)), at=at(2), loan_id="LB", name="乙",
                           deposit=5000)
    kb, lb = k.lost_on_loan(kb, lb, account="钥匙遗失", now=at(8), reported_by="desk-2", refund_cents=0, kept_reason="钥匙遗失")
    kc, lc = lend_outsider(key("kC", datetime(2026, 10, 1, tzinfo=CST)), at=at(3), loan_id="LC", name="丙",
                           deposit=8000)
    kc, lc = k.return_key(kc, lc, received_by="desk-2", now=at(10), refund_cents=8000, refund_receipt_no="TK-2")
    kc, lc = k.correct_return(kc, lc, key_loans=[lc], reason="登记错了钥匙", by="usr_disp", now=at(10, 11), tz=CST)
    kd, ld = lend_outsider(key("kD", datetime(2026, 10, 1, tzinfo=CST)), at=at(4), loan_id="LD", name="丁",
                           deposit=3000)
    kd, ld = k.lost_on_loan(kd, ld, account="钥匙遗失", now=at(12), reported_by="desk-2", refund_cents=3000,
                            refund_receipt_no="TK-3")
    kd, ld = k.correct_loss(kd, ld, reason="钥匙并未丢失", by="usr_disp", now=at(12, 15), tz=CST)
    kd, ld = k.return_key(kd, ld, received_by="desk-2", now=at(13), refund_cents=3000, refund_receipt_no="TK-4")
    ke, le = lend_outsider(key("kE", datetime(2026, 10, 1, tzinfo=CST)), at=datetime(2026, 10, 29, tzinfo=CST),
                           loan_id="LE", name="戊", deposit=2000)
    ke, le = k.return_key(ke, le, received_by="desk-2", now=datetime(2026, 10, 30, tzinfo=CST), refund_cents=2000,
                          refund_receipt_no="TK-0")
    return [ka, kb, kc, kd, ke], [la, lb, lc, ld, le]


def test_the_months_settled_deposits_are_listed_one_by_one_and_add_up_to_its_sums():  # R-KY-1
    keys, loans = _november()
    rows, loans_then = k.register_as_of(keys, loans, NOV[1])
    listed = k.settled_deposits([kk for kk, _ in rows], loans_then, NOV[1], since=NOV[0])
    assert [(d.loan_id, d.borrower_name, d.deposit_cents, d.deposit_receipt_no, d.ended, d.settlement.refunded_cents,
             d.settlement.refund_receipt_no, d.settlement.kept_cents, d.settlement.kept_reason, d.undone is not None)
            for d in listed] == [
        ("LA", "甲", 10000, "YJ-LA", k.LoanEnd.RETURNED, 6000, "TK-1", 4000, "门锁损坏", False),
        ("LB", "乙", 5000, "YJ-LB", k.LoanEnd.LOST, 0, None, 5000, "钥匙遗失", False),
        ("LC", "丙", 8000, "YJ-LC", k.LoanEnd.RETURNED, 8000, "TK-2", 0, None, True),
        ("LD", "丁", 3000, "YJ-LD", k.LoanEnd.LOST, 3000, "TK-3", 0, None, True),
        ("LD", "丁", 3000, "YJ-LD", k.LoanEnd.RETURNED, 3000, "TK-4", 0, None, False),
    ]
    assert listed[0].settlement.settled_by == "desk-2" and listed[0].key_id == "kA"
    assert listed[3].undone == k.SettlementUndone(reason="钥匙并未丢失", corrected_by="usr_disp",
                                                  corrected_at=datetime(2026, 11, 12, 15, tzinfo=CST))
    # Those in force are exactly what the month's sums add up; the undone ones are not in them.
    nov = k.month_end_count(keys, loans, start=NOV[0], end=NOV[1])
    live = [d for d in listed if d.undone is None]
    assert nov.deposits_refunded_cents == sum(d.settlement.refunded_cents for d in live) == 9000
    assert nov.deposits_kept_cents == sum(d.settlement.kept_cents for d in live) == 9000
    assert (nov.lost, nov.lost_in_period) == (1, 1)  # B; D's loss was a mistake


def test_a_months_settled_deposits_are_recomputed_as_the_register_stood_at_its_end():  # R-KY-1
    keys, loans = _november()
    # The live list at 11 Nov noon: A, B and C's (undone) so far; October's E is not November's.
    at = datetime(2026, 11, 11, 12, tzinfo=CST)
    rows, loans_then = k.register_as_of(keys, loans, at)
    listed = k.settled_deposits([kk for kk, _ in rows], loans_then, at, since=NOV[0])
    assert [d.loan_id for d in listed] == ["LA", "LB", "LC"]
    # October's sheet lists only E.
    oct_start, oct_end = month_bounds(2026, 10, CST)
    rows, loans_then = k.register_as_of(keys, loans, oct_end)
    assert [d.loan_id for d in k.settled_deposits([kk for kk, _ in rows], loans_then, oct_end, since=oct_start)] == [
        "LE"]
