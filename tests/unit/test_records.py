"""Record retention and compensation settlement."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from server.domain import records as rc
from server.domain.errors import DomainError
from server.domain.roles import Role

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 3, 9, 0, tzinfo=CST)
SIG = "ef" * 32
R = rc.RecordsRefusal
HELP, SLIP, RELEASE = rc.RecordKind.HELP_LOG, rc.RecordKind.SERVICE_SLIP, rc.RecordKind.RELEASE_SLIP


def at(y, m, d, h=0, mi=0, tz=CST):
    return datetime(y, m, d, h, mi, tzinfo=tz)


@pytest.mark.parametrize(
    ("created", "archived", "kept_until"),
    [
        # written in 2026 → archived at the start of 2027 → kept two years → until 1 Jan 2029
        (at(2026, 3, 15, 10), at(2027, 1, 1), at(2029, 1, 1)),
        (at(2026, 1, 1), at(2027, 1, 1), at(2029, 1, 1)),
        (at(2026, 12, 31, 23, 59), at(2027, 1, 1), at(2029, 1, 1)),
        # 00:30 on 1 Jan in the compound is still 31 Dec in UTC: the local year decides
        (at(2027, 1, 1, 0, 30), at(2028, 1, 1), at(2030, 1, 1)),
    ],
)
def test_help_log_is_archived_each_new_year_and_kept_two_years(created, archived, kept_until):  # R-RC-1
    assert rc.archive_due(HELP, created) == archived
    assert rc.retention_until(HELP, created) == kept_until


@pytest.mark.parametrize(
    ("now", "on_hold", "purge"),
    [
        (at(2028, 12, 31, 23, 59), False, False),
        (at(2029, 1, 1), False, True),
        (at(2029, 1, 1), True, False),  # a hold beats age
    ],
)
def test_help_log_may_be_purged_only_after_its_two_years(now, on_hold, purge):  # R-RC-1
    assert rc.may_purge(HELP, at(2026, 6, 1), now, on_hold=on_hold) is purge


@pytest.mark.parametrize("kind", [SLIP, RELEASE])
def test_service_and_release_slips_are_archived_and_never_purged_by_age(kind):  # R-RC-1
    created = at(2026, 6, 1)
    assert rc.retention_until(kind, created) is None
    assert not rc.may_purge(kind, created, at(2040, 1, 1))


def test_slips_archive_dates():  # R-RC-1
    # a service slip is filed when countersigned; security hands release-slip copies in every 10 days (R-RS-4)
    assert rc.archive_due(SLIP, T0) == T0
    assert rc.archive_due(RELEASE, T0) == T0 + timedelta(days=10)


def small(amount: int = 50000, threshold: int = 50000) -> rc.Compensation:
    return rc.open_compensation(
        id="cp-1", case_id="case-3", amount_cents=amount, threshold_cents=threshold, by_id="mgr", now=T0
    )


def test_small_compensation_closes_after_phone_approval_then_written_confirmation():  # R-RC-2
    c = small()  # 500.00 yuan with a 500.00 threshold: small (the line itself is small)
    assert not rc.is_large(c)
    assert rc.close_refusal(c, by_role=Role.MANAGER).code == R.NO_PHONE_APPROVAL
    c = rc.record_phone_approval(c, developer_lead="开发商工程部刘经理", now=T0)
    assert rc.close_refusal(c, by_role=Role.MANAGER).code == R.NO_WRITTEN_CONFIRMATION
    c = rc.record_written_confirmation(c, contact_slip_no="GZLX-2026-031")
    closed = rc.close_compensation(c, by_role=Role.MANAGER, by_id="mgr", now=T0 + timedelta(days=1))
    assert closed.closed_at == T0 + timedelta(days=1)
    with pytest.raises(DomainError) as e:
        rc.close_compensation(closed, by_role=Role.MANAGER, by_id="mgr", now=T0)
    assert e.value.refusal.code == R.ALREADY_CLOSED


def test_written_confirmation_needs_a_phone_approval_first():  # R-RC-2
    with pytest.raises(DomainError) as e:
        rc.record_written_confirmation(small(), contact_slip_no="X")
    assert e.value.refusal.code == R.NO_PHONE_APPROVAL


def test_large_compensation_cannot_close_without_a_memo_signed_by_the_owner():  # R-RC-2
    c = small(amount=50001)  # one fen over the line: large
    assert rc.is_large(c)
    with pytest.raises(DomainError) as e:
        rc.record_phone_approval(c, developer_lead="刘经理", now=T0)
    assert e.value.refusal.code == R.PHONE_APPROVAL_ONLY_FOR_SMALL
    with pytest.raises(DomainError) as e:
        rc.close_compensation(c, by_role=Role.MANAGER, by_id="mgr", now=T0)
    assert e.value.refusal.code == R.NO_SIGNED_MEMO and e.value.refusal.details["missing"] == [
        "settlement_memo"
    ]
    unsigned = rc.SettlementMemo(
        memo_no="HJ-1", owner_name="陈先生", owner_signature_sha256="", amount_cents=45000, signed_at=T0
    )
    with pytest.raises(DomainError) as e:
        rc.record_memo(c, unsigned)
    assert e.value.refusal.code == R.MEMO_NOT_SIGNED_BY_OWNER
    signed = rc.record_memo(
        c,
        rc.SettlementMemo(
            memo_no="HJ-1", owner_name="陈先生", owner_signature_sha256=SIG, amount_cents=45000, signed_at=T0
        ),
    )
    assert rc.close_compensation(signed, by_role=Role.MANAGER, by_id="mgr", now=T0).closed_by == "mgr"


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.FRONT_DESK, Role.TECHNICIAN, Role.CASHIER])
def test_only_manager_or_leadership_closes_a_compensation(role):  # R-RC-2
    c = rc.record_written_confirmation(
        rc.record_phone_approval(small(), developer_lead="刘", now=T0), contact_slip_no="X-1"
    )
    with pytest.raises(DomainError) as e:
        rc.close_compensation(c, by_role=role, by_id="x", now=T0)
    assert e.value.refusal.code == R.NOT_ALLOWED_TO_CLOSE


@pytest.mark.parametrize(("amount", "threshold"), [(0, 100), (-1, 100), (100, -1)])
def test_compensation_amounts_must_be_valid(amount, threshold):  # R-RC-2
    with pytest.raises(DomainError) as e:
        small(amount, threshold)
    assert e.value.refusal.code == R.INVALID_AMOUNT
