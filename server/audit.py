"""The audit trail: append-only, hash-chained, readable per case as a timeline."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.storage.db import execute_many
from server.storage.schema import audit

GENESIS = "0" * 64
_INSERT = insert(audit)
_LAST_HASH = select(audit.c.hash).order_by(audit.c.id.desc()).limit(1)
_NOT_HASHED = frozenset(("id", "hash", "prev_hash"))


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    # Key order does not matter here: the encoder sorts keys (order="sorted").
    body = {k: v for k, v in entry.items() if k not in _NOT_HASHED}
    at = body.get("at")
    if isinstance(at, datetime):
        body["at"] = at.isoformat()
    canonical = msgspec.json.encode(body, order="sorted")
    return hashlib.sha256(prev_hash.encode() + canonical).hexdigest()


async def append_entries(conn: AsyncConnection, entries: list[dict[str, Any]]) -> None:
    """Append entries to the chain. The caller holds the change-counter row lock (see feed.py)."""
    if not entries:
        return
    last = (await conn.execute(_LAST_HASH)).scalar()
    prev = last or GENESIS
    rows = []
    for e in entries:
        stored = dict(e, data=msgspec.json.encode(e["data"]).decode())
        h = entry_hash(prev, stored)
        rows.append(dict(stored, prev_hash=prev, hash=h))
        prev = h
    await execute_many(conn, _INSERT, rows)


class ChainReport(msgspec.Struct):
    ok: bool
    entries: int
    first_bad_id: int | None = None
    # The newest hash. Recording it elsewhere (a ticket, the monthly report) makes a later
    # truncation of the newest entries detectable, which the chain alone cannot show.
    head: str | None = None


async def verify_chain(conn: AsyncConnection) -> ChainReport:
    prev = GENESIS
    n = 0
    result = await conn.stream(select(audit).order_by(audit.c.id))
    async for row in result:
        entry = dict(row._mapping)
        if entry["prev_hash"] != prev or entry_hash(prev, entry) != entry["hash"]:
            return ChainReport(ok=False, entries=n, first_bad_id=entry["id"])
        prev = entry["hash"]
        n += 1
    return ChainReport(ok=True, entries=n, head=prev if n else None)


async def case_timeline(conn: AsyncConnection, case_id: str) -> list[dict[str, Any]]:
    rows = (
        await conn.execute(select(audit).where(audit.c.case_id == case_id).order_by(audit.c.id))
    ).all()
    return [
        {
            "at": r.at,
            "action": r.action,
            "actor_id": r.actor_id,
            "actor_role": r.actor_role,
            "device_id": r.device_id,
            "data": msgspec.json.decode(r.data),
        }
        for r in rows
    ]
