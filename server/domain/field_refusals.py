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

from server.domain.errors import fail

NOTE_MAX = 500


class FieldRefusalRefusal(StrEnum):
    ALREADY_HANDLED = "refusal.already_handled"
    NOTE_REQUIRED = "refusal.note_required"
    NOTE_TOO_LONG = "refusal.note_too_long"


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


def handle(refusal: FieldRefusal, *, by: str, note: str, now: datetime) -> FieldRefusal:
    """The desk has dealt with a refused record: who, when, and what was done (once only)."""
    if refusal.handled_at is not None:
        raise fail(FieldRefusalRefusal.ALREADY_HANDLED, "该记录已处理", "This record has already been handled",
                   handled_at=refusal.handled_at.isoformat(), handled_by=refusal.handled_by)
    text = note.strip()
    if not text:
        raise fail(FieldRefusalRefusal.NOTE_REQUIRED, "请写明如何处理了这条记录", "Say what was done about this record",
                   kind="invalid")
    if len(text) > NOTE_MAX:
        raise fail(FieldRefusalRefusal.NOTE_TOO_LONG, f"处理说明不能超过{NOTE_MAX}字",
                   f"The note may not exceed {NOTE_MAX} characters", kind="invalid")
    return msgspec.structs.replace(refusal, handled_at=now, handled_by=by, handled_note=text)
