"""The sync wire contract (msgspec Structs): push a batch of intents, pull changes since a cursor."""

from __future__ import annotations

from datetime import MAXYEAR, MINYEAR, UTC, datetime
from typing import Annotated, Any, Literal

import msgspec

ClientId = Annotated[str, msgspec.Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
# Mutation ids are stored as BIGINT: a larger one can never be a client's next id, and neither
# engine can even compare it with the column (SQLite raises OverflowError, PostgreSQL a DataError).
MAX_MUTATION_ID = 2**63 - 1
MutationId = Annotated[int, msgspec.Meta(ge=1, le=MAX_MUTATION_ID)]
MAX_BATCH = 500


def phone_instant(t: datetime | None) -> datetime | None:
    """A phone's clock reading as an aware instant, or None when it cannot be placed in UTC at all.

    A phone's clock may say anything (a reset phone says 1970), and refusing the mutation would stop
    the phone's whole queue for it. Without an offset it is read as UTC; one within a day of year 1
    or 9999 is recorded as unknown.
    """
    if t is not None and t.utcoffset() is None:
        t = t.replace(tzinfo=UTC)
    if t is not None and not MINYEAR < t.year < MAXYEAR:
        t = None
    return t


class MutationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    mutation_id: MutationId
    type: Annotated[str, msgspec.Meta(max_length=40)]
    args: dict[str, Any] = {}
    # The phone's own clock when the person acted. With the batch's `sent_at` it places the act in
    # server time (D35); alone it is only evidence.
    device_time: datetime | None = None
    # The phone's estimate of server time when the person acted: the offset of its last sync carried
    # on a clock a change of the wall clock cannot move (pwa/src/clock.js serverNow). Sent only by a
    # phone that has synced; when present the step counts at it, not at the D35 reading (D128).
    server_time_est: datetime | None = None

    def __post_init__(self) -> None:
        self.device_time = phone_instant(self.device_time)
        self.server_time_est = phone_instant(self.server_time_est)


class PushIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    client_id: ClientId
    mutations: Annotated[list[MutationIn], msgspec.Meta(max_length=MAX_BATCH)]
    # The phone's clock as it sent this batch: receive time minus it is the phone's offset, so a
    # mutation's device_time can be read in server time however wrong the phone's clock is (D35).
    sent_at: datetime | None = None

    def __post_init__(self) -> None:
        self.sent_at = phone_instant(self.sent_at)


Status = Literal["applied", "duplicate", "rejected", "waiting"]


class MutationResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    mutation_id: int
    # applied: done now · duplicate: done before (original outcome in `original`) ·
    # rejected: refused by a rule, recorded, will never apply · waiting: a referenced blob is not
    # uploaded yet; nothing recorded, send it again after the upload.
    status: Status
    original: Literal["applied", "rejected"] | None = None
    code: str | None = None
    message: str | None = None
    message_en: str | None = None
    details: dict[str, Any] | None = None


class PushOut(msgspec.Struct, kw_only=True):
    results: list[MutationResult]
    expected_next_id: int
    server_time: datetime
    # Set when the batch stopped early: a gap (a mutation id skipped) or a blob still missing.
    stopped: Literal["gap", "waiting_blob"] | None = None


class Change(msgspec.Struct, kw_only=True):
    seq: int
    entity: str
    id: str
    op: Literal["upsert", "remove"]
    doc: dict[str, Any] | None = None


class PullOut(msgspec.Struct, kw_only=True):
    """Documented shape of a pull; the handler streams stored JSON documents without re-parsing."""

    changes: list[Change]
    cursor: int
    more: bool
    # True when the cursor was unknown to this server: clear local copies, then apply.
    reset: bool
    server_time: datetime


class BlobUploadOut(msgspec.Struct, kw_only=True):
    """Where a resumable blob upload stands after a piece: bytes received so far, and whether it is stored."""

    sha256: str
    offset: int
    complete: bool
