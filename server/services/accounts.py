"""Accounts: login, logout, device listing and revocation, user creation."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import func, insert, select, update

from server.auth.passwords import hash_password, verify_password
from server.auth.principal import Principal
from server.auth.tokens import issue_token
from server.domain.calendar import CN_2026_HOLIDAYS, CN_2026_MAKEUP_WORKDAYS, BusinessCalendar
from server.domain.emergencies import SummonedRole
from server.domain.errors import fail
from server.domain.roles import Role
from server.ids import new_id
from server.ratelimit import LOGIN_THROTTLE
from server.services.cases import compound_rules
from server.storage.db import Database
from server.storage.schema import compounds, devices, users


class UserView(msgspec.Struct, kw_only=True):
    id: str
    username: str
    display_name: str
    roles: list[str]
    compound_id: str
    # The compound's IANA time zone: the apps show and read wall-clock times in it, whatever zone
    # the device is set to, so they agree with case numbers, slips and reports.
    time_zone: str
    # The compound's name, for what the desk prints (a settlement statement names who issued it).
    compound_name: str = ""


class LoginResult(msgspec.Struct, kw_only=True):
    token: str
    device_id: str
    user: UserView


class DeviceView(msgspec.Struct, kw_only=True):
    id: str
    user_id: str
    name: str
    created_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None


def _user_view(row, time_zone: str, compound_name: str) -> UserView:  # noqa: ANN001
    return UserView(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        roles=msgspec.json.decode(row.roles),
        compound_id=row.compound_id,
        time_zone=time_zone,
        compound_name=compound_name,
    )


async def _compound_name(conn, compound_id: str) -> str:  # noqa: ANN001
    return (await conn.execute(select(compounds.c.name).where(compounds.c.id == compound_id))).scalar() or ""


async def login(db: Database, username: str, password: str, device_name: str) -> LoginResult:
    # Throttled per username before the password is even checked (server/ratelimit.py).
    throttle_key = LOGIN_THROTTLE.key(db.url, username)
    LOGIN_THROTTLE.check(throttle_key, db.clock.now())
    async with db.transaction() as uow:
        row = (await uow.conn.execute(select(users).where(users.c.username == username))).first()
        ok = verify_password(row.password_hash if row else None, password)
        if not ok or row is None or not row.active:
            LOGIN_THROTTLE.failed(throttle_key, uow.now)
            raise fail(
                "auth.bad_credentials", "用户名或密码错误", "Wrong username or password", kind="unauthorized"
            )
        LOGIN_THROTTLE.succeeded(throttle_key)
        token, device_id = await issue_token(uow.conn, row.id, device_name, uow.now)
        uow.audit(
            entity="device", entity_id=device_id, action="login", actor_id=row.id,
            actor_role=None, device_id=device_id, data={"device_name": device_name},
            compound_id=row.compound_id,
        )
        rules = await compound_rules(uow, row.compound_id)
        name = await _compound_name(uow.conn, row.compound_id)
        return LoginResult(token=token, device_id=device_id, user=_user_view(row, rules.calendar.tz, name))


async def logout(db: Database, who: Principal) -> None:
    async with db.transaction() as uow:
        await uow.conn.execute(
            update(devices).where(devices.c.id == who.device_id).values(revoked_at=uow.now, revoked_by=who.user_id)
        )
        uow.audit(entity="device", entity_id=who.device_id, action="logout", actor_id=who.user_id,
                  actor_role=who.primary_role, device_id=who.device_id, compound_id=who.compound_id)


async def me(db: Database, who: Principal) -> UserView:
    async with db.read() as conn:
        row = (await conn.execute(select(users).where(users.c.id == who.user_id))).one()
        rules = await compound_rules(conn, row.compound_id)
        return _user_view(row, rules.calendar.tz, await _compound_name(conn, row.compound_id))


async def list_devices(db: Database, who: Principal, user_id: str | None) -> list[DeviceView]:
    q = select(devices).join(users, users.c.id == devices.c.user_id).where(users.c.compound_id == who.compound_id)
    if user_id:
        q = q.where(devices.c.user_id == user_id)
    async with db.read() as conn:
        rows = (await conn.execute(q.order_by(devices.c.created_at))).all()
    return [
        DeviceView(id=r.id, user_id=r.user_id, name=r.name, created_at=r.created_at,
                   last_seen_at=r.last_seen_at, revoked_at=r.revoked_at)
        for r in rows
    ]


async def revoke_device(db: Database, who: Principal, device_id: str) -> DeviceView:
    async with db.transaction() as uow:
        row = (
            await uow.conn.execute(
                select(devices).join(users, users.c.id == devices.c.user_id)
                .where(devices.c.id == device_id, users.c.compound_id == who.compound_id)
            )
        ).first()
        if row is None:
            raise fail("device.not_found", "未找到该设备", "No such device", kind="not_found")
        if row.revoked_at is None:
            await uow.conn.execute(
                update(devices).where(devices.c.id == device_id).values(revoked_at=uow.now, revoked_by=who.user_id)
            )
        uow.audit(entity="device", entity_id=device_id, action="revoke", actor_id=who.user_id,
                  actor_role=who.primary_role, device_id=who.device_id, compound_id=who.compound_id)
        return DeviceView(id=row.id, user_id=row.user_id, name=row.name, created_at=row.created_at,
                          last_seen_at=row.last_seen_at, revoked_at=row.revoked_at or uow.now)


async def create_user(
    db: Database, *, username: str, password: str, display_name: str, roles: list[Role | str],
    compound_id: str | None = None, phone: str = "", user_id: str | None = None,
    password_hash: str | None = None, posts: list[str] | tuple[str, ...] = (),
) -> str:
    """Create a staff account. With no compound given, the only compound (created if none) is used.

    `posts` are the emergency posts the person holds (R-EM-2's people summoned to the scene, D89)."""
    for r in roles:
        Role(r)
    for p in posts:
        if p not in {str(x) for x in SummonedRole}:
            raise fail("user.unknown_post", f"没有这个岗位：{p}", f"No such post: {p}", kind="invalid",
                       post=p[:64], posts=[str(x) for x in SummonedRole])
    async with db.transaction() as uow:
        conn = uow.conn
        if compound_id is None:
            compound_id = (await conn.execute(select(compounds.c.id).limit(1))).scalar()
            if compound_id is None:
                compound_id = await ensure_compound(conn, uow.now, name="我的小区")
        taken = (await conn.execute(select(func.count()).where(users.c.username == username))).scalar()
        if taken:
            raise fail("user.exists", "用户名已存在", "That username is taken", kind="conflict")
        uid = user_id or new_id("usr_")
        await conn.execute(
            insert(users).values(
                id=uid, compound_id=compound_id, username=username, display_name=display_name,
                password_hash=password_hash or hash_password(password), roles=msgspec.json.encode([str(r) for r in roles]).decode(),
                phone=phone, posts=msgspec.json.encode([str(p) for p in posts]).decode(), active=True,
                created_at=uow.now,
            )
        )
        uow.audit(entity="user", entity_id=uid, action="create", actor_id=None, actor_role=None,
                  device_id=None, data={"username": username, "roles": [str(r) for r in roles],
                                        **({"posts": [str(p) for p in posts]} if posts else {})},
                  compound_id=compound_id)
        return uid


async def ensure_compound(conn, now: datetime, *, name: str, compound_id: str | None = None) -> str:  # noqa: ANN001
    cid = compound_id or new_id("cmp_")
    # A new compound starts with the national public holidays and make-up working days on file;
    # the manager keeps them up to date (PUT /api/calendar, the desk's 工作日历 page).
    calendar = BusinessCalendar.build(holidays=CN_2026_HOLIDAYS, makeup_workdays=CN_2026_MAKEUP_WORKDAYS)
    await conn.execute(
        insert(compounds).values(id=cid, name=name, calendar=msgspec.json.encode(calendar).decode(),
                                 policy="{}", created_at=now)
    )
    return cid
