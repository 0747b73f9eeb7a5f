"""Key register: filing, signed loans, outsiders' ID and deposit, overdue loans, the monthly count."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import msgspec
import pytest

from server.domain import keys as k
from server.domain.errors import DomainError

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 3, 9, 0, tzinfo=CST)
SIG = "cd" * 32
R = k.KeyRefusal


def key(
    id: str = "k1", building: str = "3", floor: str = "02", key_type: k.KeyType = k.KeyType.RESIDENT_ENTRUSTED
):
    return k.register_key(
        id=id, building=building, floor=floor, key_type=key_type, label=f"{building}-{floor}", now=T0
    )


def lend(
    kk: k.Key, *, kind: k.BorrowerKind = k.BorrowerKind.STAFF, hours: int = 4, loan_id: str = "L1", **kw
):
    return k.lend_key(
        kk,
        loan_id=loan_id,
        borrower_name=kw.pop("name", "张师傅"),
        borrower_kind=kind,
        borrower_user_id=kw.pop("user_id", "usr_zhang" if kind is k.BorrowerKind.STAFF else None),
        signature_sha256=kw.pop("sig", SIG),
        lent_by="desk-1",
        due_at=T0 + timedelta(hours=hours),
        now=T0,
        **kw,
    )


def test_keys_are_filed_by_building_then_floor_then_type():  # R-KY-1
    keys = [
        key("a", "5", "01", k.KeyType.OTHER),
        key("b", "3", "10", k.KeyType.RESIDENT_ENTRUSTED),
        key("c", "3", "02", k.KeyType.PLANT_ROOM_SPARE),
        key("d", "3", "02", k.KeyType.OTHER),
    ]
    assert [x.id for x in k.filing_order(keys)] == ["d", "c", "b", "a"]
    assert {t.value for t in k.KeyType} == {"resident_entrusted", "plant_room_spare", "other"}


@pytest.mark.parametrize(("sig", "name"), [("", "张"), ("xyz", "张"), (SIG.upper(), "张"), (SIG, "  ")])
def test_every_loan_needs_a_name_and_signature(sig, name):  # R-KY-1
    with pytest.raises(DomainError) as e:
        lend(key(), sig=sig, name=name)
    assert e.value.refusal.code == R.SIGNATURE_MISSING


def test_staff_loan_is_signed_and_key_leaves_the_store():  # R-KY-1
    kk, loan = lend(key())
    assert kk.state is k.KeyState.ON_LOAN
    assert (loan.signature_sha256, loan.borrower_kind, loan.id_shown, loan.deposit_cents) == (
        SIG,
        k.BorrowerKind.STAFF,
        None,
        0,
    )
    with pytest.raises(DomainError) as e:
        lend(kk, loan_id="L2")
    assert e.value.refusal.code == R.NOT_IN_STORE


def test_a_staff_loan_must_name_a_staff_account():  # R-KY-1
    # "Staff" waives the ID and deposit, so it cannot be a name typed at the counter.
    with pytest.raises(DomainError) as e:
        lend(key(), user_id=None)
    assert e.value.refusal.code == R.STAFF_NOT_IDENTIFIED
    _, loan = lend(key(), user_id="usr_zhang")
    assert loan.borrower_user_id == "usr_zhang"


ID = k.IdShown(doc_type=k.IdDocType.RESIDENT_ID_CARD, last4="123X")


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({}, R.ID_REQUIRED),
        ({"deposit_cents": 10000, "deposit_receipt_no": "D-1"}, R.ID_REQUIRED),
        ({"id_shown": ID}, R.DEPOSIT_REQUIRED),
        ({"id_shown": ID, "deposit_cents": 10000}, R.DEPOSIT_REQUIRED),  # no receipt for the deposit
        ({"id_shown": ID, "deposit_cents": 0, "deposit_receipt_no": "D-1"}, R.DEPOSIT_REQUIRED),
        (
            {
                "id_shown": k.IdShown(doc_type=k.IdDocType.PASSPORT, last4="E12345678"),
                "deposit_cents": 1,
                "deposit_receipt_no": "D-1",
            },
            R.ID_TOO_LONG,
        ),
    ],
)
def test_outsider_must_show_id_and_pay_a_deposit(extra, code):  # R-KY-1
    with pytest.raises(DomainError) as e:
        lend(key(), kind=k.BorrowerKind.OUTSIDER, **extra)
    assert e.value.refusal.code == code


def test_outsider_loan_keeps_only_id_type_and_last_four():  # R-KY-1
    _, loan = lend(
        key(), kind=k.BorrowerKind.OUTSIDER, id_shown=ID, deposit_cents=10000, deposit_receipt_no="D-1",
        borrower_phone="13800138000",
    )
    assert loan.id_shown == ID and loan.deposit_cents == 10000
    encoded = msgspec.json.encode(loan)
    assert b"123X" in encoded and len(ID.last4) == 4


def test_return_puts_the_key_back_and_closes_the_loan():  # R-KY-1
    kk, loan = lend(key())
    back_at = T0 + timedelta(hours=2)
    kk2, loan2 = k.return_key(kk, loan, received_by="desk-2", now=back_at)
    assert kk2.state is k.KeyState.IN_STORE and loan2.returned_at == back_at and loan2.received_by == "desk-2"
    with pytest.raises(DomainError) as e:
        k.return_key(kk2, loan2, received_by="desk-2", now=back_at)
    assert e.value.refusal.code == R.NOT_ON_LOAN
    with pytest.raises(DomainError) as e:
        k.return_key(key("other"), loan, received_by="desk-2", now=back_at)
    assert e.value.refusal.code == R.WRONG_LOAN


def test_loan_due_time_must_follow_the_loan():  # R-KY-1
    with pytest.raises(DomainError) as e:
        lend(key(), hours=0)
    assert e.value.refusal.code == R.DUE_BEFORE_LOAN


@pytest.mark.parametrize(
    ("now", "overdue"),
    [(T0 + timedelta(hours=4), False), (T0 + timedelta(hours=4, seconds=1), True), (T0, False)],
)
def test_open_loan_is_overdue_only_after_its_due_time(now, overdue):  # R-KY-1
    _, loan = lend(key(), hours=4)
    assert k.is_overdue(loan, now) is overdue
    assert k.overdue_loans([loan], now) == ([loan] if overdue else [])


def test_returned_loan_is_never_overdue():  # R-KY-1
    kk, loan = lend(key(), hours=1)
    _, back = k.return_key(kk, loan, received_by="d", now=T0 + timedelta(hours=5))
    assert not k.is_overdue(back, T0 + timedelta(days=30))


def test_monthly_count_hand_computed():  # R-KY-1
    now = datetime(2026, 11, 30, 17, 0, tzinfo=CST)
    k1, k2 = key("k1"), key("k2", key_type=k.KeyType.PLANT_ROOM_SPARE)
    k3, loan3 = lend(
        key("k3", key_type=k.KeyType.PLANT_ROOM_SPARE), loan_id="L3", hours=24 * 60
    )  # due in January
    k4, loan4 = lend(key("k4"), loan_id="L4", hours=2)  # due 3 Nov 11:00, still out: overdue
    k5 = k.report_lost(key("k5", key_type=k.KeyType.OTHER), account="钥匙遗失", now=T0)
    # k1 was lent and returned late in the month: its old loan is history, not overdue
    k1_out, loan1 = lend(k1, loan_id="L1", hours=1)
    k1, loan1 = k.return_key(k1_out, loan1, received_by="d", now=T0 + timedelta(days=2))
    count = k.monthly_count([k1, k2, k3, k4, k5], [loan1, loan3, loan4], now)
    # 5 keys: in store k1, k2 = 2; on loan k3, k4 = 2, of which k4 overdue = 1; lost k5 = 1
    assert (count.total, count.in_store, count.on_loan, count.overdue, count.lost) == (5, 2, 2, 1, 1)
    # by type: entrusted k1, k4 = 2; plant-room k2, k3 = 2; other k5 = 1
    assert count.by_type == {
        k.KeyType.RESIDENT_ENTRUSTED: 2,
        k.KeyType.PLANT_ROOM_SPARE: 2,
        k.KeyType.OTHER: 1,
    }


def test_lost_key_cannot_be_lent_or_lost_twice():  # R-KY-1
    lost = k.report_lost(key(), account="钥匙遗失", now=T0)
    with pytest.raises(DomainError) as e:
        lend(lost)
    assert e.value.refusal.code == R.NOT_IN_STORE
    with pytest.raises(DomainError) as e:
        k.report_lost(lost, account="钥匙遗失", now=T0)
    assert e.value.refusal.code == R.ALREADY_LOST


def test_a_key_lost_while_lent_ends_its_loan_and_is_no_longer_overdue():  # R-KY-1
    kk, loan = lend(key(), hours=1)
    later = T0 + timedelta(hours=5)
    assert k.is_overdue(loan, later)
    lost, ended = k.lost_on_loan(kk, loan, account="钥匙遗失", now=later, reported_by="desk-2")
    assert lost.state is k.KeyState.LOST and ended.lost_at == later and ended.returned_at is None
    assert not k.is_overdue(ended, later + timedelta(days=30))
    assert ended.borrower_name == loan.borrower_name  # who had it stays on the record
    count = k.monthly_count([lost], [ended], later)
    assert (count.on_loan, count.overdue, count.lost) == (0, 0, 1)
    with pytest.raises(DomainError) as e:
        k.lost_on_loan(lost, ended, account="钥匙遗失", now=later, reported_by="desk-2")
    assert e.value.refusal.code == R.NOT_ON_LOAN
