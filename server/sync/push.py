"""Push: apply a batch of a client's mutations exactly once, in order, in one transaction.

- A mutation id at or below the client's last processed id is a duplicate: its stored outcome is
  returned and nothing is applied again (so a phone that lost the response can just resend).
- An id above last+1 is a gap: the batch stops and `expected_next_id` says what to send.
- A refusal by a rule is recorded as processed (status rejected, with its code) so it can never
  block the queue, and the phone shows the reason.
- Each mutation runs in a savepoint: a refused one leaves no partial write behind.
- A refused mutation is also kept with its arguments in `field_refusals`, for the desk: the phone
  shows the reason, but the record itself (a signature, a note) must reach someone who can act. It
  keeps when the person acted, placed as below, so a completion the desk accepts counts then.
- A phone whose clock is off by more than CLOCK_SKEW_FLAG from the server's receive time is flagged
  with one audit entry per batch (`sync.clock_skew`, data `clock_skew_s` = device - server, seconds).
  Its mutations still apply: its time is stored as evidence only, deadlines use server time.
- A mutation whose `server_time_est` and D35 reading disagree by more than CLOCK_SKEW_FLAG came from a
  phone whose clock was changed between the act and the send: the step counts at the estimate and
  carries `clock_changed_s` (and the raw `device_at`) in its history data (D128).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, OperationalError

from server.auth.principal import Principal
from server.domain.errors import DomainError, Notice, Refusal, fail
from server.services.cases import preload_cases
from server.storage.db import Database, execute_many
from server.storage.schema import field_refusals, sync_clients, sync_mutations
from server.sync.mutations import BlobMissing, MutationContext, Registered, registry
from server.sync.protocol import MutationResult, PushIn, PushOut

# Beyond this, the offset is more than drift or a slow network: a wrong clock or time zone setting.
CLOCK_SKEW_FLAG = timedelta(minutes=5)


def _batch_placed(device_time: datetime | None, sent_at: datetime | None, now: datetime) -> datetime | None:
    """D35: device_time moved by the batch's offset `now - sent_at` (unbounded)."""
    if device_time is None or sent_at is None:
        return None
    return device_time + (now - sent_at)


def acted_at(device_time: datetime | None, sent_at: datetime | None, now: datetime,
             server_time_est: datetime | None = None) -> datetime | None:
    """When the person acted, in server time, never later than now (design guarantee 4).

    With the phone's own estimate of server time at the tap (`server_time_est`, D128) that is
    the time: the phone measured it against its last sync with a clock a change of the wall clock
    cannot move, so a clock corrected (or set back and forward) between the tap and the send leaves it
    right. It replaces the D35 reading rather than being bounded by it: the two differ only when the
    clock changed, and then D35's is the wrong one; a forged client could forge device_time anyway,
    and the domain's bounds (the step it follows, the receipt) hold for either (R-FU-4).

    Without it (an older app, a phone that never synced), D35: device_time moved by the offset
    `now - sent_at`. Both readings come from the same phone clock, so a constant error cancels out;
    only the time the batch spent on the wire counts against the phone (the act looks that much later,
    never earlier).
    """
    if server_time_est is not None:
        return min(now, server_time_est)
    placed = _batch_placed(device_time, sent_at, now)
    return None if placed is None else min(now, placed)


def clock_changed(device_time: datetime | None, sent_at: datetime | None, now: datetime,
                  server_time_est: datetime | None) -> timedelta | None:
    """How far the phone's clock moved between the tap and the send, when more than CLOCK_SKEW_FLAG.

    The estimate minus the D35 reading: +20 min for a clock 20 min slow corrected before the send (or
    set back for the tap and forward again), negative for a fast one set back. Kept as evidence on the
    step (`clock_changed_s`) so the desk's history can say the phone's clock was changed; None when
    either reading is missing or the two agree within drift.
    """
    placed = _batch_placed(device_time, sent_at, now)
    if placed is None or server_time_est is None:
        return None
    moved = server_time_est - placed
    return moved if abs(moved) > CLOCK_SKEW_FLAG else None


def _clock_skew(device_time: datetime | None, now: datetime) -> timedelta | None:
    if device_time is None:
        return None
    if device_time.tzinfo is None:  # a phone that sent no offset: read it as UTC, like the wire contract
        device_time = device_time.replace(tzinfo=UTC)
    return device_time - now


def _storage_cause(exc: OperationalError, inner: list[DBAPIError]) -> BaseException:
    """The error that matters when a savepoint could not be rolled back.

    SQLite rolls back the whole transaction on SQLITE_FULL (and may on I/O errors); the savepoint is
    then gone, SQLAlchemy's ROLLBACK TO SAVEPOINT fails with "no such savepoint", and that error would
    hide the cause (a 500 instead of the 503 + Retry-After a full disk gets). Nothing was stored.
    """
    if inner and "no such savepoint" in str(exc):
        return inner[0]
    return exc


def _refusal_for_args(exc: msgspec.ValidationError) -> Refusal:
    return Refusal(
        code="sync.invalid_args",
        zh="操作内容格式不正确",
        en=f"The mutation's arguments are invalid: {exc}",
        kind="invalid",
    )


def _case_named(entry: Registered | None, args: dict[str, Any]) -> str | None:
    """The case a refused mutation names, for the desk to find it by; None when it names none."""
    if entry is None or entry.case_of is None:
        return None
    case_id = entry.case_of(args)
    # A forged or garbled id is kept in the arguments, not in the indexed column.
    return case_id if case_id and len(case_id) <= 40 else None


# PostgreSQL aborts one of two transactions that lock the same cases in opposite order (two phones'
# batches touching jobs A then B, and B then A). The aborted one has written nothing: run it again.
# Statements of every push, built once (building them is a measurable share of a push).
_INSERT_MUTATIONS = insert(sync_mutations)
_INSERT_REFUSALS = insert(field_refusals)
_ENSURE_CLIENT = {
    d: ins(sync_clients).on_conflict_do_nothing(index_elements=[sync_clients.c.client_id])
    for d, ins in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_CLIENT = select(sync_clients.c.user_id, sync_clients.c.last_mutation_id).where(
    sync_clients.c.client_id == bindparam("b_client_id"))
# Two pushes from one phone (a retry racing the original) queue here, one after the other.
_CLIENT_FOR_UPDATE = _CLIENT.with_for_update()
_ADVANCE_CLIENT = (update(sync_clients).where(sync_clients.c.client_id == bindparam("b_client_id"))
                   .values(last_mutation_id=bindparam("b_last")))
_RETRY_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure
_ATTEMPTS = 5


async def push(db: Database, who: Principal, data: PushIn) -> PushOut:
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            return await _push_once(db, who, data)
        except DBAPIError as e:
            if getattr(e.orig, "sqlstate", None) not in _RETRY_SQLSTATES or attempt == _ATTEMPTS:
                raise
            await asyncio.sleep(random.uniform(0, 0.02 * attempt))
    raise AssertionError("unreachable")


async def _push_once(db: Database, who: Principal, data: PushIn) -> PushOut:
    handlers = registry()
    async with db.transaction() as uow:
        conn = uow.conn
        await conn.execute(_ENSURE_CLIENT[uow.dialect], {
            "client_id": data.client_id, "user_id": who.user_id, "device_id": who.device_id,
            "last_mutation_id": 0, "created_at": uow.now})
        q = _CLIENT_FOR_UPDATE if uow.dialect == "postgresql" else _CLIENT
        client = (await conn.execute(q, {"b_client_id": data.client_id})).one()
        if client.user_id != who.user_id:
            raise fail(
                "sync.client_other_user",
                "此设备的待发送记录属于另一位用户",
                "This outbox belongs to another user",
                kind="conflict",
            )
        last = int(client.last_mutation_id)
        expected = last + 1

        dup_ids = [m.mutation_id for m in data.mutations if m.mutation_id < expected]
        stored: dict[int, Any] = {}
        if dup_ids:
            rows = await conn.execute(
                select(sync_mutations).where(
                    sync_mutations.c.client_id == data.client_id, sync_mutations.c.mutation_id.in_(dup_ids)
                )
            )
            stored = {r.mutation_id: r for r in rows}

        await preload_cases(uow, [
            cid for m in data.mutations
            if m.mutation_id >= expected and (entry := handlers.get(m.type)) is not None and entry.case_of is not None
            and (cid := entry.case_of(m.args)) is not None
        ])

        results: list[MutationResult] = []
        records: list[dict[str, Any]] = []
        refused: list[dict[str, Any]] = []
        stopped = None
        for m in data.mutations:
            if m.mutation_id < expected:
                s = stored.get(m.mutation_id)
                results.append(
                    MutationResult(
                        mutation_id=m.mutation_id, status="duplicate",
                        original=(s.status if s is not None else "applied"),
                        code=s.code if s is not None else None,
                        message=s.message if s is not None else None,
                        message_en=s.message_en if s is not None else None,
                    )
                )
                continue
            if m.mutation_id > expected:
                stopped = "gap"
                break
            refusal: Refusal | None = None
            notice: Notice | None = None
            entry = handlers.get(m.type)
            placed = acted_at(m.device_time, data.sent_at, uow.now, m.server_time_est)
            moved = clock_changed(m.device_time, data.sent_at, uow.now, m.server_time_est)
            moved_s = None if moved is None else round(moved.total_seconds())
            if entry is None:
                refusal = Refusal(code="sync.unknown_type", zh="未知的操作类型",
                                  en=f"Unknown mutation type {m.type!r}", kind="invalid")
            elif not (who.roles & entry.roles):
                refusal = Refusal(code="auth.forbidden", zh="您的角色无权执行此操作",
                                  en="Your role may not do this", kind="forbidden")
            else:
                ctx = MutationContext(uow=uow, principal=who, client_id=data.client_id,
                                      mutation_id=m.mutation_id, device_time=m.device_time,
                                      acted_at=placed, clock_changed_s=moved_s)
                mark = uow.checkpoint()
                inner: list[DBAPIError] = []
                # A savepoint only where the handler writes to the database itself; staged
                # aggregates are undone by rollback_to alone (and a savepoint pair costs ~1 ms).
                guard = conn.begin_nested() if entry.direct_writes else contextlib.nullcontext()
                try:
                    async with guard:
                        try:
                            notice = await entry.handler(ctx, m.args)
                        except DBAPIError as e:
                            inner.append(e)
                            raise
                except DomainError as e:
                    uow.rollback_to(mark)
                    refusal = e.refusal
                except msgspec.ValidationError as e:
                    uow.rollback_to(mark)
                    refusal = _refusal_for_args(e)
                except OperationalError as e:
                    raise _storage_cause(e, inner) from None
                except BlobMissing as e:
                    uow.rollback_to(mark)
                    results.append(
                        MutationResult(mutation_id=m.mutation_id, status="waiting", code="blob.missing",
                                       message="附件尚未上传", message_en="A referenced file is not uploaded yet",
                                       details={"sha256": e.sha256})
                    )
                    stopped = "waiting_blob"
                    break
            if refusal is not None and refusal.kind in ("forbidden",):
                # Out-of-scope or wrong-role pushes are evidence of a bug or an attack: audit them.
                uow.audit(entity="mutation", entity_id=f"{data.client_id}:{m.mutation_id}",
                          action="refused." + refusal.code, actor_id=who.user_id, actor_role=who.primary_role,
                          device_id=who.device_id, compound_id=who.compound_id,
                          data={"type": m.type, "args": m.args, "reason": refusal.en})
            if refusal is not None:
                refused.append({
                    "client_id": data.client_id, "mutation_id": m.mutation_id, "compound_id": who.compound_id,
                    "user_id": who.user_id, "case_id": _case_named(entry, m.args), "type": m.type,
                    "code": refusal.code, "message": refusal.zh, "message_en": refusal.en,
                    "args": msgspec.json.encode(m.args).decode(), "device_time": m.device_time,
                    "received_at": uow.now,
                    # When the person acted, placed as an applied step would be: a refused completion
                    # the desk accepts later counts then, not at the sync (D141).
                    "acted_at": placed, "clock_changed_s": moved_s,
                })
            # What the phone is told: a refusal's reason, or an applied mutation's notice (kept with the
            # record, so a resend answered "duplicate" says it again).
            said = refusal or (notice if isinstance(notice, Notice) else None)
            records.append(
                {
                    "client_id": data.client_id, "mutation_id": m.mutation_id, "type": m.type,
                    "status": "rejected" if refusal else "applied",
                    "code": said.code if said else None,
                    "message": said.zh if said else None,
                    "message_en": said.en if said else None,
                    "received_at": uow.now, "device_time": m.device_time,
                }
            )
            results.append(
                MutationResult(mutation_id=m.mutation_id, status="rejected" if refusal else "applied",
                               code=said.code, message=said.zh, message_en=said.en, details=said.details or None)
                if said is not None
                else MutationResult(mutation_id=m.mutation_id, status="applied")
            )
            expected += 1
        skewed = [(r["mutation_id"], skew) for r in records
                  if (skew := _clock_skew(r["device_time"], uow.now)) is not None and abs(skew) > CLOCK_SKEW_FLAG]
        if skewed:
            uow.audit(entity="sync_client", entity_id=data.client_id, action="sync.clock_skew",
                      actor_id=who.user_id, actor_role=who.primary_role, device_id=who.device_id,
                      compound_id=who.compound_id,
                      data={"clock_skew_s": round(skewed[-1][1].total_seconds()),
                            "mutation_ids": [mid for mid, _ in skewed]})
        if records:
            await execute_many(conn, _INSERT_MUTATIONS, records)
            if refused:
                await execute_many(conn, _INSERT_REFUSALS, refused)
            await conn.execute(_ADVANCE_CLIENT, {"b_client_id": data.client_id, "b_last": expected - 1})
        return PushOut(results=results, expected_next_id=expected, server_time=uow.now, stopped=stopped)
