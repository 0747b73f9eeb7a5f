"""Shift handover (R-SH-1): the sheet of open work both sides sign, and the morning review.

Open work includes a written inquiry left unopened whose written reply is still owed (R-IN-5).

An open emergency cannot simply be signed away: the incoming person must explicitly take over
each one, because the outgoing dispatcher is held at the post until someone does (R-EM-3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum

import msgspec
from msgspec.structs import replace

from server.domain.cases import Case, CaseState
from server.domain.errors import Refusal, refuse
from server.domain.roles import LEADERSHIP, Role


class HandoverReason(StrEnum):
    SAME_PERSON = "handover.same_person"
    INCOMING_UNKNOWN = "handover.incoming_unknown"
    NOT_OUTGOING = "handover.not_outgoing"
    NOT_INCOMING = "handover.not_incoming"
    OUTGOING_FIRST = "handover.outgoing_first"
    ALREADY_SIGNED = "handover.already_signed"
    SIGNATURE_REQUIRED = "handover.signature_required"
    EMERGENCY_NOT_TAKEN_OVER = "handover.emergency_not_taken_over"
    NOT_SUPERVISOR = "handover.not_supervisor"
    NOT_COMPLETE = "handover.not_complete"
    ALREADY_REVIEWED = "handover.already_reviewed"


class HandoverItem(msgspec.Struct, frozen=True, kw_only=True):
    case_id: str
    case_no: str
    state: CaseState
    summary: str
    is_emergency: bool = False
    next_due_at: datetime | None = None
    # R-IN-5: a written inquiry whose written reply is still owed (opened or not): the next shift
    # writes it. Defaulted: older sheets decode without it.
    written_reply_due: bool = False


class HandoverSheet(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    compound_id: str
    built_at: datetime
    outgoing_id: str
    incoming_id: str
    items: tuple[HandoverItem, ...] = ()
    notes: str = ""
    outgoing_signature_sha256: str | None = None
    outgoing_signed_at: datetime | None = None
    incoming_signature_sha256: str | None = None
    incoming_signed_at: datetime | None = None
    taken_over_case_ids: tuple[str, ...] = ()
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_note: str = ""
    # The items the morning review found still open, which the supervisor presses on (R-SH-1): the
    # review's own record, read again after a reload. Defaulted: older sheets decode without it.
    unfinished_case_ids: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Both signatures present (R-SH-1)."""
        return self.outgoing_signed_at is not None and self.incoming_signed_at is not None


# Open work is everything not closed and not an intake left unopened, including cases parked as
# cannot-handle: they are still somebody's until the quarterly review.
_HANDED_OVER_STATES = frozenset(CaseState) - {CaseState.CLOSED, CaseState.NOT_OPENED}


def handed_over(case: Case) -> bool:
    """Whether the case is open work the next shift takes on (R-SH-1). An intake left unopened is not,
    unless it is a written inquiry still owed its written reply within 2 days (R-IN-5, D69): that duty
    outlives the shift that explained it, so the next shift must be told to write it (D70)."""
    return case.state in _HANDED_OVER_STATES or (case.state == CaseState.NOT_OPENED and case.written_reply_due)


def build_handover(
    *,
    sheet_id: str,
    compound_id: str,
    outgoing_id: str,
    incoming_id: str,
    cases: Iterable[Case],
    now: datetime,
    notes: str = "",
    next_due: Mapping[str, datetime] | None = None,
) -> HandoverSheet | Refusal:
    """List the compound's open work for the shift change; `next_due` maps case id -> next deadline."""
    if outgoing_id == incoming_id:
        return refuse(
            HandoverReason.SAME_PERSON,
            "交班人与接班人不能相同",
            "Outgoing and incoming must differ",
            kind="invalid",
        )
    due = next_due or {}
    items = tuple(
        HandoverItem(
            case_id=c.id,
            case_no=c.no,
            state=c.state,
            summary=c.content[:120],
            is_emergency=c.is_emergency,
            next_due_at=due.get(c.id),
            written_reply_due=c.written_reply_due,
        )
        for c in sorted(cases, key=lambda c: (not c.is_emergency, c.received_at))
        if c.compound_id == compound_id and handed_over(c)
    )
    return HandoverSheet(
        id=sheet_id,
        compound_id=compound_id,
        built_at=now,
        outgoing_id=outgoing_id,
        incoming_id=incoming_id,
        items=items,
        notes=notes,
    )


def sign_outgoing(
    sheet: HandoverSheet, *, by: str, signature_sha256: str, now: datetime
) -> HandoverSheet | Refusal:
    if by != sheet.outgoing_id:
        return refuse(HandoverReason.NOT_OUTGOING, "不是交班人", "Not the outgoing person", kind="forbidden")
    if sheet.outgoing_signed_at is not None:
        return refuse(HandoverReason.ALREADY_SIGNED, "交班人已签字", "Already signed")
    if not signature_sha256:
        return refuse(HandoverReason.SIGNATURE_REQUIRED, "须签字", "A signature is required", kind="invalid")
    return replace(sheet, outgoing_signature_sha256=signature_sha256, outgoing_signed_at=now)


def sign_incoming(
    sheet: HandoverSheet,
    *,
    by: str,
    signature_sha256: str,
    now: datetime,
    takes_over_case_ids: Iterable[str] = (),
) -> HandoverSheet | Refusal:
    """The incoming person signs, after the outgoing one, taking over every open emergency.

    The service then applies `emergencies.take_over` to those cases so the outgoing dispatcher
    is released from the post (R-EM-3).
    """
    if by != sheet.incoming_id:
        return refuse(HandoverReason.NOT_INCOMING, "不是接班人", "Not the incoming person", kind="forbidden")
    if sheet.outgoing_signed_at is None:
        return refuse(HandoverReason.OUTGOING_FIRST, "交班人须先签字", "The outgoing person signs first")
    if sheet.incoming_signed_at is not None:
        return refuse(HandoverReason.ALREADY_SIGNED, "接班人已签字", "Already signed")
    if not signature_sha256:
        return refuse(HandoverReason.SIGNATURE_REQUIRED, "须签字", "A signature is required", kind="invalid")
    taken = set(takes_over_case_ids)
    pending = [i.case_id for i in sheet.items if i.is_emergency and i.case_id not in taken]
    if pending:
        return refuse(
            HandoverReason.EMERGENCY_NOT_TAKEN_OVER,
            "须明确接手所有未平息的紧急事件",
            "Take over every open emergency explicitly",
            missing=pending,
        )
    emergency_ids = tuple(i.case_id for i in sheet.items if i.is_emergency)
    return replace(
        sheet,
        incoming_signature_sha256=signature_sha256,
        incoming_signed_at=now,
        taken_over_case_ids=emergency_ids,
    )


_SUPERVISORS = frozenset({Role.TEAM_LEAD, Role.MANAGER}) | LEADERSHIP


def review(
    sheet: HandoverSheet,
    *,
    by: str,
    roles: Iterable[Role],
    now: datetime,
    note: str = "",
    cases: Iterable[Case] = (),
) -> HandoverSheet | Refusal:
    """The supervisor's morning review of the last shift's sheet (R-SH-1).

    `cases` are the sheet's cases as they stand now; those still open are recorded on the sheet as
    what the review found unfinished.
    """
    if not set(roles) & _SUPERVISORS:
        return refuse(
            HandoverReason.NOT_SUPERVISOR,
            "须由主管复查",
            "A supervisor reviews the handover",
            kind="forbidden",
        )
    if not sheet.complete:
        return refuse(
            HandoverReason.NOT_COMPLETE,
            "交接单未双方签字",
            "The sheet is not signed by both sides",
            missing=[
                n
                for n, ok in (
                    ("outgoing_signature", sheet.outgoing_signed_at is not None),
                    ("incoming_signature", sheet.incoming_signed_at is not None),
                )
                if not ok
            ],
        )
    if sheet.reviewed_at is not None:
        # The first review is the record of the morning's check; a second would overwrite it.
        return refuse(
            HandoverReason.ALREADY_REVIEWED,
            "该交接单已复核",
            "This sheet has already been reviewed",
            reviewed_by=sheet.reviewed_by,
        )
    unfinished = tuple(i.case_id for i in unfinished_items(sheet, cases))
    return replace(sheet, reviewed_by=by, reviewed_at=now, review_note=note.strip(), unfinished_case_ids=unfinished)


def unfinished_items(sheet: HandoverSheet, cases: Iterable[Case]) -> list[HandoverItem]:
    """Items of the sheet still open now: what the supervisor presses on in the morning."""
    still_open = {c.id for c in cases if handed_over(c)}
    return [i for i in sheet.items if i.case_id in still_open]
