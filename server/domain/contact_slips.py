"""The work-contact slip 工作联系单 to the developer for a legacy defect (R-IN-6 d, D44).

A repair the desk classified as the developer's legacy defect is verified on site and reported to the
developer in writing: the slip names the defect, where it is, who verified it on site and when, what
is asked of the developer and by which day the company expects an answer. States:
draft → sent (issued, numbered) → answered (the developer's reply recorded). A sent slip is what the
developer holds on paper, so it is never edited again; only the reply is added to it.

Pure: no I/O; the clock, the compound's local day, ids and the number come in as parameters.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import msgspec

from server.domain.cases import Case, Kind, RepairResponsibility
from server.domain.errors import fail

# The addressee the desk starts from when the compound has sent no slip yet (free text: the
# compound settings name no developer contact).
DEFAULT_ADDRESSEE = "开发商售后服务部"
TEXT_MAX = 2000


class ContactSlipRefusal(StrEnum):
    NOT_DEVELOPER_DEFECT = "contact_slip.not_developer_defect"
    ALREADY_OPEN = "contact_slip.already_open"
    FIELDS_MISSING = "contact_slip.fields_missing"
    TOO_LONG = "contact_slip.too_long"
    NOT_VERIFIED = "contact_slip.not_verified"
    VERIFIED_IN_FUTURE = "contact_slip.verified_in_future"
    ALREADY_ISSUED = "contact_slip.already_issued"
    NOTHING_TO_CHANGE = "contact_slip.nothing_to_change"
    REPLY_BY_PASSED = "contact_slip.reply_by_passed"
    NOT_ISSUED = "contact_slip.not_issued"
    ALREADY_ANSWERED = "contact_slip.already_answered"
    REPLY_DATE_INVALID = "contact_slip.reply_date_invalid"


class ContactSlipState(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ANSWERED = "answered"


class SiteVerification(msgspec.Struct, frozen=True, kw_only=True):
    """R-IN-6 (d): the defect was seen on site before the developer is told of it."""

    verified_by: str  # who looked (often the technician or engineer, not the desk user)
    verified_at: datetime
    note: str
    recorded_by: str  # the desk account that wrote it down
    recorded_at: datetime


class DeveloperReply(msgspec.Struct, frozen=True, kw_only=True):
    replied_on: date
    text: str
    recorded_by: str
    recorded_at: datetime


class ContactSlip(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    compound_id: str
    case_id: str
    case_no: str
    no: str | None = None  # LX<local day>-NNN, given when issued: a draft that is never sent uses none
    state: ContactSlipState = ContactSlipState.DRAFT
    addressee: str
    description: str
    location: str
    requested_action: str
    reply_by: date | None = None
    verification: SiteVerification | None = None
    created_by: str
    created_at: datetime
    updated_at: datetime
    issued_by: str | None = None
    issued_at: datetime | None = None
    reply: DeveloperReply | None = None


# Fields the desk may set on a draft, and which must be filled before it is issued.
EDITABLE = ("addressee", "description", "location", "requested_action", "reply_by")
TEXT_FIELDS = ("addressee", "description", "location", "requested_action")


def _refuse_not_defect(case: Case) -> None:
    if case.kind != Kind.REPAIR or case.repair_responsibility != RepairResponsibility.DEVELOPER_DEFECT:
        raise fail(ContactSlipRefusal.NOT_DEVELOPER_DEFECT,
                   "只有归类为开发商遗留问题的维修才能发工作联系单",
                   "Only a repair classified as the developer's legacy defect gets a work-contact slip",
                   case_id=case.id, repair_responsibility=case.repair_responsibility)


def _check_lengths(**texts: str | None) -> None:
    long = sorted(k for k, v in texts.items() if v is not None and len(v) > TEXT_MAX)
    if long:
        raise fail(ContactSlipRefusal.TOO_LONG, f"内容过长（每项最多 {TEXT_MAX} 字）",
                   f"Too long (at most {TEXT_MAX} characters each)", kind="invalid", fields=long)


def is_open(slip: ContactSlip) -> bool:
    """Still needs the desk: a draft not yet sent, or a sent slip the developer has not answered."""
    return slip.state != ContactSlipState.ANSWERED


def is_overdue(slip: ContactSlip, today: date) -> bool:
    """Sent, unanswered, and the day asked for the reply has passed (the desk chases the developer)."""
    return slip.state == ContactSlipState.SENT and slip.reply_by is not None and slip.reply_by < today


def create(case: Case, existing: list[ContactSlip], *, id: str, addressee: str, description: str,
           location: str, requested_action: str, reply_by: date | None, by: str, now: datetime) -> ContactSlip:
    """A draft for a developer-defect repair. One unfinished slip per case at a time: a second
    draft beside an unanswered one would be the same request twice."""
    _refuse_not_defect(case)
    if any(is_open(s) for s in existing):
        raise fail(ContactSlipRefusal.ALREADY_OPEN, "该维修已有未完结的工作联系单",
                   "This repair already has a work-contact slip that is not finished",
                   slip_id=next(s.id for s in existing if is_open(s)))
    _check_lengths(addressee=addressee, description=description, location=location,
                   requested_action=requested_action)
    slip = ContactSlip(id=id, compound_id=case.compound_id, case_id=case.id, case_no=case.no,
                       addressee=addressee.strip(), description=description.strip(), location=location.strip(),
                       requested_action=requested_action.strip(), reply_by=reply_by,
                       created_by=by, created_at=now, updated_at=now)
    # A draft may start incomplete, but not empty of what it is about.
    if not slip.description:
        raise fail(ContactSlipRefusal.FIELDS_MISSING, "请填写问题描述", "Describe the defect",
                   kind="invalid", missing=["description"])
    return slip


def _draft_only(slip: ContactSlip) -> None:
    if slip.state != ContactSlipState.DRAFT:
        raise fail(ContactSlipRefusal.ALREADY_ISSUED, "工作联系单已发出，不能再修改，只能登记开发商回复",
                   "The slip has been sent: it can no longer change, only the developer's reply is recorded",
                   no=slip.no, state=str(slip.state))


def edit(slip: ContactSlip, *, by: str, now: datetime, **changes: object) -> ContactSlip:
    """Change a draft's content; `changes` holds only the fields the desk changed."""
    _draft_only(slip)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in changes.items()}
    clean = {k: v for k, v in clean.items() if getattr(slip, k) != v}
    if not clean:
        raise fail(ContactSlipRefusal.NOTHING_TO_CHANGE, "没有需要保存的修改", "Nothing changed", kind="invalid")
    _check_lengths(**{k: v for k, v in clean.items() if isinstance(v, str)})
    if "description" in clean and not clean["description"]:
        raise fail(ContactSlipRefusal.FIELDS_MISSING, "请填写问题描述", "Describe the defect",
                   kind="invalid", missing=["description"])
    return msgspec.structs.replace(slip, **clean, updated_at=now)


def record_verification(slip: ContactSlip, *, verified_by: str, verified_at: datetime, note: str,
                        by: str, now: datetime) -> ContactSlip:
    """R-IN-6 (d): who verified the defect on site, when, and what they found. Recorded on the draft;
    recording it again replaces it (a second visit), until the slip is sent."""
    _draft_only(slip)
    missing = [k for k, v in (("verified_by", verified_by), ("note", note)) if not v.strip()]
    if missing:
        raise fail(ContactSlipRefusal.FIELDS_MISSING, "请填写现场核实人和核实情况",
                   "Give who verified on site and what they found", kind="invalid", missing=missing)
    _check_lengths(verified_by=verified_by, note=note)
    if verified_at > now:
        raise fail(ContactSlipRefusal.VERIFIED_IN_FUTURE, "核实时间不能晚于现在",
                   "The verification cannot be later than now", kind="invalid")
    return msgspec.structs.replace(slip, verification=SiteVerification(
        verified_by=verified_by.strip(), verified_at=verified_at, note=note.strip(), recorded_by=by,
        recorded_at=now), updated_at=now)


def issue(slip: ContactSlip, case: Case, *, no: str, today: date, by: str, now: datetime) -> ContactSlip:
    """Send the slip: it must be complete, verified on site (R-IN-6 d), ask for a reply no earlier
    than today, and the repair must still be the developer's (its class may have changed since)."""
    _draft_only(slip)
    _refuse_not_defect(case)
    missing = [k for k in TEXT_FIELDS if not getattr(slip, k)]
    if slip.reply_by is None:
        missing.append("reply_by")
    if missing:
        raise fail(ContactSlipRefusal.FIELDS_MISSING, "工作联系单内容不全", "The slip is not complete",
                   kind="invalid", missing=missing)
    if slip.verification is None:
        raise fail(ContactSlipRefusal.NOT_VERIFIED, "发出前须先现场核实并登记核实情况",
                   "Verify on site and record it before sending the slip")
    if slip.reply_by is not None and slip.reply_by < today:
        raise fail(ContactSlipRefusal.REPLY_BY_PASSED, "要求回复日期已过，请改为今天或以后",
                   "The reply date has passed; set today or later", kind="invalid", reply_by=slip.reply_by)
    return msgspec.structs.replace(slip, no=no, state=ContactSlipState.SENT, issued_by=by, issued_at=now,
                                   updated_at=now)


def record_reply(slip: ContactSlip, *, text: str, replied_on: date, issued_day: date, today: date, by: str,
                 now: datetime) -> ContactSlip:
    """The developer's answer, with the day it came (between the day the slip went out and today)."""
    if slip.state == ContactSlipState.DRAFT:
        raise fail(ContactSlipRefusal.NOT_ISSUED, "工作联系单尚未发出", "The slip has not been sent")
    if slip.state == ContactSlipState.ANSWERED:
        raise fail(ContactSlipRefusal.ALREADY_ANSWERED, "开发商回复已登记", "The developer's reply is already recorded")
    if not text.strip():
        raise fail(ContactSlipRefusal.FIELDS_MISSING, "请填写开发商回复内容", "Give the developer's reply",
                   kind="invalid", missing=["text"])
    _check_lengths(text=text)
    if not issued_day <= replied_on <= today:
        raise fail(ContactSlipRefusal.REPLY_DATE_INVALID, "回复日期须在发出日期与今天之间",
                   "The reply date must lie between the day the slip was sent and today", kind="invalid",
                   issued_on=issued_day, today=today)
    return msgspec.structs.replace(slip, state=ContactSlipState.ANSWERED, updated_at=now, reply=DeveloperReply(
        replied_on=replied_on, text=text.strip(), recorded_by=by, recorded_at=now))
