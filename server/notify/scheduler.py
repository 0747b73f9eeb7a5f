"""Sends due reminders: claims them through the database so several servers send each exactly once.

One round (`run_once`):
0. Store the Monday review's weekly reminder when its moment has come (server/notify/weekly.py): it
   belongs to no case, so no case's save plans it.
1. Claim, in one short transaction, up to `batch` reminders that are pending and due, or whose
   earlier claim expired (the claimer crashed). PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`,
   then mark them claimed by this round's token in the same transaction, so a concurrent round
   skips these rows instead of waiting for them and never sees them as pending afterwards.
   SQLite: one `UPDATE ... WHERE state='pending' ... RETURNING` inside BEGIN IMMEDIATE, which
   serializes writers across processes, so the second claimer only sees the first one's result.
2. Outside any transaction, push to every live subscription of each recipient (Web Push, TTL
   24 h, 10 s timeout), skipping devices an earlier attempt already reached.
3. In one transaction, record each outcome — only where this round's token still holds the claim
   — and emit the reminder to the recipient's inbox (entity `reminder` in their user scope), for
   people without push too. A 404/410 deletes the subscription; a 429/5xx or no answer schedules a
   retry at the push service's Retry-After or with backoff; every failure is kept in last_error.

A claim outlives the slowest round by far (CLAIM_TIMEOUT), so an expired claim means a dead
claimer. Its reminder is then sent again: at-least-once across a crash, exactly once otherwise.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select, update

from server.notify import subscriptions
from server.notify.capa import plan_open_capas
from server.notify.catch_up import plan_waiting_referrals
from server.notify.reminders import UNOWNED, case_of, text_at_send
from server.notify.subscriptions import StoredSubscription
from server.notify.tables import reminders
from server.notify.vapid_store import shared_vapid_keys
from server.notify.webpush import (
    DEFAULT_SUBJECT,
    DEFAULT_TIMEOUT_S,
    DEFAULT_TTL_S,
    Outcome,
    SendResult,
    send_async,
)
from server.notify.weekly import plan_monday_reviews
from server.storage.db import Database
from server.sync.scopes import user_scope

log = logging.getLogger(__name__)

BATCH = 20
CLAIM_TIMEOUT = timedelta(minutes=5)
MAX_ATTEMPTS = 8
INTERVAL_S = 5.0
SEND_CONCURRENCY = 10
INSTANCE = f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class RunStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    pushes: int = 0  # messages the push services accepted
    gone: int = 0  # subscriptions deleted after 404/410
    lost_claims: int = 0  # claims another round took over (ours had expired)


@dataclass
class _Claimed:
    id: str
    case_id: str
    job_id: str | None
    code: str
    kind: str
    recipient_id: str
    due_at: datetime
    payload: dict[str, Any]
    attempts: int
    delivered_to: list[str]


@dataclass
class _Delivery:
    reminder: _Claimed
    delivered: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    retry_after_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed_subs: list[tuple[str, str]] = field(default_factory=list)
    targets: int = 0


async def claim(db: Database, now: datetime, token: str, batch: int = BATCH) -> list[_Claimed]:
    due = or_(
        and_(reminders.c.state == "pending", reminders.c.next_attempt_at <= now),
        and_(reminders.c.state == "claimed", reminders.c.claimed_at <= now - CLAIM_TIMEOUT),
    )
    mark = dict(state="claimed", claimed_by=token, claimed_at=now, attempts=reminders.c.attempts + 1,
                updated_at=now)
    cols = (reminders.c.id, reminders.c.case_id, reminders.c.job_id, reminders.c.code, reminders.c.kind,
            reminders.c.recipient_id, reminders.c.due_at, reminders.c.payload, reminders.c.attempts,
            reminders.c.delivered_to)
    # Written directly, not through UnitOfWork.flush: a claim emits nothing to the change feed,
    # so it never queues on the feed's counter-row lock.
    async with db.transaction() as uow:
        if uow.dialect == "postgresql":
            ids = (await uow.conn.execute(
                select(reminders.c.id).where(due).order_by(reminders.c.next_attempt_at).limit(batch)
                .with_for_update(skip_locked=True)
            )).scalars().all()
            if not ids:
                return []
            rows = (await uow.conn.execute(
                update(reminders).where(reminders.c.id.in_(ids)).values(**mark).returning(*cols)
            )).all()
        else:
            pick = select(reminders.c.id).where(due).order_by(reminders.c.next_attempt_at).limit(batch)
            rows = (await uow.conn.execute(
                update(reminders).where(reminders.c.id.in_(pick)).values(**mark)
                .returning(*cols)
            )).all()
    return [
        _Claimed(id=r.id, case_id=r.case_id, job_id=r.job_id, code=r.code, kind=r.kind,
                 recipient_id=r.recipient_id, due_at=r.due_at, payload=json.loads(r.payload),
                 attempts=r.attempts, delivered_to=json.loads(r.delivered_to or "[]"))
        for r in rows
    ]


async def _deliver(
    r: _Claimed, subs: list[StoredSubscription], *, private_key: Any, subject: str, now: datetime,
    limit: asyncio.Semaphore, send_timeout_s: float,
) -> _Delivery:
    out = _Delivery(reminder=r)
    # The id lets the app mark the inbox copy read when the notification is opened.
    payload = {**r.payload, "reminder_id": r.id}
    targets = [s for s in subs if s.id not in r.delivered_to]
    out.targets = len(targets)

    async def one(s: StoredSubscription) -> tuple[StoredSubscription, SendResult]:
        async with limit:
            try:
                res = await send_async(
                    s.push, payload, vapid_private_key=private_key, subject=subject, ttl=DEFAULT_TTL_S,
                    timeout=send_timeout_s, urgency="high" if r.kind in ("escalation", "summons", UNOWNED) else "normal",
                    attempt=r.attempts, now=now,
                )
            except Exception as exc:  # a bug in one send must not lose the others' outcomes
                log.exception("push to %s failed unexpectedly", s.id)
                res = SendResult(Outcome.RETRY_LATER, None, 60.0, f"{type(exc).__name__}: {exc}")
            return s, res

    for s, res in await asyncio.gather(*(one(s) for s in targets)):
        if res.outcome == Outcome.DELIVERED:
            out.delivered.append(s.id)
        elif res.outcome == Outcome.GONE:
            out.gone.append(s.id)
        else:
            err = f"{s.id}: {res.outcome} {res.status or 'no answer'} {res.detail}".strip()[:500]
            out.errors.append(err)
            out.failed_subs.append((s.id, err))
            if res.outcome == Outcome.RETRY_LATER:
                out.retry_after_s.append(res.retry_after_s or 0.0)
    return out


def _inbox_doc(r: _Claimed, now: datetime, state: str) -> bytes:
    p = r.payload
    doc = {
        "id": r.id, "case_id": case_of(r.case_id), "job_id": r.job_id, "code": r.code, "kind": r.kind,
        "title": p.get("title"), "body": p.get("body"), "url": p.get("url"), "tag": p.get("tag"),
        "title_en": p.get("title_en"), "body_en": p.get("body_en"),
        "due_at": r.due_at.isoformat().replace("+00:00", "Z"),
        "created_at": now.isoformat().replace("+00:00", "Z"), "state": state,
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


async def _finish(db: Database, now: datetime, token: str, deliveries: list[_Delivery], stats: RunStats) -> None:
    async with db.transaction() as uow:
        # Subscription rows are shared by every round that reaches the same person: written after the
        # reminders, once each and in id order, so two rounds finishing at once never lock two of them
        # in opposite orders (PostgreSQL aborted one as a deadlock, and its pushes, already delivered,
        # went out again when its claims expired).
        gone: set[str] = set()
        reached: set[str] = set()
        failed: dict[str, str] = {}
        for d in deliveries:
            r = d.reminder
            delivered = [*r.delivered_to, *d.delivered]
            if d.retry_after_s and r.attempts < MAX_ATTEMPTS:
                state = "pending"
                next_at = now + timedelta(seconds=max(d.retry_after_s))
            else:
                state = "failed" if d.errors and not delivered else "sent"
                next_at = None
            values: dict[str, Any] = dict(
                state=state, claimed_by=None, claimed_at=None, delivered_to=json.dumps(delivered),
                last_error="; ".join(d.errors) if d.errors else None, updated_at=now,
            )
            if next_at is not None:
                values["next_attempt_at"] = next_at
            if state == "sent":
                values["sent_at"] = now
            res = await uow.conn.execute(
                update(reminders)
                .where(reminders.c.id == r.id, reminders.c.state == "claimed", reminders.c.claimed_by == token)
                .values(**values)
            )
            if res.rowcount != 1:
                stats.lost_claims += 1
                log.warning("reminder %s: claim %s expired before the round finished", r.id, token)
                continue
            gone.update(d.gone)
            reached.update(d.delivered)
            failed.update(d.failed_subs)
            # The inbox copy goes out on the first round and is refreshed after: phones without
            # push, and phones whose push is being retried, still see the reminder now.
            uow.emit(user_scope(r.recipient_id), "reminder", r.id, "upsert", _inbox_doc(r, now, state))
            stats.pushes += len(d.delivered)
            stats.gone += len(d.gone)
            if state == "pending":
                stats.retried += 1
            elif state == "sent":
                stats.sent += 1
            else:
                stats.failed += 1
        for sub_id in sorted(gone | reached | failed.keys()):
            if sub_id in gone:
                await subscriptions.forget(uow, sub_id)
                continue
            if sub_id in reached:
                await subscriptions.record_outcome(uow, sub_id, None)
            if sub_id in failed:
                await subscriptions.record_outcome(uow, sub_id, failed[sub_id])


async def run_once(
    db: Database,
    now: datetime | None = None,
    *,
    key_dir: Path | None = None,
    subject: str = DEFAULT_SUBJECT,
    instance: str = INSTANCE,
    batch: int = BATCH,
    send_timeout_s: float = DEFAULT_TIMEOUT_S,
) -> RunStats:
    """One round: claim due reminders, push them, record the outcomes. Safe to run anywhere, any time."""
    now = now or db.clock.now()
    stats = RunStats()
    token = f"{instance}:{secrets.token_hex(6)}"
    # Before claiming: a key problem must not strand claimed reminders until their claims expire.
    keys = await shared_vapid_keys(db, key_dir)
    try:
        await plan_monday_reviews(db, now, instance=instance)
    except Exception:  # the week's reminder must not hold up the reminders already due
        log.exception("planning the Monday review's reminder failed; the next round tries again")
    claimed = await claim(db, now, token, batch)
    stats.claimed = len(claimed)
    if not claimed:
        return stats
    # Its words as true now: a "due soon" going out past its deadline says overdue, in the push and
    # in the inbox row alike (D102).
    for r in claimed:
        r.payload = text_at_send(r.payload, r.kind, r.due_at, now)
    subs = await subscriptions.for_users(db, sorted({r.recipient_id for r in claimed}))
    limit = asyncio.Semaphore(SEND_CONCURRENCY)
    deliveries = await asyncio.gather(*(
        _deliver(r, subs.get(r.recipient_id, []), private_key=keys.private_key, subject=subject, now=now,
                 limit=limit, send_timeout_s=send_timeout_s)
        for r in claimed
    ))
    await _finish(db, now, token, list(deliveries), stats)
    # An emergency nobody has taken is reminded again 15 minutes on: each stage is planned once the one
    # before it went out, by the round that sent it (claimed once, so planned once).
    unowned = sorted({r.case_id for r in claimed if r.kind == UNOWNED})
    if unowned:
        try:
            await plan_next_unowned(db, unowned)
        except Exception:  # the reminders already sent stay sent; the case's next save plans the next one
            log.exception("planning the next reminder of an emergency nobody has taken failed")
    return stats


async def plan_next_unowned(db: Database, case_ids: list[str]) -> None:
    """Plan each case's reminders again as a save would: for an emergency still nobody's, the next stage."""
    from server.services.cases import load_case, replan_reminders  # circular: services import the notifier

    for case_id in case_ids:
        async with db.transaction() as uow:
            await replan_reminders(uow, await load_case(uow, case_id))


async def run_forever(db: Database, *, key_dir: Path | None, subject: str, interval_s: float = INTERVAL_S) -> None:
    """The background task started with the server (server/runtime.py)."""
    log.info("reminder scheduler %s started", INSTANCE)
    try:
        # Referrals left waiting from before their reminders were planned get them now, not at
        # their case's next save; once per database, whichever process starts first (D88).
        await plan_waiting_referrals(db, instance=INSTANCE)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("planning the waiting referrals' reminders failed; the next start tries again")
    try:
        # CAPA reports filed before their reminders existed get them now, not at their next step.
        await plan_open_capas(db, instance=INSTANCE)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("planning the open CAPA reports' reminders failed; the next start tries again")
    while True:
        busy = False
        try:
            stats = await run_once(db, key_dir=key_dir, subject=subject)
            busy = stats.claimed >= BATCH
            if stats.claimed:
                log.info("reminders: %s", stats)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reminder round failed; next round in %.0f s", interval_s)
        await asyncio.sleep(0 if busy else interval_s)
