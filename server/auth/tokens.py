"""Device tokens: one per phone or browser, long-lived, listed per user, revocable by a manager."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth.principal import Principal
from server.ids import new_id
from server.storage.schema import devices, users

# Touching last_seen on every request would turn every read into a write; once in a while is enough.
LAST_SEEN_GRANULARITY = timedelta(minutes=10)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(conn: AsyncConnection, user_id: str, device_name: str, now: datetime) -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    device_id = new_id("dev_")
    await conn.execute(
        insert(devices).values(
            id=device_id,
            user_id=user_id,
            name=device_name[:200] or "device",
            token_hash=token_digest(token),
            created_at=now,
            last_seen_at=now,
        )
    )
    return token, device_id


# Every request runs this: built once (building a join per request costs more than running it).
_BY_TOKEN = (
    select(
        devices.c.id.label("device_id"), devices.c.revoked_at, devices.c.last_seen_at, users.c.id,
        users.c.username, users.c.display_name, users.c.roles, users.c.compound_id, users.c.active,
    )
    .join(users, users.c.id == devices.c.user_id)
    .where(devices.c.token_hash == bindparam("b_hash"))
)


async def principal_for_token(
    conn: AsyncConnection, token: str, now: datetime, idle_days: int
) -> tuple[Principal, bool] | None:
    """The caller for a token, and whether last_seen should be touched. None if unknown or revoked."""
    row = (await conn.execute(_BY_TOKEN, {"b_hash": token_digest(token)})).first()
    if row is None or row.revoked_at is not None or not row.active:
        return None
    if now - row.last_seen_at > timedelta(days=idle_days):
        return None
    principal = Principal(
        user_id=row.id,
        username=row.username,
        display_name=row.display_name,
        roles=frozenset(msgspec.json.decode(row.roles)),
        compound_id=row.compound_id,
        device_id=row.device_id,
    )
    return principal, now - row.last_seen_at > LAST_SEEN_GRANULARITY


async def touch(conn: AsyncConnection, device_id: str, now: datetime) -> None:
    await conn.execute(update(devices).where(devices.c.id == device_id).values(last_seen_at=now))
