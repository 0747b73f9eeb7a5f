"""Push routes: the server's VAPID key and this device's push subscription."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import JSONBody

from server.auth.guards import allow
from server.auth.principal import Principal
from server.domain.roles import ALL_STAFF
from server.notify import subscriptions
from server.notify.subscriptions import SubscriptionIn, SubscriptionView
from server.notify.vapid_store import shared_vapid_keys
from server.storage.db import Database


class VapidKeyView(msgspec.Struct, kw_only=True):
    # base64url uncompressed P-256 point: pushManager.subscribe({applicationServerKey}) takes it as is.
    public_key: str


class Unsubscribed(msgspec.Struct, kw_only=True):
    deleted: int


class PushController(Controller):
    path = "/api/push"
    tags = ["push"]

    @get("/vapid-key", opt=allow(*ALL_STAFF))
    async def vapid_key(self, db: Database, request: Request) -> VapidKeyView:
        keys = await shared_vapid_keys(db, request.app.state.settings.keys_dir)
        return VapidKeyView(public_key=keys.application_server_key)

    @post("/subscriptions", opt=allow(*ALL_STAFF), status_code=201)
    async def subscribe(
        self, db: Database, principal: Principal, request: Request, data: JSONBody[SubscriptionIn]
    ) -> SubscriptionView:
        allow = request.app.state.settings.push_allow_http_loopback
        return await subscriptions.subscribe(db, principal, data, allow_http_loopback=allow)

    @delete("/subscriptions", opt=allow(*ALL_STAFF), status_code=200)
    async def unsubscribe(self, db: Database, principal: Principal) -> Unsubscribed:
        return Unsubscribed(deleted=await subscriptions.unsubscribe(db, principal))
