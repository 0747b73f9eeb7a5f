"""Release slips (放行通知单): who may get one and on what evidence, single use at the gate, and the
security copies' ten-day hand-in (R-RS-1..6). Pure: the clock, ids and the compound time zone are passed in.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Collection, Iterable
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

import msgspec

from server.domain.errors import DomainError, Notice, Refusal, fail, refuse
from server.domain.roles import DESK, Role

# The gate's QR carries the validity window; rotation overlap of the signing keys must cover it.
MAX_VALIDITY = timedelta(days=7)
HANDIN_PERIOD_DAYS = 10

# Same shape as the signed payload accepts (server/gate/signing.py), so an issued slip can always be signed.
_GATE_RE = re.compile(r"[A-Z0-9]{1,6}")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_LAST4_RE = re.compile(r"[0-9A-Za-z]{4}")


class Relation(StrEnum):
    """How the person asking for the slip relates to the unit."""

    OWNER = "owner"  # 业主本人
    HOUSEHOLD_MEMBER = "household_member"  # 家属: counts only if on the owner's record
    TENANT = "tenant"  # 租户
    NANNY = "nanny"  # 保姆: never counts as household, registered or not
    FRIEND = "friend"
    EMPLOYEE = "employee"
    UNREGISTERED_RELATIVE = "unregistered_relative"
    CONTRACTOR = "contractor"  # 施工人员 (hand-over of new homes)
    RENOVATION_WORKER = "renovation_worker"  # 装修工人


class IssuePath(StrEnum):
    """Which rule let the slip out."""

    SELF = "self"  # R-RS-2: owner or registered household member, own ID
    DELEGATE = "delegate"  # R-RS-3: the owner's written authorisation
    HANDOVER_CONTRACTOR = "handover_contractor"  # R-RS-5: engineering confirmed
    RENOVATION_TOOLS = "renovation_tools"  # R-RS-6: owner confirmed, gate told the tools


class IdType(StrEnum):
    RESIDENT_ID_CARD = "resident_id_card"  # 居民身份证
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"  # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证
    FOREIGN_RESIDENCE_PERMIT = "foreign_residence_permit"
    OTHER = "other"


class AuthorisationKind(StrEnum):
    WRITTEN = "written"  # 书面授权委托书
    PHONE_CALL = "phone_call"  # recorded so the refusal can cite it; never enough (R-RS-3)


class SignatureSource(StrEnum):
    DEVICE = "device"  # signed on the desk tablet / phone
    SCANNED = "scanned"  # paper signature, scanned


class ConfirmationChannel(StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    APP = "app"


class Signer(StrEnum):
    """Whose signature a slip carries, as the gate and the printed copies name it."""

    REQUESTER = "requester"  # the person at the desk (owner, household member, delegate, worker)
    OWNER = "owner"  # the owner signing beside a household member for large / valuable items (R-RS-1)
    LETTER_OWNER = "letter_owner"  # the owner's own signature on the written authorisation (R-RS-3)


class SlipState(StrEnum):
    ISSUED = "issued"
    RELEASED = "released"
    REVOKED = "revoked"
    EXPIRED = "expired"  # issued, never released, validity window over


class CopyHolder(StrEnum):
    SERVICE_CENTRE = "service_centre"  # 服务中心联
    SECURITY = "security"  # 安全护卫部联


class IncidentKind(StrEnum):
    DOUBLE_RELEASE = "double_release"  # two gates let the same slip out (both offline)
    RELEASED_WHILE_REVOKED = "released_while_revoked"  # the gate's revocation list was stale
    RELEASED_OUTSIDE_VALIDITY = "released_outside_validity"  # gate clock or cache wrong
    WRONG_GATE = "wrong_gate"  # released at a gate the slip does not name
    UNKNOWN_GATE = "unknown_gate"  # released at a gate the compound's directory does not list (D47)


class SlipReason(StrEnum):
    """Closed set of refusal codes for release slips."""

    ISSUER_NOT_DESK = "slip.issuer_not_desk"
    NO_ITEMS = "slip.no_items"
    BAD_ITEM = "slip.bad_item"
    BAD_GATES = "slip.bad_gates"
    BAD_VALIDITY = "slip.bad_validity_window"
    BAD_HASH = "slip.bad_blob_hash"
    ID_NOT_CHECKED = "slip.id_not_checked"
    FULL_ID_NUMBER = "slip.full_id_number_refused"
    BAD_ID_LAST4 = "slip.bad_id_last4"
    NOT_SIGNED = "slip.requester_not_signed"
    OWNER_SIGNATURE_REQUIRED = "slip.owner_signature_required"
    AUTHORISATION_REQUIRED = "slip.written_authorisation_required"
    PHONE_CALL_NOT_AUTHORISATION = "slip.phone_call_not_authorisation"
    AUTHORISATION_INCOMPLETE = "slip.authorisation_incomplete"
    AUTHORISATION_NAME_MISMATCH = "slip.authorisation_name_mismatch"
    AUTHORISATION_DATE_MISMATCH = "slip.authorisation_date_mismatch"
    AUTHORISATION_ITEMS_NOT_COVERED = "slip.authorisation_items_not_covered"
    ENGINEERING_CONFIRMATION_REQUIRED = "slip.engineering_confirmation_required"
    CONFIRMER_NOT_ENGINEERING = "slip.confirmer_not_engineering"
    OWNER_CONFIRMATION_REQUIRED = "slip.owner_tool_confirmation_required"
    CONFIRMATION_AFTER_ISSUE = "slip.confirmation_after_issue"
    RELEASER_NOT_GUARD = "slip.releaser_not_guard"
    NOT_REVOCABLE = "slip.not_revocable"
    HANDIN_RECEIVER_NOT_DESK = "slip.handin_receiver_not_desk"
    HANDIN_TOO_EARLY = "slip.handin_before_period_end"
    HANDIN_UNKNOWN_SLIP = "slip.handin_unknown_slip"


# --- value types -----------------------------------------------------------------------------------


class StaffRef(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    role: Role
    name: str = ""


class Item(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    quantity: int = 1
    valuable: bool = False  # 贵重
    large: bool = False  # 大件
    tool: bool = False  # renovation tool (R-RS-6)


class IdCheck(msgspec.Struct, frozen=True, kw_only=True):
    """An ID shown at the desk. Only the type and the last four characters are ever kept."""

    id_type: IdType
    last4: str
    checked_by: str  # staff id
    checked_at: datetime


class Authorisation(msgspec.Struct, frozen=True, kw_only=True):
    """The owner's authorisation letter (授权委托书), attached to the slip (R-RS-3)."""

    kind: AuthorisationKind
    delegate_name: str = ""
    visit_date: date | None = None  # the day the letter sends the delegate to the desk
    items: tuple[str, ...] = ()
    owner_signature_sha256: str | None = None  # the owner's own signature on the letter
    owner_signature_source: SignatureSource | None = None
    owner_id_copy_sha256: str | None = None  # the owner's ID copy attached to the letter
    letter_sha256: str | None = None  # scan of the whole letter, when available


class EngineeringConfirmation(msgspec.Struct, frozen=True, kw_only=True):
    """The developer's engineering staff confirm a contractor's items during hand-over (R-RS-5)."""

    confirmed_by: StaffRef
    confirmed_at: datetime
    note: str = ""


class OwnerConfirmation(msgspec.Struct, frozen=True, kw_only=True):
    """The owner confirms a renovation worker may take these tools out (R-RS-6)."""

    owner_name: str
    channel: ConfirmationChannel
    confirmed_at: datetime
    recorded_by: str  # desk staff id


class SlipRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the desk collected before issuing."""

    unit_label: str
    requester_name: str
    relation: Relation
    registered_on_owner_record: bool = False
    items: tuple[Item, ...]
    gates: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime
    requester_signature_sha256: str | None = None
    owner_signature_sha256: str | None = None  # the owner signing this slip (R-RS-1)
    # The unit's registered owner(s) at issue, named beside an owner's signature that is not the
    # requester's (beside a household member's, on the written authorisation).
    owner_name: str = ""
    id_check: IdCheck | None = None  # the requester's (for a delegate: the delegate's) ID
    authorisation: Authorisation | None = None
    handover_period: bool = False  # the unit is in the developer's hand-over (交接验收) period
    engineering_confirmation: EngineeringConfirmation | None = None
    owner_confirmation: OwnerConfirmation | None = None


class SlipCopy(msgspec.Struct, frozen=True, kw_only=True):
    holder: CopyHolder
    handed_in_at: datetime | None = None  # the security copy, once the desk received it (R-RS-4)


class ReleaseSlip(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    unit_label: str
    requester_name: str
    relation: Relation
    path: IssuePath
    items: tuple[Item, ...]
    gates: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime
    issued_by: StaffRef
    issued_at: datetime
    copies: tuple[SlipCopy, ...]
    state: SlipState = SlipState.ISSUED
    id_check: IdCheck | None = None
    requester_signature_sha256: str | None = None
    owner_signature_sha256: str | None = None
    owner_name: str = ""  # the registered owner(s) when issued (SlipRequest.owner_name)
    authorisation: Authorisation | None = None
    engineering_confirmation: EngineeringConfirmation | None = None
    owner_confirmation: OwnerConfirmation | None = None
    released_gate: str | None = None
    released_by: str | None = None
    released_at: datetime | None = None
    revoked_by: str | None = None
    revoked_at: datetime | None = None
    revoke_reason: str | None = None


class DutyLogEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A line for the duty log (值班记录): a contractor release engineering confirmed (R-RS-5)."""

    slip_id: str
    unit_label: str
    contractor_name: str
    items: tuple[str, ...]
    confirmed_by: StaffRef
    confirmed_at: datetime
    recorded_by: str
    recorded_at: datetime


class GateNotice(msgspec.Struct, frozen=True, kw_only=True):
    """The desk tells the gate directly which tools may leave (R-RS-6)."""

    slip_id: str
    unit_label: str
    worker_name: str
    gates: tuple[str, ...]
    tool_names: tuple[str, ...]
    owner_confirmed_at: datetime
    notified_by: str
    notified_at: datetime


class IssueOutcome(msgspec.Struct, frozen=True, kw_only=True):
    slip: ReleaseSlip
    duty_log_entry: DutyLogEntry | None = None
    gate_notice: GateNotice | None = None


class ReleaseIncident(msgspec.Struct, frozen=True, kw_only=True):
    """A release the server accepted as fact but that should not have happened."""

    slip_id: str
    kinds: tuple[IncidentKind, ...]
    gate: str
    released_by: str
    released_at: datetime
    first_gate: str | None = None  # for a double release: the release that counted
    first_released_by: str | None = None
    first_released_at: datetime | None = None


class TenDayPeriod(msgspec.Struct, frozen=True, kw_only=True):
    """上旬 1–10, 中旬 11–20, 下旬 21–end of month, in the compound's time zone."""

    year: int
    month: int
    index: int  # 1, 2, 3
    first_day: date
    last_day: date
    start: datetime  # inclusive, aware
    end: datetime  # exclusive, aware


class HandInList(msgspec.Struct, frozen=True, kw_only=True):
    """The security copies one gate hands to the service centre for a period (R-RS-4)."""

    period: TenDayPeriod
    gate: str
    slip_ids: tuple[str, ...]


class HandInReceipt(msgspec.Struct, frozen=True, kw_only=True):
    period: TenDayPeriod
    gate: str
    received_ids: tuple[str, ...]
    missing_ids: tuple[str, ...]
    received_by: str
    received_at: datetime

    @property
    def complete(self) -> bool:
        return not self.missing_ids


class SignatureRef(msgspec.Struct, frozen=True, kw_only=True):
    """One signature the slip carries: the image's sha256 and who signed. `name` is empty when the slip
    does not name the signer (the owner signing beside a household member, or on the letter)."""

    signer: Signer
    sha256: str
    name: str
    relation: Relation
    # Signed on the paper letter before the visit (SignatureSource.SCANNED): not signed at the desk at
    # issue, so nothing may print it as "签于 <issue time>" (D108).
    on_paper: bool = False


def signatures(slip: ReleaseSlip) -> tuple[SignatureRef, ...]:
    """The signatures on an issued slip, the requester's first (R-RS-1..3). An owner who asked for
    their own slip signed once: issue_slip copies that signature into owner_signature_sha256, so it is
    listed once, as the requester's."""
    out: list[SignatureRef] = []
    if slip.requester_signature_sha256:
        out.append(SignatureRef(signer=Signer.REQUESTER, sha256=slip.requester_signature_sha256,
                                name=slip.requester_name, relation=slip.relation))
    if slip.owner_signature_sha256 and slip.owner_signature_sha256 != slip.requester_signature_sha256:
        out.append(SignatureRef(signer=Signer.OWNER, sha256=slip.owner_signature_sha256, name=slip.owner_name,
                                relation=Relation.OWNER))
    auth = slip.authorisation
    if auth is not None:
        on_paper = auth.owner_signature_source is SignatureSource.SCANNED
        # On paper without a separate crop, the letter's scan is the image that shows the signature.
        sha = auth.owner_signature_sha256 or (auth.letter_sha256 if on_paper else None)
        if sha:
            out.append(SignatureRef(signer=Signer.LETTER_OWNER, sha256=sha, name=slip.owner_name,
                                    relation=Relation.OWNER, on_paper=on_paper))
    return tuple(out)


# --- R-RS-1: does the owner need a slip at all? ------------------------------------------------------


def needs_slip(items: Iterable[Item], *, guard_recognises_owner: bool) -> bool:
    """A recognised owner carries small things out freely; valuable or large ones need a signed slip,
    and a guard who cannot confirm who the person is releases nothing without one (R-RS-1)."""
    return not guard_recognises_owner or any(i.valuable or i.large for i in items)


# --- issuing ---------------------------------------------------------------------------------------


def route(request: SlipRequest) -> IssuePath:
    """Which rule applies to this requester (and these items)."""
    if request.relation is Relation.OWNER and request.registered_on_owner_record:
        return IssuePath.SELF
    if request.relation is Relation.HOUSEHOLD_MEMBER and request.registered_on_owner_record:
        return IssuePath.SELF
    if request.relation is Relation.CONTRACTOR and request.handover_period:
        return IssuePath.HANDOVER_CONTRACTOR
    if (
        request.relation is Relation.RENOVATION_WORKER
        and request.items
        and all(i.tool for i in request.items)
    ):
        return IssuePath.RENOVATION_TOOLS
    # Nannies land here even when registered: the household-member rule excludes them (R-RS-2).
    return IssuePath.DELEGATE


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def letter_names_just_the_items(slip: ReleaseSlip) -> bool:
    """The written letter names exactly the slip's items, no more (it must name at least them, R-RS-3),
    so a printed copy may point to its item table instead of listing the names twice."""
    auth = slip.authorisation
    if auth is None:
        return False
    return sorted(_clean(i) for i in auth.items) == sorted(_clean(i.name) for i in slip.items)


def _has_control(text: str) -> bool:
    return any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in text)


def _bad_hash(value: str | None) -> bool:
    return value is not None and not _SHA256_RE.fullmatch(value)


def check_id(id_check: IdCheck | None, *, whose: str) -> Refusal | None:
    if id_check is None:
        return refuse(
            SlipReason.ID_NOT_CHECKED,
            f"未查验{whose}的有效身份证件",
            f"The {whose}'s valid ID has not been checked",
            missing=["id_check"],
        )
    if len(id_check.last4) > 4:
        # Privacy: the desk keeps the type and the last four characters, never the full number.
        return refuse(
            SlipReason.FULL_ID_NUMBER,
            "只记录证件号码后四位,请勿录入完整证件号码",
            "Record only the last four characters of the ID number, never the full number",
            kind="invalid",
        )
    if not _LAST4_RE.fullmatch(id_check.last4):
        return refuse(
            SlipReason.BAD_ID_LAST4,
            "证件号码后四位应为四个字母或数字",
            "The last four characters of the ID must be four letters or digits",
            kind="invalid",
        )
    return None


def _not_signed(whose_zh: str, whose_en: str) -> Refusal:
    return refuse(
        SlipReason.NOT_SIGNED,
        f"{whose_zh}尚未在放行通知单上签名",
        f"The {whose_en} has not signed the release slip",
        missing=["requester_signature_sha256"],
    )


def _check_common(request: SlipRequest, now: datetime, max_validity: timedelta) -> Refusal | None:
    if not request.items:
        return refuse(SlipReason.NO_ITEMS, "放行通知单未列出物品", "The slip lists no items", kind="invalid")
    for item in request.items:
        name = _clean(item.name)
        if not name or _has_control(item.name) or item.quantity < 1:
            return refuse(
                SlipReason.BAD_ITEM,
                "物品须写明名称且数量至少为一",
                "Each item needs a name and a quantity of at least one",
                kind="invalid",
                item=item.name,
            )
    if (
        not request.gates
        or len(set(request.gates)) != len(request.gates)
        or not all(_GATE_RE.fullmatch(g) for g in request.gates)
    ):
        return refuse(
            SlipReason.BAD_GATES,
            "须指定放行的出入口",
            "Name the gates (short codes, no repeats) the items may leave by",
            kind="invalid",
        )
    if not (request.valid_from < request.valid_until and request.valid_until > now) or (
        request.valid_until - request.valid_from > max_validity
    ):
        return refuse(
            SlipReason.BAD_VALIDITY,
            f"有效期须在将来结束且不超过 {max_validity.days} 天",
            f"The validity window must end in the future and last at most {max_validity.days} days",
            kind="invalid",
        )
    hashes = {
        "requester_signature_sha256": request.requester_signature_sha256,
        "owner_signature_sha256": request.owner_signature_sha256,
    }
    if request.authorisation is not None:
        hashes |= {
            "authorisation.owner_signature_sha256": request.authorisation.owner_signature_sha256,
            "authorisation.owner_id_copy_sha256": request.authorisation.owner_id_copy_sha256,
            "authorisation.letter_sha256": request.authorisation.letter_sha256,
        }
    bad = sorted(k for k, v in hashes.items() if _bad_hash(v))
    if bad:
        return refuse(
            SlipReason.BAD_HASH,
            "签名或附件的摘要格式不正确",
            "A signature or attachment reference is not a sha256 hex digest",
            kind="invalid",
            fields=bad,
        )
    return None


def _check_self(request: SlipRequest) -> Refusal | None:
    """R-RS-2 (owner / registered household member) and R-RS-1 (valuables need the owner's signature)."""
    refusal = check_id(request.id_check, whose="requester")
    if refusal is not None:
        return refusal
    if request.requester_signature_sha256 is None:
        return _not_signed("业主或家属", "owner or household member")
    has_valuables = any(i.valuable or i.large for i in request.items)
    owner_signed = request.owner_signature_sha256 is not None or request.relation is Relation.OWNER
    if has_valuables and not owner_signed:
        return refuse(
            SlipReason.OWNER_SIGNATURE_REQUIRED,
            "贵重或大件物品须业主本人在放行通知单上签名",
            "Valuable or large items need the owner's own signature on the slip",
            missing=["owner_signature_sha256"],
            items=[i.name for i in request.items if i.valuable or i.large],
        )
    return None


def _owner_signature_on_letter(auth: Authorisation) -> tuple[tuple[str, bool], ...]:
    """The owner's own signature on the letter (R-RS-3), as the field the desk has to fill (D108): drawn
    on the desk device, or already on the paper letter, whose scan then carries it. A missing signature
    names the signature, never the "source" alone, which is no field on the form."""
    if auth.owner_signature_source is SignatureSource.SCANNED:
        # The scan of the whole letter shows the signature; a scan of the signature alone also does.
        return (("letter_sha256", auth.letter_sha256 is not None or auth.owner_signature_sha256 is not None),)
    if auth.owner_signature_source is SignatureSource.DEVICE or auth.owner_signature_sha256 is None:
        return (("owner_signature_sha256", auth.owner_signature_sha256 is not None),)
    # An image with no word on how it was made: an API client's omission.
    return (("owner_signature_source", False),)


def _check_delegate(request: SlipRequest, now: datetime, tz: tzinfo) -> Refusal | None:
    """R-RS-3: anyone else needs the owner's written authorisation and shows their own ID."""
    auth = request.authorisation
    if auth is None:
        nanny = request.relation is Relation.NANNY
        return refuse(
            SlipReason.AUTHORISATION_REQUIRED,
            "保姆不属于业主家属,须出示业主书面授权委托书"
            if nanny
            else "非业主本人或登记家属,须出示业主书面授权委托书",
            "A nanny is not a household member: the owner's written authorisation is required"
            if nanny
            else "Not the owner or a registered household member: the owner's written authorisation is required",
            missing=["authorisation"],
            relation=str(request.relation),
        )
    if auth.kind is AuthorisationKind.PHONE_CALL:
        return refuse(
            SlipReason.PHONE_CALL_NOT_AUTHORISATION,
            "业主来电委托不能代替书面授权,请业主出具书面授权委托书",
            "An owner's phone call is not an authorisation: ask the owner for a written one",
            missing=["authorisation"],
        )
    missing = [
        name
        for name, present in (
            ("delegate_name", bool(_clean(auth.delegate_name))),
            ("visit_date", auth.visit_date is not None),
            ("items", any(_clean(i) for i in auth.items)),
            *_owner_signature_on_letter(auth),
            ("owner_id_copy_sha256", auth.owner_id_copy_sha256 is not None),
        )
        if not present
    ]
    if missing:
        return refuse(
            SlipReason.AUTHORISATION_INCOMPLETE,
            "书面授权委托书不完整(须有受托人姓名、日期、物品名称、业主亲笔签名及身份证复印件)",
            "The written authorisation is incomplete (delegate name, date, items, owner's signature, owner's ID copy)",
            missing=missing,
        )
    if _clean(auth.delegate_name) != _clean(request.requester_name):
        return refuse(
            SlipReason.AUTHORISATION_NAME_MISMATCH,
            "来办理人员与授权委托书上的受托人不符",
            "The person at the desk is not the delegate named in the authorisation",
        )
    if auth.visit_date != now.astimezone(tz).date():
        return refuse(
            SlipReason.AUTHORISATION_DATE_MISMATCH,
            "授权委托书写明的办理日期不是今天",
            "The authorisation is for another day",
            authorised_date=str(auth.visit_date),
        )
    allowed = {_clean(i) for i in auth.items}
    uncovered = [i.name for i in request.items if _clean(i.name) not in allowed]
    if uncovered:
        return refuse(
            SlipReason.AUTHORISATION_ITEMS_NOT_COVERED,
            "部分物品未列在授权委托书上",
            "Some items are not named in the owner's authorisation",
            items=uncovered,
        )
    refusal = check_id(request.id_check, whose="delegate")
    if refusal is not None:
        return refusal
    if request.requester_signature_sha256 is None:
        return _not_signed("受托人", "delegate")
    return None


def _check_handover(request: SlipRequest, now: datetime) -> Refusal | None:
    """R-RS-5: contractors' items during hand-over leave only after engineering confirms."""
    conf = request.engineering_confirmation
    if conf is None:
        return refuse(
            SlipReason.ENGINEERING_CONFIRMATION_REQUIRED,
            "交接验收期间施工人员搬出物品,须先经工程部人员确认",
            "During hand-over, a contractor's items need the engineering staff's confirmation first",
            missing=["engineering_confirmation"],
        )
    if conf.confirmed_by.role is not Role.ENGINEERING:
        return refuse(
            SlipReason.CONFIRMER_NOT_ENGINEERING,
            "确认人须为工程部人员",
            "The confirmation must come from engineering staff",
            kind="forbidden",
            role=str(conf.confirmed_by.role),
        )
    if conf.confirmed_at > now:
        return _confirmation_after_issue()
    return None


def _check_tools(request: SlipRequest, now: datetime) -> Refusal | None:
    """R-RS-6: renovation tools leave once the owner confirms; the desk tells the gate the tool names."""
    conf = request.owner_confirmation
    if conf is None or not _clean(conf.owner_name):
        return refuse(
            SlipReason.OWNER_CONFIRMATION_REQUIRED,
            "装修工具带离小区须先经业主确认",
            "Renovation tools leave only after the owner confirms",
            missing=["owner_confirmation"],
        )
    if conf.confirmed_at > now:
        return _confirmation_after_issue()
    return None


def _confirmation_after_issue() -> Refusal:
    return refuse(
        SlipReason.CONFIRMATION_AFTER_ISSUE,
        "确认时间晚于开单时间",
        "The confirmation is dated after the slip is issued",
        kind="invalid",
    )


def issue_slip(
    request: SlipRequest,
    *,
    slip_id: str,
    issued_by: StaffRef,
    now: datetime,
    tz: tzinfo,
    max_validity: timedelta = MAX_VALIDITY,
) -> IssueOutcome | Refusal:
    """Issue a slip in two copies (R-RS-4), or say which rule refuses it."""
    if issued_by.role not in DESK:
        return refuse(
            SlipReason.ISSUER_NOT_DESK,
            "放行通知单由服务中心开具",
            "Release slips are issued by the service centre desk",
            kind="forbidden",
        )
    refusal = _check_common(request, now, max_validity)
    if refusal is not None:
        return refusal
    path = route(request)
    if path is IssuePath.SELF:
        refusal = _check_self(request)
    elif path is IssuePath.DELEGATE:
        refusal = _check_delegate(request, now, tz)
    elif path is IssuePath.HANDOVER_CONTRACTOR:
        refusal = _check_handover(request, now)
        if refusal is None and request.id_check is not None:
            refusal = check_id(request.id_check, whose="contractor")
    else:
        refusal = _check_tools(request, now)
        if refusal is None and request.id_check is not None:
            refusal = check_id(request.id_check, whose="worker")
    if refusal is not None:
        return refusal

    items = tuple(msgspec.structs.replace(i, name=_clean(i.name)) for i in request.items)
    owner_signature = request.owner_signature_sha256
    if path is IssuePath.SELF and request.relation is Relation.OWNER and owner_signature is None:
        owner_signature = request.requester_signature_sha256
    slip = ReleaseSlip(
        id=slip_id,
        unit_label=_clean(request.unit_label),
        requester_name=_clean(request.requester_name),
        relation=request.relation,
        path=path,
        items=items,
        gates=request.gates,
        valid_from=request.valid_from,
        valid_until=request.valid_until,
        issued_by=issued_by,
        issued_at=now,
        copies=(SlipCopy(holder=CopyHolder.SERVICE_CENTRE), SlipCopy(holder=CopyHolder.SECURITY)),
        id_check=request.id_check,
        requester_signature_sha256=request.requester_signature_sha256,
        owner_signature_sha256=owner_signature,
        owner_name=_clean(request.owner_name),
        authorisation=request.authorisation if path is IssuePath.DELEGATE else None,
        engineering_confirmation=request.engineering_confirmation
        if path is IssuePath.HANDOVER_CONTRACTOR
        else None,
        owner_confirmation=request.owner_confirmation if path is IssuePath.RENOVATION_TOOLS else None,
    )
    duty_log = notice = None
    if path is IssuePath.HANDOVER_CONTRACTOR:
        conf = request.engineering_confirmation
        assert conf is not None
        duty_log = DutyLogEntry(
            slip_id=slip_id,
            unit_label=slip.unit_label,
            contractor_name=slip.requester_name,
            items=tuple(i.name for i in items),
            confirmed_by=conf.confirmed_by,
            confirmed_at=conf.confirmed_at,
            recorded_by=issued_by.id,
            recorded_at=now,
        )
    elif path is IssuePath.RENOVATION_TOOLS:
        owner = request.owner_confirmation
        assert owner is not None
        notice = GateNotice(
            slip_id=slip_id,
            unit_label=slip.unit_label,
            worker_name=slip.requester_name,
            gates=slip.gates,
            tool_names=tuple(f"{i.name} ×{i.quantity}" if i.quantity > 1 else i.name for i in items),
            owner_confirmed_at=owner.confirmed_at,
            notified_by=issued_by.id,
            notified_at=now,
        )
    return IssueOutcome(slip=slip, duty_log_entry=duty_log, gate_notice=notice)


# --- life of a slip --------------------------------------------------------------------------------


def state_at(slip: ReleaseSlip, now: datetime) -> SlipState:
    if slip.state is SlipState.ISSUED and now >= slip.valid_until:
        return SlipState.EXPIRED
    return slip.state


def revoke(slip: ReleaseSlip, *, by: StaffRef, at: datetime, reason: str) -> ReleaseSlip | Refusal:
    if by.role not in DESK:
        return refuse(
            SlipReason.ISSUER_NOT_DESK,
            "只有服务中心可以作废放行通知单",
            "Only the desk can revoke a slip",
            kind="forbidden",
        )
    if slip.state is not SlipState.ISSUED:
        return refuse(
            SlipReason.NOT_REVOCABLE,
            "该放行通知单已放行或已作废",
            "The slip was already released or revoked",
            state=str(slip.state),
        )
    return msgspec.structs.replace(
        slip, state=SlipState.REVOKED, revoked_by=by.id, revoked_at=at, revoke_reason=_clean(reason)
    )


def apply_release(
    slip: ReleaseSlip, gate: str, by: StaffRef, at: datetime, *, known_gates: Collection[str] = ()
) -> tuple[ReleaseSlip, ReleaseIncident | None]:
    """Record a gate's release. Goods that left are a fact, so nothing is refused; anything that
    should not have happened (a second gate, a revoked or out-of-window slip, a gate the compound's
    directory `known_gates` does not list) comes back as an incident. An empty `known_gates` is a
    compound that has named no gates: any code is taken, as when issuing (D46, D47).

    Raises DomainError only when the report itself is not a guard's.
    """
    if by.role is not Role.GUARD:
        raise _releaser_not_guard()
    kinds: list[IncidentKind] = []
    if slip.released_at is not None:
        kinds.append(IncidentKind.DOUBLE_RELEASE)
    if slip.state is SlipState.REVOKED:
        kinds.append(IncidentKind.RELEASED_WHILE_REVOKED)
    if not slip.valid_from <= at < slip.valid_until:
        kinds.append(IncidentKind.RELEASED_OUTSIDE_VALIDITY)
    if gate not in slip.gates:
        kinds.append(IncidentKind.WRONG_GATE)
    if known_gates and gate not in known_gates:
        # A phone's stale or mistyped gate setting: the goods still left, so the release is kept,
        # and the desk learns that the gate it names is none it knows (D47).
        kinds.append(IncidentKind.UNKNOWN_GATE)
    incident = None
    if kinds:
        incident = ReleaseIncident(
            slip_id=slip.id,
            kinds=tuple(kinds),
            gate=gate,
            released_by=by.id,
            released_at=at,
            first_gate=slip.released_gate,
            first_released_by=slip.released_by,
            first_released_at=slip.released_at,
        )
    if slip.released_at is not None:
        return slip, incident  # the first release stands; the second is only an incident
    state = SlipState.REVOKED if slip.state is SlipState.REVOKED else SlipState.RELEASED
    released = msgspec.structs.replace(
        slip, state=state, released_gate=gate, released_by=by.id, released_at=at
    )
    return released, incident


# What the guard's phone is told when its release is recorded as an incident (R-RS-1): the goods left, so the
# release stands, but the guard must not read "all sent" as "all well" — the desk will ask about it.
RELEASE_INCIDENT_NOTICE = "slip.release_incident"
_INCIDENT_WORDS: dict[IncidentKind, tuple[str, str]] = {
    IncidentKind.DOUBLE_RELEASE: ("该单此前已放行过", "the slip had already been released"),
    IncidentKind.RELEASED_WHILE_REVOKED: ("放行时该单已作废", "the slip had been revoked"),
    IncidentKind.RELEASED_OUTSIDE_VALIDITY: ("放行时不在该单的有效期内", "it was outside the slip's validity"),
    IncidentKind.WRONG_GATE: ("该单不能在本出入口放行", "the slip does not name this gate"),
    IncidentKind.UNKNOWN_GATE: ("本岗出入口不在本小区登记的出入口中", "this gate is not one of the compound's gates"),
}


def incident_notice(incident: ReleaseIncident) -> Notice:
    """The guard's phone's word on a release the server recorded as `incident`: why, in both languages."""
    zh = "；".join(_INCIDENT_WORDS[k][0] for k in incident.kinds)
    en = "; ".join(_INCIDENT_WORDS[k][1] for k in incident.kinds)
    return Notice(
        code=RELEASE_INCIDENT_NOTICE,
        zh=f"服务中心已将此次放行记为异常：{zh}。请向服务中心说明情况。",
        en=f"The service centre has recorded this release as an incident: {en}. Tell the service centre what happened.",
        details={"kinds": [str(k) for k in incident.kinds]},
    )


def _releaser_not_guard() -> DomainError:
    return fail(
        SlipReason.RELEASER_NOT_GUARD,
        "只有护卫员可以登记放行",
        "Only a guard records a release",
        kind="forbidden",
    )


# --- R-RS-4: the security copies come back every ten days ------------------------------------------------


def ten_day_period(instant: datetime, tz: tzinfo) -> TenDayPeriod:
    """The hand-in period (1–10, 11–20, 21–end of month) holding `instant` in the compound's zone."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: pass an aware instant")
    local = instant.astimezone(tz).date()
    index = min((local.day - 1) // HANDIN_PERIOD_DAYS + 1, 3)
    first = local.replace(day=(index - 1) * HANDIN_PERIOD_DAYS + 1)
    month_end = calendar.monthrange(local.year, local.month)[1]
    last = local.replace(day=month_end if index == 3 else index * HANDIN_PERIOD_DAYS)
    next_day = last + timedelta(days=1)
    return TenDayPeriod(
        year=local.year,
        month=local.month,
        index=index,
        first_day=first,
        last_day=last,
        start=datetime.combine(first, time(0), tzinfo=tz),
        end=datetime.combine(next_day, time(0), tzinfo=tz),
    )


def handin_lists(slips: Iterable[ReleaseSlip], period: TenDayPeriod) -> tuple[HandInList, ...]:
    """Per gate, the slips it released in the period: the security copies it must hand in."""
    by_gate: dict[str, list[ReleaseSlip]] = {}
    for slip in slips:
        if (
            slip.released_at is not None
            and slip.released_gate is not None
            and period.start <= slip.released_at < period.end
        ):
            by_gate.setdefault(slip.released_gate, []).append(slip)
    return tuple(
        HandInList(
            period=period,
            gate=gate,
            slip_ids=tuple(s.id for s in sorted(found, key=lambda s: (s.released_at, s.id))),
        )
        for gate, found in sorted(by_gate.items())
    )


def confirm_handin(
    hand_in: HandInList, received_ids: Iterable[str], *, by: StaffRef, at: datetime
) -> HandInReceipt | Refusal:
    """The desk confirms which security copies arrived; missing ones stay listed on the receipt."""
    if by.role not in DESK:
        return refuse(
            SlipReason.HANDIN_RECEIVER_NOT_DESK,
            "护卫部交回的放行通知单由服务中心签收",
            "The service centre desk receives the security copies",
            kind="forbidden",
        )
    if at < hand_in.period.end:
        return refuse(
            SlipReason.HANDIN_TOO_EARLY,
            "本期尚未结束,不能签收",
            "The ten-day period has not ended yet",
            period_end=hand_in.period.end.isoformat(),
        )
    received = set(received_ids)
    unknown = sorted(received - set(hand_in.slip_ids))
    if unknown:
        return refuse(
            SlipReason.HANDIN_UNKNOWN_SLIP,
            "交回的放行通知单不属于本期本岗",
            "Some copies handed in were not released at this gate in this period",
            kind="invalid",
            slip_ids=unknown,
        )
    return HandInReceipt(
        period=hand_in.period,
        gate=hand_in.gate,
        received_ids=tuple(i for i in hand_in.slip_ids if i in received),
        missing_ids=tuple(i for i in hand_in.slip_ids if i not in received),
        received_by=by.id,
        received_at=at,
    )


def archive_security_copy(slip: ReleaseSlip, receipt: HandInReceipt) -> ReleaseSlip:
    """Mark the slip's security copy as handed in when the receipt lists it; otherwise unchanged."""
    if slip.id not in receipt.received_ids:
        return slip
    copies = tuple(
        msgspec.structs.replace(c, handed_in_at=receipt.received_at) if c.holder is CopyHolder.SECURITY else c
        for c in slip.copies
    )
    return msgspec.structs.replace(slip, copies=copies)
