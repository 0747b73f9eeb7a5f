"""Accounts: login, logout, device listing and revocation, user creation, and the manager's staff page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from sqlalchemy import case, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from server.auth.passwords import hash_password, verify_password
from server.auth.principal import Principal
from server.auth.tokens import issue_token
from server.domain import accounts as acc
from server.domain.calendar import CN_2026_HOLIDAYS, CN_2026_MAKEUP_WORKDAYS, BusinessCalendar
from server.domain.errors import DomainError, fail
from server.domain.roles import Role
from server.ids import new_id
from server.ratelimit import LOGIN_THROTTLE
from server.services import summons
from server.services.cases import OPEN_STATES, compound_rules
from server.storage.db import Database, UnitOfWork
from server.storage.schema import cases, compounds, devices, users


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
    """Create a staff account: the CLI's first manager, a company (leadership) account, the demo's staff.

    With no compound given, the only compound is used (created, as 我的小区, if there is none); with several
    the caller must name one (compound.ambiguous). The staff page's checks apply (D129): the login name's
    form and its clash with another in any letter case, the roles, the name, phone and posts."""
    from server.services.setup import resolve_compound

    role_names = [str(r) for r in roles]
    if (refusal := acc.check_username(username) or acc.check_roles(role_names)
            or acc.check_details(display_name=display_name, phone=phone, posts=[str(p) for p in posts])) is not None:
        raise DomainError(refusal)
    # Hashing is deliberately slow (Argon2): done before the write transaction takes the lock.
    password_hash = password_hash or hash_password(password)
    async with db.transaction() as uow:
        conn = uow.conn
        compound_id = await resolve_compound(conn, compound_id)
        if compound_id is None:
            compound_id = await ensure_compound(conn, uow.now, name="我的小区")
        taken = (await conn.execute(
            select(users.c.username).where(func.lower(users.c.username) == username.lower()))).scalars()
        if (refusal := acc.check_username_free(username, taken)) is not None:
            raise DomainError(refusal)
        uid = user_id or new_id("usr_")
        try:
            await conn.execute(
                insert(users).values(
                    id=uid, compound_id=compound_id, username=username, display_name=display_name,
                    password_hash=password_hash, roles=msgspec.json.encode(role_names).decode(),
                    phone=phone, posts=msgspec.json.encode([str(p) for p in posts]).decode(), active=True,
                    created_at=uow.now,
                )
            )
        except IntegrityError:
            # The unique index decided a race; the database's message would carry the row, hash included.
            raise fail(acc.AccountReason.EXISTS, "用户名已存在", "That username is taken", kind="conflict") from None
        uow.audit(entity="user", entity_id=uid, action="create", actor_id=None, actor_role=None,
                  device_id=None, data={"username": username, "roles": role_names,
                                        **({"posts": [str(p) for p in posts]} if posts else {})},
                  compound_id=compound_id)
        return uid


async def ensure_compound(conn, now: datetime, *, name: str, compound_id: str | None = None,  # noqa: ANN001
                          time_zone: str = "Asia/Shanghai") -> str:
    cid = compound_id or new_id("cmp_")
    # A new compound starts with the national public holidays and make-up working days on file;
    # the manager keeps them up to date (PUT /api/calendar, the desk's 工作日历 page).
    calendar = BusinessCalendar.build(tz=time_zone, holidays=CN_2026_HOLIDAYS, makeup_workdays=CN_2026_MAKEUP_WORKDAYS)
    await conn.execute(
        insert(compounds).values(id=cid, name=name, calendar=msgspec.json.encode(calendar).decode(),
                                 policy="{}", created_at=now)
    )
    return cid


# --- the manager's staff page (D129) -------------------------------------------------------


class OpenCase(msgspec.Struct, kw_only=True):
    id: str
    no: str


class StaffAccount(msgspec.Struct, kw_only=True):
    """One person on the manager's staff page: what the directory shows, and whether they can sign in."""

    id: str
    username: str
    display_name: str
    roles: list[str]
    phone: str
    # The emergency posts held (R-EM-2, D89): the emergency panel lists and calls the holders.
    posts: list[str]
    active: bool
    created_at: datetime
    # Devices signed in and not revoked, and the last time any of the person's devices was used.
    devices: int
    last_seen_at: datetime | None
    # The cases whose active work order this person holds: deactivation waits until they are dispatched
    # to someone else (user.open_work_orders).
    open_cases: list[OpenCase]
    # A deputy GM's or GM's account: the company keeps it (user.leadership_account); the page edits only
    # its name, phone and posts.
    company_account: bool


class StaffAccountIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(max_length=64)]
    display_name: Annotated[str, msgspec.Meta(max_length=100)]
    # The initial password the manager gives the person; stored only as its Argon2 hash.
    password: Annotated[str, msgspec.Meta(max_length=200)]
    roles: Annotated[list[str], msgspec.Meta(max_length=20)]
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""
    posts: Annotated[list[str], msgspec.Meta(max_length=20)] = []


class StaffDetailsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The whole of what the page edits on a person (a PUT: every field is sent)."""

    display_name: Annotated[str, msgspec.Meta(max_length=100)]
    phone: Annotated[str, msgspec.Meta(max_length=40)]
    posts: Annotated[list[str], msgspec.Meta(max_length=20)]


class PasswordIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    password: Annotated[str, msgspec.Meta(max_length=200)]


def _roles(row: Any) -> list[str]:
    return msgspec.json.decode(row.roles or "[]")


async def _staff_views(conn: Any, compound_id: str, user_id: str | None = None) -> list[StaffAccount]:
    q = select(users).where(users.c.compound_id == compound_id)
    if user_id is not None:
        q = q.where(users.c.id == user_id)
    people = (await conn.execute(q.order_by(users.c.username))).all()
    ids = [p.id for p in people]
    if not ids:
        return []
    seen = {
        r.user_id: r
        for r in (await conn.execute(
            select(devices.c.user_id,
                   func.sum(case((devices.c.revoked_at.is_(None), 1), else_=0)).label("live"),
                   func.max(devices.c.last_seen_at).label("seen"))
            .where(devices.c.user_id.in_(ids)).group_by(devices.c.user_id)
        )).all()
    }
    held: dict[str, list[OpenCase]] = {}
    for r in (await conn.execute(
        select(cases.c.id, cases.c.no, cases.c.assignee_id)
        .where(cases.c.compound_id == compound_id, cases.c.assignee_id.in_(ids), cases.c.state.in_(OPEN_STATES))
        .order_by(cases.c.no)
    )).all():
        held.setdefault(r.assignee_id, []).append(OpenCase(id=r.id, no=r.no))
    out = []
    for p in people:
        roles = _roles(p)
        d = seen.get(p.id)
        out.append(StaffAccount(
            id=p.id, username=p.username, display_name=p.display_name, roles=roles, phone=p.phone or "",
            posts=msgspec.json.decode(p.posts or "[]"), active=bool(p.active), created_at=p.created_at,
            devices=int(d.live or 0) if d else 0, last_seen_at=d.seen if d else None,
            open_cases=held.get(p.id, []), company_account=acc.may_administer(roles) is not None,
        ))
    return out


async def _staff_view(conn: Any, compound_id: str, user_id: str) -> StaffAccount:
    [view] = await _staff_views(conn, compound_id, user_id)
    return view


async def _locked_person(uow: UnitOfWork, who: Principal, user_id: str) -> Any:
    """The person's row, locked until commit on PostgreSQL (a dispatch to them reads it FOR SHARE)."""
    row = (await uow.conn.execute(uow.for_update(
        select(users).where(users.c.id == user_id, users.c.compound_id == who.compound_id)))).first()
    if row is None:
        raise fail(acc.AccountReason.NOT_FOUND, "未找到该员工", "No such staff member", kind="not_found")
    return row


async def _revoke_devices(uow: UnitOfWork, who: Principal, user_id: str, *, keep: str | None = None) -> list[str]:
    """Revoke every live device of the person (their tokens stop working at once); `keep` spares one."""
    q = select(devices.c.id).where(devices.c.user_id == user_id, devices.c.revoked_at.is_(None))
    if keep is not None:
        q = q.where(devices.c.id != keep)
    ids = list((await uow.conn.execute(q.order_by(devices.c.id))).scalars())
    if ids:
        await uow.conn.execute(update(devices).where(devices.c.id.in_(ids))
                               .values(revoked_at=uow.now, revoked_by=who.user_id))
    return ids


def _audit(uow: UnitOfWork, who: Principal, user_id: str, action: str, data: dict[str, Any]) -> None:
    uow.audit(entity="user", entity_id=user_id, action=action, actor_id=who.user_id, actor_role=who.primary_role,
              device_id=who.device_id, compound_id=who.compound_id, data=data)


async def staff_accounts(db: Database, who: Principal) -> list[StaffAccount]:
    async with db.read() as conn:
        return await _staff_views(conn, who.compound_id)


async def add_staff(db: Database, who: Principal, data: StaffAccountIn) -> StaffAccount:
    """A person added by the manager: create-user's checks, the initial password hashed as it hashes it."""
    username, name, phone = data.username.strip(), data.display_name.strip(), data.phone.strip()
    roles = list(dict.fromkeys(data.roles))
    if (refusal := acc.check_new_account(username=username, display_name=name, password=data.password,
                                         roles=roles, phone=phone, posts=data.posts)) is not None:
        raise DomainError(refusal)
    # Hashing is deliberately slow (Argon2): done before the write transaction takes the lock.
    password_hash = hash_password(data.password)
    async with db.transaction() as uow:
        if data.posts:
            # Before the new row: the open emergencies come first in this module's lock order (summons.py).
            await summons.lock_open_emergencies(uow, who.compound_id)
        taken = (await uow.conn.execute(
            select(users.c.username).where(func.lower(users.c.username) == username.lower()))).scalars()
        if (refusal := acc.check_username_free(username, taken)) is not None:
            raise DomainError(refusal)
        uid = new_id("usr_")
        try:
            await uow.conn.execute(insert(users).values(
                id=uid, compound_id=who.compound_id, username=username, display_name=name, password_hash=password_hash,
                roles=msgspec.json.encode(roles).decode(), phone=phone,
                posts=msgspec.json.encode(data.posts).decode(), active=True, created_at=uow.now))
        except IntegrityError:
            # Two managers adding the same login at the same moment: the unique index decides.
            raise fail(acc.AccountReason.EXISTS, "用户名已存在", "That username is taken", kind="conflict") from None
        # A summons naming nobody of a post the newcomer holds calls them too (R-EM-2, D89).
        moved = await summons.follow_posts(uow, who, uid, [], data.posts)
        _audit(uow, who, uid, "create", {"username": username, "display_name": name, "roles": roles,
                                          "phone": phone, "posts": data.posts,
                                          **({"summons_passed": moved} if moved else {})})
        return await _staff_view(uow.conn, who.compound_id, uid)


async def edit_staff(db: Database, who: Principal, user_id: str, data: StaffDetailsIn) -> StaffAccount:
    """Name, phone and posts: what the directory and the emergency panel show of a person (R-EM-2, D89)."""
    name, phone = data.display_name.strip(), data.phone.strip()
    if (refusal := acc.check_details(display_name=name, phone=phone, posts=data.posts)) is not None:
        raise DomainError(refusal)
    async with db.transaction() as uow:
        held = (await uow.conn.execute(select(users.c.posts).where(
            users.c.id == user_id, users.c.compound_id == who.compound_id))).scalar()
        if held is not None and summons.posts_touched(msgspec.json.decode(held or "[]"), data.posts):
            # A post changing hands moves the summonses that call it: the open emergencies are locked
            # before the person (summons.py's lock order).
            await summons.lock_open_emergencies(uow, who.compound_id)
        row = await _locked_person(uow, who, user_id)
        before = {"display_name": row.display_name, "phone": row.phone or "",
                  "posts": msgspec.json.decode(row.posts or "[]")}
        after = {"display_name": name, "phone": phone, "posts": list(data.posts)}
        changed: dict[str, Any] = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if changed:
            await uow.conn.execute(update(users).where(users.c.id == user_id).values(
                display_name=name, phone=phone, posts=msgspec.json.encode(after["posts"]).decode()))
            # R-EM-2: a summons naming nobody follows its post to whoever holds it now (D89).
            if moved := await summons.follow_posts(uow, who, user_id, before["posts"], after["posts"]):
                changed["summons_passed"] = moved
            _audit(uow, who, user_id, "update", changed)
        return await _staff_view(uow.conn, who.compound_id, user_id)


async def deactivate_staff(db: Database, who: Principal, user_id: str) -> StaffAccount:
    """The person can no longer sign in and every device of theirs is signed out; refused while they hold
    open work orders or are the last active manager (acc.check_deactivation). Again on an inactive one: no-op."""
    async with db.transaction() as uow:
        # Every account of the compound locked in one order: two managers deactivating each other at once
        # queue here, so the second sees the first's change and a compound is never left without one.
        people = (await uow.conn.execute(uow.for_update(
            select(users.c.id, users.c.roles, users.c.active).where(users.c.compound_id == who.compound_id)
            .order_by(users.c.id)))).all()
        target = next((p for p in people if p.id == user_id), None)
        if target is None:
            raise fail(acc.AccountReason.NOT_FOUND, "未找到该员工", "No such staff member", kind="not_found")
        if target.active:
            open_cases = list((await uow.conn.execute(
                select(cases.c.no).where(cases.c.compound_id == who.compound_id, cases.c.assignee_id == user_id,
                                         cases.c.state.in_(OPEN_STATES)).order_by(cases.c.no))).scalars())
            managers = sum(1 for p in people if p.active and p.id != user_id and str(Role.MANAGER) in _roles(p))
            if (refusal := acc.check_deactivation(target_roles=_roles(target), open_cases=open_cases,
                                                  other_active_managers=managers)) is not None:
                raise DomainError(refusal)
            await uow.conn.execute(update(users).where(users.c.id == user_id).values(active=False))
            revoked = await _revoke_devices(uow, who, user_id)
            _audit(uow, who, user_id, "deactivate", {"devices_revoked": revoked})
        return await _staff_view(uow.conn, who.compound_id, user_id)


async def reactivate_staff(db: Database, who: Principal, user_id: str) -> StaffAccount:
    """The person may sign in again (with a new login on each device: the old ones stay revoked)."""
    async with db.transaction() as uow:
        row = await _locked_person(uow, who, user_id)
        if (refusal := acc.may_administer(_roles(row))) is not None:
            raise DomainError(refusal)
        if not row.active:
            await uow.conn.execute(update(users).where(users.c.id == user_id).values(active=True))
            _audit(uow, who, user_id, "reactivate", {})
        return await _staff_view(uow.conn, who.compound_id, user_id)


async def reset_password(db: Database, who: Principal, user_id: str, data: PasswordIn) -> StaffAccount:
    """A new password set by the manager; every device of the person is signed out (the one the manager
    is using is spared when they reset their own)."""
    if (refusal := acc.check_password(data.password)) is not None:
        raise DomainError(refusal)
    password_hash = hash_password(data.password)
    async with db.transaction() as uow:
        row = await _locked_person(uow, who, user_id)
        if (refusal := acc.may_administer(_roles(row))) is not None:
            raise DomainError(refusal)
        await uow.conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))
        revoked = await _revoke_devices(uow, who, user_id, keep=who.device_id if user_id == who.user_id else None)
        # Never the password, nor its hash: the record says that it was reset, by whom, and what it signed out.
        _audit(uow, who, user_id, "password_reset", {"devices_revoked": revoked})
        return await _staff_view(uow.conn, who.compound_id, user_id)
