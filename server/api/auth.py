"""Login, logout, the current user, and device tokens."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.params import JSONBody

from server.auth.guards import PUBLIC, allow
from server.auth.principal import Principal
from server.domain.roles import ALL_STAFF, Role
from server.services import accounts
from server.services.accounts import DeviceView, LoginResult, UserView
from server.storage.db import Database


class LoginIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    username: str = msgspec.field()
    password: str
    device_name: str = "device"


class AuthController(Controller):
    path = "/api"
    tags = ["auth"]

    @post("/auth/login", opt=PUBLIC, status_code=200)
    async def login(self, db: Database, data: JSONBody[LoginIn]) -> LoginResult:
        return await accounts.login(db, data.username.strip(), data.password, data.device_name)

    @post("/auth/logout", opt=allow(*ALL_STAFF), status_code=200)
    async def logout(self, db: Database, principal: Principal) -> dict[str, bool]:
        await accounts.logout(db, principal)
        return {"ok": True}

    @get("/me", opt=allow(*ALL_STAFF))
    async def me(self, db: Database, principal: Principal) -> UserView:
        return await accounts.me(db, principal)

    @get("/devices", opt=allow(Role.MANAGER))
    async def devices(self, db: Database, principal: Principal, user_id: str | None = None) -> list[DeviceView]:
        return await accounts.list_devices(db, principal, user_id)

    @post("/devices/{device_id:str}/revoke", opt=allow(Role.MANAGER), status_code=200)
    async def revoke(self, db: Database, principal: Principal, device_id: str) -> DeviceView:
        return await accounts.revoke_device(db, principal, device_id)
