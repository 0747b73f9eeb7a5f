"""Field records the server refused: kept for the service centre, which looks at each and says what it did.

A phone's refused mutation (a completion on a job reassigned meanwhile, a note on a closed case)
is shown on that phone with its reason (design guarantee 1), but the phone is not where it can be
put right: the resident's signature, the note or the photos must reach the desk, which re-records
what still matters on the case and marks the refusal handled with a note. Nothing a phone recorded
is lost because the person holding it pressed "dismiss".
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from server.domain.cases import Case, WorkOrder, WorkOrderState
from server.domain.errors import DomainError, fail

NOTE_MAX = 500
# At most this many records are handled in one step: the desk's list shows no more at once.
BATCH_MAX = 200


class FieldRefusalRefusal(StrEnum):
    ALREADY_HANDLED = "refusal.already_handled"
    NOTE_REQUIRED = "refusal.note_required"
    NOTE_TOO_LONG = "refusal.note_too_long"
    NOT_FOUND = "refusal.not_found"
    MIXED_REASONS = "refusal.mixed_reasons"
    LISTED_TWICE = "refusal.listed_twice"
    NONE_SELECTED = "refusal.none_selected"
    TOO_MANY = "refusal.too_many"


class FieldRefusal(msgspec.Struct, kw_only=True):
    client_id: str
    mutation_id: int
    user_id: str
    case_id: str | None
    type: str
    code: str
    message: str
    message_en: str
    # The mutation's arguments exactly as the phone sent them (the record itself).
    args: dict[str, Any]
    device_time: datetime | None
    received_at: datetime
    handled_at: datetime | None = None
    handled_by: str | None = None
    handled_note: str | None = None


def key_of(refusal: FieldRefusal) -> tuple[str, int]:
    return refusal.client_id, refusal.mutation_id


def job_holder(case: Case) -> WorkOrder | None:
    """Whose job the case is now, the person the desk calls about a refused record.

    The work order still being worked (dispatched, accepted, on site) is the holder; when none is,
    the last one not withdrawn (it was completed, or its executor could not complete it) says who
    had the job last. None: nobody was ever given the job, or every order was withdrawn.
    """
    active = case.active_work_order
    if active is not None:
        return active
    for wo in reversed(case.work_orders):
        if wo.state != WorkOrderState.CANCELLED:
            return wo
    return None


def _note(note: str) -> str:
    text = note.strip()
    if not text:
        raise fail(FieldRefusalRefusal.NOTE_REQUIRED, "请写明如何处理了这条记录", "Say what was done about this record",
                   kind="invalid")
    if len(text) > NOTE_MAX:
        raise fail(FieldRefusalRefusal.NOTE_TOO_LONG, f"处理说明不能超过 {NOTE_MAX} 字",
                   f"The note may not exceed {NOTE_MAX} characters", kind="invalid")
    return text


def handle(refusal: FieldRefusal, *, by: str, note: str, now: datetime) -> FieldRefusal:
    """The desk has dealt with a refused record: who, when, and what was done (once only)."""
    if refusal.handled_at is not None:
        raise fail(FieldRefusalRefusal.ALREADY_HANDLED, "该记录已处理", "This record has already been handled",
                   handled_at=refusal.handled_at.isoformat(), handled_by=refusal.handled_by)
    text = _note(note)
    return msgspec.structs.replace(refusal, handled_at=now, handled_by=by, handled_note=text)


def check_selection(keys: list[tuple[str, int]]) -> None:
    """The records the desk ticked, before any is read: some, none twice, no more than one screen."""
    if not keys:
        raise fail(FieldRefusalRefusal.NONE_SELECTED, "请选择要标记为已处理的记录", "Select the records to mark handled",
                   kind="invalid")
    if len(keys) > BATCH_MAX:
        raise fail(FieldRefusalRefusal.TOO_MANY, f"一次最多处理 {BATCH_MAX} 条记录",
                   f"At most {BATCH_MAX} records can be handled at once", kind="invalid", max=BATCH_MAX)
    seen: set[tuple[str, int]] = set()
    twice = []
    for k in keys:
        if k in seen:
            twice.append(k)
        seen.add(k)
    if twice:
        raise fail(FieldRefusalRefusal.LISTED_TWICE, "同一条记录被选了两次", "A record is listed twice",
                   kind="invalid", items=[_key_doc(k) for k in twice])


def not_found(keys: list[tuple[str, int]]) -> DomainError:
    """Records the caller cannot see (another compound's, or none such): named, so none is handled."""
    return fail(FieldRefusalRefusal.NOT_FOUND, "未找到该被拒记录", "No such refused record", kind="not_found",
                items=[_key_doc(k) for k in keys])


def _key_doc(key: tuple[str, int]) -> dict[str, Any]:
    return {"client_id": key[0], "mutation_id": key[1]}


def handle_many(refusals: list[FieldRefusal], *, by: str, note: str, now: datetime) -> list[FieldRefusal]:
    """Several refused records dealt with in one step, with one note: all of them, or none.

    One note has to be true of every record it is kept with, so the records must have been refused
    for the same reason (their code: the job was withdrawn, the case was closed, ...), whatever kind
    of record each was; the arrival, the note and the signed completion of one job reassigned while
    its phone was offline are put right by the same call. A record handled already (by someone else
    a moment ago) is named and nothing is written: the desk reloads and sees what that person wrote.
    """
    handled = [r for r in refusals if r.handled_at is not None]
    if handled:
        raise fail(FieldRefusalRefusal.ALREADY_HANDLED,
                   f"所选记录中有 {len(handled)} 条已处理，本次未作任何标记",
                   f"{len(handled)} of the selected records have already been handled; none was marked",
                   items=[{**_key_doc(key_of(r)), "handled_at": r.handled_at.isoformat() if r.handled_at else None,
                           "handled_by": r.handled_by} for r in handled])
    codes = sorted({r.code for r in refusals})
    if len(codes) > 1:
        raise fail(FieldRefusalRefusal.MIXED_REASONS, "一次只能处理拒绝原因相同的记录，请分开处理",
                   "Records handled together must have been refused for the same reason; handle them separately",
                   kind="invalid", codes=codes)
    text = _note(note)
    return [msgspec.structs.replace(r, handled_at=now, handled_by=by, handled_note=text) for r in refusals]
