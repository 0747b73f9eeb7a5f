"""What the desk must record so a key can be chased (R-KY-1, D119): what happened when a key is reported
lost, an outsider's phone number, and a default due time inside the compound's working hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import pytest

from server.domain import keys as k
from server.domain.calendar import BusinessCalendar
from server.domain.errors import DomainError

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=CST)  # a Monday, inside working hours
SIG = "cd" * 32
CAL = BusinessCalendar(tz="Asia/Shanghai", work_start=time(8, 30), work_end=time(17, 30))
R = k.KeyRefusal


def key() -> k.Key:
    return k.register_key(id="k1", building="3", floor="02", key_type=k.KeyType.RESIDENT_ENTRUSTED,
                          label="3-02", now=T0 - timedelta(days=30))


def lend_outsider(phone: str | None = "138 0013 8000"):  # noqa: ANN201
    return k.lend_key(key(), loan_id="L1", borrower_name="装修工 王某", borrower_kind=k.BorrowerKind.OUTSIDER,
                      signature_sha256=SIG, lent_by="desk-1", due_at=T0 + timedelta(hours=2), now=T0,
                      id_shown=k.IdShown(doc_type=k.IdDocType.RESIDENT_ID_CARD, last4="1234"),
                      deposit_cents=5000, deposit_receipt_no="YJ-1", borrower_phone=phone)


def code(fn, *a, **kw) -> tuple[str, dict]:  # noqa: ANN001, ANN002, ANN003
    with pytest.raises(DomainError) as e:
        fn(*a, **kw)
    return e.value.refusal.code, e.value.refusal.details


def test_an_outsider_loan_needs_a_phone_number_to_chase_it_by():  # R-KY-1
    for phone in (None, "", "   ", "abc", "12"):
        c, details = code(lend_outsider, phone)
        assert c == R.PHONE_REQUIRED and details["missing"] == ["borrower_phone"], phone
    _, loan = lend_outsider(" 138-0013-8000 ")
    assert loan.borrower_phone == "138-0013-8000"


def test_a_staff_loan_needs_no_phone_and_keeps_none():  # R-KY-1
    _, loan = k.lend_key(key(), loan_id="L1", borrower_name="张师傅", borrower_kind=k.BorrowerKind.STAFF,
                         borrower_user_id="usr_zhang", signature_sha256=SIG, lent_by="desk-1",
                         due_at=T0 + timedelta(hours=2), now=T0, borrower_phone="13800138000")
    assert loan.borrower_phone is None  # a staff member is reached through their account


def test_a_loss_is_recorded_with_what_happened():  # R-KY-1
    for account in (None, "", "  "):
        c, details = code(k.report_lost, key(), now=T0, reported_by="desk-1", account=account)
        assert c == R.LOSS_ACCOUNT_REQUIRED and details["missing"] == ["loss_account"]
    lost = k.report_lost(key(), now=T0, reported_by="desk-1", account=" 清点时发现钥匙不在挂钩上 ")
    assert lost.losses[-1].account == "清点时发现钥匙不在挂钩上"


def test_a_key_lost_on_loan_is_recorded_with_what_happened():  # R-KY-1
    kk, loan = lend_outsider()
    c, _ = code(k.lost_on_loan, kk, loan, now=T0 + timedelta(hours=1), reported_by="desk-1",
                refund_cents=0, kept_reason="钥匙遗失")
    assert c == R.LOSS_ACCOUNT_REQUIRED
    lost, _ = k.lost_on_loan(kk, loan, now=T0 + timedelta(hours=1), reported_by="desk-1", refund_cents=0,
                             kept_reason="钥匙遗失", account="王某称钥匙在工地丢失")
    assert lost.losses[-1].account == "王某称钥匙在工地丢失" and lost.losses[-1].loan_id == "L1"


def test_a_loss_stored_before_the_account_was_asked_still_loads():  # R-KY-1
    import msgspec

    old = msgspec.json.encode({"lost_at": T0.isoformat(), "reported_by": "desk-1"})
    assert msgspec.json.decode(old, type=k.KeyLoss).account is None


def local(at: datetime) -> datetime:
    return at.astimezone(CST)


def test_the_default_due_is_the_end_of_the_working_day_it_is_lent_in():  # R-KY-1
    assert local(k.default_due(T0, CAL)) == datetime(2026, 11, 23, 17, 30, tzinfo=CST)
    # Before the desk opens on a working day: still that day's close.
    assert local(k.default_due(datetime(2026, 11, 23, 7, 0, tzinfo=CST), CAL)) == datetime(2026, 11, 23, 17, 30, tzinfo=CST)


def test_the_default_due_after_hours_is_the_next_working_days_start():  # R-KY-1
    # Lent at 20:40 (the reviewer's case: "4 hours later" fell at 00:40).
    assert local(k.default_due(datetime(2026, 11, 23, 20, 40, tzinfo=CST), CAL)) == datetime(2026, 11, 24, 8, 30, tzinfo=CST)
    # Friday evening and Saturday: Monday morning.
    assert local(k.default_due(datetime(2026, 11, 27, 18, 0, tzinfo=CST), CAL)) == datetime(2026, 11, 30, 8, 30, tzinfo=CST)
    assert local(k.default_due(datetime(2026, 11, 28, 11, 0, tzinfo=CST), CAL)) == datetime(2026, 11, 30, 8, 30, tzinfo=CST)
    assert k.default_due(datetime(2026, 11, 28, 11, 0, tzinfo=CST), CAL).tzinfo == UTC
