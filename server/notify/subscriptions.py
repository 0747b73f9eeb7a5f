"""Push subscriptions: one per device, replaced when the device subscribes again, dropped on logout."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from urllib.parse import urlsplit

import msgspec
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.auth.principal import Principal
from server.domain.errors import fail
from server.ids import new_id
from server.notify.tables import push_subscriptions
from server.notify.webpush import PushSubscription
from server.storage.db import Database, UnitOfWork
from server.storage.schema import devices

MAX_ENDPOINT_CHARS = 1000
# Plain http is a test push service on this machine (Settings.push_allow_http_loopback); a real push
# service is always https.
_LOOPBACK_HOSTS = frozenset({"localhost"})


class KeysIn(msgspec.Struct, kw_only=True):
    p256dh: str
    auth: str


class SubscriptionIn(msgspec.Struct, kw_only=True):
    """PushSubscription.toJSON() from the browser (expirationTime and the rest are ignored)."""

    endpoint: str
    keys: KeysIn


class SubscriptionView(msgspec.Struct, kw_only=True):
    id: str
    device_id: str
    endpoint: str


class StoredSubscription(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    device_id: str
    user_id: str
    endpoint: str
    p256dh: str
    auth: str

    @property
    def push(self) -> PushSubscription:
        return PushSubscription(endpoint=self.endpoint, p256dh=self.p256dh, auth=self.auth)


def _invalid(field: str, zh: str, en: str) -> Exception:
    return fail("push.invalid_subscription", zh, en, kind="invalid", field=field)


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def validate(sub: SubscriptionIn, *, allow_http_loopback: bool = False) -> None:
    endpoint = sub.endpoint.strip()
    if not endpoint or len(endpoint) > MAX_ENDPOINT_CHARS or "\x00" in endpoint:
        raise _invalid("endpoint", "推送地址无效", "The push endpoint is missing or too long")
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname or ""
    except ValueError as exc:
        raise _invalid("endpoint", "推送地址无效", "The push endpoint is not a URL") from exc
    if not host:
        raise _invalid("endpoint", "推送地址无效", "The push endpoint is not a URL")
    if parts.scheme == "https":
        pass
    elif parts.scheme == "http" and allow_http_loopback and _is_loopback(host):
        pass
    else:
        raise _invalid("endpoint", "推送地址必须使用 https", "The push endpoint must use https")
    try:
        point = _b64url(sub.keys.p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        if len(point) != 65:
            raise ValueError("not an uncompressed point")
    except (ValueError, binascii.Error) as exc:
        raise _invalid("keys.p256dh", "推送密钥无效", "keys.p256dh is not a P-256 public key") from exc
    try:
        auth = _b64url(sub.keys.auth)
    except (ValueError, binascii.Error) as exc:
        raise _invalid("keys.auth", "推送密钥无效", "keys.auth is not base64url") from exc
    if len(auth) != 16:  # RFC 8291 §2: a 16-byte authentication secret
        raise _invalid("keys.auth", "推送密钥无效", "keys.auth must be 16 bytes")


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def subscribe(
    db: Database, who: Principal, sub: SubscriptionIn, *, allow_http_loopback: bool = False
) -> SubscriptionView:
    """Store this device's subscription, replacing its previous one."""
    validate(sub, allow_http_loopback=allow_http_loopback)
    endpoint = sub.endpoint.strip()
    async with db.transaction() as uow:
        # An endpoint belongs to one browser profile: if another login on the same browser had it,
        # that login no longer receives it (otherwise the next user would see their reminders).
        await uow.conn.execute(
            delete(push_subscriptions).where(
                push_subscriptions.c.endpoint == endpoint, push_subscriptions.c.device_id != who.device_id
            )
        )
        ins = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(push_subscriptions)
        stmt = ins.values(
            id=new_id("psub"), device_id=who.device_id, user_id=who.user_id, endpoint=endpoint,
            p256dh=sub.keys.p256dh, auth=sub.keys.auth, created_at=uow.now,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[push_subscriptions.c.device_id],
            set_={
                "id": stmt.excluded.id, "user_id": stmt.excluded.user_id, "endpoint": stmt.excluded.endpoint,
                "p256dh": stmt.excluded.p256dh, "auth": stmt.excluded.auth,
                "created_at": stmt.excluded.created_at, "last_success_at": None, "last_error": None,
            },
        ).returning(push_subscriptions.c.id)
        sub_id = (await uow.conn.execute(stmt)).scalar_one()
        uow.audit(entity="device", entity_id=who.device_id, action="push.subscribed", actor_id=who.user_id,
                  actor_role=who.primary_role, device_id=who.device_id, compound_id=who.compound_id,
                  data={"subscription_id": sub_id, "push_service": urlsplit(endpoint).hostname})
    return SubscriptionView(id=sub_id, device_id=who.device_id, endpoint=endpoint)


async def unsubscribe(db: Database, who: Principal) -> int:
    """Drop this device's subscription (the app calls it before logout). Returns how many rows went."""
    async with db.transaction() as uow:
        result = await uow.conn.execute(
            delete(push_subscriptions).where(push_subscriptions.c.device_id == who.device_id)
        )
        return result.rowcount or 0


async def for_users(db: Database, user_ids: list[str]) -> dict[str, list[StoredSubscription]]:
    """Live subscriptions by user: a revoked device (lost phone, logged out) gets nothing."""
    if not user_ids:
        return {}
    q = (
        select(push_subscriptions)
        .join(devices, devices.c.id == push_subscriptions.c.device_id)
        .where(push_subscriptions.c.user_id.in_(user_ids), devices.c.revoked_at.is_(None))
        .order_by(push_subscriptions.c.id)
    )
    out: dict[str, list[StoredSubscription]] = {}
    async with db.read() as conn:
        for r in (await conn.execute(q)).all():
            out.setdefault(r.user_id, []).append(
                StoredSubscription(id=r.id, device_id=r.device_id, user_id=r.user_id, endpoint=r.endpoint,
                                   p256dh=r.p256dh, auth=r.auth)
            )
    return out


async def forget(uow: UnitOfWork, subscription_id: str) -> None:
    """The push service said the subscription is gone (404/410): never send to it again."""
    await uow.conn.execute(delete(push_subscriptions).where(push_subscriptions.c.id == subscription_id))


async def record_outcome(uow: UnitOfWork, subscription_id: str, error: str | None) -> None:
    values = {"last_error": error} if error else {"last_success_at": uow.now, "last_error": None}
    await uow.conn.execute(
        update(push_subscriptions).where(push_subscriptions.c.id == subscription_id).values(**values)
    )
