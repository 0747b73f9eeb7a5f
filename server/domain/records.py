"""Record keeping: how long records are archived and kept (R-RC-1), and how compensation is settled (R-RC-2)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

from server.domain.errors import DomainError, Refusal, fail, refuse
from server.domain.roles import APPROVERS, Role

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")

HELP_LOG_KEPT_YEARS = 2  # archived at the start of the next year, then kept two years
RELEASE_SLIP_HANDOVER = timedelta(days=10)  # security hands its copies in every 10 days (R-RS-4)


class RecordKind(StrEnum):
    HELP_LOG = "help_log"  # 住户求助登记表
    SERVICE_SLIP = "service_slip"  # 服务单: the basis for billing
    RELEASE_SLIP = "release_slip"  # 放行通知单


class RecordsRefusal(StrEnum):
    INVALID_AMOUNT = "records.invalid_amount"
    PHONE_APPROVAL_ONLY_FOR_SMALL = "records.phone_approval_only_for_small"
    NO_PHONE_APPROVAL = "records.no_phone_approval"
    NO_WRITTEN_CONFIRMATION = "records.no_written_confirmation"
    NO_SIGNED_MEMO = "records.no_signed_memo"
    MEMO_NOT_SIGNED_BY_OWNER = "records.memo_not_signed_by_owner"
    NOT_ALLOWED_TO_CLOSE = "records.not_allowed_to_close"
    ALREADY_CLOSED = "records.already_closed"


def _start_of_year(year: int, like: datetime) -> datetime:
    return like.replace(year=year, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


def archive_due(kind: RecordKind, created_at: datetime) -> datetime:
    """When the record must be in the archive. Year boundaries are taken in `created_at`'s own zone,
    so pass the compound's local time."""
    if kind is RecordKind.HELP_LOG:
        return _start_of_year(created_at.year + 1, created_at)
    if kind is RecordKind.RELEASE_SLIP:
        return created_at + RELEASE_SLIP_HANDOVER
    return created_at  # a service slip is filed as soon as the dispatcher countersigns it


def retention_until(kind: RecordKind, created_at: datetime) -> datetime | None:
    """The first moment the record may be destroyed; None means keep it (no end is set for slips,
    which back billing and release disputes)."""
    if kind is RecordKind.HELP_LOG:
        return _start_of_year(created_at.year + 1 + HELP_LOG_KEPT_YEARS, created_at)
    return None


def may_purge(kind: RecordKind, created_at: datetime, now: datetime, *, on_hold: bool = False) -> bool:
    """A record under a hold (an open complaint, a dispute) is never purged, whatever its age."""
    until = retention_until(kind, created_at)
    return not on_hold and until is not None and now >= until


# --- compensation (R-RC-2) -------------------------------------------------------------------


class PhoneApproval(msgspec.Struct, frozen=True, kw_only=True):
    developer_lead: str
    approved_at: datetime


class SettlementMemo(msgspec.Struct, frozen=True, kw_only=True):
    """和解备忘: ends a large compensation; the owner signs it."""

    memo_no: str
    owner_name: str
    owner_signature_sha256: str
    amount_cents: int
    signed_at: datetime


class Compensation(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    case_id: str
    amount_cents: int
    # The compound's line between "small" and "large"; kept on the record so a later change
    # of the setting does not change how an open compensation must be closed.
    threshold_cents: int
    opened_at: datetime
    opened_by: str
    phone_approval: PhoneApproval | None = None
    written_confirmation_no: str | None = None  # the work-contact slip confirming the call
    memo: SettlementMemo | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None


def is_large(comp: Compensation) -> bool:
    return comp.amount_cents > comp.threshold_cents


def open_compensation(
    *, id: str, case_id: str, amount_cents: int, threshold_cents: int, by_id: str, now: datetime
) -> Compensation:
    if amount_cents <= 0 or threshold_cents < 0:
        raise fail(
            RecordsRefusal.INVALID_AMOUNT,
            "赔付金额不正确",
            "The amount is not valid",
            kind="invalid",
            amount_cents=amount_cents,
            threshold_cents=threshold_cents,
        )
    return Compensation(
        id=id,
        case_id=case_id,
        amount_cents=amount_cents,
        threshold_cents=threshold_cents,
        opened_at=now,
        opened_by=by_id,
    )


def record_phone_approval(comp: Compensation, *, developer_lead: str, now: datetime) -> Compensation:
    """Only a small sum may be agreed by phone; a large one is negotiated and ends in a memo."""
    if is_large(comp):
        raise fail(
            RecordsRefusal.PHONE_APPROVAL_ONLY_FOR_SMALL,
            "赔付金额较大,须协商并签署和解备忘",
            "A large sum needs negotiation and a settlement memo",
            amount_cents=comp.amount_cents,
            threshold_cents=comp.threshold_cents,
        )
    return msgspec.structs.replace(
        comp, phone_approval=PhoneApproval(developer_lead=developer_lead, approved_at=now)
    )


def record_written_confirmation(comp: Compensation, *, contact_slip_no: str) -> Compensation:
    if comp.phone_approval is None:
        raise fail(RecordsRefusal.NO_PHONE_APPROVAL, "尚无开发商电话同意", "No phone approval to confirm")
    return msgspec.structs.replace(comp, written_confirmation_no=contact_slip_no.strip() or None)


def record_memo(comp: Compensation, memo: SettlementMemo) -> Compensation:
    if not SHA256_HEX.match(memo.owner_signature_sha256) or not memo.owner_name.strip():
        raise fail(
            RecordsRefusal.MEMO_NOT_SIGNED_BY_OWNER,
            "和解备忘须业主签字",
            "The settlement memo must be signed by the owner",
            kind="invalid",
            missing=["owner_signature"],
        )
    return msgspec.structs.replace(comp, memo=memo)


def close_refusal(comp: Compensation, *, by_role: Role) -> Refusal | None:
    if comp.closed_at is not None:
        return refuse(RecordsRefusal.ALREADY_CLOSED, "已结案", "Already closed")
    if by_role not in APPROVERS:
        return refuse(
            RecordsRefusal.NOT_ALLOWED_TO_CLOSE,
            "赔付由管理处负责人结案",
            "Only the manager or leadership closes a compensation",
            kind="forbidden",
            role=str(by_role),
        )
    if is_large(comp):
        if comp.memo is None:
            return refuse(
                RecordsRefusal.NO_SIGNED_MEMO,
                "较大赔付须有业主签署的和解备忘",
                "A large compensation needs a settlement memo signed by the owner",
                missing=["settlement_memo"],
            )
        return None
    if comp.phone_approval is None:
        return refuse(
            RecordsRefusal.NO_PHONE_APPROVAL,
            "小额赔付须经开发商有关领导同意",
            "A small compensation needs the developer lead's approval",
            missing=["phone_approval"],
        )
    if comp.written_confirmation_no is None:
        return refuse(
            RecordsRefusal.NO_WRITTEN_CONFIRMATION,
            "电话同意后须书面确认",
            "The phone approval must be confirmed in writing",
            missing=["written_confirmation"],
        )
    return None


def close_compensation(comp: Compensation, *, by_role: Role, by_id: str, now: datetime) -> Compensation:
    if refusal := close_refusal(comp, by_role=by_role):
        raise DomainError(refusal)
    return msgspec.structs.replace(comp, closed_at=now, closed_by=by_id)
